// Sessions: a sortable, filterable list; selecting several to tag an outcome; one session's
// detail (requests over time, commits, suggested outcome).

import * as bridge from '../bridge.js';
import { h, $, $$, replace, errorBox } from '../dom.js';
import * as f from '../format.js';
import { requestsChart } from '../chart.js';
import { OUTCOMES, OUTCOME_LABEL, normSession } from '../model.js';

const PERIODS = [
  { id: '1', label: 'Today', days: 1 },
  { id: '7', label: '7 days', days: 7 },
  { id: '30', label: '30 days', days: 30 },
  { id: '90', label: '90 days', days: 90 },
  { id: 'all', label: 'All time', days: 0 },
];

const COLUMNS = [
  { key: 'source', label: 'Tool', get: (s) => f.toolName(s.source) },
  { key: 'project', label: 'Project', get: (s) => f.projectName(s.project).toLowerCase() },
  { key: 'models', label: 'Models', get: (s) => (s.models[0] || '').toLowerCase() },
  { key: 'start', label: 'Start', get: (s) => s.start || '' },
  { key: 'duration', label: 'Duration', r: true, get: (s) => (Number.isFinite(s.durationMs) ? s.durationMs : -1) },
  { key: 'tokens', label: 'Tokens', r: true, get: (s) => s.total_tokens },
  { key: 'cost', label: 'Cost', r: true, get: (s) => s.cost_usd },
  { key: 'outcome', label: 'Outcome', get: (s) => (s.outcome ? OUTCOMES.indexOf(s.outcome) : 99) },
];

const MAX_ROWS = 400;

const state = {
  period: '30',
  source: '',
  outcome: '',
  q: '',
  sort: { key: 'start', dir: -1 },
  selected: new Set(),
  openId: null,
  focusId: null,
  showAll: false,
  list: [],
  shell: null,
  ctx: null,
  wantOpen: null,
};

function sinceFor(ctx) {
  const p = PERIODS.find((x) => x.id === state.period);
  return p && p.days && ctx.today ? f.addDays(ctx.today, -(p.days - 1)) : undefined;
}

function filtered() {
  const q = state.q.trim().toLowerCase();
  let rows = state.list;
  if (state.outcome === 'untagged') rows = rows.filter((s) => !s.outcome);
  else if (state.outcome) rows = rows.filter((s) => s.outcome === state.outcome);
  if (q) {
    rows = rows.filter((s) => [s.project, s.id, s.branch, s.note, ...s.models].some((v) => v && String(v).toLowerCase().includes(q)));
  }
  const col = COLUMNS.find((c) => c.key === state.sort.key) || COLUMNS[3];
  const dir = state.sort.dir;
  return rows.slice().sort((a, b) => {
    const x = col.get(a);
    const y = col.get(b);
    return (x < y ? -1 : x > y ? 1 : 0) * dir || (a.start < b.start ? 1 : -1);
  });
}

export function outcomeBadge(outcome, extra) {
  if (!outcome) return h('span', { class: 'badge outcome none', dataset: { outcome: 'untagged' } }, extra || '—');
  return h('span', { class: `badge outcome o-${outcome}`, dataset: { outcome } }, OUTCOME_LABEL[outcome] || outcome);
}

function toolTag(id) {
  return h('span', { class: `tool-tag t-${id}` }, f.toolName(id));
}

// ---- shell ------------------------------------------------------------------------------

// Escape closes the detail wherever the focus is (inputs keep their own Escape).
let escapeWired = false;
function wireEscape() {
  if (escapeWired) return;
  escapeWired = true;
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || !state.openId || !state.shell || !state.shell.isConnected || e.defaultPrevented) return;
    if (e.target.closest && e.target.closest('input, select, textarea')) return;
    closeDetail();
  });
}

