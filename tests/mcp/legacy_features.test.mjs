// End to end with the official TypeScript SDK (1.32.x, legacy era): reading output every way,
// stdin, waiting for any, this session's tasks, the experimental Tasks client, resources. Also
// prints (never asserts) two figures: how soon a task's end reaches a subscribed client, and the
// characters a model gets for 32 KB of coloured output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CallToolResultSchema,
  ResourceUpdatedNotificationSchema,
  TaskStatusNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { Sandbox, SHIM, eventually, sleep, structured } from './harness.mjs';

async function connect(sb, name = 'backburner-e2e') {
  const transport = new StdioClientTransport({ command: SHIM, env: sb.env(), cwd: sb.home, stderr: 'pipe' });
  const client = new Client({ name, version: '2.0.0' }, { capabilities: {} });
  await client.connect(transport);
  return client;
}

const call = (c, name, args, options) => c.callTool({ name, arguments: args }, undefined, options);

async function withSandbox(fn) {
  const sb = new Sandbox();
  try {
    await fn(sb);
  } finally {
    await sb.cleanup();
  }
}

async function finished(c, id) {
  const w = structured(await call(c, 'wait_task', { task_ids: [id], timeout_seconds: 60 }));
  assert.equal(w.all_finished, true, w.message);
  return w.tasks[0];
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

test('all of a 50,000-line log reads back through offset and next_offset, byte for byte', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb);
    const t = structured(await call(c, 'start_task', { command: 'seq -f "line %g of the log, with some text" 1 50000' }));
    await finished(c, t.task_id);
    let offset = 0;
    let text = '';
    let pages = 0;
    let logPath;
    for (; pages < 1000; pages++) {
      const r = structured(await call(c, 'task_result', { task_id: t.task_id, offset, max_bytes: 2097152, max_chars: 100000, raw: true }));
      assert.equal(r.offset, offset);
      text += r.output;
      logPath = r.log_path;
      offset = r.next_offset;
      if (!r.truncated) break;
      assert.match(r.truncated_message, new RegExp(`offset=${offset}\\)`));
    }
    const file = readFileSync(logPath);
    assert.equal(Buffer.from(text, 'utf8').equals(file), true, 'the pages concatenate to the file');
    assert.equal(text.split('\n').length - 1, 50000);
    console.log(`# 50,000 lines (${file.length} bytes) read in ${pages + 1} pages of at most 100,000 characters`);
    await c.close();
  }));

test('since_last_read on a task that is still writing returns each line exactly once across 20 reads', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb);
    const t = structured(await call(c, 'start_task', { command: 'for i in $(seq 1 400); do echo "row $i"; sleep 0.005; done' }));
    let got = '';
    for (let i = 0; i < 20; i++) {
      const r = structured(await call(c, 'task_result', { task_id: t.task_id, since_last_read: true }));
      got += r.output;
      await sleep(40);
    }
    await finished(c, t.task_id);
    for (let i = 0; i < 5; i++) {
      const r = structured(await call(c, 'task_result', { task_id: t.task_id, since_last_read: true }));
      got += r.output;
      if (!r.truncated) break;
    }
    const rows = got.split('\n').filter(Boolean);
    assert.deepEqual(rows, Array.from({ length: 400 }, (_, i) => `row ${i + 1}`));
    // A named reader has a place of its own.
    const other = structured(await call(c, 'task_result', { task_id: t.task_id, since_last_read: true, reader: 'someone-else' }));
    assert.equal(other.output.split('\n').filter(Boolean).length, 400);
    await c.close();
  }));

