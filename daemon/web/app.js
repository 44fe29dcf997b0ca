// backburner's dashboard: plain JavaScript, no framework, nothing fetched from elsewhere.
// Everything live comes from one Server-Sent Events stream (/api/events): no polling.
'use strict';

const $ = (id) => document.getElementById(id);
const STATUS = {
  working: { icon: '⟳', text: 'working' },
  completed: { icon: '✓', text: 'completed' },
  failed: { icon: '✗', text: 'failed' },
  cancelled: { icon: '⊘', text: 'cancelled' },
  timed_out: { icon: '◷', text: 'timed out' },
  interrupted: { icon: '⚠', text: 'interrupted' },
};

const state = {
  csrf: '',
  health: null,
  tasks: [],            // the page shown
  total: 0,
  cursors: [null],      // cursor of each page seen so far (null: the first)
  page: 0,
  nextCursor: null,
  filters: { status: '', label: '', client: '', q: '' },
  view: 'tasks',
  task: null,           // the task being viewed
  log: null,            // its log reader
  timeline: null,
  listLoading: false,
  listAgain: false,
};

// ---- small helpers

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

async function api(path, options = {}) {
  const headers = { Accept: 'application/json' };
  if (options.method && options.method !== 'GET') headers['X-Backburner-CSRF'] = state.csrf;
  const res = await fetch(path, { credentials: 'same-origin', ...options, headers });
  if (res.status === 401) {
    sessionEnded();
    throw new Error('the session has ended');
  }
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error(body?.error?.message || String(body).trim() || res.statusText);
  return body;
}

function sessionEnded() {
  showBanner('This page is no longer signed in (the daemon restarted, or the session ended). ' +
             'Run `backburner dashboard` for a new link.');
  setLive(false);
  if (state.events) state.events.close();
}

function showBanner(text) {
  const b = $('banner');
  b.textContent = text;
  b.hidden = !text;
}

function setLive(on) {
  const l = $('live');
  l.className = 'live ' + (on ? 'on' : 'off');
  l.textContent = on ? 'live' : 'offline';
}

function fmtDuration(s) {
  if (s === undefined || s === null) return '';
  if (s < 1) return (s * 1000).toFixed(0) + ' ms';
  if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.floor(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

function fmtBytes(n) {
  if (n === undefined || n === null) return '';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(n < 10 ? 1 : 0) : n) + ' ' + u[i];
}

// Formatters are made once: making one per call costs more than the whole table.
const FMT = {
  time: new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }),
  hm: new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' }),
  day: new Intl.DateTimeFormat([], { month: 'short', day: 'numeric' }),
};

function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const time = FMT.time.format(d);
  if (d.toDateString() === new Date().toDateString()) return time;
  return FMT.day.format(d) + ' ' + time;
}

// How long a task has run: finished ones as recorded, running ones up to now.
function duration(t) {
  if (t.status !== 'working') return t.duration_seconds;
  const since = Date.parse(t.started_at || t.created_at);
  return Math.max(0, (Date.now() - since) / 1000);
}

function exitText(t) {
  if (t.exit_code !== undefined) return String(t.exit_code);
  if (t.signal) return t.signal;
  return '';
}

function statusBadge(status) {
  const s = STATUS[status] || { icon: '?', text: status };
  return el('span', { class: `status st-${status}` },
    el('span', { class: 'icon', 'aria-hidden': 'true', text: s.icon }), s.text);
}

function progressBar(p, big) {
  if (!p) return null;
  let pct = p.percent;
  if (pct === undefined && p.current !== undefined && p.total) pct = (100 * p.current) / p.total;
  const wrap = el('span', { class: 'progress' });
  if (pct !== undefined) {
    const fill = el('span');
    fill.style.width = Math.max(0, Math.min(100, pct)).toFixed(1) + '%';
    const bar = el('span', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0',
      'aria-valuemax': '100', 'aria-valuenow': pct.toFixed(0), title: p.message || '' }, fill);
    wrap.append(bar);
  }
  let label = pct !== undefined ? pct.toFixed(0) + '%' : '';
  if (p.current !== undefined && p.total !== undefined) label = `${p.current}/${p.total}`;
  else if (p.current !== undefined) label = String(p.current);
  if (big && p.message) label += (label ? ' · ' : '') + p.message;
  if (label) wrap.append(el('span', { class: 'bar-text', text: label }));
  return wrap;
}