function buildShell(ctx) {
  wireEscape();
  const sel = (id, label, options, value, onchange) =>
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), h('select', { id, onchange }, options.map(([v, l]) => h('option', { value: v, selected: v === value }, l))));

  const search = h('input', {
    type: 'search',
    id: 'session-search',
    placeholder: 'Project, model, branch, id…',
    value: state.q,
    'aria-label': 'Filter sessions',
    oninput: (e) => {
      state.q = e.target.value;
      drawTable();
    },
  });

  const toolbar = h(
    'div',
    { class: 'filters', role: 'group', 'aria-label': 'Filters' },
    sel('session-period', 'Period', PERIODS.map((p) => [p.id, p.label]), state.period, (e) => {
      state.period = e.target.value;
      ctx.refresh();
    }),
    sel('session-source', 'Tool', [['', 'All tools'], ['claude-code', 'Claude Code'], ['codex', 'Codex']], state.source, (e) => {
      state.source = e.target.value;
      ctx.refresh();
    }),
    sel('session-outcome-filter', 'Outcome', [['', 'Any'], ['untagged', 'Untagged'], ...OUTCOMES.map((o) => [o, OUTCOME_LABEL[o]])], state.outcome, (e) => {
      state.outcome = e.target.value;
      drawTable();
    }),
    h('label', { class: 'field grow' }, h('span', { class: 'field-label' }, 'Search'), search),
  );

  const tagBar = h(
    'div',
    { class: 'tagbar', id: 'tagbar', role: 'group', 'aria-label': 'Tag selected sessions' },
    h('span', { class: 'tag-count', id: 'tag-count' }, 'None selected'),
    h('select', { id: 'tag-outcome', 'aria-label': 'Outcome' }, OUTCOMES.map((o) => h('option', { value: o }, OUTCOME_LABEL[o]))),
    h('input', { type: 'text', id: 'tag-note', placeholder: 'Note (optional)', 'aria-label': 'Note', maxlength: '500' }),
    h('input', { type: 'text', id: 'tag-link', placeholder: 'Link: PR, issue… (optional)', 'aria-label': 'Link', maxlength: '500' }),
    h('button', { type: 'button', class: 'btn primary', id: 'tag-apply', onclick: applyTag }, 'Tag'),
    h('button', { type: 'button', class: 'btn', id: 'tag-clear', onclick: clearTag }, 'Clear tag'),
  );

  const thead = h(
    'thead',
    null,
    h(
      'tr',
      null,
      h('th', { class: 'check', scope: 'col' }, h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Select all shown sessions', onchange: (e) => selectAll(e.target.checked) })),
      COLUMNS.map((c) =>
        h(
          'th',
          { scope: 'col', class: c.r ? 'r' : '', dataset: { key: c.key } },
          h('button', { type: 'button', class: 'sort', id: `sort-${c.key}`, onclick: () => sortBy(c.key) }, c.label, h('span', { class: 'sort-ind', 'aria-hidden': 'true' })),
        ),
      ),
    ),
  );
  const tbody = h('tbody', { id: 'session-rows', onkeydown: onRowKey, onclick: onRowClick, onchange: onRowCheck });
  const cols = h('colgroup', null, h('col', { class: 'c-check' }), COLUMNS.map((c) => h('col', { class: `c-${c.key}` })));
  const table = h('table', { class: 'data sessions', id: 'sessions-table', 'aria-label': 'Sessions', 'aria-describedby': 'sessions-help' }, cols, thead, tbody);

  const shell = h(
    'div',
    { class: 'sessions-view' },
    h(
      'header',
      { class: 'view-head' },
      h('div', null, h('h1', { class: 'view-title' }, 'Sessions'), h('p', { class: 'view-sub', id: 'sessions-summary' }, '')),
    ),
    toolbar,
    tagBar,
    h('p', { class: 'sr-only', id: 'sessions-help' }, 'Arrow keys move between sessions, Enter opens one, Space selects it, Escape closes the detail.'),
    h('div', { class: 'card flush table-wrap' }, table, h('div', { class: 'table-foot', id: 'sessions-foot' })),
    h('aside', { id: 'session-detail', class: 'detail', hidden: true, role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'detail-title', onkeydown: (e) => e.key === 'Escape' && closeDetail() }),
  );
  return shell;
}

// ---- table ------------------------------------------------------------------------------

