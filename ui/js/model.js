// Reading the backend's session and outcome JSON defensively. The issue-4 keys (tags, commits,
// branch, active time, `outcomes`) are not final, so every reader accepts the spellings that
// are plausible and leaves out what is missing instead of failing.

import { durationBetween } from './format.js';

export const OUTCOMES = ['shipped', 'fixed', 'explored', 'abandoned', 'wasted'];
export const OUTCOME_LABEL = { shipped: 'Shipped', fixed: 'Fixed', explored: 'Explored', abandoned: 'Abandoned', wasted: 'Wasted', untagged: 'Untagged' };

const num = (v) => (v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));
const first = (...vs) => vs.find((v) => v !== undefined && v !== null && v !== '');

function readTag(s) {
  const t = first(s.tag, s.outcome_tag, typeof s.outcome === 'object' ? s.outcome : undefined) || {};
  const outcome = typeof s.outcome === 'string' ? s.outcome : first(t.outcome, t.value);
  return { outcome: outcome || null, note: first(s.note, s.outcome_note, t.note) || null, link: first(s.link, s.outcome_link, t.link, t.url) || null };
}

function readSuggestion(s) {
  const v = first(s.suggested_outcome, s.suggestion);
  if (!v) return null;
  if (typeof v === 'string') return { outcome: v, reason: first(s.suggested_reason, s.suggestion_reason) || null };
  return { outcome: first(v.outcome, v.value) || null, reason: first(v.reason, v.why) || null };
}

function readActiveMs(s) {
  const ms = num(first(s.active_ms, s.active_time_ms));
  if (ms !== undefined) return ms;
  const sec = num(first(s.active_seconds, s.active_secs, s.active_s, typeof s.active_time === 'number' ? s.active_time : undefined));
  if (sec !== undefined) return sec * 1000;
  const min = num(s.active_minutes);
  return min !== undefined ? min * 60000 : undefined;
}

function readCommits(s) {
  const c = first(s.commits, s.git_commits);
  if (!Array.isArray(c)) return [];
  return c.map((x) =>
    typeof x === 'string'
      ? { hash: x, message: '' }
      : { hash: first(x.hash, x.sha, x.id) || '', message: first(x.message, x.subject, x.title) || '', lines_added: num(first(x.lines_added, x.added, x.insertions)), lines_removed: num(first(x.lines_removed, x.removed, x.deletions)), at: first(x.at, x.time, x.date, x.ts) },
  );
}

export function normSession(s) {
  const tag = readTag(s);
  const models = Array.isArray(s.models) ? s.models : s.models && typeof s.models === 'object' ? Object.keys(s.models) : [];
  return {
    raw: s,
    id: String(first(s.session_id, s.id, s.sessionId) ?? ''),
    source: first(s.source, s.tool) || '',
    project: first(s.project, s.cwd) || '',
    start: s.start,
    end: s.end,
    durationMs: durationBetween(s.start, s.end),
    activeMs: readActiveMs(s),
    requests: num(s.requests),
    models,
    total_tokens: num(first(s.total_tokens, s.total && s.total.total_tokens)) || 0,
    cost_usd: num(first(s.cost_usd, s.total && s.total.cost_usd)) || 0,
    unpriced_tokens: num(first(s.unpriced_tokens, s.total && s.total.unpriced_tokens)) || 0,
    input_tokens: num(s.input_tokens),
    output_tokens: num(s.output_tokens),
    cache_creation_tokens: num(s.cache_creation_tokens),
    cache_read_tokens: num(s.cache_read_tokens),
    branch: first(s.git_branch, s.branch, s.gitBranch) || null,
    outcome: tag.outcome,
    note: tag.note,
    link: tag.link,
    commits: readCommits(s),
    suggestion: readSuggestion(s),
    idle: first(s.idle_burn, s.idle, s.idle_flag) || null,
  };
}