// ---- the daemon's health

function renderHealth() {
  const h = state.health;
  if (!h) return;
  const up = (Date.now() - Date.parse(h.started_at)) / 1000;
  const box = $('health');
  box.replaceChildren(
    el('span', {}, 'backburnerd ', el('b', { text: h.version })),
    el('span', {}, 'up ', el('b', { text: fmtDuration(up) })),
    el('span', {}, el('b', { id: 'h-working', text: String(h.working) }), ' working'),
    el('span', {}, el('b', { text: String(Object.values(h.counts).reduce((a, b) => a + b, 0)) }), ' tasks'),
    el('span', { title: 'Disk used by task logs' }, 'logs ', el('b', { text: fmtBytes(h.log_bytes) })),
  );
  const fill = (id, values) => $(id).replaceChildren(...values.map((v) => el('option', { value: v })));
  fill('labels', h.labels || []);
  fill('clients', h.clients || []);
}

let healthPending = false;
async function loadHealth() {
  if (healthPending) return;
  healthPending = true;
  try {
    state.health = await api('/api/health');
    renderHealth();
  } catch (e) {
    // the banner says what matters
  } finally {
    healthPending = false;
  }
}

// ---- the task table

function taskRow(t) {
  const tr = el('tr', { 'data-id': t.task_id });
  const link = el('a', { href: `#/task/${t.task_id}`, class: 'mono', text: t.task_id });
  tr.append(
    el('td', {}, link),
    el('td', {}, statusBadge(t.status)),
    el('td', { class: 'cmd', title: t.command, text: t.command }),
    el('td', { class: 'c-label', text: t.label || '' }),
    el('td', { class: 'c-client', title: t.client?.via ? `via ${t.client.via}` : '', text: t.client?.name || '' }),
    el('td', { class: 'c-started num', title: t.started_at || t.created_at, text: fmtTime(t.started_at || t.created_at) }),
    el('td', { class: 'num dur', text: fmtDuration(duration(t)) }),
    el('td', { class: 'num', text: exitText(t) }),
    el('td', { class: 'c-progress' }, t.status === 'working' ? progressBar(t.progress) : null),
  );
  return tr;
}

function renderTasks() {
  const body = $('task-rows');
  if (!state.tasks.length) {
    body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: '9', text: 'No tasks match.' })));
  } else {
    body.replaceChildren(...state.tasks.map(taskRow));
  }
  const first = state.page * pageSize() + 1;
  const last = state.page * pageSize() + state.tasks.length;
  $('page-info').textContent = state.total ? `${first}–${last} of ${state.total}` : '';
  $('page-newer').disabled = state.page === 0;
  $('page-older').disabled = !state.nextCursor;
}

function pageSize() {
  return 50;
}

function listQuery() {
  const p = new URLSearchParams({ limit: String(pageSize()) });
  for (const [k, v] of Object.entries(state.filters)) if (v) p.set(k, v);
  const c = state.cursors[state.page];
  if (c) p.set('cursor', c);
  return p.toString();
}

// One list request at a time; changes meanwhile ask for one more.
async function loadTasks() {
  if (state.listLoading) {
    state.listAgain = true;
    return;
  }
  state.listLoading = true;
  try {
    do {
      state.listAgain = false;
      const r = await api('/api/tasks?' + listQuery());
      state.tasks = r.tasks;
      state.total = r.total;
      state.nextCursor = r.next_cursor || null;
      renderTasks();
    } while (state.listAgain);
  } catch (e) {
    showBanner('Cannot list tasks: ' + e.message);
  } finally {
    state.listLoading = false;
  }
}

function matchesFilters(t) {
  const f = state.filters;
  if (f.status && t.status !== f.status) return false;
  if (f.label && t.label !== f.label) return false;
  if (f.client && t.client?.name !== f.client) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    if (!t.command.toLowerCase().includes(q) && !(t.label || '').toLowerCase().includes(q) && t.task_id !== f.q) return false;
  }
  return true;
}