function drawTable() {
  const shell = state.shell;
  if (!shell) return;
  const ctx = state.ctx;
  const rows = filtered();
  const shown = state.showAll ? rows : rows.slice(0, MAX_ROWS);
  const tbody = $('#session-rows', shell);
  const hadFocus = tbody.contains(document.activeElement);
  const tz = ctx.timezone;
  const visibleIds = new Set(rows.map((s) => s.id));
  if (!state.focusId || !visibleIds.has(state.focusId)) state.focusId = shown[0] ? shown[0].id : null;

  tbody.replaceChildren(
    ...shown.map((s) =>
      h(
        'tr',
        {
          dataset: { sessionId: s.id, source: s.source, cost: s.cost_usd, tokens: s.total_tokens, outcome: s.outcome || '' },
          tabindex: s.id === state.focusId ? '0' : '-1',
          class: [state.selected.has(s.id) && 'selected', state.openId === s.id && 'open'],
          'aria-selected': String(state.selected.has(s.id)),
        },
        h('td', { class: 'check' }, h('input', { type: 'checkbox', class: 'session-select', checked: state.selected.has(s.id), tabindex: '-1', 'aria-label': `Select session ${f.projectName(s.project)} ${f.dateTime(s.start, tz)}` })),
        h('td', null, toolTag(s.source)),
        h('td', { class: 'proj', title: s.project }, h('span', { class: 'proj-name' }, f.projectName(s.project)), s.branch ? h('span', { class: 'branch' }, s.branch) : null),
        h('td', { class: 'models', title: s.models.join(', ') }, s.models.map(f.shortModel).slice(0, 2).join(', '), s.models.length > 2 ? ` +${s.models.length - 2}` : ''),
        h('td', { class: 'num start' }, f.dateTime(s.start, tz)),
        h('td', { class: 'r num' }, f.duration(s.durationMs)),
        h('td', { class: 'r num', title: f.integer(s.total_tokens) }, f.tokens(s.total_tokens)),
        h('td', { class: 'r num strong' }, f.money(s.cost_usd), s.unpriced_tokens > 0 ? h('span', { class: 'unpriced-mark', title: `${f.integer(s.unpriced_tokens)} tokens without a price` }, '+') : null),
        h('td', null, outcomeBadge(s.outcome)),
      ),
    ),
  );
  if (!shown.length) {
    tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: COLUMNS.length + 1, class: 'muted' }, state.list.length ? 'No session matches these filters.' : 'No sessions in this period.')));
  }
  if (hadFocus) {
    const tr = tbody.querySelector(`tr[tabindex="0"]`);
    if (tr) tr.focus({ preventScroll: true });
  }

  for (const th of $$('thead th[data-key]', shell)) {
    const on = th.dataset.key === state.sort.key;
    if (on) th.setAttribute('aria-sort', state.sort.dir > 0 ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }

  const cost = rows.reduce((a, s) => a + s.cost_usd, 0);
  const toks = rows.reduce((a, s) => a + s.total_tokens, 0);
  $('#sessions-summary', shell).textContent = `${f.integer(rows.length)} session${rows.length === 1 ? '' : 's'} · ${f.money(cost)} · ${f.tokens(toks)} tokens`;
  const foot = $('#sessions-foot', shell);
  foot.replaceChildren();
  if (rows.length > shown.length) {
    foot.append(`Showing ${shown.length} of ${rows.length}. `, h('button', { type: 'button', class: 'btn link', onclick: () => { state.showAll = true; drawTable(); } }, 'Show all'));
  }
  drawTagBar();
}

function drawTagBar() {
  const shell = state.shell;
  const n = state.selected.size;
  $('#tag-count', shell).textContent = n ? `${n} selected` : 'None selected';
  for (const id of ['#tag-apply', '#tag-clear']) $(id, shell).disabled = n === 0;
  $('#tagbar', shell).classList.toggle('active', n > 0);
  const all = $('#select-all', shell);
  const shownIds = $$('tr[data-session-id]', shell).map((tr) => tr.dataset.sessionId);
  const k = shownIds.filter((id) => state.selected.has(id)).length;
  all.checked = k > 0 && k === shownIds.length;
  all.indeterminate = k > 0 && k < shownIds.length;
}

function sortBy(key) {
  if (state.sort.key === key) state.sort.dir = -state.sort.dir;
  else state.sort = { key, dir: ['source', 'project', 'models', 'outcome'].includes(key) ? 1 : -1 };
  drawTable();
}

function selectAll(on) {
  for (const tr of $$('tr[data-session-id]', state.shell)) {
    if (on) state.selected.add(tr.dataset.sessionId);
    else state.selected.delete(tr.dataset.sessionId);
  }
  drawTable();
}

function toggleSelect(id, on) {
  if (on === undefined) on = !state.selected.has(id);
  if (on) state.selected.add(id);
  else state.selected.delete(id);
  const tr = rowFor(id);
  if (tr) {
    tr.classList.toggle('selected', on);
    tr.setAttribute('aria-selected', String(on));
    const cb = tr.querySelector('input.session-select');
    if (cb) cb.checked = on;
  }
  drawTagBar();
}

const rowFor = (id) => state.shell && state.shell.querySelector(`tr[data-session-id="${CSS.escape(id)}"]`);

function focusRow(tr) {
  if (!tr) return;
  for (const r of $$('tr[data-session-id]', state.shell)) r.tabIndex = -1;
  tr.tabIndex = 0;
  state.focusId = tr.dataset.sessionId;
  tr.focus();
}