// `outcomes` → {rows:[{outcome, sessions, cost, tokens}], untagged:{sessions,cost}, total:{cost,sessions},
// perShipped, perCommit, commits, untaggedShare, review:[session], idle:[{session, reason}]}
export function normOutcomes(o) {
  o = o || {};
  const entryCost = (e) => num(first(e.cost_usd, e.cost, e.spend, e.total && e.total.cost_usd)) ?? 0;
  const entrySessions = (e) => (Array.isArray(e.sessions) ? e.sessions.length : num(first(e.sessions, e.session_count, e.count))) ?? 0;
  const entryTokens = (e) => num(first(e.total_tokens, e.tokens, e.total && e.total.total_tokens));
  const entryCommits = (e) => num(first(e.commits, e.commit_count));

  let entries = [];
  const src = first(o.outcomes, o.by_outcome, o.rows);
  if (Array.isArray(src)) entries = src.map((e) => ({ name: first(e.outcome, e.name, e.tag) ?? 'untagged', e }));
  else if (src && typeof src === 'object') entries = Object.entries(src).map(([k, e]) => ({ name: k, e: typeof e === 'number' ? { cost_usd: e } : e || {} }));

  const rows = [];
  let untagged = null;
  for (const { name, e } of entries) {
    const r = { outcome: name === null || ['', 'none', 'null', 'untagged'].includes(String(name)) ? 'untagged' : String(name), sessions: entrySessions(e), cost: entryCost(e), tokens: entryTokens(e), commits: entryCommits(e) };
    if (r.outcome === 'untagged') untagged = r;
    else rows.push(r);
  }
  const u = first(o.untagged);
  if (u && typeof u === 'object') untagged = { outcome: 'untagged', sessions: entrySessions(u), cost: entryCost(u), tokens: entryTokens(u) };
  else if (num(first(o.untagged_cost_usd, o.untagged_cost)) !== undefined) untagged = { outcome: 'untagged', sessions: num(o.untagged_sessions) ?? 0, cost: num(first(o.untagged_cost_usd, o.untagged_cost)) };
  rows.sort((a, b) => OUTCOMES.indexOf(a.outcome) - OUTCOMES.indexOf(b.outcome));

  const taggedCost = rows.reduce((a, r) => a + r.cost, 0);
  const totalObj = first(o.total, o.totals) || {};
  const totalCost = num(first(typeof totalObj === 'object' ? first(totalObj.cost_usd, totalObj.cost) : totalObj, o.total_cost_usd)) ?? taggedCost + (untagged ? untagged.cost : 0);
  const totalSessions = num(first(totalObj.sessions, o.total_sessions)) ?? rows.reduce((a, r) => a + r.sessions, 0) + (untagged ? untagged.sessions : 0);

  const shipped = rows.find((r) => r.outcome === 'shipped');
  const commits = num(first(o.commits, o.commit_count, o.total_commits, totalObj.commits)) ?? (rows.some((r) => r.commits !== undefined) ? rows.reduce((a, r) => a + (r.commits || 0), 0) : undefined);
  const perShipped = num(first(o.cost_per_shipped_session, o.cost_per_shipped, o.per_shipped_session)) ?? (shipped && shipped.sessions ? shipped.cost / shipped.sessions : undefined);
  const perCommit = num(first(o.cost_per_commit, o.per_commit)) ?? (commits ? totalCost / commits : undefined);
  const untaggedShare = num(first(o.untagged_share, o.untagged_cost_share)) ?? (untagged && totalCost > 0 ? untagged.cost / totalCost : undefined);

  const reviewSrc = first(o.review, o.to_review, o.most_expensive_untagged, o.top_untagged, o.untagged_sessions, u && Array.isArray(u.top) ? u.top : undefined);
  const review = Array.isArray(reviewSrc) ? reviewSrc.map(normSession) : [];
  const idleSrc = first(o.idle_burn, o.idle, o.idle_flags, o.flags);
  const idle = Array.isArray(idleSrc)
    ? idleSrc.map((x) => ({ session: normSession(x.session || x), reason: first(x.reason, x.why, x.flag, typeof x.idle_burn === 'string' ? x.idle_burn : undefined) || null, idleMs: num(first(x.idle_ms, x.idle_seconds !== undefined ? x.idle_seconds * 1000 : undefined)), idleCost: num(first(x.idle_cost_usd, x.idle_cost)) }))
    : [];

  return { since: o.since, until: o.until, rows, untagged, total: { cost: totalCost, sessions: totalSessions }, perShipped, perCommit, commits, untaggedShare, review, idle };
}