function onTaskEvent(t) {
  const i = state.tasks.findIndex((x) => x.task_id === t.task_id);
  if (i >= 0) {
    if (!t.progress && state.tasks[i].progress && t.status === 'working') t.progress = state.tasks[i].progress;
    state.tasks[i] = t;
    const old = document.querySelector(`#task-rows tr[data-id="${t.task_id}"]`);
    if (old) {
      const row = taskRow(t);
      row.classList.add('flash');
      old.replaceWith(row);
    }
    if (!matchesFilters(t)) loadTasks();
  } else if (state.page === 0 && matchesFilters(t)) {
    // A new task (or one that now matches): the first page changes.
    loadTasks();
  }
  if (state.task && state.task.task_id === t.task_id) {
    state.task = { ...t, progress: t.progress || state.task.progress };
    renderTask();
    if (state.log) state.log.more();
  }
  if (state.view === 'timeline' && state.timeline) {
    const j = state.timeline.tasks.findIndex((x) => x.task_id === t.task_id);
    const compact = { task_id: t.task_id, command: t.command, status: t.status, created_at: t.created_at,
      started_at: t.started_at, finished_at: t.finished_at, exit_code: t.exit_code, signal: t.signal,
      label: t.label, client: t.client?.name };
    if (j >= 0) state.timeline.tasks[j] = compact;
    else state.timeline.tasks.unshift(compact);
    renderTimeline();
  }
  loadHealth();
}

function onOutputEvent(o) {
  const t = state.tasks.find((x) => x.task_id === o.task_id);
  if (t && o.progress) {
    t.progress = o.progress;
    const cell = document.querySelector(`#task-rows tr[data-id="${o.task_id}"] td.c-progress`);
    if (cell && t.status === 'working') cell.replaceChildren(progressBar(o.progress) || '');
  }
  if (state.task && state.task.task_id === o.task_id) {
    if (o.progress) {
      state.task.progress = o.progress;
      renderProgress();
    }
    if (state.log) state.log.more();
  }
}

// Durations of running tasks tick in the page (no request: the clock is the browser's).
setInterval(() => {
  for (const t of state.tasks) {
    if (t.status !== 'working') continue;
    const cell = document.querySelector(`#task-rows tr[data-id="${t.task_id}"] td.dur`);
    if (cell) cell.textContent = fmtDuration(duration(t));
  }
  if (state.task && state.task.status === 'working') {
    const d = $('fact-duration');
    if (d) d.textContent = fmtDuration(duration(state.task));
  }
  if (state.health) {
    const h = document.querySelector('#health span:nth-child(2) b');
    if (h) h.textContent = fmtDuration((Date.now() - Date.parse(state.health.started_at)) / 1000);
  }
}, 1000);

// ---- ANSI colours: a small SGR renderer. Text goes in as text nodes (never as HTML); escape
// sequences other than SGR are dropped; a line redrawn with \r shows its last state.

class AnsiRenderer {
  constructor(target) {
    this.target = target;
    this.sgr = {};
    this.pending = '';     // an unfinished line (or escape sequence) kept for the next chunk
    this.tail = null;      // the node showing the unfinished line
    this.lines = 0;
  }

  reset() {
    this.target.replaceChildren();
    this.sgr = {};
    this.pending = '';
    this.tail = null;
    this.lines = 0;
  }

  // Appends `text`; complete lines become fixed, the last partial line stays replaceable.
  write(text) {
    const all = this.pending + text;
    const nl = all.lastIndexOf('\n');
    const complete = nl >= 0 ? all.slice(0, nl + 1) : '';
    this.pending = nl >= 0 ? all.slice(nl + 1) : all;
    if (this.tail) {
      this.tail.remove();
      this.tail = null;
    }
    if (complete) {
      const frag = document.createDocumentFragment();
      for (const line of complete.split('\n').slice(0, -1)) {
        this.renderLine(line, frag, this.sgr);
        frag.append('\n');
        this.lines++;
      }
      this.target.append(frag);
      this.trim();
    }
    if (this.pending) {
      const span = el('span');
      this.renderLine(this.pending, span, { ...this.sgr }, true);
      this.tail = span;
      this.target.append(span);
    }
  }