function onRowKey(e) {
  const tr = e.target.closest('tr[data-session-id]');
  if (!tr) return;
  const rows = $$('tr[data-session-id]', state.shell);
  const i = rows.indexOf(tr);
  const go = (j) => {
    e.preventDefault();
    focusRow(rows[Math.max(0, Math.min(rows.length - 1, j))]);
  };
  switch (e.key) {
    case 'ArrowDown': return go(i + 1);
    case 'ArrowUp': return go(i - 1);
    case 'Home': return go(0);
    case 'End': return go(rows.length - 1);
    case 'PageDown': return go(i + 10);
    case 'PageUp': return go(i - 10);
    case 'Enter':
      e.preventDefault();
      return openDetail(tr.dataset.sessionId);
    case ' ':
      if (e.target === tr) {
        e.preventDefault();
        toggleSelect(tr.dataset.sessionId);
      }
      return;
    case 'Escape':
      return closeDetail();
    default:
  }
}

function onRowClick(e) {
  const tr = e.target.closest('tr[data-session-id]');
  if (!tr) return;
  if (e.target.closest('td.check')) {
    if (e.target.matches('input')) return; // the change handler takes it
    e.preventDefault();
    toggleSelect(tr.dataset.sessionId);
    return;
  }
  focusRow(tr);
  openDetail(tr.dataset.sessionId);
}

function onRowCheck(e) {
  if (!e.target.matches('input.session-select')) return;
  const tr = e.target.closest('tr[data-session-id]');
  toggleSelect(tr.dataset.sessionId, e.target.checked);
}

async function applyTag() {
  const ids = Array.from(state.selected);
  if (!ids.length) return;
  const outcome = $('#tag-outcome', state.shell).value;
  const note = $('#tag-note', state.shell).value.trim();
  const link = $('#tag-link', state.shell).value.trim();
  await tagThese(ids, outcome, note, link);
  $('#tag-note', state.shell).value = '';
  $('#tag-link', state.shell).value = '';
}

async function tagThese(ids, outcome, note, link) {
  const ctx = state.ctx;
  try {
    const r = await bridge.tagSessions(ids, outcome, note || undefined, link || undefined);
    const n = r && Number.isFinite(r.tagged) ? r.tagged : ids.length;
    ctx.toast(`Tagged ${n} session${n === 1 ? '' : 's'} as ${OUTCOME_LABEL[outcome] || outcome}`);
    state.selected.clear();
    await ctx.refresh();
  } catch (err) {
    ctx.toast(String(err), 'error');
  }
}

async function clearTag() {
  const ids = Array.from(state.selected);
  if (!ids.length) return;
  await clearThese(ids);
}

async function clearThese(ids) {
  const ctx = state.ctx;
  try {
    const r = await bridge.clearTags(ids);
    const n = r && Number.isFinite(r.cleared) ? r.cleared : ids.length;
    ctx.toast(`Cleared the tag of ${n} session${n === 1 ? '' : 's'}`);
    state.selected.clear();
    await ctx.refresh();
  } catch (err) {
    ctx.toast(String(err), 'error');
  }
}

// ---- detail -----------------------------------------------------------------------------

function closeDetail() {
  if (!state.openId) return;
  const id = state.openId;
  state.openId = null;
  const d = $('#session-detail', state.shell);
  d.hidden = true;
  d.replaceChildren();
  state.shell.classList.remove('with-detail');
  const tr = rowFor(id);
  if (tr) {
    tr.classList.remove('open');
    focusRow(tr);
  }
}

function openDetail(id) {
  const prev = state.openId;
  state.openId = id;
  for (const tr of $$('tr.open', state.shell)) tr.classList.remove('open');
  const tr = rowFor(id);
  if (tr) tr.classList.add('open');
  return drawDetail(prev !== id);
}

function stat(label, value, title) {
  return h('div', { class: 'kv' }, h('dt', null, label), h('dd', { class: 'num', title }, value));
}

