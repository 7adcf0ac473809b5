// Tokenworth team board: the page served at /teams/{team}. A plain ES module, no framework, no
// network other than this origin's JSON API (cookie auth). It runs under a strict CSP
// (script-src/style-src 'self'): no inline scripts or style attributes; sizes go through CSSOM.
//
// Text only ever reaches the DOM through textContent (aliases and names are data, not markup).
// A figure the board withheld is absent from the JSON and so absent from the DOM: it is named in
// the "Not shown" note, never drawn with a placeholder. Every number shown sits in an element with
// data-figure="<path>" and data-value="<the raw JSON number>" (the browser test reads those).

const KIND_ORDER = ['tool', 'model', 'week'];
const KIND_LABEL = { tool: 'Tools', model: 'Models', week: 'Weeks' };
const PERIODS = ['week', 'month'];

const FIGURE_LABEL = {
  outcomes: 'Outcome figures',
  spend: 'Spend distribution',
  me: 'Your figures',
  'outcomes.contributors': 'Members sharing outcomes',
  'outcomes.shipped_sessions': 'Shipped sessions',
  'outcomes.fixed_sessions': 'Fixed sessions',
  'outcomes.cost_per_shipped_usd': 'Cost per shipped session',
  'outcomes.share_abandoned': 'Share of spend on abandoned sessions',
  'outcomes.share_wasted': 'Share of spend on wasted sessions',
  'outcomes.share_untagged': 'Share of spend on untagged sessions',
  'spend.contributors': 'Members with spend',
  'spend.quartiles_usd': 'Spend quartiles',
  'spend.histogram': 'Spend histogram',
  'me.shipped_sessions': 'Your shipped sessions',
  'me.fixed_sessions': 'Your fixed sessions',
  'me.cost_per_shipped_usd': 'Your cost per shipped session',
};

// ---------------------------------------------------------------- DOM helpers

// h('div', {class: 'card', dataset: {value: 1}, onclick: fn}, child, 'text', [more])
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      else if (k === 'dataset') {
        for (const [dk, dv] of Object.entries(v)) if (dv !== undefined && dv !== null) el.dataset[dk] = String(dv);
      } else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'text') el.textContent = v;
      else if (k === 'style') throw new Error('no style attributes under this CSP');
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const has = (o, k) => o !== null && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k) && o[k] !== null && o[k] !== undefined;

// One shown number.
function fig(tag, path, value, text, props = {}) {
  const dataset = { ...(props.dataset || {}), figure: path, value: String(value) };
  return h(tag, { ...props, class: ['num', props.class].filter(Boolean).join(' '), dataset }, text);
}

// ---------------------------------------------------------------- formatting (as ui/js/format.js)

const money2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function money(v) {
  const n = Number(v);
  if (!Number.isFinite(n)) return '?';
  if (n === 0) return '$0.00';
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  if (a < 0.01) {
    const decimals = Math.min(8, Math.max(2, 1 - Math.floor(Math.log10(a))));
    return `${sign}$${a.toFixed(decimals)}`;
  }
  return `${sign}$${money2.format(a)}`;
}

// Bin edges: "$25" when whole, else as money.
function moneyEdge(v) {
  const n = Number(v);
  return Number.isInteger(n) ? `$${int.format(n)}` : money(n);
}

function tokens(v) {
  const n = Number(v);
  if (!Number.isFinite(n)) return '?';
  const a = Math.abs(n);
  for (const [size, suffix] of [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'k']]) {
    if (a >= size * 0.9995) {
      const x = n / size;
      return `${x.toFixed(Math.abs(x) >= 99.95 ? 0 : 1)}${suffix}`;
    }
  }
  return int.format(n);
}

const integer = (v) => int.format(Number(v));

function percent(v) {
  const n = Number(v) * 100;
  return `${n.toFixed(n > 0 && n < 10 ? 1 : 0)}%`;
}

function parseYmd(ymd) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd || '');
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : null;
}

function addDays(ymd, n) {
  const d = parseYmd(ymd);
  if (!d) return ymd;
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

const dayFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
const dayYearFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });

function fmtDay(ymd, withYear = false) {
  const d = parseYmd(ymd);
  if (!d) return String(ymd);
  return (withYear ? dayYearFmt : dayFmt).format(d);
}

