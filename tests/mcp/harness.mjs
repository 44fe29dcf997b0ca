// Shared by the MCP end-to-end tests: a temp HOME per test (so the shim finds its state dir the
// default way, with only the variables MCP clients forward), clients over stdio, and a teardown
// that kills every process that carries the test's HOME: the daemon the shim started and any
// task left running.
import { mkdtempSync, rmSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN_DIR = process.env.BB_BIN_DIR;
if (!BIN_DIR) throw new Error('BB_BIN_DIR must name the directory with backburner-mcp');
export const SHIM = join(BIN_DIR, 'backburner-mcp');

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Polls fn until it returns truthy or the deadline passes.
export async function eventually(fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) return v;
    await sleep(20);
  }
}

export class Sandbox {
  constructor() {
    this.home = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'bbm-'));
    this.stateDir = join(this.home, '.backburner');
  }

  // Exactly what the SDK's stdio transport forwards by default, with HOME pointing here.
  env(extra = {}) {
    const env = { HOME: this.home, PATH: process.env.PATH };
    for (const k of ['LOGNAME', 'SHELL', 'TERM', 'USER']) if (process.env[k]) env[k] = process.env[k];
    return { ...env, ...extra };
  }

  daemonPid() {
    const f = join(this.stateDir, 'backburnerd.pid');
    if (!existsSync(f)) return 0;
    return Number(readFileSync(f, 'utf8').trim()) || 0;
  }

  // Pids of live processes whose environment has HOME=<this sandbox>, optionally by name.
  processes(name) {
    const needle = `HOME=${this.home}`;
    const out = [];
    for (const e of readdirSync('/proc')) {
      if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
        if (name && readFileSync(`/proc/${e}/comm`, 'utf8').trim() !== name) continue;
        const env = readFileSync(`/proc/${e}/environ`, 'latin1').split('\0');
        if (env.includes(needle)) out.push(Number(e));
      } catch {
        // gone meanwhile, or not ours
      }
    }
    return out;
  }

  async cleanup() {
    for (let round = 0; round < 20; round++) {
      const pids = this.processes();
      if (pids.length === 0) break;
      for (const p of pids) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {}
      }
      await sleep(20);
    }
    rmSync(this.home, { recursive: true, force: true });
  }
}

// The typed object a tool result carries (structuredContent). The text item is written for a
// model: it must be there, and must not be the same JSON dumped again.
export function structured(result) {
  const text = result.content?.find((c) => c.type === 'text')?.text;
  if (result.structuredContent !== undefined) {
    if (typeof text !== 'string' || text.length === 0) throw new Error('a result without its text item');
    if (text.trimStart().startsWith('{')) throw new Error(`the text item is JSON, not text for a model:\n${text}`);
  }
  return result.structuredContent;
}
