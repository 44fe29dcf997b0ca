// The 2026-07-28 Tasks extension (io.modelcontextprotocol/tasks) and subscriptions/listen,
// driven by a raw client written from the extension's text (ext-tasks specification/draft/
// tasks.md) and the base spec's subscriptions page: one JSON message per line over the real
// shim's stdio, every request with the per-request _meta envelope.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Sandbox, SHIM, eventually, sleep } from './harness.mjs';

const EXT = 'io.modelcontextprotocol/tasks';

class RawClient {
  constructor(sb) {
    this.child = spawn(SHIM, [], { env: sb.env(), cwd: sb.home, stdio: ['pipe', 'pipe', 'pipe'] });
    this.messages = [];
    this.waiters = [];
    this.nextId = 1;
    let buf = '';
    this.child.stdout.on('data', (d) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) this.messages.push(JSON.parse(line));
      }
    });
  }
  meta(withExtension) {
    return {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'raw-modern', version: '1.0' },
      'io.modelcontextprotocol/clientCapabilities': withExtension ? { extensions: { [EXT]: {} } } : {},
    };
  }
  send(method, params = {}, { ext = true, id } = {}) {
    const reqId = id ?? this.nextId++;
    this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: reqId, method, params: { ...params, _meta: this.meta(ext) } }) + '\n');
    return reqId;
  }
  notify(method, params) {
    this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method, params }) + '\n');
  }
  async response(id, ms = 20000) {
    const m = await eventually(() => this.messages.find((x) => x.id === id && !x.method), ms);
    assert.ok(m, `no response to ${id}`);
    return m;
  }
  async request(method, params, opts) {
    return this.response(this.send(method, params, opts));
  }
  notifications(method) {
    return this.messages.filter((m) => m.method === method);
  }
  async close() {
    const exited = new Promise((r) => this.child.on('exit', r));
    this.child.stdin.end();
    await Promise.race([exited, sleep(10000)]);
  }
}

async function withClient(fn) {
  const sb = new Sandbox();
  const c = new RawClient(sb);
  try {
    await fn(c, sb);
  } finally {
    await c.close();
    await sb.cleanup();
  }
}

test('server/discover advertises the Tasks extension and resource subscriptions', () =>
  withClient(async (c) => {
    const r = await c.request('server/discover');
    assert.deepEqual(r.result.capabilities.extensions[EXT], {});
    assert.equal(r.result.capabilities.resources.subscribe, true);
  }));

test('start_task answers with a task handle; tasks/get inlines the tool result once done', () =>
  withClient(async (c) => {
    const r = await c.request('tools/call', { name: 'start_task', arguments: { command: 'sleep 0.2; echo modern task' } });
    const h = r.result;
    assert.equal(h.resultType, 'task');
    assert.equal(typeof h.taskId, 'string');
    assert.equal(h.status, 'working');
    assert.ok(Number.isInteger(h.ttlMs) || h.ttlMs === null);
    assert.ok(h.pollIntervalMs > 0);
    // Durable before the handle: tasks/get works at once.
    const first = await c.request('tasks/get', { taskId: h.taskId });
    assert.equal(first.result.resultType, 'complete');
    assert.equal(first.result.taskId, h.taskId);
    const done = await eventually(async () => {
      const g = await c.request('tasks/get', { taskId: h.taskId });
      return g.result.status === 'completed' ? g : null;
    });
    assert.equal(done.result.result.isError, false);
    assert.match(done.result.result.content[0].text, /modern task/);
    assert.equal(done.result.result.structuredContent.task_id, h.taskId);
    // The same task through the plain tools.
    const plain = await c.request('tools/call', { name: 'task_status', arguments: { task_id: h.taskId } }, { ext: false });
    assert.equal(plain.result.structuredContent.status, 'completed');
  }));

test('a failing command completes with an isError result (failed is only for protocol errors)', () =>
  withClient(async (c) => {
    const h = (await c.request('tools/call', { name: 'start_task', arguments: { command: 'echo bad; exit 3' } })).result;
    const done = await eventually(async () => {
      const g = await c.request('tasks/get', { taskId: h.taskId });
      return g.result.status !== 'working' ? g : null;
    });
    assert.equal(done.result.status, 'completed');
    assert.equal(done.result.result.isError, true);
    assert.match(done.result.statusMessage, /failed \(exit 3\)/);
  }));

