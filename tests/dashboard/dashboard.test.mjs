// End to end in a real browser: Debian's chromium, headless, driven by puppeteer-core, against
// the real daemon started by the real CLI. Each test's daemon lives in a temp state dir; every
// process carrying this run's tag is killed at the end.
//
// Environment: BB_BIN_DIR (build/bin), CHROMIUM (default /usr/bin/chromium), FIREFOX (default
// /usr/bin/firefox-esr when it exists; the Firefox test is skipped without one),
// BB_SCREENSHOT_DIR (where screenshots go; default: a temp dir), BB_DASHBOARD_FIGURES=0 skips
// the figures (the 10,000-task page load and the end-to-page latency).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync, readFileSync, mkdirSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import puppeteer from 'puppeteer-core';

const BIN = process.env.BB_BIN_DIR;
if (!BIN) throw new Error('BB_BIN_DIR must name the directory with backburner and backburnerd');
const CLI = join(BIN, 'backburner');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FIREFOX = process.env.FIREFOX || (existsSync('/usr/bin/firefox-esr') ? '/usr/bin/firefox-esr' : '');
const TAG = 'bbdash-' + randomBytes(6).toString('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Sandbox {
  constructor() {
    this.dir = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'bbd-'));
    this.home = join(this.dir, 'state');
  }
  env(extra = {}) {
    return {
      PATH: process.env.PATH,
      HOME: this.dir,
      BACKBURNER_HOME: this.home,
      BACKBURNER_DASHBOARD_PORT: '0',
      BACKBURNER_KILL_GRACE: '1',
      BB_TEST_TAG: TAG,
      ...extra,
    };
  }
  cli(...args) {
    return execFileSync(CLI, args, { env: this.env(), encoding: 'utf8', timeout: 30000 }).trim();
  }
  cliJson(...args) {
    return JSON.parse(this.cli(...args, '--json'));
  }
  stop() {
    spawnSync(CLI, ['daemon', 'stop'], { env: this.env(), timeout: 30000 });
  }
  remove() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Live processes with this run's tag in their environment (optionally: whose argv is `argv`,
// words separated by spaces).
function tagged(argv) {
  const out = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
      if (!readFileSync(`/proc/${e}/environ`, 'latin1').split('\0').includes(`BB_TEST_TAG=${TAG}`)) continue;
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'latin1').split('\0').slice(0, -1).join(' ');
      if (!argv || cmd === argv) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function eventually(fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) return v;
    await sleep(25);
  }
}

let browser;
let profile;
let sandbox;
let base;
let page;
const shots = process.env.BB_SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'bbd-shots-'));

before(async () => {
  mkdirSync(shots, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'bbd-profile-'));
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  sandbox = new Sandbox();
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  if (browser) await browser.close();
  if (sandbox) sandbox.stop();
  for (const pid of tagged()) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  if (sandbox) sandbox.remove();
  if (profile) rmSync(profile, { recursive: true, force: true });
  // Screenshots are kept only where they were asked for (BB_SCREENSHOT_DIR=docs/images).
  if (!process.env.BB_SCREENSHOT_DIR) rmSync(shots, { recursive: true, force: true });
});

test('the page and its API refuse a request without the token', async () => {
  const url = sandbox.cli('dashboard', '--print-url');
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
  base = url.slice(0, url.indexOf('?'));
  const res = await page.goto(base);
  assert.equal(res.status(), 401);
  const text = await page.evaluate(() => document.body.innerText);
  assert.match(text, /open the link that `backburner dashboard` prints/);
  assert.doesNotMatch(text, /\d+\.\d+\.\d+/, 'no version');
  const api = await page.evaluate(async (b) => {
    const r = await fetch(b + 'api/tasks');
    return { status: r.status, body: await r.text() };
  }, base);
  assert.equal(api.status, 401);
  assert.doesNotMatch(api.body, /task_id/);
  // A made-up token is no better.
  const forged = await page.goto(base + '?token=' + 'a'.repeat(64));
  assert.equal(forged.status(), 401);
});