function fmtRange(from, to) {
  const sameYear = String(from).slice(0, 4) === String(to).slice(0, 4);
  return `${fmtDay(from, !sameYear)} – ${fmtDay(to, true)}`;
}

function todayLocal() {
  const d = new Date();
  const p = (x) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function getJson(url) {
  let res;
  try {
    res = await fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' } });
  } catch (e) {
    throw new ApiError(0, 'The board server could not be reached.');
  }
  if (!res.ok) {
    let msg = res.statusText || '';
    try {
      const body = await res.json();
      if (body && typeof body.error === 'string') msg = body.error;
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(res.status, msg);
  }
  return res.json();
}

const api = {
  me: () => getJson('/api/v1/me'),
  board: (team, period, date) => {
    const q = new URLSearchParams({ period });
    if (date) q.set('date', date);
    return getJson(`/api/v1/teams/${encodeURIComponent(team)}/board?${q}`);
  },
  review: (team) => getJson(`/api/v1/teams/${encodeURIComponent(team)}/review`),
};

// ---------------------------------------------------------------- state

const state = {
  team: null,
  period: 'week',
  date: null, // any day of the period shown; null = the current period
  board: null,
  me: undefined, // undefined = not asked yet, null = unknown
  review: undefined,
  reviewError: null,
  seq: 0,
};

function teamFromPath() {
  const m = /^\/teams\/([^/]+)\/?$/.exec(location.pathname);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

function readQuery() {
  const q = new URLSearchParams(location.search);
  const p = q.get('period');
  if (PERIODS.includes(p)) state.period = p;
  const d = q.get('date');
  if (d && parseYmd(d)) state.date = d;
}

function writeQuery() {
  const q = new URLSearchParams({ period: state.period });
  if (state.date) q.set('date', state.date);
  history.replaceState(null, '', `${location.pathname}?${q}`);
}

// ---------------------------------------------------------------- sections

function sectionHead(title, sub) {
  return h('div', { class: 'section-head' }, h('h2', null, title), sub ? h('p', { class: 'section-sub' }, sub) : null);
}

function stat(key, label, value, text, cls, sub) {
  return h(
    'section',
    { class: ['card', 'stat', cls], dataset: { stat: key }, 'aria-label': label },
    h('div', { class: 'stat-label' }, label),
    fig('div', key, value, text, { class: 'stat-value' }),
    sub ? h('div', { class: 'stat-sub' }, sub) : null,
  );
}

function outcomesSection(b) {
  const o = b.outcomes || {};
  const cards = [];
  const add = (k, label, fmt, cls, sub) => {
    if (has(o, k)) cards.push(stat(`outcomes.${k}`, label, o[k], fmt(o[k]), cls, sub));
  };
  add('shipped_sessions', 'Shipped sessions', integer, 'o-shipped');
  add('fixed_sessions', 'Fixed sessions', integer, 'o-fixed');
  add('cost_per_shipped_usd', 'Cost per shipped session', money, null);
  add('share_abandoned', 'Spend on abandoned', percent, 'o-abandoned', 'share of spend');
  add('share_wasted', 'Spend on wasted', percent, 'o-wasted', 'share of spend');
  add('share_untagged', 'Spend untagged', percent, 'o-untagged', 'share of spend');
  add('contributors', 'Members sharing outcomes', integer, null);
  return h(
    'section',
    { id: 'outcomes', class: 'board-section', 'aria-labelledby': 'outcomes-title' },
    h('div', { class: 'section-head' }, h('h2', { id: 'outcomes-title' }, 'Outcomes'), h('p', { class: 'section-sub' }, 'What the spend bought, from the members who share their outcome tags')),
    cards.length ? h('div', { class: 'stats' }, cards) : h('p', { class: 'empty-note card' }, 'No outcome figure can be shown for this period; see “Not shown” below.'),
  );
}

function binOf(bins, cost) {
  for (let i = 0; i < bins.length; i++) {
    const b = bins[i];
    if (cost >= b.from_usd && (!has(b, 'to_usd') || cost < b.to_usd)) return i;
  }
  return -1;
}

function histogram(bins, me) {
  const max = Math.max(1, ...bins.map((b) => Number(b.members) || 0));
  const mine = me && has(me, 'cost_usd') ? binOf(bins, me.cost_usd) : -1;
  const cols = bins.map((b, i) => {
    const range = has(b, 'to_usd') ? `${moneyEdge(b.from_usd)}–${moneyEdge(b.to_usd)}` : `${moneyEdge(b.from_usd)}+`;
    const bar = h('div', { class: 'hist-bar' });
    bar.style.height = `${((Number(b.members) / max) * 100).toFixed(1)}%`;
    return h(
      'div',
      {
        class: ['hist-col', b.members === 0 && 'empty', i === mine && 'mine'],
        dataset: { bin: i, fromUsd: b.from_usd, toUsd: has(b, 'to_usd') ? b.to_usd : undefined, mine: i === mine ? 'true' : undefined },
        title: `${integer(b.members)} ${b.members === 1 ? 'member' : 'members'} spent ${range}${i === mine ? ' (you are here)' : ''}`,
      },
      fig('div', `spend.histogram.${i}.members`, b.members, integer(b.members), { class: 'hist-count' }),
      h('div', { class: 'hist-plot', 'aria-hidden': 'true' }, bar),
      h(
        'div',
        { class: 'hist-label' },
        fig('span', `spend.histogram.${i}.from_usd`, b.from_usd, moneyEdge(b.from_usd)),
        has(b, 'to_usd') ? ['–', fig('span', `spend.histogram.${i}.to_usd`, b.to_usd, moneyEdge(b.to_usd))] : '+',
      ),
    );
  });
  return h(
    'figure',
    { class: 'hist-wrap', 'aria-label': 'Members per spend range' },
    h('div', { class: 'hist', id: 'histogram' }, cols),
    h(
      'figcaption',
      { class: 'legend' },
      h('span', null, h('span', { class: 'swatch', 'aria-hidden': 'true' }), 'members per spend range'),
      mine >= 0 ? h('span', null, h('span', { class: 'swatch mine', 'aria-hidden': 'true' }), 'your range') : null,
    ),
  );
}

function whereAmI(me, q) {
  if (!me || !has(me, 'cost_usd') || !Array.isArray(q) || q.length !== 3) return null;
  const c = me.cost_usd;
  let text;
  if (c < q[0]) text = 'Your spend is in the lowest quarter of the team.';
  else if (c < q[1]) text = 'Your spend is below the team median.';
  else if (c <= q[1]) text = 'Your spend is at the team median.';
  else if (c <= q[2]) text = 'Your spend is above the team median.';
  else text = 'Your spend is in the highest quarter of the team.';
  return h('p', { class: 'mine-where', id: 'me-where' }, text);
}

function mineCard(b) {
  const me = b.me;
  const alias = state.me && state.me.alias;
  if (!has(b, 'me')) {
    return h('section', { class: 'card mine-card', id: 'me' }, h('div', { class: 'card-head' }, h('h3', null, 'You')), h('p', { class: 'empty-note' }, 'No figures of yours for this period.'));
  }
  const rows = [];
  const row = (k, label, fmt, title) => {
    if (!has(me, k)) return;
    rows.push(h('dt', null, label), fig('dd', `me.${k}`, me[k], fmt(me[k]), { title }));
  };
  row('cost_usd', 'Spend', money);
  row('total_tokens', 'Tokens', tokens, `${integer(me.total_tokens)} tokens`);
  row('shipped_sessions', 'Shipped sessions', integer);
  row('fixed_sessions', 'Fixed sessions', integer);
  row('cost_per_shipped_usd', 'Cost per shipped session', money);
  return h(
    'section',
    { class: 'card mine-card', id: 'me', 'aria-label': 'Your figures' },
    h('div', { class: 'card-head' }, h('h3', null, 'You'), alias ? h('span', { class: 'muted small', id: 'me-alias' }, alias) : null),
    h('dl', { class: 'mine-list' }, rows),
    whereAmI(me, b.spend && b.spend.quartiles_usd),
    h('p', { class: 'muted small' }, 'Only you see this column.'),
  );
}

function spendSection(b) {
  const s = b.spend || {};
  // The admin signs in without being a member: there are no own figures to put beside the team's.
  const adminOnly = !has(b, 'me') && !!(state.me && state.me.admin && !state.me.member_id);
  const parts = [];
  if (has(s, 'quartiles_usd')) {
    const labels = ['Lower quartile', 'Median', 'Upper quartile'];
    parts.push(
      h(
        'dl',
        { class: 'quartiles', id: 'quartiles' },
        s.quartiles_usd.map((v, i) => h('div', { class: 'kv' }, h('dt', null, labels[i]), fig('dd', `spend.quartiles_usd.${i}`, v, money(v)))),
      ),
    );
  }
  if (has(s, 'histogram') && s.histogram.length) parts.push(histogram(s.histogram, b.me));
  else if (parts.length) parts.push(h('p', { class: 'empty-note small' }, 'The histogram is not shown for this period; see “Not shown” below.'));
  if (!parts.length) parts.push(h('p', { class: 'empty-note' }, 'The spend distribution cannot be shown for this period; see “Not shown” below.'));
  const sub = has(s, 'contributors')
    ? h('span', null, 'Per member over the period, as a distribution — no one is ranked · ', fig('span', 'spend.contributors', s.contributors, integer(s.contributors), { class: 'strong' }), ` ${s.contributors === 1 ? 'member' : 'members'}`)
    : 'Per member over the period, as a distribution — no one is ranked';
  return h(
    'section',
    { id: 'spend', class: 'board-section', 'aria-labelledby': 'spend-title' },
    h('div', { class: 'section-head' }, h('h2', { id: 'spend-title' }, 'Spend'), h('p', { class: 'section-sub' }, sub)),
    h(
      'div',
      { class: ['grid-spend', adminOnly && 'solo'] },
      h('section', { class: 'card', 'aria-label': 'Team spend distribution' }, h('div', { class: 'card-head' }, h('h3', null, 'Team')), parts),
      adminOnly ? null : mineCard(b),
    ),
  );
}

function kindRank(k) {
  const i = KIND_ORDER.indexOf(k);
  return i < 0 ? KIND_ORDER.length : i;
}

// By kind (tool, model, week, then any other alphabetically), then by name. Never by size.
function sortSlices(slices) {
  return [...slices].sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function sliceName(s) {
  if (s.kind === 'tool') return h('span', { class: `tool-tag t-${String(s.name).replace(/[^A-Za-z0-9_-]/g, '_')}` }, s.name);
  if (s.kind === 'week' && parseYmd(s.name)) return `Week of ${fmtDay(s.name, true)}`;
  return s.name;
}

function slicesSection(b) {
  const slices = sortSlices(Array.isArray(b.slices) ? b.slices : []);
  const groups = [];
  for (const s of slices) {
    if (!groups.length || groups[groups.length - 1].kind !== s.kind) groups.push({ kind: s.kind, rows: [] });
    groups[groups.length - 1].rows.push(s);
  }
  const body = groups.length
    ? h(
        'table',
        { class: 'data slices', id: 'slices' },
        h('caption', { class: 'sr-only' }, 'Team spend per tool, model and week, in name order'),
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col', class: 'r' }, 'Members'), h('th', { scope: 'col', class: 'r' }, 'Tokens'), h('th', { scope: 'col', class: 'r' }, 'Cost'))),
        groups.map((g) =>
          h(
            'tbody',
            { dataset: { kind: g.kind } },
            h('tr', { class: 'group' }, h('th', { scope: 'colgroup', colspan: '4' }, KIND_LABEL[g.kind] || g.kind)),
            g.rows.map((s) => {
              const p = `slices.${s.kind}.${s.name}`;
              return h(
                'tr',
                { dataset: { slice: '', kind: s.kind, name: s.name } },
                h('td', { class: 'name' }, sliceName(s)),
                fig('td', `${p}.contributors`, s.contributors, integer(s.contributors), { class: 'r' }),
                fig('td', `${p}.total_tokens`, s.total_tokens, tokens(s.total_tokens), { class: 'r', title: `${integer(s.total_tokens)} tokens` }),
                fig('td', `${p}.cost_usd`, s.cost_usd, money(s.cost_usd), { class: 'r strong' }),
              );
            }),
          ),
        ),
      )
    : h('p', { class: 'empty-note' }, 'No tool, model or week can be shown for this period.');
  return h(
    'section',
    { id: 'slices-section', class: 'board-section', 'aria-labelledby': 'slices-title' },
    h('div', { class: 'section-head' }, h('h2', { id: 'slices-title' }, 'By tool, model and week'), h('p', { class: 'section-sub' }, 'Team totals per slice, in name order')),
    h('div', { class: groups.length ? 'card flush' : 'card' }, body),
  );
}

// The board names a withheld figure by its path (outcomes.shipped_sessions), by its group
// (outcomes, spend) or, for a slice, as kind:name (tool:codex).
function figureLabel(figure) {
  if (FIGURE_LABEL[figure]) return FIGURE_LABEL[figure];
  const m = /^(?:slices?[.:/])?(tool|model|week)[.:/](.+)$/.exec(figure);
  if (m) {
    if (m[1] === 'week' && parseYmd(m[2])) return `Week of ${fmtDay(m[2], true)}`;
    return `${{ tool: 'Tool', model: 'Model', week: 'Week' }[m[1]]} ${m[2]}`;
  }
  if (/^spend\.histogram\b/.test(figure)) return FIGURE_LABEL['spend.histogram'];
  if (/^spend\.quartiles_usd\b/.test(figure)) return FIGURE_LABEL['spend.quartiles_usd'];
  return null;
}

function reasonText(reason, k) {
  if (reason === 'fewer_than_k') return `fewer than ${k} members`;
  if (reason === 'difference_isolates') return 'would single out a member';
  return String(reason);
}

function hiddenSection(b) {
  const hidden = Array.isArray(b.hidden) ? b.hidden : [];
  const k = b.min_group;
  const kEl = has(b, 'min_group') ? fig('span', 'min_group', k, integer(k), { class: 'strong' }) : '?';
  return h(
    'section',
    { id: 'hidden', class: 'card hidden-note', 'aria-labelledby': 'hidden-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'hidden-title' }, 'Not shown'), h('span', { class: 'muted small' }, 'A figure is shown only when at least ', kEl, ' members stand behind it')),
    hidden.length
      ? h(
          'ul',
          { class: 'hidden-list' },
          hidden.map((x) => {
            const label = figureLabel(x.figure);
            return h(
              'li',
              { dataset: { hidden: x.figure, reason: x.reason } },
              h('span', { class: 'what' }, label || x.figure),
              label ? h('code', { class: 'muted' }, x.figure) : null,
              h('span', { class: 'why' }, `— ${reasonText(x.reason, k)}`),
            );
          }),
        )
      : h('p', { class: 'empty-note' }, 'Every figure of this period is shown.'),
  );
}

function reviewSection() {
  let body;
  if (state.reviewError) body = h('p', { class: 'empty-note' }, `The review list could not be loaded: ${state.reviewError}`);
  else if (!state.review || !state.review.length) body = h('p', { class: 'empty-note' }, 'Nothing to review.');
  else {
    const items = [...state.review].sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0));
    body = h(
      'ul',
      { class: 'review-list', id: 'review-list' },
      items.map((it) =>
        h(
          'li',
          { dataset: { review: '', memberId: it.member_id, deviceId: it.device_id, day: it.day } },
          h('span', { class: 'ri-alias' }, it.alias),
          h('span', { class: 'ri-day' }, fmtDay(it.day, true)),
          h('span', { class: 'ri-reasons' }, (Array.isArray(it.reasons) ? it.reasons : []).map((r) => h('span', { class: 'badge warn', dataset: { reason: r } }, r))),
        ),
      ),
    );
  }
  return h(
    'section',
    { id: 'review', class: 'card', 'aria-labelledby': 'review-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'review-title' }, 'Review'), h('span', { class: 'muted small' }, 'Days sent that look wrong; only admins see this list')),
    body,
  );
}

// ---------------------------------------------------------------- page

const $ = (id) => document.getElementById(id);

function setBusy(busy) {
  for (const id of ['prev', 'next', 'period-week', 'period-month']) $(id).disabled = busy;
  if (!busy && state.board) $('next').disabled = !(state.board.to < todayLocal());
}

function renderHeader() {
  for (const p of PERIODS) $(`period-${p}`).setAttribute('aria-pressed', String(p === state.period));
  const noun = state.period === 'month' ? 'month' : 'week';
  $('prev').setAttribute('aria-label', `Previous ${noun}`);
  $('prev').title = `Previous ${noun}`;
  $('next').setAttribute('aria-label', `Next ${noun}`);
  $('next').title = `Next ${noun}`;
  const r = $('range');
  if (state.board) {
    r.textContent = fmtRange(state.board.from, state.board.to);
    r.dataset.from = state.board.from;
    r.dataset.to = state.board.to;
  }
  const who = $('whoami');
  if (state.me) {
    const name = typeof state.me.alias === 'string' && state.me.alias !== '' ? h('span', { class: 'alias', id: 'whoami-alias' }, state.me.alias) : state.me.admin ? h('span', { class: 'alias' }, 'the team’s admin') : null;
    who.replaceChildren();
    append(who, [name ? h('span', null, 'Signed in as') : null, name, state.me.admin ? h('span', { class: 'badge admin' }, 'admin') : null]);
    who.hidden = !name && !state.me.admin;
  } else who.hidden = true;
}

function showError(err) {
  const view = $('view');
  const team = state.team || '';
  let title;
  let text;
  if (err.status === 401) {
    title = 'You are not signed in';
    text = 'This browser has no valid sign-in for the board, or it has expired. Ask Tokenworth for a new sign-in link (it works once, for two minutes) and open it here.';
  } else if (err.status === 403) {
    title = 'Not allowed';
    text = 'Your sign-in does not give access to this board.';
  } else if (err.status === 404) {
    title = team ? `No board for team “${team}”` : 'No such board';
    text = 'The team does not exist, or you are not one of its members.';
  } else if (err.status === 0) {
    title = 'The board is unreachable';
    text = err.message;
  } else {
    title = 'The board could not be loaded';
    text = `The server answered ${err.status}${err.message ? `: ${err.message}` : ''}.`;
  }
  view.dataset.state = 'error';
  view.dataset.error = String(err.status);
  view.replaceChildren(h('div', { class: 'error-box', role: 'alert', id: 'error' }, h('h2', null, title), h('p', null, text)));
}

async function load() {
  const seq = ++state.seq;
  const view = $('view');
  view.dataset.state = 'loading';
  view.setAttribute('aria-busy', 'true');
  setBusy(true);
  renderHeader();
  const mePromise = state.me === undefined ? api.me().then((m) => m, (e) => (e.status === 401 ? Promise.reject(e) : null)) : Promise.resolve(state.me);
  let board;
  try {
    const [b, me] = await Promise.all([api.board(state.team, state.period, state.date), mePromise]);
    board = b;
    state.me = me;
    if (me && me.admin && state.review === undefined) {
      try {
        state.review = await api.review(state.team);
        state.reviewError = null;
      } catch (e) {
        state.reviewError = e.status ? `${e.status} ${e.message}` : e.message;
      }
    }
  } catch (e) {
    if (seq !== state.seq) return;
    view.removeAttribute('aria-busy');
    setBusy(false);
    showError(e instanceof ApiError ? e : new ApiError(-1, String(e && e.message)));
    return;
  }
  if (seq !== state.seq) return;
  state.board = board;
  renderHeader();
  const parts = [outcomesSection(board), spendSection(board), slicesSection(board), hiddenSection(board)];
  if (state.me && state.me.admin) parts.push(reviewSection());
  view.replaceChildren(...parts);
  view.dataset.period = board.period || state.period;
  view.dataset.from = board.from;
  view.dataset.to = board.to;
  delete view.dataset.error;
  view.removeAttribute('aria-busy');
  view.dataset.state = 'ready';
  setBusy(false);
}

function go(change) {
  Object.assign(state, change);
  writeQuery();
  load();
}

function init() {
  state.team = teamFromPath();
  $('team-name').textContent = state.team || '';
  document.title = state.team ? `${state.team} · Tokenworth team board` : 'Tokenworth team board';
  if (!state.team) {
    showError(new ApiError(404, ''));
    return;
  }
  readQuery();
  for (const p of PERIODS) {
    $(`period-${p}`).addEventListener('click', () => {
      if (p !== state.period) go({ period: p });
    });
  }
  $('prev').addEventListener('click', () => state.board && go({ date: addDays(state.board.from, -1) }));
  $('next').addEventListener('click', () => state.board && go({ date: addDays(state.board.to, 1) }));
  load();
}

init();
