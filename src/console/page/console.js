// The onceload console's page: plain DOM, no build step. Views by the URL's hash:
// #/runs, #/runs/<run-id>, #/files?tenant=&table=&status=. A view under way polls the API every second.

const POLL_MS = 1000;
const view = document.getElementById('view');
const message = document.getElementById('message');
let info;
let timer;

/** An element with attributes (`on*` are listeners) and children (strings become text). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(`/api/${path}`, options);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `${response.status}`);
  return body;
}

const post = (path, body) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
/** Replaces the view's content; absent parts (null) are left out. */
const show = (...parts) => view.replaceChildren(...parts.filter((p) => p !== null && p !== undefined));
const say = (text) => (message.textContent = text ?? '');
const n = (v) => Number(v ?? 0).toLocaleString('en-US');
const badge = (status) => el('span', { class: `badge ${status}` }, status);
const seconds = (from, to) => (to ? `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)} s` : '');

// ---- runs ----

async function showRuns() {
  const { runs } = await api('runs');
  const rows = runs.map((r) =>
    el('tr', { 'data-run': r.runId },
      el('td', {}, el('a', { href: `#/runs/${r.runId}` }, r.runId)),
      el('td', {}, r.startedAt),
      el('td', { class: 'num' }, `${r.seconds.toFixed(1)} s`),
      el('td', {}, badge(r.status)),
      el('td', { class: 'num' }, n(r.files)),
      el('td', { class: 'num' }, n(r.rows)),
      el('td', { class: 'num' }, n(r.failed)),
    ));
  show(
    el('h2', {}, 'Runs'),
    runs.length === 0
      ? el('p', {}, 'No runs yet: start one above.')
      : el('table', { id: 'runs' }, el('thead', {}, el('tr', {}, ...['run', 'started', 'took', 'status', 'files', 'rows', 'failed'].map((h) => el('th', {}, h)))), el('tbody', {}, rows)),
  );
  timer = setTimeout(route, POLL_MS);
}

// ---- one run: its state graph and report ----

/** The states a state can go on to: Next, a Choice's branches and Default, its Catch handlers. */
function edges(state) {
  return [
    ...(state.Next ? [['next', state.Next]] : []),
    ...(state.Choices ?? []).map((c) => ['choice', c.Next]),
    ...(state.Default ? [['default', state.Default]] : []),
    ...(state.Catch ?? []).map((c) => ['catch', c.Next]),
  ];
}

/**
 * Levels top to bottom: each state one below the furthest state leading to it, so a state comes
 * after everything that runs before it; an edge back up a loop adds no level.
 */
function levels(machine) {
  const onStack = new Set();
  const seen = new Set();
  const forward = new Map(Object.keys(machine.States).map((name) => [name, []]));
  const visit = (name) => {
    seen.add(name);
    onStack.add(name);
    for (const [, next] of edges(machine.States[name])) {
      if (!machine.States[next] || onStack.has(next)) continue;
      forward.get(name).push(next);
      if (!seen.has(next)) visit(next);
    }
    onStack.delete(name);
  };
  visit(machine.StartAt);
  const depth = new Map();
  depth.set(machine.StartAt, 0);
  // Longest path over the forward edges: relax until nothing moves (the graphs are small).
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, nexts] of forward) {
      if (!depth.has(name)) continue;
      for (const next of nexts) {
        if ((depth.get(next) ?? -1) < depth.get(name) + 1) {
          depth.set(next, depth.get(name) + 1);
          changed = true;
        }
      }
    }
  }
  // A state nothing reaches still shows, at the bottom.
  const last = Math.max(0, ...depth.values());
  for (const name of Object.keys(machine.States)) if (!depth.has(name)) depth.set(name, last + 1);
  const rows = [];
  for (const name of Object.keys(machine.States)) (rows[depth.get(name)] ??= []).push(name);
  return rows.filter(Boolean);
}

