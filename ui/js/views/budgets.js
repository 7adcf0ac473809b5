// Settings › Budgets and Alerts (issue 13): the budgets with their current period's spend, an
// add form (the same period, tool and project replaces the limit), and the tray's alert settings.
// Every change goes through the backend (set_budget, remove_budget, set_alerts), which answers
// with the whole `budgets` value; a refusal is shown next to its form and nothing changes.

import * as bridge from '../bridge.js';
import { h } from '../dom.js';
import * as f from '../format.js';
import { sortSources } from './sources.js';
import { PERIODS, ALERT_KINDS, ALERT_NUMBERS, periodLabel, scopeLabel, sameBudget, level, barWidth, readAlerts, sameAlerts } from '../budget.js';

// What survives a redraw (a usage-changed re-query, an action's refresh).
export const ui = {
  draft: { period: 'daily', usd: '', source: '', project: '' }, // the add form as typed
  budgetError: null,
  alerts: null, // the alert form as edited (raw values), null: as saved
  alertsError: null,
  alertsField: null, // the field an alerts error is about
  focus: null, // an element id to focus after the next draw
};

const LEVEL_TEXT = { near: 'Near limit', over: 'Over' };
const pct = (share) => (Number.isFinite(Number(share)) ? `${Math.round(Number(share) * 100)}%` : '—');

// Runs a budgets command; its `budgets` value updates the alert mark, a refusal is kept for the
// form to show. The view is drawn again either way (from what the backend holds).
async function act(ctx, fn, onOk, onError) {
  try {
    const value = await fn();
    if (value && Array.isArray(value.holding)) ctx.setHolding(value.holding);
    onOk(value);
  } catch (e) {
    onError(String(e));
  }
  await ctx.refresh();
}

function usedCell(b) {
  const lv = level(b.used_share);
  const fill = h('span', { class: 'budget-fill' });
  fill.style.setProperty('width', `${barWidth(b.used_share).toFixed(1)}%`);
  return h(
    'td',
    { class: 'budget-used-cell' },
    h(
      'div',
      { class: `budget-used lvl-${lv}` },
      h('span', { class: 'budget-bar', 'aria-hidden': 'true' }, fill, h('span', { class: 'budget-tick' })),
      h('span', { class: 'budget-pct num' }, pct(b.used_share)),
      LEVEL_TEXT[lv] ? h('span', { class: `badge lvl lvl-${lv}`, dataset: { testid: 'budget-level' } }, LEVEL_TEXT[lv]) : null,
    ),
  );
}

function budgetRow(ctx, b, i, list) {
  const scope = scopeLabel(b);
  const lv = level(b.used_share);
  const period = periodLabel(b.period);
  const span = (PERIODS.find((p) => p.id === b.period) || {}).span;
  const over = Number(b.projected_usd) > Number(b.limit_usd);
  return h(
    'tr',
    {
      class: `lvl-${lv}`,
      dataset: { testid: 'budget-row', period: b.period, source: b.source || '', project: b.project || '', limit: b.limit_usd, spent: b.spent_usd, used: b.used_share, projected: b.projected_usd, level: lv },
    },
    h('th', { scope: 'row' }, period, span ? h('span', { class: 'muted small budget-span' }, span) : null),
    h('td', { class: 'budget-scope', title: b.project || undefined }, scope),
    h('td', { class: 'r num' }, f.money(b.limit_usd)),
    h('td', { class: 'r num' }, f.money(b.spent_usd)),
    usedCell(b),
    h('td', { class: ['r num', over ? 'warn-text' : ''], title: over ? 'At this pace the period ends over its limit' : 'At this pace, by the end of the period' }, f.money(b.projected_usd)),
    h(
      'td',
      { class: 'r' },
      h(
        'button',
        {
          type: 'button',
          class: 'btn small',
          id: `budget-rm-${i}`,
          'aria-label': `Remove the ${b.period} budget for ${scope}`,
          onclick: (e) => {
            e.currentTarget.disabled = true;
            // Focus goes to the row that takes this one's place, or to the form.
            ui.focus = i + 1 < list.length ? `budget-rm-${i}` : i > 0 ? `budget-rm-${i - 1}` : 'budget-period';
            act(
              ctx,
              () => bridge.removeBudget(b.period, b.source, b.project),
              () => {
                ui.budgetError = null;
                ctx.toast(`Removed the ${b.period} budget for ${scope}`);
              },
              (m) => {
                ui.budgetError = m;
                ctx.toast(m, 'error');
              },
            );
          },
        },
        'Remove',
      ),
    ),
  );
}

