// Overview: today / 7 days / 30 days, the current 5-hour window's burn rate, by tool and model,
// and the daily trend.

import * as bridge from '../bridge.js';
import { h, replace } from '../dom.js';
import * as f from '../format.js';
import { stackedBars, wallSeconds, seriesColor } from '../chart.js';
import { emptyState, totalEvents } from './empty.js';
import { windowFigures } from '../budget.js';

const PERIODS = [
  { id: 'today', days: 1, label: 'Today' },
  { id: 'week', days: 7, label: '7 days' },
  { id: 'month', days: 30, label: '30 days' },
];

const state = { period: 'week' };

const T_KEYS = ['input_tokens', 'cache_creation_tokens', 'cache_read_tokens', 'output_tokens', 'reasoning_tokens', 'total_tokens', 'cost_usd', 'unpriced_tokens'];
const zeroT = () => Object.fromEntries(T_KEYS.map((k) => [k, 0]));
function addT(acc, t) {
  if (!t) return acc;
  for (const k of T_KEYS) acc[k] += Number(t[k]) || 0;
  return acc;
}

// Sums the days of [today - days + 1, today], ascending by date, as the CLI's --since would.
export function windowSums(daily, today, days) {
  const from = f.addDays(today, -(days - 1));
  const rows = (daily && daily.days ? daily.days : []).filter((d) => d.date >= from && d.date <= today).sort((a, b) => (a.date < b.date ? -1 : 1));
  const total = zeroT();
  const bySource = {};
  const byModel = {};
  for (const d of rows) {
    addT(total, d.total);
    for (const [src, t] of Object.entries(d.sources || {})) addT((bySource[src] ||= zeroT()), t);
    for (const [m, t] of Object.entries(d.models || {})) addT((byModel[m] ||= zeroT()), t);
  }
  return { total, bySource, byModel, days: rows.length };
}

function statCard(id, label, sums, days) {
  const t = sums.total;
  const avg = days > 1 ? `${f.money(t.cost_usd / days)}/day avg` : null;
  return h(
    'section',
    { class: 'card stat', 'aria-label': label },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value num', id: `${id}-cost`, dataset: { value: t.cost_usd } }, f.money(t.cost_usd)),
    h(
      'div',
      { class: 'stat-sub' },
      h('span', { class: 'num', id: `${id}-tokens`, dataset: { value: t.total_tokens }, title: `${f.integer(t.total_tokens)} tokens` }, `${f.tokens(t.total_tokens)} tokens`),
      avg ? h('span', { class: 'sep', 'aria-hidden': 'true' }, '·') : null,
      avg ? h('span', { class: 'num' }, avg) : null,
    ),
    t.unpriced_tokens > 0 ? h('div', { class: 'unpriced', title: 'Tokens of models without a known price are not in the cost' }, `+ ${f.tokens(t.unpriced_tokens)} unpriced tokens`) : null,
  );
}

// The 5-hour window open now (`overview.active_block`): spent so far, its pace and where that
// pace ends when the window closes. A quiet line when none is open; nothing from an app that
// does not say.
function windowCard(block, tz, today) {
  const w = windowFigures(block);
  if (w === undefined) return null;
  const title = h('h2', { id: 'active-block-title' }, 'Current 5-hour window');
  if (w === null) {
    return h(
      'section',
      { class: 'card window-card quiet', id: 'active-block', dataset: { active: 'false' }, 'aria-labelledby': 'active-block-title' },
      title,
      h('p', { class: 'muted', id: 'no-active-block' }, 'No active window: the next request opens one.'),
    );
  }
  const kv = (label, id, value, text, props = {}) => h('div', { class: 'kv', ...props }, h('dt', null, label), h('dd', { class: 'num', id, dataset: { value } }, text));
  const per = (v, unit, fmt) => (Number.isFinite(v) ? `${fmt(v)}${unit}` : '—');
  const models = w.models.map(f.shortModel);
  return h(
    'section',
    { class: 'card window-card', id: 'active-block', dataset: { active: 'true', start: w.start, end: w.end }, 'aria-labelledby': 'active-block-title' },
    h('div', { class: 'card-head' }, title, h('span', { class: 'muted small', id: 'block-window' }, `${f.timeOrDate(w.start, tz, today)} – ${f.timeOrDate(w.end, tz, today)}`)),
    h(
      'dl',
      { class: 'kvs five' },
      kv('Spent so far', 'block-cost', w.cost, f.money(w.cost)),
      kv('Cost per hour', 'block-rate', w.perHour, per(w.perHour, '/h', f.money)),
      kv('Tokens per minute', 'block-tpm', w.perMinute, per(w.perMinute, '/min', f.tokens)),
      kv('Projected at end', 'block-projected', w.projected, f.money(w.projected), { title: 'The spend when the window closes, if it goes on at this pace' }),
      kv('Ends', 'block-end', w.end, f.timeOrDate(w.end, tz, today), { title: `Local time${tz ? ` in ${tz}` : ''}` }),
    ),
    h(
      'p',
      { class: 'muted small window-meta' },
      Number.isFinite(w.requests) ? `${f.integer(w.requests)} ${w.requests === 1 ? 'request' : 'requests'}` : null,
      models.length ? ` · ${models.join(', ')}` : null,
      w.last ? ` · last request ${f.timeOrDate(w.last, tz, today)}` : null,
      w.unpriced > 0 ? h('span', { class: 'unpriced' }, ` · + ${f.tokens(w.unpriced)} unpriced tokens`) : null,
    ),
  );
}