function stateBox(name, state, timeline) {
  const track = timeline?.states?.[name];
  const status = track?.status ?? 'not-run';
  const meta = [];
  if (track) {
    meta.push(`${track.firstEnteredAt.slice(11, 23)} · ${seconds(track.firstEnteredAt, track.lastExitedAt) || 'running'}`);
    if (track.entered > 1) meta.push(`×${track.entered}: ${track.succeeded} ok${track.failed ? `, ${track.failed} failed` : ''}${track.caught ? `, ${track.caught} caught` : ''}${track.running ? `, ${track.running} running` : ''}`);
    if (track.retried) meta.push(`${track.retried} retried`);
  }
  const inner = state.ItemProcessor ?? state.Iterator;
  const map = timeline?.maps?.[name];
  const progress = map
    ? [
        el('div', { class: 'progress', 'data-map': name }, el('div', { style: `width:${map.items ? Math.round((100 * (map.succeeded + map.failed)) / map.items) : 0}%` })),
        el('div', { class: 'meta map-items' }, `items ${map.succeeded + map.failed} of ${map.items} done${map.failed ? `, ${map.failed} failed` : ''}`),
      ]
    : [];
  return el('div', { class: 'state', 'data-state': name, 'data-status': status, title: `${state.Type}: ${status}` },
    el('div', { class: 'name' }, name),
    el('div', { class: 'meta' }, `${state.Type} · `, badge(status)),
    ...meta.map((m) => el('div', { class: 'meta' }, m)),
    ...progress,
    inner ? graph(inner, timeline) : null,
    edges(state).length ? el('div', { class: 'next' }, edges(state).map(([kind, next]) => `${kind} → ${next}`).join(' · ')) : null,
  );
}

function graph(machine, timeline) {
  return el('div', { class: 'graph' }, levels(machine).map((row) => el('div', { class: 'level' }, row.map((name) => stateBox(name, machine.States[name], timeline)))));
}

function reportView(report) {
  const t = report.totals;
  const totals = ['items', 'listed', 'loaded', 'rows', 'failed', 'unchanged', 'failedBefore', 'superseded', 'skipped', 'ignored', 'wouldLoad', 'byOther', 'deferred'];
  return el('section', { id: 'report' },
    el('h3', {}, `Report: `, badge(report.ok ? 'SUCCEEDED' : 'FAILED')),
    el('div', { class: 'totals' }, totals.map((k) => el('div', { 'data-total': k }, el('b', {}, n(t[k])), k))),
    report.failures.length
      ? el('table', { id: 'failures' },
          el('thead', {}, el('tr', {}, ['tenant', 'table', 'file', 'error'].map((h) => el('th', {}, h)))),
          el('tbody', {}, report.failures.map((f) => el('tr', {}, el('td', {}, f.tenant), el('td', {}, f.table), el('td', {}, f.key ?? ''), el('td', { class: 'error' }, f.error)))))
      : null,
    el('table', { id: 'checks' }, el('tbody', {}, report.checks.map((c) => el('tr', {}, el('td', {}, badge(c.ok ? 'succeeded' : 'failed')), el('td', {}, c.name), el('td', {}, c.detail))))),
    el('pre', { class: 'report' }, report.text),
  );
}

async function showRun(runId) {
  const run = await api(`runs/${runId}`);
  const ended = !['RUNNING', 'STARTING'].includes(run.status);
  const report = ended ? await api(`runs/${runId}/report`).catch(() => undefined) : undefined;
  const record = run.record;
  show(
    el('h2', {}, `Run ${runId} `, badge(run.status)),
    record ? el('p', {}, `started ${record.startedAt}, took ${seconds(record.startedAt, record.stoppedAt)}; input ${JSON.stringify(record.input)}; ${n(record.usage.stateTransitions)} state transitions`) : null,
    run.error || record?.cause ? el('p', { class: 'error' }, run.error ?? `${record.error}: ${record.cause}`) : null,
    el('section', { id: 'graph' }, graph(info.definition, run.states)),
    report ? reportView(report) : null,
  );
  if (!ended) timer = setTimeout(route, POLL_MS);
}