test('with the token the page signs in, drops the token from the URL and goes live', async () => {
  const url = sandbox.cli('dashboard', '--print-url');
  await page.goto(url);
  assert.equal(page.url(), base, 'the token is gone from the address bar');
  await page.waitForSelector('#live.on', { timeout: 10000 });
  const cookies = await browser.cookies();
  const c = cookies.find((x) => x.name.startsWith('bb_dashboard_'));
  assert.ok(c, 'a session cookie');
  assert.equal(c.httpOnly, true);
  assert.equal(c.sameSite, 'Strict');
  assert.equal(await page.evaluate(() => document.cookie), '', 'the page cannot read it');
  // The same link a second time lets nobody else in.
  const other = await browser.createBrowserContext();
  const p2 = await other.newPage();
  const again = await p2.goto(url);
  assert.equal(again.status(), 401);
  await other.close();
});

test('a task started from the CLI appears live and turns completed without a reload', async () => {
  await page.goto(base + '#/');
  await page.waitForSelector('#live.on');
  const marker = await page.evaluate(() => (window.__marker = Math.random()));
  // The task runs until the test opens its gate: what the page shows never depends on speed.
  const gate = join(sandbox.dir, 'gate-1');
  const id = sandbox.cli('start', '--label', 'e2e', '--', `while [ ! -e ${gate} ]; do sleep 0.05; done; echo done`);
  await page.waitForSelector(`#task-rows tr[data-id="${id}"]`, { timeout: 5000 });
  const status = () => page.$eval(`#task-rows tr[data-id="${id}"] .status`, (e) => e.textContent);
  assert.match(await status(), /working/);
  writeFileSync(gate, '');
  await page.waitForFunction((tid) => document.querySelector(`#task-rows tr[data-id="${tid}"] .status`)?.textContent.includes('completed'),
    { timeout: 10000 }, id);
  const row = await page.$eval(`#task-rows tr[data-id="${id}"]`, (e) => e.innerText);
  assert.match(row, /echo done/);
  assert.match(row, /e2e/);
  assert.match(row, /\t0\t|\b0\b/);
  assert.equal(await page.evaluate(() => window.__marker), marker, 'no reload happened');
});