function shareBar(share, color) {
  const bar = h('span', { class: 'share-fill' });
  bar.style.setProperty('width', `${Math.max(0, Math.min(100, share * 100)).toFixed(1)}%`);
  if (color) bar.style.setProperty('background', color);
  return h('span', { class: 'share', 'aria-hidden': 'true' }, bar);
}

function breakdownTable({ caption, rows, total, kind }) {
  const sorted = rows.sort((a, b) => b.t.cost_usd - a.t.cost_usd || b.t.total_tokens - a.t.total_tokens);
  const denom = total.cost_usd > 0 ? total.cost_usd : 0;
  const tdenom = total.total_tokens || 1;
  return h(
    'table',
    { class: 'data breakdown' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, kind === 'tool' ? 'Tool' : 'Model'), h('th', { scope: 'col', class: 'share-col' }, 'Share'), h('th', { scope: 'col', class: 'r' }, 'Tokens'), h('th', { scope: 'col', class: 'r' }, 'Cost'))),
    h(
      'tbody',
      null,
      sorted.length
        ? sorted.map((r, i) =>
            h(
              'tr',
              kind === 'tool' ? { dataset: { testid: 'tool-row', source: r.key, cost: r.t.cost_usd, tokens: r.t.total_tokens } } : { dataset: { testid: 'model-row', model: r.key, cost: r.t.cost_usd, tokens: r.t.total_tokens } },
              h('th', { scope: 'row', class: 'name', title: r.key }, kind === 'tool' ? h('span', { class: 'swatch' }, '') : null, r.label),
              h('td', { class: 'share-col' }, shareBar(denom ? r.t.cost_usd / denom : r.t.total_tokens / tdenom, kind === 'tool' ? seriesColor(r.key, i) : null)),
              h('td', { class: 'r num', title: f.integer(r.t.total_tokens) }, f.tokens(r.t.total_tokens)),
              h('td', { class: 'r num' }, f.money(r.t.cost_usd), r.t.unpriced_tokens > 0 ? h('span', { class: 'unpriced-mark', title: `plus ${f.integer(r.t.unpriced_tokens)} tokens without a price` }, '+') : null),
            ),
          )
        : h('tr', null, h('td', { colspan: 4, class: 'muted' }, 'No usage in this period.')),
    ),
  );
}

function colorSwatches(root) {
  for (const tr of root.querySelectorAll('tr[data-testid=tool-row]')) {
    const sw = tr.querySelector('.swatch');
    if (sw) sw.style.setProperty('background', seriesColor(tr.dataset.source));
  }
}

