// "Worth it": spend per outcome over a period, cost per shipped session and per commit, the
// untagged share, the most expensive untagged sessions to review, and idle-burn flags.

import * as bridge from '../bridge.js';
import { h, replace } from '../dom.js';
import * as f from '../format.js';
import { OUTCOMES, OUTCOME_LABEL, normOutcomes } from '../model.js';
import { outcomeBadge } from './sessions.js';

const PERIODS = [
  { id: '7', label: '7 days', days: 7 },
  { id: '30', label: '30 days', days: 30 },
  { id: '90', label: '90 days', days: 90 },
  { id: 'all', label: 'All time', days: 0 },
];
const state = { period: '30' };

function metric(id, label, value, raw, sub) {
  return h(
    'section',
    { class: 'card stat small-stat', 'aria-label': label },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value num', id, dataset: raw === undefined ? {} : { value: raw } }, value),
    sub ? h('div', { class: 'stat-sub' }, sub) : null,
  );
}

function sessionList(items, ctx, kind) {
  if (!items.length) return h('p', { class: 'muted small' }, kind === 'idle' ? 'No idle burn flagged in this period.' : 'Nothing left to review: every session in this period is tagged.');
  return h(
    'ul',
    { class: 'review-list', dataset: { testid: kind === 'idle' ? 'idle-list' : 'review-list' } },
    items.map((it) => {
      const s = it.session || it;
      return h(
        'li',
        null,
        h(
          'button',
          { type: 'button', class: 'review-item', dataset: { sessionId: s.id, source: s.source }, onclick: () => ctx.navigate('sessions', { sessionId: s.id }) },
          h(
            'span',
            { class: 'ri-main' },
            h('span', { class: 'ri-proj' }, f.projectName(s.project)),
            h('span', { class: 'muted small' }, `${f.toolName(s.source)} · ${f.dateTime(s.start, ctx.timezone)}${s.branch ? ` · ${s.branch}` : ''}`),
            kind === 'idle' ? h('span', { class: 'ri-reason small' }, it.reason || (it.idleMs !== undefined ? `idle ${f.duration(it.idleMs)}` : 'idle burn')) : null,
          ),
          kind !== 'idle' && s.suggestion && s.suggestion.outcome ? h('span', { class: `badge outcome o-${s.suggestion.outcome} hint`, title: 'suggested outcome' }, `${OUTCOME_LABEL[s.suggestion.outcome] || s.suggestion.outcome}?`) : null,
          h('span', { class: 'ri-cost num' }, f.money(kind === 'idle' && it.idleCost !== undefined ? it.idleCost : s.cost_usd)),
        ),
      );
    }),
  );
}

export default {
  id: 'outcomes',
  title: 'Worth it',
  async render(container, ctx) {
    const p = PERIODS.find((x) => x.id === state.period) || PERIODS[1];
    const since = p.days && ctx.today ? f.addDays(ctx.today, -(p.days - 1)) : undefined;
    const raw = await bridge.outcomes({ since });
    const o = normOutcomes(raw);

    const period = h(
      'label',
      { class: 'field inline' },
      h('span', { class: 'field-label' }, 'Period'),
      h(
        'select',
        {
          id: 'outcomes-period',
          onchange: (e) => {
            state.period = e.target.value;
            ctx.refresh();
          },
        },
        PERIODS.map((x) => h('option', { value: x.id, selected: x.id === p.id }, x.label)),
      ),
    );

    const byName = new Map(o.rows.map((r) => [r.outcome, r]));
    // Every fixed outcome gets a row (0 when absent); unknown ones the backend sends follow.
    const rows = [...OUTCOMES.map((k) => byName.get(k) || { outcome: k, sessions: 0, cost: 0 }), ...o.rows.filter((r) => !OUTCOMES.includes(r.outcome))];
    if (o.untagged) rows.push(o.untagged);
    const maxCost = Math.max(0, ...rows.map((r) => r.cost));
    const shipped = byName.get('shipped');
    const untaggedCost = o.untagged ? o.untagged.cost : undefined;

    const table = h(
      'table',
      { class: 'data outcomes-table' },
      h('caption', { class: 'sr-only' }, `Spend per outcome, ${p.label}`),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Outcome'), h('th', { scope: 'col', class: 'share-col' }, 'Spend'), h('th', { scope: 'col', class: 'r' }, 'Sessions'), h('th', { scope: 'col', class: 'r' }, 'Per session'), h('th', { scope: 'col', class: 'r' }, 'Cost'))),
      h(
        'tbody',
        null,
        rows.map((r) => {
          const fill = h('span', { class: `share-fill o-${r.outcome}` });
          fill.style.setProperty('width', `${maxCost > 0 ? ((r.cost / maxCost) * 100).toFixed(1) : 0}%`);
          return h(
            'tr',
            { dataset: { testid: 'outcome-row', outcome: r.outcome, cost: r.cost, sessions: r.sessions }, class: r.outcome === 'untagged' ? 'untagged' : '' },
            h('th', { scope: 'row' }, outcomeBadge(r.outcome === 'untagged' ? null : r.outcome, 'Untagged')),
            h('td', { class: 'share-col' }, h('span', { class: 'share wide', 'aria-hidden': 'true' }, fill)),
            h('td', { class: 'r num' }, f.integer(r.sessions)),
            h('td', { class: 'r num muted' }, r.sessions ? f.money(r.cost / r.sessions) : '—'),
            h('td', { class: 'r num strong' }, f.money(r.cost)),
          );
        }),
      ),
    );

    const share = o.untaggedShare;
    replace(
      container,
      h(
        'header',
        { class: 'view-head' },
        h('div', null, h('h1', { class: 'view-title' }, 'Worth it'), h('p', { class: 'view-sub' }, 'What the spend bought, by the outcome you tagged')),
        period,
      ),
      h(
        'div',
        { class: 'stats four' },
        metric('outcomes-total', 'Spend', f.money(o.total.cost), o.total.cost, `${f.integer(o.total.sessions)} sessions`),
        metric('cost-per-shipped', 'Per shipped session', o.perShipped !== undefined ? f.money(o.perShipped) : '—', o.perShipped, shipped ? `${f.integer(shipped.sessions)} shipped` : 'none shipped yet'),
        metric('cost-per-commit', 'Per commit', o.perCommit !== undefined ? f.money(o.perCommit) : '—', o.perCommit, o.commits !== undefined ? `${f.integer(o.commits)} commits` : 'no commits linked'),
        metric('untagged-cost', 'Untagged', untaggedCost !== undefined ? f.money(untaggedCost) : '—', untaggedCost, share !== undefined ? `${f.percent(share)} of spend` : null),
      ),
      h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', null, 'Spend by outcome'), h('span', { class: 'muted small' }, p.label)), table),
      h(
        'div',
        { class: 'grid-2' },
        h('section', { class: 'card', 'aria-label': 'Review' }, h('div', { class: 'card-head' }, h('h2', null, 'Most expensive untagged'), h('span', { class: 'muted small' }, 'to review')), sessionList(o.review, ctx, 'review')),
        h('section', { class: 'card', 'aria-label': 'Idle burn' }, h('div', { class: 'card-head' }, h('h2', null, 'Idle burn'), h('span', { class: 'muted small' }, 'spend while little happened')), sessionList(o.idle, ctx, 'idle')),
      ),
    );
  },
};