test('grep finds a line in the middle of a 1 GB log', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb);
    // 10,000,000 lines of 100 bytes around one needle: 1 GB (under the 1 GiB log cap).
    const filler = `yes '${'filler line '.padEnd(99, '.')}' | head -c 500000000`;
    const task = structured(await call(c, 'start_task', {
      command: `${filler}; echo 'NEEDLE: here it is'; ${filler}`,
    }));
    await finished(c, task.task_id);
    const rss = () => {
      const status = readFileSync(`/proc/${sb.daemonPid()}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
    };
    const rssBefore = rss();
    // A search bounded by its time budget stops and names where to continue; follow it.
    const began = Date.now();
    let offset = 0;
    let calls = 0;
    const matches = [];
    let last;
    for (;;) {
      assert.ok(++calls <= 200, 'the search never completed');
      last = structured(await call(c, 'task_result', {
        task_id: task.task_id, grep: 'NEEDLE', context_lines: 1, offset,
      }));
      matches.push(...last.matches);
      if (last.grep_complete) break;
      assert.ok(last.scanned_to > offset, 'an incomplete search must move forward');
      offset = last.scanned_to;
    }
    const took = Date.now() - began;
    assert.equal(last.total_bytes, 1000000019);
    assert.equal(matches.length, 1);
    assert.equal(matches[0].line, 5000001);
    assert.equal(matches[0].text, 'NEEDLE: here it is');
    assert.equal(matches[0].offset, 500000000);
    assert.equal(matches[0].before.length, 1);
    assert.match(matches[0].before[0].text, /^filler line \.+$/);
    assert.equal(matches[0].after[0].line, 5000002);
    console.log(`# grep of a ${last.total_bytes}-byte log through the shim: ${took} ms in ${calls} call(s); ` +
      `daemon RSS ${rssBefore.toFixed(1)} MB before, ${rss().toFixed(1)} MB after`);
    await c.close();
  }));

test('a task that reads two lines from stdin gets them through send_input and ends', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb);
    const t = structured(await call(c, 'start_task', { command: 'read a; read b; echo "got $a and $b"', stdin: 'pipe' }));
    assert.equal(t.stdin, 'pipe');
    const first = await eventually(async () => {
      const r = await call(c, 'send_input', { task_id: t.task_id, text: 'one\n' });
      return r.isError && /starting/.test(r.content[0].text) ? null : r;
    }, 10000);
    assert.equal(structured(first).written, 4);
    structured(await call(c, 'send_input', { task_id: t.task_id, text: 'two\n' }));
    const done = await finished(c, t.task_id);
    assert.equal(done.status, 'completed');
    const out = structured(await call(c, 'task_result', { task_id: t.task_id }));
    assert.equal(out.output, 'got one and two\n');
    const late = await call(c, 'send_input', { task_id: t.task_id, text: 'three\n' });
    assert.equal(late.isError, true);
    assert.match(late.content[0].text, /ended|Nothing reads/);
    const none = structured(await call(c, 'start_task', { command: 'sleep 5' }));
    const refused = await call(c, 'send_input', { task_id: none.task_id, text: 'x' });
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /stdin: "pipe"/);
    await call(c, 'cancel_task', { task_id: none.task_id });
    await c.close();
  }));

test('wait_task mode any returns when the first task ends; unknown ids are reported', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb);
    const quick = structured(await call(c, 'start_task', { command: 'sleep 0.2' }));
    const slow = structured(await call(c, 'start_task', { command: 'sleep 60' }));
    const w = structured(await call(c, 'wait_task', { task_ids: [slow.task_id, quick.task_id, 'nosuchtask'], mode: 'any', timeout_seconds: 30 }));
    assert.equal(w.any_finished, true);
    assert.equal(w.all_finished, false);
    assert.equal(w.wait_expired, false);
    assert.deepEqual(w.unknown_task_ids, ['nosuchtask']);
    assert.equal(w.tasks.find((t) => t.task_id === quick.task_id).status, 'completed');
    assert.ok(w.waited_seconds < 20);
    await call(c, 'cancel_task', { task_id: slow.task_id });
    await c.close();
  }));

test('mine lists only the tasks this client session started; label and command filters', () =>
  withSandbox(async (sb) => {
    const a = await connect(sb, 'client-a');
    const b = await connect(sb, 'client-b');
    const ta = structured(await call(a, 'start_task', { command: 'echo from-a', label: 'alpha' }));
    const tb = structured(await call(b, 'start_task', { command: 'echo from-b' }));
    assert.equal(ta.client.name, 'client-a');
    assert.equal(ta.client.via.startsWith('backburner-mcp'), true);
    const mineA = structured(await call(a, 'list_tasks', { mine: true }));
    assert.deepEqual(mineA.tasks.map((t) => t.task_id), [ta.task_id]);
    const mineB = structured(await call(b, 'list_tasks', { mine: true }));
    assert.deepEqual(mineB.tasks.map((t) => t.task_id), [tb.task_id]);
    assert.deepEqual(structured(await call(b, 'list_tasks', { label: 'alpha' })).tasks.map((t) => t.task_id), [ta.task_id]);
    assert.deepEqual(structured(await call(b, 'list_tasks', { command_contains: 'from-b' })).tasks.map((t) => t.task_id), [tb.task_id]);
    await a.close();
    await b.close();
  }));