test('the log view follows output as it is written, with its colours', async () => {
  // Three lines, then the rest once the test opens the gate: the page must show the first part
  // while the task runs, then follow.
  const gate = join(sandbox.dir, 'gate-2');
  const script = `for i in 1 2 3 4 5 6 7 8; do [ $i = 4 ] && while [ ! -e ${gate} ]; do sleep 0.05; done; ` +
    'printf "line $i \\033[31mred\\033[0m\\n"; echo "::progress $i/8 step $i"; sleep 0.1; done';
  const id = sandbox.cli('start', '--', script);
  await page.goto(base + `#/task/${id}`);
  await page.waitForSelector('#live.on');
  await page.waitForFunction(() => document.querySelector('#log').textContent.includes('line 3'), { timeout: 10000 });
  assert.doesNotMatch(await page.$eval('#log', (e) => e.textContent), /line 4/);
  writeFileSync(gate, '');
  await page.waitForFunction(() => document.querySelector('#log').textContent.includes('line 5'), { timeout: 10000 });
  await page.waitForFunction(() => document.querySelector('#log').textContent.includes('line 8'), { timeout: 10000 });
  const red = await page.$$eval('#log span.f1', (s) => s.map((x) => x.textContent));
  assert.ok(red.includes('red'), 'SGR 31 renders as colour 1');
  assert.doesNotMatch(await page.$eval('#log', (e) => e.textContent), /\x1b|\[31m/, 'no escape shows');
  await page.waitForFunction(() => document.querySelector('#t-status').textContent.includes('completed'), { timeout: 10000 });
  // Search in the log: the daemon's grep.
  await page.type('#g-pattern', 'line [37]');
  await page.click('#grep button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#g-results').textContent.includes('2 matching lines'), { timeout: 10000 });
  // The download link serves the whole log.
  const href = await page.$eval('#t-download', (a) => a.getAttribute('href'));
  const log = await page.evaluate(async (h) => (await fetch(h)).text(), href);
  assert.match(log, /line 1 \x1b\[31mred/);
  assert.match(log, /line 8/);
});

test('cancel from the page kills the task\'s whole tree', async () => {
  const id = sandbox.cli('start', '--', 'sleep 301 & sleep 302 & (sleep 303; true) & wait');
  await eventually(() => tagged('sleep 303').length === 1);
  await page.goto(base + `#/task/${id}`);
  await page.waitForSelector('#t-cancel:not([hidden])');
  await page.click('#t-cancel');
  await page.waitForSelector('#confirm[open]');
  // Escape keeps the task.
  await page.keyboard.press('Escape');
  await page.waitForSelector('#confirm:not([open])');
  assert.equal(tagged('sleep 301').length, 1);
  await page.click('#t-cancel');
  await page.waitForSelector('#confirm[open]');
  await page.click('#confirm-ok');
  await page.waitForFunction(() => document.querySelector('#t-status').textContent.includes('cancelled'), { timeout: 15000 });
  for (const s of ['sleep 301', 'sleep 302', 'sleep 303']) assert.deepEqual(tagged(s), [], `${s} is gone`);
  const t = sandbox.cliJson('status', id);
  assert.equal(t.status, 'cancelled');
  // A finished task offers to run again, and says the environment is the daemon's.
  await page.waitForSelector('#t-rerun:not([hidden])');
  await page.click('#t-rerun');
  await page.waitForSelector('#confirm[open]');
  assert.match(await page.$eval('#confirm-text', (e) => e.textContent), /daemon's environment/);
  await page.keyboard.press('Escape');
});

test('the timeline renders the tasks of the last hours', async () => {
  await page.goto(base + '#/timeline');
  await page.waitForSelector('#timeline svg a.tl-task');
  const n = await page.$$eval('#timeline svg a.tl-task', (a) => a.length);
  assert.ok(n >= 3, `${n} tasks drawn`);
  const statuses = await page.$$eval('#timeline svg rect', (r) => r.map((x) => x.getAttribute('class')));
  assert.ok(statuses.includes('bar-completed'));
  assert.ok(statuses.includes('bar-cancelled'));
});

test('keyboard: links in order, Enter opens a task, Escape goes back', async () => {
  await page.goto(base + '#/');
  await page.waitForSelector('#task-rows tr[data-id] a');
  await page.focus('#task-rows tr[data-id] a');
  const id = await page.evaluate(() => document.activeElement.textContent);
  await page.keyboard.press('Enter');
  await page.waitForFunction((tid) => location.hash === `#/task/${tid}`, {}, id);
  await page.waitForFunction((tid) => document.querySelector('#t-id').textContent === tid, {}, id);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => location.hash === '#/');
  const outline = await page.evaluate(() => {
    const a = document.querySelector('#task-rows tr[data-id] a');
    a.focus();
    return getComputedStyle(a).outlineStyle;
  });
  assert.notEqual(outline, 'none', 'focus is visible');
});

// A store with a few hours of history (written straight into it while no daemon runs), so the
// pictures show what a working day looks like.
function seedHistory(box, rows) {
  return import('node:sqlite').then(({ DatabaseSync }) => {
    const db = new DatabaseSync(join(box.home, 'backburner.db'));
    const insert = db.prepare('INSERT INTO tasks (id, command, cwd, status, created_at_ms, started_at_ms, finished_at_ms, exit_code, signal, client_name, client_version, label, output_bytes, status_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    db.exec('BEGIN');
    for (const r of rows) {
      insert.run(r.id, r.command, r.cwd || '/home/ada/src/app', r.status, r.start, r.start, r.end, r.exit ?? null, r.signal ?? null,
        r.client, r.version || '1.0', r.label || '', r.bytes || 2048, r.message || '');
    }
    db.exec('COMMIT');
    db.close();
  });
}

function demoHistory(now) {
  const min = 60000;
  const rows = [];
  const ids = 'abcdefghijkmnpqrstuvwxyz23456789';
  let n = 0;
  const id = () => { n++; let s = ''; let v = n * 2654435761; for (let i = 0; i < 10; i++) { s += ids[v % 32]; v = Math.floor(v / 32) + n * (i + 3); } return s; };
  const add = (agoMin, durMin, command, client, label, status, extra = {}) => rows.push({
    id: id(), command, client, label, status, start: now - agoMin * min, end: now - (agoMin - durMin) * min, ...extra });
  for (let h = 0; h < 5; h++) {
    const base = 300 - h * 60;
    add(base - 2, 6, 'pytest -q tests/', 'claude-code', 'tests', h === 2 ? 'failed' : 'completed', { exit: h === 2 ? 1 : 0 });
    add(base - 10, 14, 'npm run build', 'cursor', 'build', 'completed', { exit: 0 });
    add(base - 30, 3, 'cargo clippy --all-targets', 'claude-code', 'lint', 'completed', { exit: 0 });
    add(base - 36, 22, 'make -j8 all', 'backburner', 'build', h === 4 ? 'cancelled' : 'completed', h === 4 ? { signal: 15 } : { exit: 0 });
  }
  add(250, 40, 'python train.py --epochs 20', 'claude-code', 'train', 'completed', { exit: 0 });
  add(200, 10, './scripts/deploy.sh staging', 'cursor', 'deploy', 'timed_out', { signal: 15, message: 'timed out after 10m' });
  add(140, 1, 'curl -fsS https://example.invalid/health', 'codex', 'check', 'failed', { exit: 6 });
  add(95, 25, 'docker build -t app:dev .', 'codex', 'image', 'completed', { exit: 0 });
  add(45, 30, 'npx playwright test', 'claude-code', 'e2e', 'failed', { signal: 9, message: 'killed by SIGKILL' });
  return rows.sort((a, b) => a.start - b.start);  // the store's order is the order of creation
}

test('screenshots of the table, a task and the timeline, light and dark, at 1280x800', async () => {
  const demo = new Sandbox();
  const p = await browser.newPage();
  try {
    demo.cli('daemon', 'start');
    demo.stop();
    await seedHistory(demo, demoHistory(Date.now()));
    const url = demo.cli('dashboard', '--print-url');
    const demoBase = url.slice(0, url.indexOf('?'));
    await p.setViewport({ width: 1280, height: 800 });
    await p.goto(url);
    await p.waitForSelector('#live.on');
    // Live tasks: one with progress, one that failed just now, one with colours.
    demo.cli('start', '--label', 'build', '--', 'for i in $(seq 1 60); do echo "::progress $i/60 compiling unit $i"; sleep 0.5; done');
    demo.cli('start', '--label', 'tests', '--', 'echo "41 passed"; echo "1 failed: test_login" >&2; exit 1');
    const shown = demo.cli('start', '--label', 'lint', '--', 'printf "\\033[1mchecking\\033[0m 12 files\\n\\033[32m✓\\033[0m src/app.js\\n\\033[33mwarning\\033[0m src/util.js:4:7 \\033[2m\'tmp\' is assigned a value but never used\\033[0m\\n\\033[32m✓\\033[0m src/ui.js\\n\\033[31merror\\033[0m src/api.js:31:5 \\033[2mMissing return type\\033[0m\\n\\033[1;31m1 error\\033[0m, \\033[1;33m1 warning\\033[0m\\n"; echo "::progress 9/12 files"; sleep 60');
    await sleep(2000);
    for (const scheme of ['light', 'dark']) {
      await p.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
      await p.goto('about:blank');
      await p.goto(demoBase + '#/');
      await p.waitForSelector('#task-rows tr[data-id]');
      await sleep(300);
      await p.screenshot({ path: join(shots, `dashboard-tasks-${scheme}.png`) });
      await p.goto(demoBase + `#/task/${shown}`);
      await p.waitForFunction(() => document.querySelector('#log').textContent.includes('1 warning'));
      await p.type('#g-pattern', 'error|warning');
      await p.click('#grep button[type=submit]');
      await p.waitForFunction(() => document.querySelector('#g-results').textContent.includes('matching lines'));
      await p.screenshot({ path: join(shots, `dashboard-task-${scheme}.png`) });
      await p.goto(demoBase + '#/timeline');
      await p.waitForSelector('#timeline svg a.tl-task');
      await sleep(200);
      await p.screenshot({ path: join(shots, `dashboard-timeline-${scheme}.png`) });
    }
    await p.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
    // A narrow window still shows the table, without scrolling the page sideways.
    await p.setViewport({ width: 420, height: 800 });
    await p.goto(demoBase + '#/');
    await p.waitForSelector('#task-rows tr[data-id]');
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page fits a narrow window (${overflow}px too wide)`);
    await p.screenshot({ path: join(shots, 'dashboard-narrow.png') });
  } finally {
    await p.close();
    demo.stop();
    demo.remove();
  }
  for (const f of ['tasks', 'task', 'timeline']) for (const s of ['light', 'dark']) assert.ok(existsSync(join(shots, `dashboard-${f}-${s}.png`)));
  if (process.env.BB_SCREENSHOT_DIR) console.log(`screenshots in ${shots}`);
});

// Firefox (Debian's firefox-esr, through WebDriver BiDi): the same page, the same live updates.
// Where every test is required (CI sets BB_TESTS_REQUIRE_ALL), a missing Firefox fails the test.
const requireAll = !!process.env.BB_TESTS_REQUIRE_ALL && process.env.BB_TESTS_REQUIRE_ALL !== '0';
test('in Firefox too: sign in, a task appears live and ends, its log in colour, the timeline', { skip: !FIREFOX && !requireAll && 'no firefox' }, async () => {
  assert.ok(FIREFOX, 'no Firefox (scripts/install-deps.sh installs firefox-esr)');
  const ffProfile = mkdtempSync(join(tmpdir(), 'bbd-firefox-'));
  const ff = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, userDataDir: ffProfile });
  try {
    const p = await ff.newPage();
    await p.setViewport({ width: 1280, height: 800 });
    await p.goto(sandbox.cli('dashboard', '--print-url'));
    assert.equal(p.url(), base);
    await p.waitForSelector('#live.on', { timeout: 15000 });
    const gate = join(sandbox.dir, 'gate-ff');
    const id = sandbox.cli('start', '--', `printf "\\033[32mgreen\\033[0m\\n"; while [ ! -e ${gate} ]; do sleep 0.05; done`);
    await p.waitForSelector(`#task-rows tr[data-id="${id}"] .st-working`, { timeout: 10000 });
    await p.goto(base + `#/task/${id}`);
    await p.waitForFunction(() => document.querySelector('#log span.f2')?.textContent === 'green', { timeout: 10000 });
    writeFileSync(gate, '');
    await p.waitForFunction(() => document.querySelector('#t-status').textContent.includes('completed'), { timeout: 10000 });
    await p.goto(base + '#/timeline');
    await p.waitForSelector('#timeline svg a.tl-task', { timeout: 10000 });
  } finally {
    await ff.close();
    rmSync(ffProfile, { recursive: true, force: true });
  }
});

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

test('figures: from a task\'s end to the page, and a page load with 10,000 tasks stored', { skip: process.env.BB_DASHBOARD_FIGURES === '0' }, async () => {
  // The end of a task to its row turning over, measured in the page (one clock: this machine's).
  await page.goto(base + '#/');
  await page.waitForSelector('#live.on');
  await page.evaluate(() => {
    window.__seen = {};
    new MutationObserver(() => {
      for (const tr of document.querySelectorAll('#task-rows tr[data-id]')) {
        const id = tr.dataset.id;
        if (!window.__seen[id] && !tr.querySelector('.st-working')) window.__seen[id] = Date.now();
      }
    }).observe(document.querySelector('#task-rows'), { childList: true, subtree: true });
  });
  const lags = [];
  for (let i = 0; i < 20; i++) {
    const id = sandbox.cli('start', '--', 'sleep 0.2');
    const t = await eventually(async () => {
      const seen = await page.evaluate((tid) => window.__seen[tid], id);
      return seen ? seen : null;
    }, 10000);
    assert.ok(t, `task ${id} turned over on the page`);
    const task = sandbox.cliJson('status', id);
    lags.push(t - Date.parse(task.finished_at));
  }
  lags.sort((a, b) => a - b);
  const median = quantile(lags, 0.5);
  const p90 = quantile(lags, 0.9);
  console.log(`[ figures ] task end -> page updated: median ${median} ms, p90 ${p90} ms, max ${lags[lags.length - 1]} ms (${lags.length} tasks)`);

  // 10,000 tasks in a store of their own (written straight into it while no daemon runs).
  const big = new Sandbox();
  try {
    big.cli('daemon', 'start');
    big.stop();
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(join(big.home, 'backburner.db'));
    const insert = db.prepare('INSERT INTO tasks (id, command, cwd, status, created_at_ms, started_at_ms, finished_at_ms, exit_code, client_name, client_version, label, output_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const now = Date.now();
    const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
    db.exec('BEGIN');
    for (let i = 0; i < 10000; i++) {
      let id = '';
      for (let k = 0; k < 10; k++) id += alphabet[(i * 7919 + k * 104729 + k * k * 31) % alphabet.length];
      id = id.slice(0, 5) + String(i).padStart(5, '0').replace(/[01]/g, (d) => (d === '0' ? 'z' : 'y'));
      const start = now - (10000 - i) * 8000;
      const failed = i % 13 === 0;
      insert.run(id, `make -j8 target-${i % 97}`, '/tmp', failed ? 'failed' : 'completed', start, start, start + 5000 + (i % 50) * 100,
        failed ? 2 : 0, ['claude-code', 'cursor', 'backburner'][i % 3], '1.0', ['ci', 'docs', ''][i % 3], 1000);
    }
    db.exec('COMMIT');
    db.close();
    const url = big.cli('dashboard', '--print-url');
    const bigBase = url.slice(0, url.indexOf('?'));
    const p = await browser.newPage();
    await p.setViewport({ width: 1280, height: 800 });
    await p.goto(url);
    await p.waitForSelector('#task-rows tr[data-id]');
    const loads = [];
    for (let i = 0; i < 5; i++) {
      await p.goto('about:blank');  // a real load each time, not a same-document hash change
      const t0 = Date.now();
      await p.goto(bigBase + '#/', { waitUntil: 'domcontentloaded' });
      await p.waitForSelector('#task-rows tr[data-id]');
      await p.waitForFunction(() => document.querySelector('#page-info').textContent.includes('10000'));
      loads.push(Date.now() - t0);
    }
    loads.sort((a, b) => a - b);
    const tl = [];
    for (let i = 0; i < 3; i++) {
      await p.goto('about:blank');
      const t0 = Date.now();
      await p.goto(bigBase + '#/timeline', { waitUntil: 'domcontentloaded' });
      await p.waitForSelector('#timeline svg a.tl-task');
      tl.push(Date.now() - t0);
    }
    tl.sort((a, b) => a - b);
    console.log(`[ figures ] page load with 10,000 tasks stored (table, first page of 50): median ${quantile(loads, 0.5)} ms, max ${loads[loads.length - 1]} ms (5 loads)`);
    console.log(`[ figures ] timeline of the last 6 hours with 10,000 tasks stored (${await p.$$eval('#timeline svg a.tl-task', (a) => a.length)} drawn): median ${quantile(tl, 0.5)} ms`);
    await p.close();
  } finally {
    big.stop();
    big.remove();
  }
});