async function drawDetail(moveFocus) {
  const shell = state.shell;
  const ctx = state.ctx;
  const panel = $('#session-detail', shell);
  const s = state.list.find((x) => x.id === state.openId);
  if (!s) {
    closeDetail();
    return;
  }
  const tz = ctx.timezone;
  const keepScroll = panel.hidden ? 0 : panel.scrollTop;
  panel.hidden = false;
  shell.classList.add('with-detail');

  const reqBox = h('div', { id: 'session-requests', class: 'requests' }, h('p', { class: 'muted' }, 'Loading requests…'));
  const closeBtn = h('button', { type: 'button', class: 'btn icon', id: 'detail-close', 'aria-label': 'Close session detail', onclick: closeDetail }, '✕');

  const quick = h(
    'div',
    { class: 'quick-tags', role: 'group', 'aria-label': 'Tag this session' },
    OUTCOMES.map((o) =>
      h('button', { type: 'button', class: ['chip', `o-${o}`, s.outcome === o && 'on'], 'aria-pressed': String(s.outcome === o), dataset: { testid: `detail-outcome-${o}` }, onclick: () => tagThese([s.id], o, s.note, s.link) }, OUTCOME_LABEL[o]),
    ),
    s.outcome ? h('button', { type: 'button', class: 'chip ghost', id: 'detail-clear', onclick: () => clearThese([s.id]) }, 'Clear') : null,
  );
  const sug = s.suggestion && s.suggestion.outcome && s.suggestion.outcome !== s.outcome
    ? h(
        'div',
        { class: 'suggestion' },
        h('span', { class: 'muted' }, 'Suggested: '),
        h('button', { type: 'button', class: `chip o-${s.suggestion.outcome} suggest`, id: 'detail-suggest', dataset: { outcome: s.suggestion.outcome }, onclick: () => tagThese([s.id], s.suggestion.outcome, s.note, s.link) }, `Tag as ${OUTCOME_LABEL[s.suggestion.outcome] || s.suggestion.outcome}`),
        s.suggestion.reason ? h('span', { class: 'muted small' }, ` ${s.suggestion.reason}`) : null,
      )
    : null;

  const commits = s.commits.length
    ? h(
        'ul',
        { class: 'commits', id: 'session-commits' },
        s.commits.map((c) =>
          h(
            'li',
            { dataset: { hash: c.hash } },
            h('code', { class: 'hash' }, String(c.hash).slice(0, 8)),
            h('span', { class: 'msg', title: c.message }, c.message || '(no message)'),
            c.lines_added !== undefined || c.lines_removed !== undefined
              ? h('span', { class: 'lines num' }, h('span', { class: 'add' }, `+${f.integer(c.lines_added || 0)}`), ' ', h('span', { class: 'del' }, `−${f.integer(c.lines_removed || 0)}`))
              : null,
          ),
        ),
      )
    : h('p', { class: 'muted small', id: 'session-commits' }, 'No commits linked to this session.');

  panel.replaceChildren(
    h(
      'div',
      { class: 'detail-head' },
      h('div', null, h('h2', { id: 'detail-title' }, f.projectName(s.project)), h('p', { class: 'muted small path', title: s.project }, s.project || '')),
      closeBtn,
    ),
    h(
      'div',
      { class: 'detail-meta' },
      toolTag(s.source),
      s.branch ? h('span', { class: 'branch', id: 'detail-branch', title: 'git branch' }, s.branch) : null,
      h('code', { class: 'sid', title: 'session id' }, s.id),
    ),
    h(
      'dl',
      { class: 'kvs' },
      stat('Cost', f.money(s.cost_usd)),
      stat('Tokens', f.tokens(s.total_tokens), f.integer(s.total_tokens)),
      stat('Requests', s.requests !== undefined ? f.integer(s.requests) : '—'),
      stat('Start', f.dateTime(s.start, tz)),
      stat('Duration', f.duration(s.durationMs)),
      h('div', { class: 'kv', id: 'detail-active' }, h('dt', null, 'Active'), h('dd', { class: 'num' }, s.activeMs !== undefined ? f.duration(s.activeMs) : '—')),
    ),
    h('p', { class: 'models-line small' }, h('span', { class: 'muted' }, 'Models: '), s.models.map(f.shortModel).join(', ') || '—'),
    h(
      'section',
      { class: 'detail-sec' },
      h('h3', null, 'Outcome ', outcomeBadge(s.outcome)),
      s.note ? h('p', { class: 'note' }, s.note) : null,
      s.link ? h('p', { class: 'link small' }, h('span', { class: 'muted' }, 'Link: '), h('code', { class: 'selectable' }, s.link)) : null,
      sug,
      quick,
    ),
    h('section', { class: 'detail-sec' }, h('h3', null, `Commits${s.commits.length ? ` (${s.commits.length})` : ''}`), commits),
    h('section', { class: 'detail-sec' }, h('h3', null, 'Requests over time'), reqBox),
  );
  panel.scrollTop = keepScroll;
  if (moveFocus) closeBtn.focus();

  try {
    const r = await bridge.sessionRequests(s.source, s.id);
    if (state.openId !== s.id || !reqBox.isConnected) return;
    drawRequests(reqBox, (r && r.requests) || [], tz);
    panel.scrollTop = keepScroll;
  } catch (err) {
    reqBox.replaceChildren(errorBox(err));
  }
}