function toolOptions(sources, list) {
  const src = sources && Array.isArray(sources.sources) ? sortSources(sources.sources).filter((s) => s.readable !== false) : [];
  const ids = src.map((s) => s.id);
  // a budget's tool that the list does not hold (an app without `sources`) is still offered
  for (const b of list) if (b.source && !ids.includes(b.source)) ids.push(b.source);
  const name = (id) => {
    const s = src.find((x) => x.id === id);
    return (s && s.name) || f.toolName(id);
  };
  return ids.map((id) => ({ id, name: name(id) }));
}

export function budgetsCard(ctx, value, sources) {
  const title = h('h2', { id: 'budgets-title', tabindex: '-1' }, 'Budgets');
  if (!value || value.error) {
    return h(
      'section',
      { class: 'card', id: 'budgets', 'aria-labelledby': 'budgets-title' },
      h('div', { class: 'card-head' }, title),
      h('div', { class: 'error-box', id: 'budgets-read-error', role: 'alert' }, `Cannot read the budgets: ${value ? value.error : 'no answer'}`),
    );
  }
  const list = Array.isArray(value.budgets) ? value.budgets : [];
  const d = ui.draft;
  const tools = toolOptions(sources, list);
  const table = h(
    'table',
    { class: 'data budgets-table', id: 'budgets-table' },
    h('caption', { class: 'sr-only' }, 'Budgets: limit, spend in the current period, share used and the projection to its end'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'Period'),
        h('th', { scope: 'col' }, 'For'),
        h('th', { scope: 'col', class: 'r' }, 'Limit'),
        h('th', { scope: 'col', class: 'r' }, 'Spent'),
        h('th', { scope: 'col', class: 'budget-used-col' }, 'Used'),
        h('th', { scope: 'col', class: 'r' }, 'Projected'),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')),
      ),
    ),
    h(
      'tbody',
      null,
      list.length
        ? list.map((b, i) => budgetRow(ctx, b, i, list))
        : h('tr', { class: 'empty-row' }, h('td', { colspan: 7, class: 'muted', id: 'budgets-empty' }, 'No budgets yet. Add a daily, weekly or monthly limit below; the tray warns at 80% and 100%.')),
    ),
  );

  const errId = ui.budgetError ? 'budget-error' : undefined;
  const period = h('select', { id: 'budget-period', 'aria-describedby': errId }, PERIODS.map((p) => h('option', { value: p.id, selected: p.id === d.period }, p.label)));
  const usd = h('input', { type: 'number', id: 'budget-usd', min: '0', step: 'any', inputmode: 'decimal', placeholder: '20.00', autocomplete: 'off', 'aria-describedby': errId, 'aria-invalid': ui.budgetError ? 'true' : undefined });
  usd.value = d.usd;
  const source = h('select', { id: 'budget-source', 'aria-describedby': errId }, h('option', { value: '', selected: !d.source }, 'All tools'), tools.map((t) => h('option', { value: t.id, selected: t.id === d.source }, t.name)));
  const project = h('input', { type: 'text', id: 'budget-project', placeholder: 'every project', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': errId });
  project.value = d.project;
  const submit = h('button', { type: 'submit', class: 'btn primary', id: 'budget-add' }, 'Add budget');
  const hint = h('p', { class: 'muted small budget-hint', id: 'budget-hint', 'aria-live': 'polite' });
  // The form says when it replaces a limit rather than adding a budget.
  const sync = () => {
    Object.assign(d, { period: period.value, usd: usd.value, source: source.value, project: project.value.trim() });
    const same = list.find((b) => sameBudget(b, { period: d.period, source: d.source || null, project: d.project || null }));
    submit.textContent = same ? 'Replace limit' : 'Add budget';
    hint.textContent = same
      ? `Replaces the ${same.period} limit of ${f.money(same.limit_usd)} for ${scopeLabel(same)}.`
      : 'Spend is counted in local days, ISO weeks (from Monday) and months. A tool or a project narrows the budget to it.';
  };
  for (const el of [period, source]) el.addEventListener('change', sync);
  for (const el of [usd, project]) el.addEventListener('input', sync);
  sync();

  const form = h(
    'form',
    {
      class: 'budget-form',
      id: 'budget-form',
      novalidate: true,
      'aria-label': 'Add or replace a budget',
      onsubmit: (e) => {
        e.preventDefault();
        sync();
        const amount = d.usd.trim() === '' ? NaN : Number(d.usd);
        if (!Number.isFinite(amount)) {
          ui.budgetError = 'Give the limit in USD, for example 20 or 7.50.';
          ui.focus = 'budget-usd';
          return ctx.refresh();
        }
        const scope = scopeLabel({ source: d.source || null, project: d.project || null });
        const replaced = submit.textContent === 'Replace limit';
        submit.disabled = true;
        ui.focus = 'budget-usd';
        return act(
          ctx,
          () => bridge.setBudget(d.period, amount, d.source || null, d.project || null),
          () => {
            ui.budgetError = null;
            d.usd = '';
            d.project = '';
            ctx.toast(`${replaced ? 'Replaced' : 'Added'} the ${d.period} budget for ${scope}: ${f.money(amount)}`);
          },
          (m) => {
            ui.budgetError = m;
          },
        );
      },
    },
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Period'), period),
    h('label', { class: 'field narrow' }, h('span', { class: 'field-label' }, 'Limit (USD)'), usd),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Tool (optional)'), source),
    h('label', { class: 'field grow' }, h('span', { class: 'field-label' }, 'Project (optional)'), project),
    submit,
  );

  return h(
    'section',
    { class: 'card', id: 'budgets', 'aria-labelledby': 'budgets-title' },
    h('div', { class: 'card-head' }, title, h('span', { class: 'muted small' }, 'USD, for the current day, week or month')),
    h('div', { class: 'table-scroll-x' }, table),
    form,
    ui.budgetError ? h('div', { class: 'error-box form-error', id: 'budget-error', role: 'alert' }, ui.budgetError) : null,
    hint,
  );
}

// The alert form's values as shown: the edit in progress, else what is saved.
function shown(saved) {
  if (ui.alerts) return ui.alerts;
  const v = {};
  for (const k of ALERT_KINDS) v[k.id] = saved[k.id] !== false;
  for (const [k] of ALERT_NUMBERS) v[k] = saved[k] === undefined || saved[k] === null ? '' : String(saved[k]);
  return v;
}

export function alertsCard(ctx, value) {
  if (!value || value.error || !value.alerts) return null;
  const saved = value.alerts;
  const v = shown(saved);
  const inputs = {};
  const err = (k) => (ui.alertsError && ui.alertsField === k ? 'true' : undefined);
  const describedBy = ui.alertsError ? 'alerts-error' : undefined;
  const sw = (id, label) => (inputs[id] = h('input', { type: 'checkbox', class: 'switch', role: 'switch', id: `alert-${id}`, checked: !!v[id], 'aria-label': label }));
  const numId = { spike_factor: 'alert-spike-factor', idle_minutes: 'alert-idle-minutes', idle_burn_usd: 'alert-idle-usd', idle_burn_unpriced_tokens: 'alert-idle-tokens' };
  const num = (key, label, shortLabel, props) => {
    const el = (inputs[key] = h('input', { type: 'number', id: numId[key], inputmode: 'decimal', 'aria-label': label, 'aria-invalid': err(key), 'aria-describedby': describedBy, ...props }));
    el.value = v[key];
    return h('label', { class: 'field narrow' }, h('span', { class: 'field-label', 'aria-hidden': 'true' }, shortLabel), el);
  };
  const save = h('button', { type: 'submit', class: 'btn primary', id: 'alerts-save' }, 'Save alerts');
  const state = h('span', { class: 'muted small', id: 'alerts-state', 'aria-live': 'polite' });
  const read = () => {
    const out = {};
    for (const k of ALERT_KINDS) out[k.id] = inputs[k.id].checked;
    for (const [k] of ALERT_NUMBERS) out[k] = inputs[k].value;
    return out;
  };
  const sync = () => {
    const now = read();
    const parsed = readAlerts(now, saved);
    const changed = !parsed.alerts || !sameAlerts(parsed.alerts, saved);
    ui.alerts = changed ? now : null;
    save.disabled = !changed;
    state.textContent = changed ? 'Unsaved changes' : '';
  };

  const row = (kind, label, help, fields) =>
    h(
      'div',
      { class: 'setting alert-setting', dataset: { kind } },
      h('div', { class: 'setting-text' }, h('label', { class: 'setting-label', for: `alert-${kind}` }, label), h('p', { class: 'muted small' }, help)),
      h('div', { class: 'setting-control alert-control' }, fields, sw(kind, label)),
    );

  const form = h(
    'form',
    {
      id: 'alerts-form',
      novalidate: true,
      'aria-labelledby': 'alerts-title',
      oninput: sync,
      onchange: sync,
      onsubmit: (e) => {
        e.preventDefault();
        const raw = read();
        const parsed = readAlerts(raw, saved);
        if (parsed.error) {
          ui.alerts = raw;
          ui.alertsError = parsed.error;
          ui.alertsField = parsed.field;
          ui.focus = numId[parsed.field];
          return ctx.refresh();
        }
        save.disabled = true;
        ui.focus = 'alerts-save';
        return act(
          ctx,
          () => bridge.setAlerts(parsed.alerts),
          () => {
            ui.alerts = null;
            ui.alertsError = null;
            ui.alertsField = null;
            ui.focus = 'alert-budget';
            ctx.toast('Alert settings saved');
          },
          (m) => {
            ui.alerts = raw;
            ui.alertsError = m;
            ui.alertsField = ALERT_NUMBERS.map(([k]) => k).find((k) => m.includes(k)) || null;
            ui.focus = ui.alertsField ? numId[ui.alertsField] : 'alerts-save';
          },
        );
      },
    },
    h('div', { class: 'card-head' }, h('h2', { id: 'alerts-title' }, 'Alerts'), h('span', { class: 'muted small' }, 'The tray tells you once, the moment one starts to hold')),
    row('budget', 'Budget alerts', 'When a budget reaches 80% of its limit, and again at 100%.', null),
    row('spike', 'Spend spikes', 'When today’s spend passes this many times the median day of the 14 before.', num('spike_factor', 'Spike factor', 'Factor ×', { min: '1', step: 'any' })),
    row(
      'idle_burn',
      'Idle burn',
      'When a running session with no commit and no outcome has cost at least this much (or used this many tokens of models without a price) and has run this many minutes.',
      [num('idle_minutes', 'Idle minutes', 'Minutes', { min: '1', step: '1' }), num('idle_burn_usd', 'Idle burn USD', 'USD', { min: '0', step: 'any' }), num('idle_burn_unpriced_tokens', 'Idle burn unpriced tokens', 'Unpriced tok.', { min: '1', step: '1', class: 'wide-num' })],
    ),
    h('div', { class: 'form-foot' }, save, state),
    ui.alertsError ? h('div', { class: 'error-box form-error', id: 'alerts-error', role: 'alert' }, ui.alertsError) : null,
  );
  sync();
  // A refused save keeps what was typed, so it still differs from what is saved.
  return h('section', { class: 'card alerts-card', id: 'alerts' }, form);
}