  // Keeps the page light: at most 20,000 lines (the download has them all).
  trim() {
    const max = 20000;
    while (this.lines > max && this.target.firstChild) {
      const n = this.target.firstChild;
      if (n.nodeType === Node.TEXT_NODE && n.textContent.includes('\n')) this.lines--;
      n.remove();
    }
  }

  renderLine(line, into, sgr, partial = false) {
    // \r: the terminal went back to the line's start; keep what was drawn last.
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const cr = line.lastIndexOf('\r');
    if (cr >= 0) line = line.slice(cr + 1);
    const re = /\x1b(?:\[([0-9;:?]*)([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;
    let last = 0;
    let m;
    while ((m = re.exec(line))) {
      if (m.index > last) this.span(line.slice(last, m.index), into, sgr);
      if (m[2] === 'm') applySgr(sgr, m[1]);
      last = re.lastIndex;
    }
    let rest = line.slice(last);
    if (partial) {
      const esc = rest.indexOf('\x1b');
      if (esc >= 0) rest = rest.slice(0, esc);  // an escape sequence still arriving
    }
    if (rest) this.span(rest.replace(/\x1b/g, ''), into, sgr);
  }

  span(text, into, sgr) {
    // Other control bytes show as in the terminal's caret notation.
    text = text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => (c === '\x7f' ? '^?' : '^' + String.fromCharCode(c.charCodeAt(0) + 64)));
    const cls = [];
    if (sgr.bold) cls.push('b');
    if (sgr.dim) cls.push('d');
    if (sgr.italic) cls.push('i');
    if (sgr.underline) cls.push('u');
    if (sgr.strike) cls.push('x');
    let fg = sgr.fg;
    let bg = sgr.bg;
    if (sgr.inverse) {
      [fg, bg] = [bg, fg];
      if (fg === undefined) fg = 'R';
      if (bg === undefined) bg = 'R';
    }
    if (!cls.length && fg === undefined && bg === undefined) {
      into.append(text);
      return;
    }
    const s = el('span', { text });
    if (typeof fg === 'number') cls.push('f' + fg);
    else if (fg === 'R') cls.push('fR');
    else if (fg) s.style.color = fg;
    if (typeof bg === 'number') cls.push('g' + bg);
    else if (bg === 'R') cls.push('gR');
    else if (bg) s.style.backgroundColor = bg;
    s.className = cls.join(' ');
    into.append(s);
  }
}

function color256(n) {
  if (n < 16) return n;
  if (n < 232) {
    n -= 16;
    const v = [0, 95, 135, 175, 215, 255];
    return `rgb(${v[Math.floor(n / 36)]},${v[Math.floor(n / 6) % 6]},${v[n % 6]})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g},${g},${g})`;
}

function applySgr(s, params) {
  const p = (params === '' ? '0' : params).split(/[;:]/).map((x) => (x === '' ? 0 : Number(x)));
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === 0) { for (const k of Object.keys(s)) delete s[k]; }
    else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 7) s.inverse = true;
    else if (c === 9) s.strike = true;
    else if (c === 21 || c === 22) { s.bold = false; s.dim = false; }
    else if (c === 23) s.italic = false;
    else if (c === 24) s.underline = false;
    else if (c === 27) s.inverse = false;
    else if (c === 29) s.strike = false;
    else if (c >= 30 && c <= 37) s.fg = c - 30;
    else if (c === 39) delete s.fg;
    else if (c >= 40 && c <= 47) s.bg = c - 40;
    else if (c === 49) delete s.bg;
    else if (c >= 90 && c <= 97) s.fg = c - 90 + 8;
    else if (c >= 100 && c <= 107) s.bg = c - 100 + 8;
    else if (c === 38 || c === 48) {
      const key = c === 38 ? 'fg' : 'bg';
      if (p[i + 1] === 5 && i + 2 < p.length) { s[key] = color256(p[i + 2] & 255); i += 2; }
      else if (p[i + 1] === 2 && i + 4 < p.length) { s[key] = `rgb(${p[i + 2] & 255},${p[i + 3] & 255},${p[i + 4] & 255})`; i += 4; }
    }
  }
}

// ---- one task: facts, actions, its log following live

class LogReader {
  constructor(task) {
    this.id = task.task_id;
    this.renderer = new AnsiRenderer($('log'));
    this.renderer.reset();
    this.next = null;       // where the next range read starts
    this.busy = false;
    this.again = false;
    this.closed = false;
  }

