// Budgets, alerts and the 5-hour window (issue 13): pure helpers over the `budgets` value and
// `overview.active_block` (docs/bridge.md). No DOM here, so test/unit.mjs checks them in Node.

import { toolName, projectName } from './format.js';

export const PERIODS = [
  { id: 'daily', label: 'Daily', span: 'today' },
  { id: 'weekly', label: 'Weekly', span: 'this week' },
  { id: 'monthly', label: 'Monthly', span: 'this month' },
];
export const periodLabel = (id) => (PERIODS.find((p) => p.id === id) || { label: id || '—' }).label;

// "All tools", "Codex", "All tools in api", "Codex in api" (the project's last path component).
export function scopeLabel(b) {
  const tool = b && b.source ? toolName(b.source) : 'All tools';
  return b && b.project ? `${tool} in ${projectName(b.project)}` : tool;
}

// A budget is known by its period, tool and project (setting it again replaces the limit).
export const budgetKey = (b) => [b.period, b.source || '', b.project || ''].join('\u0000');
export const sameBudget = (a, b) => budgetKey(a) === budgetKey(b);

// The alerts' thresholds: 'over' from 100% of the limit, 'near' from 80%, else 'ok'.
export function level(share) {
  const n = Number(share);
  if (!Number.isFinite(n)) return 'ok';
  return n >= 1 ? 'over' : n >= 0.8 ? 'near' : 'ok';
}

// The bar's fill, 0…100 (a budget past its limit fills the bar; the text says how far).
export const barWidth = (share) => Math.max(0, Math.min(100, (Number(share) || 0) * 100));

export const ALERT_KINDS = [
  { id: 'budget', label: 'Budget alerts' },
  { id: 'spike', label: 'Spend spikes' },
  { id: 'idle_burn', label: 'Idle burn' },
];

// The alert settings' number fields: [key, label, whole number?].
export const ALERT_NUMBERS = [
  ['spike_factor', 'Spike factor', false],
  ['idle_minutes', 'Idle minutes', true],
  ['idle_burn_usd', 'Idle burn USD', false],
  ['idle_burn_unpriced_tokens', 'Idle burn unpriced tokens', true],
];

// The form's raw values ({budget: bool, …, spike_factor: "3", …}) as the `alerts` object
// set_alerts takes, or {error, field} for what is not a number at all. Ranges (above 1, more
// than 0) are the backend's to judge, so its message is the one shown.
export function readAlerts(values, base = {}) {
  const alerts = { ...base };
  for (const k of ALERT_KINDS) alerts[k.id] = Boolean(values[k.id]);
  for (const [key, label, whole] of ALERT_NUMBERS) {
    const raw = String(values[key] ?? '').trim();
    const n = raw === '' ? NaN : Number(raw);
    if (!Number.isFinite(n)) return { error: `${label}: give a number`, field: key };
    if (whole && !Number.isInteger(n)) return { error: `${label}: give a whole number`, field: key };
    alerts[key] = n;
  }
  return { alerts };
}

export function sameAlerts(a, b) {
  if (!a || !b) return false;
  return ALERT_KINDS.every((k) => Boolean(a[k.id]) === Boolean(b[k.id])) && ALERT_NUMBERS.every(([k]) => Number(a[k]) === Number(b[k]));
}

// The holding alerts as the sidebar's badge and the banner show them; a stable key per set, so a
// banner hidden for one set shows again when the set changes.
export function holdingList(holding) {
  return (Array.isArray(holding) ? holding : []).filter((a) => a && (a.title || a.key));
}
export const holdingKey = (holding) => holdingList(holding).map((a) => a.key || a.title).sort().join('\n');

// The active 5-hour window's figures, `null` when no window is open (`undefined` when the
// backend does not say: an older app, so the card is left out).
export function windowFigures(block) {
  if (block === undefined) return undefined;
  if (!block || typeof block !== 'object') return null;
  const t = block.total || {};
  const burn = block.burn || {};
  const num = (v) => (v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? NaN : Number(v));
  return {
    start: block.start || null,
    end: block.end || null,
    last: block.actual_end || null,
    requests: num(block.requests),
    models: Array.isArray(block.models) ? block.models : [],
    cost: num(t.cost_usd),
    tokens: num(t.total_tokens),
    unpriced: num(t.unpriced_tokens) || 0,
    perHour: num(burn.cost_per_hour),
    perMinute: num(burn.tokens_per_minute),
    projected: num(burn.projected_cost_usd),
  };
}