test('experimental Tasks: create, status notifications, get, result, list, cancel', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb);
    const statuses = [];
    c.setNotificationHandler(TaskStatusNotificationSchema, (n) => statuses.push(n.params));
    const { tools } = await c.listTools();
    assert.equal(tools.find((t) => t.name === 'start_task').execution.taskSupport, 'optional');

    const messages = [];
    for await (const m of c.experimental.tasks.callToolStream({ name: 'start_task', arguments: { command: 'sleep 0.3; echo from a task' } }, CallToolResultSchema, { task: { ttl: 60000 } })) {
      messages.push(m);
    }
    assert.equal(messages[0].type, 'taskCreated');
    const id = messages[0].task.taskId;
    assert.equal(messages.at(-1).type, 'result', JSON.stringify(messages.at(-1)));
    const result = messages.at(-1).result;
    assert.equal(result.isError, false);
    assert.match(result.content[0].text, /from a task/);
    assert.equal(result.structuredContent.task_id, id, 'the MCP task is the backburner task');
    assert.ok(await eventually(() => statuses.some((s) => s.taskId === id && s.status === 'completed')), 'a status notification came');

    const got = await c.experimental.tasks.getTask(id);
    assert.equal(got.status, 'completed');
    assert.ok(got.ttl > 0 || got.ttl === null);
    const viaTool = structured(await call(c, 'task_status', { task_id: id }));
    assert.equal(viaTool.status, 'completed');
    const again = await c.experimental.tasks.getTaskResult(id, CallToolResultSchema);
    assert.match(again.content[0].text, /from a task/);
    const listed = await c.experimental.tasks.listTasks();
    assert.ok(listed.tasks.some((t) => t.taskId === id));

    // A failing command ends as failed; a timed-out one as failed with the reason.
    const slow = await c.request({ method: 'tools/call', params: { name: 'start_task', arguments: { command: 'sleep 30', timeout_seconds: 0.3 }, task: {} } }, (await import('@modelcontextprotocol/sdk/types.js')).CreateTaskResultSchema);
    const r2 = await c.experimental.tasks.getTaskResult(slow.task.taskId, CallToolResultSchema);
    assert.equal(r2.isError, true);
    const t2 = await c.experimental.tasks.getTask(slow.task.taskId);
    assert.equal(t2.status, 'failed');
    assert.match(t2.statusMessage, /timed_out/);

    // Cancel kills the tree; a second cancel of the terminal task is -32602.
    const long = await c.request({ method: 'tools/call', params: { name: 'start_task', arguments: { command: 'sleep 60' }, task: {} } }, (await import('@modelcontextprotocol/sdk/types.js')).CreateTaskResultSchema);
    const cancelled = await c.experimental.tasks.cancelTask(long.task.taskId);
    assert.equal(cancelled.status, 'cancelled');
    await assert.rejects(c.experimental.tasks.cancelTask(long.task.taskId), (e) => e.code === -32602);
    await assert.rejects(c.experimental.tasks.getTask('nosuchtask'), (e) => e.code === -32602);
    assert.ok(await eventually(() => statuses.some((s) => s.taskId === long.task.taskId && s.status === 'cancelled')));
    await c.close();
  }));

test('task output as resources: list, templates, read, subscribe and updated', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb);
    const gate = `${sb.home}/gate`;
    const t = structured(await call(c, 'start_task', { command: `echo first; while [ ! -e ${gate} ]; do sleep 0.02; done; echo second` }));
    const uri = `backburner://tasks/${t.task_id}/output`;
    const { resources } = await c.listResources();
    assert.ok(resources.some((r) => r.uri === uri));
    const { resourceTemplates } = await c.listResourceTemplates();
    assert.equal(resourceTemplates[0].uriTemplate, 'backburner://tasks/{task_id}/output');
    await eventually(async () => /first/.test((await c.readResource({ uri })).contents[0].text));
    const updates = [];
    c.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updates.push(n.params.uri));
    await c.subscribeResource({ uri });
    await call(c, 'start_task', { command: `touch ${gate}` });
    assert.ok(await eventually(() => updates.length >= 1), 'an update came when the output grew');
    await finished(c, t.task_id);
    const read = await c.readResource({ uri });
    assert.match(read.contents[0].text, /first\nsecond\n/);
    assert.match(read.contents[0].text, /completed/);
    const paged = await c.readResource({ uri: `${uri}?offset=6` });
    assert.match(paged.contents[0].text, /\nsecond\n/);
    await assert.rejects(c.readResource({ uri: 'backburner://tasks/nosuchtask/output' }), (e) => e.code === -32002);
    await c.unsubscribeResource({ uri });
    await c.close();
  }));