  async start() {
    this.busy = true;
    try {
      const r = await api(`/api/tasks/${this.id}/output?tail=500`);
      if (this.closed) return;
      if (r.offset > 0) $('log').append(el('span', { class: 'cut', text: '[earlier output: download the log for all of it]\n' }));
      this.renderer.write(r.output);
      this.next = r.next_offset;
      this.info(r);
      this.scroll();
    } catch (e) {
      $('log').textContent = 'Cannot read the log: ' + e.message;
    } finally {
      this.busy = false;
    }
    if (this.again) this.more();
  }

  // New output (or the end): read from where we are until caught up.
  async more() {
    if (this.next === null || this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.again = false;
        const r = await api(`/api/tasks/${this.id}/output?offset=${this.next}`);
        if (this.closed) return;
        if (r.output) this.renderer.write(r.output);
        this.next = r.next_offset;
        this.info(r);
        this.scroll();
        if (r.next_offset < r.output_bytes && r.next_offset > r.offset) this.again = true;
      } while (this.again && !this.closed);
    } catch (e) {
      // the next event tries again
    } finally {
      this.busy = false;
    }
  }

  info(r) {
    $('log-info').textContent = `${fmtBytes(r.output_bytes)} of output` + (r.cut_bytes ? ` (${fmtBytes(r.cut_bytes)} cut by the log cap)` : '');
    $('log').dataset.bytes = String(r.next_offset);
  }

  scroll() {
    if ($('follow').checked) {
      const log = $('log');
      log.scrollTop = log.scrollHeight;
    }
  }

  close() {
    this.closed = true;
  }
}

function fact(dl, name, value, id) {
  if (value === undefined || value === null || value === '') return;
  dl.append(el('div', {}, el('dt', { text: name }), el('dd', { text: String(value), id })));
}

function renderProgress() {
  const t = state.task;
  const box = $('t-progress');
  const bar = t && t.status === 'working' ? progressBar(t.progress, true) : null;
  box.hidden = !bar;
  box.replaceChildren(...(bar ? [el('span', { class: 'muted', text: 'Progress' }), bar] : []));
}

function renderTask() {
  const t = state.task;
  if (!t) return;
  $('t-id').textContent = t.task_id;
  $('t-status').replaceChildren(statusBadge(t.status));
  $('t-command').textContent = t.command;
  const dl = $('t-facts');
  dl.replaceChildren();
  fact(dl, 'cwd', t.cwd);
  fact(dl, 'label', t.label);
  fact(dl, 'client', [t.client?.name, t.client?.version].filter(Boolean).join(' ') + (t.client?.via ? ` via ${t.client.via}` : ''));
  fact(dl, 'user', t.client?.user);
  fact(dl, 'created', fmtTime(t.created_at));
  fact(dl, 'started', fmtTime(t.started_at));
  fact(dl, 'finished', fmtTime(t.finished_at));
  fact(dl, t.status === 'working' ? 'running' : 'duration', fmtDuration(duration(t)), 'fact-duration');
  fact(dl, 'exit code', t.exit_code);
  fact(dl, 'signal', t.signal);
  fact(dl, 'timeout', t.timeout_seconds !== undefined ? fmtDuration(t.timeout_seconds) : undefined);
  fact(dl, 'pid', t.pid);
  fact(dl, 'message', t.status_message);
  $('t-cancel').hidden = t.status !== 'working';
  $('t-rerun').hidden = t.status === 'working';
  $('t-download').href = `/api/tasks/${t.task_id}/log`;
  $('t-download').setAttribute('download', `backburner-${t.task_id}.log`);
  renderProgress();
}