test('tasks/cancel acknowledges and the task ends cancelled; tasks/update acknowledges', () =>
  withClient(async (c) => {
    const h = (await c.request('tools/call', { name: 'start_task', arguments: { command: 'sleep 60' } })).result;
    const up = await c.request('tasks/update', { taskId: h.taskId, inputResponses: { nothing: { action: 'accept', content: {} } } });
    assert.deepEqual(Object.keys(up.result).sort(), ['_meta', 'resultType']);
    const ack = await c.request('tasks/cancel', { taskId: h.taskId });
    assert.equal(ack.result.resultType, 'complete');
    const g = await c.request('tasks/get', { taskId: h.taskId });
    assert.equal(g.result.status, 'cancelled');
    assert.equal(g.result.result, undefined);
  }));

test('unknown task ids are -32602; a client without the extension gets -32021 and no handle', () =>
  withClient(async (c) => {
    for (const method of ['tasks/get', 'tasks/cancel', 'tasks/update']) {
      const r = await c.request(method, { taskId: 'nosuchtask', inputResponses: {} });
      assert.equal(r.error.code, -32602, method);
    }
    const missing = await c.request('tasks/get', { taskId: 'x' }, { ext: false });
    assert.equal(missing.error.code, -32021);
    assert.deepEqual(missing.error.data.requiredCapabilities, { extensions: { [EXT]: {} } });
    const plain = await c.request('tools/call', { name: 'start_task', arguments: { command: 'true' } }, { ext: false });
    assert.equal(plain.result.resultType, 'complete', 'no task handle without the extension');
    assert.equal(plain.result.structuredContent.status, 'working');
    const listen = await c.request('subscriptions/listen', { notifications: { taskIds: ['x'] } }, { ext: false });
    assert.equal(listen.error.code, -32021);
  }));

test('subscriptions/listen acknowledges first, then pushes notifications/tasks and resource updates', () =>
  withClient(async (c, sb) => {
    const gate = `${sb.home}/gate`;
    const h = (await c.request('tools/call', { name: 'start_task', arguments: { command: `echo one; while [ ! -e ${gate} ]; do sleep 0.02; done; echo two` } })).result;
    const uri = `backburner://tasks/${h.taskId}/output`;
    const subId = c.send('subscriptions/listen', { notifications: { taskIds: [h.taskId, 'nosuchtask'], resourceSubscriptions: [uri] } });
    const ack = await eventually(() => c.notifications('notifications/subscriptions/acknowledged')[0]);
    assert.equal(ack.params._meta['io.modelcontextprotocol/subscriptionId'], subId);
    assert.deepEqual(ack.params.notifications.taskIds, [h.taskId]);
    assert.deepEqual(ack.params.notifications.resourceSubscriptions, [uri]);
    const ackAt = c.messages.indexOf(ack);
    await c.request('tools/call', { name: 'start_task', arguments: { command: `touch ${gate}` } }, { ext: false });
    const end = await eventually(() =>
      c.notifications('notifications/tasks').find((n) => n.params.taskId === h.taskId && n.params.status === 'completed'));
    assert.ok(end, 'the end was pushed');
    assert.equal(end.params._meta['io.modelcontextprotocol/subscriptionId'], subId);
    assert.match(end.params.result.content[0].text, /one\ntwo/);
    for (const n of c.notifications('notifications/tasks')) assert.ok(c.messages.indexOf(n) > ackAt, 'nothing before the ack');
    assert.ok(await eventually(() => c.notifications('notifications/resources/updated').some((n) => n.params.uri === uri)));
    // Cancelling the subscription ends it without a response.
    c.notify('notifications/cancelled', { requestId: subId });
    await sleep(200);
    assert.equal(c.messages.some((m) => m.id === subId && !m.method), false);
    const ping = await c.request('tools/list');
    assert.ok(ping.result.tools.length >= 7);
  }));