function drawRequests(box, reqs, tz) {
  if (!reqs.length) {
    box.replaceChildren(h('p', { class: 'muted' }, 'No requests stored for this session.'));
    return;
  }
  const chart = h('div', { class: 'chart-box', id: 'requests-chart', role: 'img', 'aria-label': 'Tokens per request and running cost' });
  let cum = 0;
  const ts = [];
  const toks = [];
  const cumCost = [];
  for (const q of reqs) {
    ts.push(new Date(q.ts).getTime() / 1000);
    toks.push(Number(q.total_tokens) || 0);
    cum += Number(q.cost_usd) || 0;
    cumCost.push(cum);
  }
  const LIMIT = 300;
  const rows = reqs.length > LIMIT ? reqs.slice(-LIMIT) : reqs;
  const table = h(
    'table',
    { class: 'data compact requests-table' },
    h('caption', { class: 'sr-only' }, 'Requests of this session'),
    h('thead', null, h('tr', null, ['Time', 'Model', 'Input', 'Cache w', 'Cache r', 'Output', 'Cost'].map((l, i) => h('th', { scope: 'col', class: i > 1 ? 'r' : '' }, l)))),
    h(
      'tbody',
      null,
      rows.map((q) =>
        h(
          'tr',
          { dataset: { ts: q.ts, cost: q.cost_usd, tokens: q.total_tokens } },
          h('td', { class: 'num nowrap' }, f.time(q.ts, tz, true)),
          h('td', { class: 'models', title: q.model }, f.shortModel(q.model)),
          h('td', { class: 'r num' }, f.tokens(q.input_tokens)),
          h('td', { class: 'r num' }, f.tokens(q.cache_creation_tokens)),
          h('td', { class: 'r num' }, f.tokens(q.cache_read_tokens)),
          h('td', { class: 'r num' }, f.tokens(q.output_tokens)),
          h('td', { class: 'r num' }, q.unpriced_tokens > 0 && !q.cost_usd ? h('span', { class: 'muted', title: 'no known price' }, 'unpriced') : f.money(q.cost_usd)),
        ),
      ),
    ),
  );
  box.replaceChildren(chart, ...(reqs.length > LIMIT ? [h('p', { class: 'muted small' }, `The last ${LIMIT} of ${reqs.length} requests:`)] : []), h('div', { class: 'table-scroll' }, table));
  requestsChart(chart, { ts, tokens: toks, cumCost, tokFmt: f.tokens, costFmt: f.money, timeZone: tz });
}

// ---- view -------------------------------------------------------------------------------

export default {
  id: 'sessions',
  title: 'Sessions',
  prepare(opts) {
    if (opts && opts.sessionId) {
      state.wantOpen = String(opts.sessionId);
      state.outcome = '';
      state.q = '';
    }
  },
  async render(container, ctx) {
    state.ctx = ctx;
    const since = sinceFor(ctx);
    const data = await bridge.sessions({ since, source: state.source || undefined });
    let list = ((data && data.sessions) || []).map(normSession);
    if (state.wantOpen && !list.some((s) => s.id === state.wantOpen) && state.period !== 'all') {
      state.period = 'all';
      const all = await bridge.sessions({ source: state.source || undefined });
      list = ((all && all.sessions) || []).map(normSession);
    }
    state.list = list;
    const ids = new Set(list.map((s) => s.id));
    for (const id of Array.from(state.selected)) if (!ids.has(id)) state.selected.delete(id);

    if (!state.shell || !container.contains(state.shell)) {
      state.shell = buildShell(ctx);
      replace(container, state.shell);
    } else {
      $('#session-period', state.shell).value = state.period;
    }
    drawTable();
    if (state.wantOpen) {
      const id = state.wantOpen;
      state.wantOpen = null;
      if (ids.has(id)) {
        state.focusId = id;
        drawTable();
        rowFor(id)?.scrollIntoView({ block: 'center' });
        await openDetail(id);
        return;
      }
    }
    if (state.openId) {
      if (ids.has(state.openId)) await drawDetail(false);
      else closeDetail();
    }
  },
};