test('measure: a task end reaching a subscribed client; characters for 32 KB of coloured output', () =>
  withSandbox(async (sb) => {
    const c = await connect(sb);
    const arrived = new Map();
    c.setNotificationHandler(TaskStatusNotificationSchema, (n) => {
      if (n.params.status !== 'working') arrived.set(n.params.taskId, Date.now());
    });
    // The daemon's own event stream, read directly, to tell the shim's share from the daemon's.
    await call(c, 'list_tasks', {});  // the daemon runs now
    const direct = new Map();
    const sock = net.connect(`${sb.stateDir}/backburnerd.sock`);
    let dbuf = '';
    sock.on('data', (d) => {
      dbuf += d;
      for (let nl = dbuf.indexOf('\n'); nl >= 0; nl = dbuf.indexOf('\n')) {
        const m = JSON.parse(dbuf.slice(0, nl));
        dbuf = dbuf.slice(nl + 1);
        const t = m.params?.task;
        if (m.method === 'event' && t && t.status !== 'working') direct.set(t.task_id, Date.now());
      }
    });
    await new Promise((r) => sock.once('connect', r));
    sock.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'hello', params: { protocol_version: 1, client: { name: 'measure', version: '1' } } }) + '\n');
    sock.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'events.subscribe', params: { all: true } }) + '\n');
    await sleep(200);
    const N = 30;
    const ids = [];
    for (let i = 0; i < N; i++) {
      const r = await c.request({ method: 'tools/call', params: { name: 'start_task', arguments: { command: 'true' }, task: {} } }, (await import('@modelcontextprotocol/sdk/types.js')).CreateTaskResultSchema);
      ids.push(r.task.taskId);
      await eventually(() => arrived.has(r.task.taskId), 10000);
    }
    const lat = [];
    for (const id of ids) {
      const t = structured(await call(c, 'task_status', { task_id: id }));
      if (arrived.has(id)) lat.push(arrived.get(id) - Date.parse(t.finished_at));
    }
    lat.sort((a, b) => a - b);
    const shim = ids.filter((id) => direct.has(id) && arrived.has(id)).map((id) => arrived.get(id) - direct.get(id)).sort((a, b) => a - b);
    sock.destroy();
    console.log(`# task end (finished_at) -> notifications/tasks/status at the client, ${lat.length} tasks of true: median ${percentile(lat, 50)} ms, p90 ${percentile(lat, 90)} ms (ms clock resolution)`);
    if (shim.length) console.log(`# of which the shim (daemon event -> MCP notification, same process clock): median ${percentile(shim, 50)} ms, p90 ${percentile(shim, 90)} ms`);

    const colour = 'printf \'\\033[1;32mPASS\\033[0m test_%05d \\033[33m(0.01s)\\033[0m\\n\' $(seq 1 1300) | head -c 32768';
    const t = structured(await call(c, 'start_task', { command: colour }));
    await finished(c, t.task_id);
    const raw = readFileSync(structured(await call(c, 'task_status', { task_id: t.task_id })).log_path);
    const before = JSON.stringify(raw.toString('utf8')).length;
    const r = await call(c, 'task_result', { task_id: t.task_id, tail_lines: 10000, max_chars: 100000 });
    const after = r.content[0].text.length;
    const dflt = (await call(c, 'task_result', { task_id: t.task_id })).content[0].text.length;
    console.log(`# ${raw.length} bytes of coloured output: before ${before} characters (raw bytes JSON-escaped), after ${after} characters (all of it, cleaned, text item), ${dflt} with the defaults`);
    await c.close();
  }));