export default {
  id: 'overview',
  title: 'Overview',
  async render(container, ctx) {
    const o = await bridge.overview(30);
    ctx.setTimezone(o.timezone, o.today);
    const today = o.today;
    const daily = o.daily || { days: [] };

    if (!daily.days || daily.days.length === 0) {
      const src = await bridge.sources();
      if (totalEvents(src) === 0) {
        replace(container, h('h1', { class: 'view-title' }, 'Overview'), emptyState(src, ctx));
        return;
      }
    }

    const sums = Object.fromEntries(PERIODS.map((p) => [p.id, windowSums(daily, today, p.days)]));
    const sel = PERIODS.find((p) => p.id === state.period) || PERIODS[1];
    const cur = sums[sel.id];

    const seg = h(
      'div',
      { class: 'segmented', role: 'radiogroup', 'aria-label': 'Breakdown period' },
      PERIODS.map((p) =>
        h(
          'button',
          {
            type: 'button',
            role: 'radio',
            id: `period-${p.id}`,
            'aria-checked': String(p.id === sel.id),
            tabindex: p.id === sel.id ? '0' : '-1',
            class: p.id === sel.id ? 'on' : '',
            onclick: () => {
              state.period = p.id;
              ctx.refresh();
            },
            onkeydown: (e) => {
              const i = PERIODS.indexOf(p);
              const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
              if (d) {
                e.preventDefault();
                state.period = PERIODS[(i + d + PERIODS.length) % PERIODS.length].id;
                ctx.refresh().then(() => document.getElementById(`period-${state.period}`)?.focus());
              }
            },
          },
          p.label,
        ),
      ),
    );

    const toolRows = Object.entries(cur.bySource).map(([k, t]) => ({ key: k, label: f.toolName(k), t }));
    const modelRows = Object.entries(cur.byModel).map(([k, t]) => ({ key: k, label: f.shortModel(k), t }));

    // The trend: 30 local days, one stacked bar per day and tool (days without usage are 0).
    const dates = [];
    for (let i = 29; i >= 0; i--) dates.push(f.addDays(today, -i));
    const byDate = new Map((daily.days || []).map((d) => [d.date, d]));
    const tools = Array.from(new Set([...(daily.days || []).flatMap((d) => Object.keys(d.sources || {}))])).sort();
    const hourly = Array.isArray(o.hourly) ? o.hourly : [];

    const trendBox = h('div', { class: 'chart-box', id: 'trend-chart' });
    const hourBox = h('div', { class: 'chart-box', id: 'hourly-chart' });
    const tzLabel = o.timezone ? ` · times in ${o.timezone}` : '';

    replace(
      container,
      h('header', { class: 'view-head' }, h('div', null, h('h1', { class: 'view-title' }, 'Overview'), h('p', { class: 'view-sub' }, `${f.localDay(today)}${tzLabel}`))),
      h('div', { class: 'stats' }, statCard('today', 'Today', sums.today, 1), statCard('week', 'Last 7 days', sums.week, 7), statCard('month', 'Last 30 days', sums.month, 30)),
      windowCard(o.active_block, o.timezone, today),
      h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', null, 'Daily spend'), h('span', { class: 'muted small' }, 'last 30 days, by tool')), trendBox),
      h(
        'div',
        { class: 'card-head section-head' },
        h('h2', null, 'Breakdown'),
        seg,
      ),
      h(
        'div',
        { class: 'grid-2' },
        h('section', { class: 'card', 'aria-label': 'By tool' }, h('h3', { class: 'card-title' }, 'By tool'), breakdownTable({ caption: `Spend by tool, ${sel.label}`, rows: toolRows, total: cur.total, kind: 'tool' })),
        h('section', { class: 'card', 'aria-label': 'By model' }, h('h3', { class: 'card-title' }, 'By model'), breakdownTable({ caption: `Spend by model, ${sel.label}`, rows: modelRows, total: cur.total, kind: 'model' })),
      ),
      sel.id === 'today' ? h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', null, 'Today by hour')), hourly.length ? hourBox : h('p', { class: 'muted' }, 'No usage today yet.')) : null,
    );
    colorSwatches(container);

    stackedBars(trendBox, {
      x: dates.map(wallSeconds),
      layers: tools.map((t) => ({ key: t, label: f.toolName(t), values: dates.map((d) => Number(byDate.get(d)?.sources?.[t]?.cost_usd) || 0) })),
      yFmt: f.money,
      label: 'Daily spend for the last 30 days, stacked by tool',
    });
    if (sel.id === 'today' && hourly.length) {
      const hours = [];
      const first = hourly.map((r) => r.hour).sort()[0];
      const start = wallSeconds(`${today}T00`);
      const lastH = Math.max(...hourly.map((r) => wallSeconds(r.hour)));
      for (let t = Math.min(start, wallSeconds(first)); t <= lastH; t += 3600) hours.push(t);
      const byHour = new Map(hourly.map((r) => [wallSeconds(r.hour), r.total]));
      stackedBars(hourBox, {
        x: hours,
        xUnit: 'hour',
        height: 150,
        layers: [{ key: 'total', label: 'Spend', values: hours.map((t) => Number(byHour.get(t)?.cost_usd) || 0) }],
        yFmt: f.money,
        label: 'Spend per hour today',
      });
    }
  },
};