// ---- the file ledger ----

function select(name, values, chosen) {
  return el('select', { name }, el('option', { value: '' }, `any ${name}`), values.map((v) => el('option', { value: v, selected: v === chosen }, v)));
}

async function resetFile(entry) {
  if (!confirm(`Reset ${entry.key} of ${entry.tenant}/${entry.table}? The next run loads it again, under a new deduplication token.`)) return;
  try {
    const { reset } = await post('files/reset', { tenant: entry.tenant, table: entry.table, key: entry.key });
    say();
    view.querySelector('#reset-done')?.remove();
    await route();
    view.prepend(el('p', { id: 'reset-done' }, `reset ${reset} file: ${entry.key}`));
  } catch (error) {
    say(error.message);
  }
}

async function showFiles(params) {
  const found = await api(`files?${params}`);
  const form = el('form', { class: 'filters', id: 'file-filters' },
    select('tenant', info.tenants, params.get('tenant')),
    select('table', info.tables, params.get('table')),
    select('status', ['loading', 'loaded', 'failed', 'reset', 'superseded', 'gone', 'skipped', 'ignored'], params.get('status')),
    el('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams([...new FormData(form)].filter(([, v]) => v !== ''));
    location.hash = `#/files?${chosen}`;
  });
  const header = ['tenant', 'table', 'status', 'rows', 'key', 'run', 'error', ''];
  const rows = found.ignored
    ? found.objects.map((o) => el('tr', {}, el('td', {}, o.key.split('/')[0]), el('td', {}), el('td', {}, badge('ignored')), el('td', {}), el('td', {}, o.key), el('td', {}, o.runId), el('td', {}, o.reason), el('td', {})))
    : found.entries.map((e) =>
        el('tr', { 'data-key': e.key },
          el('td', {}, e.tenant), el('td', {}, e.table), el('td', {}, badge(e.status)), el('td', { class: 'num' }, e.rows ?? ''),
          el('td', {}, e.key), el('td', {}, e.runId), el('td', { class: 'error' }, e.error ?? ''),
          el('td', {}, e.status === 'failed' ? el('button', { class: 'reset', onclick: () => resetFile(e) }, 'Reset') : null)));
  show(
    el('h2', {}, 'Files'),
    form,
    el('table', { id: 'files' }, el('thead', {}, el('tr', {}, header.map((h) => el('th', {}, h)))), el('tbody', {}, rows)),
    rows.length === 0 ? el('p', {}, 'No file matches.') : null,
  );
}

// ---- routing ----

async function route() {
  clearTimeout(timer);
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('current', a.id === `nav-${parts[0] ?? 'runs'}`);
  try {
    if (parts[0] === 'runs' && parts[1]) await showRun(parts[1]);
    else if (parts[0] === 'files') await showFiles(new URLSearchParams(query));
    else await showRuns();
  } catch (error) {
    say(error.message);
    timer = setTimeout(route, POLL_MS);
  }
}

document.getElementById('start-run').addEventListener('submit', async (event) => {
  event.preventDefault();
  const dryRun = event.target.elements.dryRun.checked;
  try {
    const { runId } = await post('runs', dryRun ? { dryRun: true } : {});
    say();
    location.hash = `#/runs/${runId}`;
  } catch (error) {
    say(error.message);
  }
});

async function start() {
  info = await api('info');
  const s3 = info.s3;
  document.getElementById('s3-info').textContent =
    `data dir ${info.dataDir} · local S3 ${s3.endpoint}, bucket ${s3.bucket}, region ${s3.region}, AWS_ACCESS_KEY_ID=${s3.accessKeyId} AWS_SECRET_ACCESS_KEY=${s3.secretAccessKey}`;
  window.addEventListener('hashchange', route);
  await route();
}

start().catch((error) => say(error.message));