async function showTask(id) {
  if (state.log) state.log.close();
  state.log = null;
  $('g-results').hidden = true;
  $('g-clear').hidden = true;
  $('g-pattern').value = '';
  $('log').replaceChildren();
  $('log-info').textContent = '';
  try {
    state.task = await api(`/api/tasks/${encodeURIComponent(id)}`);
  } catch (e) {
    state.task = null;
    $('t-id').textContent = id;
    $('t-status').replaceChildren();
    $('t-command').textContent = e.message;
    $('t-facts').replaceChildren();
    return;
  }
  renderTask();
  state.log = new LogReader(state.task);
  await state.log.start();
}

function confirmDialog(title, text, command, ok) {
  return new Promise((resolve) => {
    const d = $('confirm');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-command').textContent = command;
    $('confirm-ok').textContent = ok;
    d.returnValue = '';
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    d.showModal();
  });
}

async function cancelTask() {
  const t = state.task;
  if (!t) return;
  const ok = await confirmDialog('Cancel this task?',
    'Every process of the task gets SIGTERM, then SIGKILL after the grace period. The task ends as cancelled.',
    t.command, 'Cancel the task');
  if (!ok) return;
  $('t-cancel').disabled = true;
  try {
    const r = await api(`/api/tasks/${t.task_id}/cancel`, { method: 'POST' });
    state.task = { ...state.task, ...r.task };
    renderTask();
    if (r.survivors && r.survivors.length) showBanner(`Processes survived SIGKILL: ${r.survivors.join(' ')}`);
  } catch (e) {
    showBanner('Cancel failed: ' + e.message);
  } finally {
    $('t-cancel').disabled = false;
  }
}

async function rerunTask() {
  const t = state.task;
  if (!t) return;
  const ok = await confirmDialog('Run this command again?',
    `A new task runs the same command in ${t.cwd}` + (t.label ? `, labelled ${t.label}` : '') +
    (t.timeout_seconds ? `, with the same timeout` : '') +
    '. It gets the daemon\'s environment, not the one the first run had (environments are never stored).',
    t.command, 'Run again');
  if (!ok) return;
  try {
    const n = await api(`/api/tasks/${t.task_id}/rerun`, { method: 'POST' });
    location.hash = `#/task/${n.task_id}`;
  } catch (e) {
    showBanner('Run again failed: ' + e.message);
  }
}

function markText(into, text, re) {
  let last = 0;
  let m;
  re.lastIndex = 0;
  while (re && (m = re.exec(text)) && m[0] !== '') {
    into.append(text.slice(last, m.index), el('mark', { text: m[0] }));
    last = re.lastIndex;
  }
  into.append(text.slice(last));
}

async function grep(e) {
  e.preventDefault();
  const t = state.task;
  const pattern = $('g-pattern').value;
  if (!t || !pattern) return;
  const box = $('g-results');
  box.hidden = false;
  $('g-clear').hidden = false;
  box.replaceChildren(el('p', { class: 'muted', text: 'Searching…' }));
  const ic = $('g-case').checked;
  try {
    const r = await api(`/api/tasks/${t.task_id}/output?` + new URLSearchParams({ grep: pattern, ignore_case: ic ? '1' : '0' }));
    const n = r.matches.length;
    let re = null;
    try { re = new RegExp(pattern, ic ? 'gi' : 'g'); } catch { re = null; }
    const list = el('ol');
    for (const m of r.matches) {
      const text = el('span');
      const clean = m.text.replace(/\x1b\[[0-9;:?]*[@-~]/g, '');
      if (re) markText(text, clean, re); else text.append(clean);
      list.append(el('li', {}, el('span', { class: 'ln', text: m.line ? String(m.line) : '' }), text));
    }
    box.replaceChildren(el('p', { text: `${n} matching line${n === 1 ? '' : 's'}` + (r.grep_complete ? '' : ' (the search stopped early: narrow it down)') }), list);
  } catch (err) {
    box.replaceChildren(el('p', { text: err.message }));
  }
}

// ---- the timeline (SVG)

const SVGNS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, String(v));
  for (const c of children) if (c) e.append(c);
  return e;
}

async function loadTimeline() {
  const hours = $('tl-hours').value;
  try {
    state.timeline = await api('/api/timeline?hours=' + hours);
    state.timeline.hours = Number(hours);
    renderTimeline();
  } catch (e) {
    $('timeline').textContent = 'Cannot load the timeline: ' + e.message;
  }
}

