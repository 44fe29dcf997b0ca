// End to end with the official TypeScript SDK (1.32.x, legacy era): the real client drives the
// real backburner-mcp, which starts and talks to the real daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Sandbox, SHIM, eventually, sleep, structured } from './harness.mjs';

async function connect(sb, extraEnv = {}) {
  const transport = new StdioClientTransport({ command: SHIM, env: sb.env(extraEnv), cwd: sb.home, stderr: 'pipe' });
  const client = new Client({ name: 'backburner-e2e', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

async function call(client, name, args, options) {
  return client.callTool({ name, arguments: args }, undefined, options);
}

async function withSandbox(fn) {
  const sb = new Sandbox();
  try {
    await fn(sb);
  } finally {
    await sb.cleanup();
  }
}

test('tools/list shows every tool with its schemas and annotations, and the server explains itself', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb);
    const { tools } = await c.listTools();
    const names = tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['cancel_task', 'list_tasks', 'send_input', 'start_task', 'task_result', 'task_status', 'wait_task']);
    for (const t of tools) {
      assert.ok(t.title, `${t.name} has a title`);
      assert.ok(t.description.length > 40, `${t.name} has a description`);
      assert.equal(t.inputSchema.type, 'object');
      assert.equal(t.outputSchema.type, 'object');
      assert.equal(typeof t.annotations.readOnlyHint, 'boolean');
    }
    assert.equal(c.getServerVersion().name, 'backburner');
    assert.match(c.getInstructions(), /wait_task/);
    assert.equal(sb.processes('backburnerd').length, 0, 'listing tools needs no daemon');
    await c.close();
  }));

test('a task runs to completion: start, status, wait, result', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb);
    const started = structured(await call(c, 'start_task', { command: 'echo hello; echo "$HOME"; pwd' }));
    assert.equal(started.status, 'working');
    assert.equal(started.cwd, sb.home, 'cwd defaults to the shim\'s');
    const status = structured(await call(c, 'task_status', { task_id: started.task_id }));
    assert.equal(status.task_id, started.task_id);
    const waited = structured(await call(c, 'wait_task', { task_ids: [started.task_id], timeout_seconds: 20 }));
    assert.equal(waited.all_finished, true);
    assert.equal(waited.tasks[0].status, 'completed');
    assert.equal(waited.tasks[0].exit_code, 0);
    const result = structured(await call(c, 'task_result', { task_id: started.task_id }));
    assert.equal(result.output, `hello\n${sb.home}\n${sb.home}\n`, 'the task ran with the shim\'s environment');
    assert.equal(result.truncated, false);
    assert.ok(result.duration_seconds >= 0);
    await c.close();
  }));

test('every terminal status reaches the client: failed, timed_out, cancelled', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb);
    const failed = structured(await call(c, 'start_task', { command: 'exit 3' }));
    const slow = structured(await call(c, 'start_task', { command: 'sleep 60', timeout_seconds: 0.5 }));
    const victim = structured(await call(c, 'start_task', { command: 'sleep 60' }));
    const cancelled = structured(await call(c, 'cancel_task', { task_id: victim.task_id }));
    assert.equal(cancelled.cancelled, true);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.exit_code, undefined);
    const w = structured(await call(c, 'wait_task', { task_ids: [failed.task_id, slow.task_id], timeout_seconds: 20 }));
    assert.equal(w.tasks[0].status, 'failed');
    assert.equal(w.tasks[0].exit_code, 3);
    assert.equal(w.tasks[1].status, 'timed_out');
    assert.equal(w.tasks[1].exit_code, undefined);
    const listed = structured(await call(c, 'list_tasks', {}));
    assert.deepEqual(listed.tasks.map((t) => t.task_id), [victim.task_id, slow.task_id, failed.task_id]);
    await c.close();
  }));

test('failures are tool results with isError and a message that says what to do', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb);
    const cases = [
      ['task_status', { task_id: 'nosuchtask' }, /nosuchtask/],
      ['start_task', { command: 'true', cwd: '/no/such/dir' }, /does not exist/],
      ['start_task', { command: 'true', timeout_seconds: 0 }, /timeout_seconds/],
      ['start_task', { command: 42 }, /command/],
      ['start_task', {}, /command/],
      ['wait_task', { task_ids: 'abc' }, /task_ids/],
    ];
    for (const [name, args, pattern] of cases) {
      const r = await call(c, name, args);
      assert.equal(r.isError, true, `${name} ${JSON.stringify(args)} is an error`);
      assert.match(r.content[0].text, pattern);
    }
    await assert.rejects(call(c, 'no_such_tool', {}), (e) => e.code === -32602);
    // Still serving after all that.
    assert.ok(structured(await call(c, 'list_tasks', {})));
    await c.close();
  }));

test('a refused command says which rule refused it', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb, { BACKBURNER_DENY: 'rm -rf' });
    const r = await call(c, 'start_task', { command: 'rm -rf /tmp/x' });
    assert.equal(r.isError, true);
    assert.match(r.content[0].text, /rm -rf/);
    await c.close();
  }));

test('the policy of the shim that started the daemon binds only that shim', () =>
  withSandbox(async (sb) => {
    const strict = await connect(sb, { BACKBURNER_DENY: 'forbidden' });
    const refused = await call(strict, 'start_task', { command: 'echo forbidden' });
    assert.equal(refused.isError, true, 'the strict shim refuses');
    const relaxed = await connect(sb);
    const ok = await call(relaxed, 'start_task', { command: 'echo forbidden' });
    assert.notEqual(ok.isError, true, ok.content?.[0]?.text);
    await strict.close();
    await relaxed.close();
  }));

