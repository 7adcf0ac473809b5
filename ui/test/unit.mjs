// Unit checks of the pure modules (format.js, model.js) in Node: no browser needed.
import assert from 'node:assert/strict';
import * as f from '../js/format.js';
import { normSession, normOutcomes } from '../js/model.js';

import { driftText, sortSources } from '../js/views/sources.js';
import * as bu from '../js/budget.js';

let n = 0;
const t = (name, fn) => {
  fn();
  n++;
  console.log(`  ok  ${name}`);
};

t('money', () => {
  assert.equal(f.money(1234.564), '$1,234.56');
  assert.equal(f.money(0.0042), '$0.0042');
  assert.equal(f.money(0.00042), '$0.00042');
  assert.equal(f.money(0), '$0.00');
  assert.equal(f.money(0.42), '$0.42');
  assert.equal(f.money(-3.5), '-$3.50');
  assert.equal(f.money(undefined), '—');
});
t('tokens', () => {
  assert.equal(f.tokens(950), '950');
  assert.equal(f.tokens(45600), '45.6k');
  assert.equal(f.tokens(456789), '457k');
  assert.equal(f.tokens(999999), '1.0M');
  assert.equal(f.tokens(12345678), '12.3M');
  assert.equal(f.tokens(1.5e9), '1.5B');
});
t('dates in the configured zone', () => {
  // 23:30 UTC is already the next day in Berlin and still the same day in New York
  assert.match(f.dateTime('2026-03-14T23:30:00Z', 'Europe/Berlin'), /Mar 15.*00:30/);
  assert.match(f.dateTime('2026-03-14T23:30:00Z', 'America/New_York'), /Mar 14.*19:30/);
  assert.equal(f.addDays('2026-03-01', -1), '2026-02-28');
  assert.equal(f.addDays('2026-03-29', 1), '2026-03-30'); // DST day in Europe: calendar math only
  assert.equal(f.duration(3900000), '1h 05m');
  assert.equal(f.bytes(1832211), '1.7 MB');
});
t('session: tag spellings', () => {
  const base = { source: 'codex', session_id: 's1', project: '/a/b', start: '2026-03-14T10:00:00.000Z', end: '2026-03-14T10:30:00.000Z', models: ['gpt-5'], total_tokens: 10, cost_usd: 1 };
  assert.equal(normSession({ ...base, outcome: 'shipped', note: 'n' }).outcome, 'shipped');
  assert.equal(normSession({ ...base, tag: { outcome: 'fixed', link: 'L' } }).link, 'L');
  assert.equal(normSession({ ...base, outcome: { outcome: 'wasted', note: 'x' } }).note, 'x');
  assert.equal(normSession(base).outcome, null);
  assert.equal(normSession(base).durationMs, 1800000);
  assert.equal(normSession({ ...base, active_seconds: 90 }).activeMs, 90000);
  assert.equal(normSession({ ...base, gitBranch: 'main' }).branch, 'main');
  assert.deepEqual(normSession({ ...base, suggested_outcome: { outcome: 'shipped', reason: '2 commits' } }).suggestion, { outcome: 'shipped', reason: '2 commits' });
  assert.equal(normSession({ ...base, commits: [{ sha: 'abc', subject: 'm', insertions: 3 }] }).commits[0].lines_added, 3);
});
t('outcomes: array form', () => {
  const o = normOutcomes({ outcomes: [{ outcome: 'shipped', sessions: 2, cost_usd: 4 }], untagged: { sessions: 3, cost_usd: 6 }, commits: 5 });
  assert.equal(o.rows[0].cost, 4);
  assert.equal(o.untagged.cost, 6);
  assert.equal(o.total.cost, 10);
  assert.equal(o.perShipped, 2);
  assert.equal(o.perCommit, 2);
  assert.equal(o.untaggedShare, 0.6);
});
t('outcomes: keyed form, nested totals, missing keys', () => {
  const o = normOutcomes({ outcomes: { shipped: { sessions: [{}, {}, {}], total: { cost_usd: 9 } }, null: { sessions: 1, cost_usd: 1 } } });
  assert.equal(o.rows.find((r) => r.outcome === 'shipped').sessions, 3);
  assert.equal(o.untagged.cost, 1);
  assert.equal(o.perCommit, undefined);
  const empty = normOutcomes({});
  assert.equal(empty.rows.length, 0);
  assert.equal(empty.total.cost, 0);
  assert.deepEqual(empty.review, []);
});
t('drift text', () => {
  assert.equal(driftText({ unreadable_records: 17, unknown_files: 2, since: '2026-03-09' }), 'Format may have changed: 17 unreadable records, 2 unknown files since 2026-03-09');
  assert.equal(driftText({ unreadable_records: 1, unknown_files: 0, since: null }), 'Format may have changed: 1 unreadable record, 0 unknown files');
  assert.equal(driftText(null), '');
});
t('sources order: with files, then found, then the rest', () => {
  const l = [{ id: 'a' }, { id: 'b', paths: ['/x'] }, { id: 'c', files: 3 }, { id: 'd', extra_paths: ['/y'] }, { id: 'e', events: 2 }, { id: 'f', drift: { unreadable_records: 1 } }, { id: 'g' }];
  assert.deepEqual(sortSources(l).map((s) => s.id), ['c', 'e', 'b', 'd', 'f', 'a', 'g']);
});
t('tool names', () => {
  assert.equal(f.toolName('gemini-cli'), 'Gemini CLI');
  assert.equal(f.toolName('roo-code'), 'Roo Code');
  assert.equal(f.toolName('cursor'), 'Cursor');
  assert.equal(f.toolName('brand-new'), 'brand-new');
});
t('budget scope labels', () => {
  assert.equal(bu.scopeLabel({ source: null, project: null }), 'All tools');
  assert.equal(bu.scopeLabel({ source: 'codex', project: null }), 'Codex');
  assert.equal(bu.scopeLabel({ source: null, project: '/home/ada/src/ledger-api' }), 'All tools in ledger-api');
  assert.equal(bu.scopeLabel({ source: 'claude-code', project: 'api' }), 'Claude Code in api');
  assert.equal(bu.periodLabel('weekly'), 'Weekly');
});
t('budget identity: period, tool and project', () => {
  assert.ok(bu.sameBudget({ period: 'daily', source: null, project: null }, { period: 'daily', source: '', project: undefined }));
  assert.ok(!bu.sameBudget({ period: 'daily', source: 'codex', project: null }, { period: 'daily', source: null, project: null }));
  assert.ok(!bu.sameBudget({ period: 'daily', source: null, project: 'api' }, { period: 'weekly', source: null, project: 'api' }));
});
t('budget levels: marked from 80% and from 100%', () => {
  assert.equal(bu.level(0.79999), 'ok');
  assert.equal(bu.level(0.8), 'near');
  assert.equal(bu.level(0.999), 'near');
  assert.equal(bu.level(1), 'over');
  assert.equal(bu.level(2.5), 'over');
  assert.equal(bu.level(undefined), 'ok');
  assert.equal(bu.barWidth(0.5), 50);
  assert.equal(bu.barWidth(1.7), 100);
  assert.equal(bu.barWidth(-1), 0);
});
t('alert settings from the form', () => {
  const raw = { budget: true, spike: false, idle_burn: true, spike_factor: ' 2.5 ', idle_minutes: '45', idle_burn_usd: '7.5', idle_burn_unpriced_tokens: '2000000' };
  assert.deepEqual(bu.readAlerts(raw), { alerts: { budget: true, spike: false, idle_burn: true, spike_factor: 2.5, idle_minutes: 45, idle_burn_usd: 7.5, idle_burn_unpriced_tokens: 2000000 } });
  assert.deepEqual(bu.readAlerts({ ...raw, spike_factor: '' }), { error: 'Spike factor: give a number', field: 'spike_factor' });
  assert.deepEqual(bu.readAlerts({ ...raw, idle_minutes: '12.5' }), { error: 'Idle minutes: give a whole number', field: 'idle_minutes' });
  // ranges are the backend's: a factor of 1 goes through as typed
  assert.equal(bu.readAlerts({ ...raw, spike_factor: '1' }).alerts.spike_factor, 1);
  const saved = bu.readAlerts(raw).alerts;
  assert.ok(bu.sameAlerts(saved, { ...saved }));
  assert.ok(!bu.sameAlerts(saved, { ...saved, spike: true }));
  assert.ok(!bu.sameAlerts(saved, { ...saved, idle_minutes: 30 }));
});
t('holding alerts: list and key', () => {
  assert.deepEqual(bu.holdingList(null), []);
  assert.equal(bu.holdingList([{ kind: 'spike', key: 'a', title: 'A' }, null, {}]).length, 1);
  assert.equal(bu.holdingKey([{ key: 'b' }, { key: 'a' }]), bu.holdingKey([{ key: 'a' }, { key: 'b' }]));
  assert.notEqual(bu.holdingKey([{ key: 'a' }]), bu.holdingKey([{ key: 'a' }, { key: 'c' }]));
});
t('the 5-hour window figures', () => {
  assert.equal(bu.windowFigures(undefined), undefined);
  assert.equal(bu.windowFigures(null), null);
  const w = bu.windowFigures({ start: '2026-03-14T13:00:00Z', end: '2026-03-14T18:00:00Z', actual_end: '2026-03-14T15:20:00Z', active: true, requests: 9, models: ['gpt-5'], total: { cost_usd: 4.5, total_tokens: 90000, unpriced_tokens: 0 }, burn: { cost_per_hour: 2, tokens_per_minute: 600, projected_cost_usd: 9.5 } });
  assert.equal(w.cost, 4.5);
  assert.equal(w.perHour, 2);
  assert.equal(w.perMinute, 600);
  assert.equal(w.projected, 9.5);
  assert.equal(w.requests, 9);
  assert.ok(Number.isNaN(bu.windowFigures({ total: {} }).perHour), 'no burn: not a number, shown as —');
});
t('local dates and times of day in the app zone', () => {
  assert.equal(f.localDate('2026-03-14T23:30:00Z', 'Europe/Berlin'), '2026-03-15');
  assert.equal(f.localDate('2026-03-14T23:30:00Z', 'America/New_York'), '2026-03-14');
  assert.equal(f.timeOrDate('2026-03-14T18:00:00Z', 'Europe/Berlin', '2026-03-14'), '19:00');
  assert.match(f.timeOrDate('2026-03-14T23:30:00Z', 'Europe/Berlin', '2026-03-14'), /Mar 15.*00:30/);
  assert.equal(f.timeOrDate(null, 'UTC', '2026-03-14'), '—');
});
console.log(`unit: ${n} passed`);