function niceStep(spanMs, width) {
  const steps = [60e3, 5 * 60e3, 10 * 60e3, 15 * 60e3, 30 * 60e3, 3600e3, 2 * 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 24 * 3600e3];
  for (const s of steps) if ((spanMs / s) * 90 <= width) return s;
  return steps[steps.length - 1];
}

function renderTimeline() {
  const tl = state.timeline;
  if (!tl) return;
  const box = $('timeline');
  const width = Math.max(600, box.clientWidth - 2);
  const now = Date.now();
  const to = now;
  const from = to - tl.hours * 3600e3;
  const left = 10;
  const right = 48;
  const x = (ms) => left + ((Math.max(from, Math.min(to, ms)) - from) / (to - from)) * (width - left - right);
  // Lanes: a task goes in the first lane free at its start.
  const tasks = tl.tasks
    .map((t) => ({ ...t, s: Date.parse(t.started_at || t.created_at), e: t.finished_at ? Date.parse(t.finished_at) : now }))
    .sort((a, b) => a.s - b.s);
  const laneEnds = [];
  for (const t of tasks) {
    let lane = laneEnds.findIndex((end) => end + (to - from) * 0.002 < t.s);
    if (lane < 0) { lane = laneEnds.length; laneEnds.push(0); }
    laneEnds[lane] = Math.max(t.e, t.s + (to - from) * 0.004);
    t.lane = lane;
  }
  const laneH = 20;
  const top = 26;
  const maxLanes = 60;
  const lanes = Math.min(laneEnds.length, maxLanes);
  const height = top + Math.max(1, lanes) * laneH + 10;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'timeline-title' });
  const axis = svg('g', { class: 'axis' });
  const step = niceStep(to - from, width);
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
    const d = new Date(t);
    const label = step >= 24 * 3600e3 ? FMT.day.format(d) : FMT.hm.format(d);
    axis.append(svg('line', { x1: x(t), x2: x(t), y1: 18, y2: height }), svg('text', { x: x(t) + 3, y: 13, text: '' }));
    axis.lastChild.textContent = label;
  }
  root.append(axis);
  const bars = svg('g', { class: 'bars' });
  for (const t of tasks) {
    if (t.lane >= maxLanes) continue;
    const x1 = x(t.s);
    const w = Math.max(3, x(t.e) - x1);
    const y = top + t.lane * laneH;
    const a = svg('a', { href: `#/task/${t.task_id}`, class: 'tl-task', 'data-id': t.task_id });
    const title = svg('title');
    const end = t.status === 'working' ? 'running' : STATUS[t.status]?.text + (t.exit_code !== undefined ? ` (exit ${t.exit_code})` : t.signal ? ` (${t.signal})` : '');
    title.textContent = `${t.task_id} · ${end} · ${fmtDuration((t.e - t.s) / 1000)}\n${t.command}`;
    a.append(title, svg('rect', { x: x1, y, width: w, height: laneH - 5, rx: 3, class: `bar-${t.status}` }));
    const fits = Math.floor((w - 8) / 6.8);  // characters of the 11px label that fit the bar
    if (fits >= 6) {
      const label = svg('text', { x: x1 + 4, y: y + laneH - 9, class: 'lbl' });
      const full = (t.label ? `[${t.label}] ` : '') + t.command;
      label.textContent = full.length > fits ? full.slice(0, fits - 1) + '…' : full;
      a.append(label);
    }
    bars.append(a);
  }
  root.append(bars);
  root.append(svg('line', { x1: x(now), x2: x(now), y1: 18, y2: height, class: 'now' }));
  if (!tasks.length) {
    const msg = svg('text', { x: width / 2, y: top + 12, 'text-anchor': 'middle', class: 'empty' });
    msg.textContent = 'No tasks ran in this window.';
    root.append(msg);
  }
  box.replaceChildren(root);
  const hidden = tasks.filter((t) => t.lane >= maxLanes).length;
  $('tl-info').textContent = `${tasks.length} task${tasks.length === 1 ? '' : 's'}` +
    (tl.truncated ? ` (the newest ${tasks.length} of ${tl.total})` : '') + (hidden ? `, ${hidden} not drawn` : '');
}

// ---- views and wiring