test('wait_task sends progress while it waits, so clients can wait past their timeout', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb);
    const t = structured(await call(c, 'start_task', { command: 'sleep 7' }));
    const progress = [];
    const r = structured(
      await call(c, 'wait_task', { task_ids: [t.task_id], timeout_seconds: 30 }, {
        onprogress: (p) => progress.push(p.progress),
        resetTimeoutOnProgress: true,
        timeout: 60000,
      }),
    );
    assert.equal(r.all_finished, true);
    assert.ok(progress.length >= 1, `got ${progress.length} progress notifications`);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i] > progress[i - 1], 'progress increases');
    await c.close();
  }));

test('a task outlives the shim that started it', () =>
  withSandbox(async (sb) => {
    const gate = `${sb.home}/gate`;
    let c = await connect(sb);
    const t = structured(await call(c, 'start_task', { command: `while [ ! -e ${gate} ]; do sleep 0.05; done; echo done` }));
    await c.close(); // the shim exits on stdin EOF
    assert.ok(await eventually(() => sb.processes('backburner-mcp').length === 0), 'the shim exited');
    c = await connect(sb);
    assert.equal(structured(await call(c, 'task_status', { task_id: t.task_id })).status, 'working');
    await call(c, 'start_task', { command: `touch ${gate}` });
    const w = structured(await call(c, 'wait_task', { task_ids: [t.task_id], timeout_seconds: 20 }));
    assert.equal(w.tasks[0].status, 'completed');
    await c.close();
  }));

test('two shims share one daemon and see each other\'s tasks', () =>
  withSandbox(async (sb) => {
    const a = await connect(sb);
    const b = await connect(sb);
    const t = structured(await call(a, 'start_task', { command: 'sleep 0.3' }));
    const listed = structured(await call(b, 'list_tasks', {}));
    assert.equal(listed.tasks[0].task_id, t.task_id);
    const w = structured(await call(b, 'wait_task', { task_ids: [t.task_id], timeout_seconds: 20 }));
    assert.equal(w.tasks[0].status, 'completed');
    assert.equal(sb.processes('backburnerd').length, 1);
    await a.close();
    await b.close();
  }));

test('six shims starting at once on a fresh state dir end with exactly one daemon', () =>
  withSandbox(async (sb) => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => connect(sb)));
    const answers = await Promise.all(clients.map((c) => call(c, 'list_tasks', {})));
    for (const r of answers) assert.notEqual(r.isError, true, r.content?.[0]?.text);
    assert.equal(sb.processes('backburnerd').length, 1);
    await Promise.all(clients.map((c) => c.close()));
  }));

test('a daemon killed between two calls is replaced, and earlier tasks keep their true outcome', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb);
    const gate = `${sb.home}/gate`;
    const t = structured(await call(c, 'start_task', { command: `while [ ! -e ${gate} ]; do sleep 0.05; done; exit 5` }));
    const first = sb.daemonPid();
    assert.ok(first > 0);
    process.kill(first, 'SIGKILL');
    assert.ok(await eventually(() => sb.processes('backburnerd').length === 0));
    const again = structured(await call(c, 'task_status', { task_id: t.task_id }));
    assert.equal(again.status, 'working', 're-adopted by the new daemon');
    assert.notEqual(sb.daemonPid(), first);
    await call(c, 'start_task', { command: `touch ${gate}` });
    const w = structured(await call(c, 'wait_task', { task_ids: [t.task_id], timeout_seconds: 20 }));
    assert.equal(w.tasks[0].status, 'failed');
    assert.equal(w.tasks[0].exit_code, 5);
    await c.close();
  }));

test('starting a shim never changes any task\'s status', () =>
  withSandbox(async (sb) => {
    const a = await connect(sb);
    const t = structured(await call(a, 'start_task', { command: 'sleep 60' }));
    const b = await connect(sb);
    assert.equal(structured(await call(b, 'task_status', { task_id: t.task_id })).status, 'working');
    await call(b, 'cancel_task', { task_id: t.task_id });
    await a.close();
    await b.close();
  }));

test('stdout carries only MCP messages, and bad lines get JSON-RPC errors without ending the shim', () =>
  withSandbox(async (sb) => {
    const child = spawn(SHIM, [], { env: sb.env(), cwd: sb.home, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const lines = [
      'not json',
      '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}',
      '{"jsonrpc":"2.0","method":"notifications/initialized"}',
      '{"jsonrpc":"2.0","id":2,"method":"no/such/method"}',
      '{"jsonrpc":"2.0","id":3,"method":"ping"}',
    ];
    child.stdin.write(lines.join('\n') + '\n');
    assert.ok(await eventually(() => out.split('\n').filter(Boolean).length >= 4, 10000), out);
    const msgs = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.equal(msgs[0].error.code, -32700);
    assert.equal(msgs[1].result.protocolVersion, '2025-06-18');
    assert.equal(msgs[2].error.code, -32601);
    assert.deepEqual(msgs[3].result, {});
    const exited = new Promise((r) => child.on('exit', r));
    child.stdin.end();
    assert.equal(await Promise.race([exited, sleep(10000).then(() => 'timeout')]), 0, 'exits on stdin EOF');
  }));