function route() {
  const h = location.hash || '#/';
  const m = h.match(/^#\/task\/([^/]+)$/);
  const view = m ? 'task' : h === '#/timeline' ? 'timeline' : 'tasks';
  state.view = view;
  $('view-tasks').hidden = view !== 'tasks';
  $('view-task').hidden = view !== 'task';
  $('view-timeline').hidden = view !== 'timeline';
  $('nav-tasks').toggleAttribute('aria-current', view === 'tasks');
  if (view === 'tasks') $('nav-tasks').setAttribute('aria-current', 'page');
  $('nav-timeline').toggleAttribute('aria-current', view === 'timeline');
  if (view === 'timeline') $('nav-timeline').setAttribute('aria-current', 'page');
  if (view !== 'task') {
    if (state.log) state.log.close();
    state.log = null;
    state.task = null;
  }
  if (view === 'task') showTask(decodeURIComponent(m[1]));
  if (view === 'timeline') loadTimeline();
  if (view === 'tasks') loadTasks();
}

function readFilters() {
  const f = new FormData($('filters'));
  state.filters = { status: f.get('status') || '', label: (f.get('label') || '').trim(), client: (f.get('client') || '').trim(), q: (f.get('q') || '').trim() };
  state.cursors = [null];
  state.page = 0;
  loadTasks();
}

function connect() {
  const es = new EventSource('/api/events');
  state.events = es;
  es.addEventListener('hello', () => {
    setLive(true);
    showBanner('');
    // Subscribed: read the state afresh, so nothing between the last read and now is missed.
    loadHealth();
    if (state.view === 'tasks') loadTasks();
    if (state.view === 'timeline') loadTimeline();
    if (state.view === 'task' && state.log) state.log.more();
  });
  es.addEventListener('task', (e) => onTaskEvent(JSON.parse(e.data)));
  es.addEventListener('output', (e) => onOutputEvent(JSON.parse(e.data)));
  es.addEventListener('removed', (e) => {
    const { task_id } = JSON.parse(e.data);
    if (state.tasks.some((t) => t.task_id === task_id)) loadTasks();
    loadHealth();
  });
  es.addEventListener('resync', () => route());
  es.onerror = async () => {
    setLive(false);
    // The browser reconnects by itself; a session that is gone will not come back.
    try {
      const r = await fetch('/api/session', { credentials: 'same-origin' });
      if (r.status === 401) sessionEnded();
    } catch {
      showBanner('The daemon does not answer; the page reconnects when it is back.');
    }
  };
}

async function main() {
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); readFilters(); });
  $('f-status').addEventListener('change', readFilters);
  $('f-clear').addEventListener('click', () => { $('filters').reset(); readFilters(); });
  $('page-older').addEventListener('click', () => {
    if (!state.nextCursor) return;
    state.cursors[state.page + 1] = state.nextCursor;
    state.page++;
    loadTasks();
  });
  $('page-newer').addEventListener('click', () => {
    if (state.page === 0) return;
    state.page--;
    loadTasks();
  });
  $('t-cancel').addEventListener('click', cancelTask);
  $('t-rerun').addEventListener('click', rerunTask);
  $('grep').addEventListener('submit', grep);
  $('g-clear').addEventListener('click', () => { $('g-results').hidden = true; $('g-clear').hidden = true; $('g-pattern').focus(); });
  $('tl-hours').addEventListener('change', loadTimeline);
  $('follow').addEventListener('change', () => state.log && state.log.scroll());
  window.addEventListener('hashchange', () => { route(); $('main').focus({ preventScroll: true }); });
  window.addEventListener('resize', () => { if (state.view === 'timeline') renderTimeline(); });
  document.addEventListener('keydown', (e) => {
    // Escape leaves a task's page (a dialog handles its own Escape first).
    if (e.key === 'Escape' && state.view === 'task' && !$('confirm').open && document.activeElement?.tagName !== 'INPUT') location.hash = '#/';
  });
  // The stream, the first reads and the CSRF token (needed only for changes) go out together.
  connect();
  route();
  try {
    state.csrf = (await api('/api/session')).csrf;
  } catch {
    // a page that is not signed in says so in its banner
  }
}

main();
