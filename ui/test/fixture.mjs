// Deterministic fixture data for the browser test: raw billed requests ("events") of two tools
// over ~45 days, plus what the Sources/Settings commands return. test/fake-tauri.js turns the
// events into the bridge.md shapes the way the Rust side would.

export const NOW = '2026-03-14T15:30:00.000Z'; // 16:30 in Europe/Berlin
export const TIMEZONE = 'Europe/Berlin';

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROJECTS = ['/home/ada/src/tokenworth', '/home/ada/src/ledger-api', '/home/ada/work/payments-web', '/home/ada/src/dotfiles', '/home/ada/work/search-indexer'];
const BRANCHES = ['main', 'main', 'feat/export', 'fix/flaky-test', 'refactor/store'];
const MODELS = {
  'claude-code': [
    ['claude-sonnet-4-5-20250929', 3, 15, 3.75, 0.3],
    ['claude-opus-4-1-20250805', 15, 75, 18.75, 1.5],
    ['claude-haiku-4-5-20251001', 1, 5, 1.25, 0.1],
  ],
  codex: [
    ['gpt-5-codex', 1.25, 10, 0, 0.125],
    ['gpt-5', 1.25, 10, 0, 0.125],
    ['local-qwen-coder', null, null, null, null], // no known price
  ],
};

function request(r, source, ts, modelIx) {
  const [model, pin, pout, pcw, pcr] = MODELS[source][modelIx];
  const input = Math.floor(50 + r() * 3000);
  const cacheCreate = source === 'claude-code' ? Math.floor(r() * 12000) : 0;
  const cacheRead = Math.floor(5000 + r() * 90000);
  const output = Math.floor(40 + r() * 2500);
  const reasoning = source === 'codex' ? Math.floor(output * r() * 0.6) : 0;
  const total = input + cacheCreate + cacheRead + output;
  const priced = pin !== null;
  const cost = priced ? (input * pin + output * pout + cacheCreate * pcw + cacheRead * pcr) / 1e6 : 0;
  return {
    ts,
    model,
    input_tokens: input,
    cache_creation_tokens: cacheCreate,
    cache_read_tokens: cacheRead,
    output_tokens: output,
    reasoning_tokens: reasoning,
    total_tokens: total,
    cost_usd: cost,
    unpriced_tokens: priced ? 0 : total,
  };
}

// A session: `n` requests starting at `startMs`, spaced 20 s … 6 min.
function session(r, { id, source, project, startMs, n }) {
  const events = [];
  let t = startMs;
  const main = Math.floor(r() * (MODELS[source].length - 1));
  for (let i = 0; i < n; i++) {
    const mix = r() < 0.15 ? (main + 1) % MODELS[source].length : main;
    const ix = source === 'codex' && mix === 2 && r() < 0.7 ? main : mix;
    events.push({ source, session_id: id, project, ...request(r, source, new Date(t).toISOString(), ix) });
    t += Math.floor(20000 + r() * 340000);
  }
  return events;
}

export function makeFixture(seed = 7) {
  const r = rng(seed);
  const now = Date.parse(NOW);
  const events = [];
  const meta = {};
  let k = 0;
  for (let d = 44; d >= 0; d--) {
    const dayStart = now - d * 86400000;
    // the window edges (today, yesterday, 7 and 8 days ago, 30 and 31 days ago) always have usage,
    // so an off-by-one in a window shows up as a wrong sum
    const edge = [1, 6, 7, 29, 30].includes(d);
    const count = d === 0 ? 3 : Math.max(edge ? 1 : 0, Math.floor(r() * 3.2));
    for (let j = 0; j < count; j++) {
      const source = r() < 0.62 ? 'claude-code' : 'codex';
      const id = `${source === 'codex' ? 'cx' : 'cc'}-${String(++k).padStart(3, '0')}-${Math.floor(r() * 1e6).toString(16)}`;
      // today's sessions end before NOW; other days' spread across the (UTC) day
      const startMs = d === 0 ? now - (j + 1) * 2.5 * 3600000 : dayStart - 14 * 3600000 + Math.floor(r() * 12) * 3600000;
      const project = PROJECTS[Math.floor(r() * PROJECTS.length)];
      events.push(...session(r, { id, source, project, startMs, n: 3 + Math.floor(r() * 18) }));
      const commits = r() < 0.45 ? Array.from({ length: 1 + Math.floor(r() * 3) }, (_, c) => ({ hash: Math.floor(r() * 2 ** 52).toString(16).padStart(13, '0') + 'abc1234', message: ['Add CSV export to the daily report', 'Fix off-by-one in cursor resume', 'Refactor the price lookup', 'Document the bridge events'][c % 4], lines_added: Math.floor(r() * 400), lines_removed: Math.floor(r() * 120) })) : [];
      meta[id] = {
        git_branch: BRANCHES[Math.floor(r() * BRANCHES.length)],
        active_ms: Math.floor(60000 + r() * 3000000),
        commits,
        suggested_outcome: commits.length ? 'shipped' : r() < 0.3 ? 'explored' : null,
      };
    }
  }
  // A session across local midnight: 23:40 Berlin yesterday (22:40Z) into today; in UTC it is all
  // yesterday, so only a zone-aware day split puts part of it into "today".
  const late = 'cc-midnight-7f3e1';
  const lateStart = Date.UTC(2026, 2, 13, 22, 40);
  events.push(...session(r, { id: late, source: 'claude-code', project: '/home/ada/src/ledger-api', startMs: lateStart, n: 14 }).map((e, i) => ({ ...e, ts: new Date(lateStart + i * 6 * 60000).toISOString() })));
  meta[late] = { git_branch: 'main', active_ms: 3600000, commits: [], suggested_outcome: null };
  return {
    now: NOW,
    timezone: TIMEZONE,
    events,
    meta,
    tags: {},
    paused: false,
    autostart: false,
    price_overrides: [{ model: 'local-qwen-coder', input: 0.2, output: 0.6 }],
    // issue 13: config.toml's [[budgets]] and [alerts] (defaults when absent), the spike and
    // idle-burn alerts that hold (budget alerts follow from the budgets), and the active 5-hour
    // window (left out: computed from the events at `now`; null: no window open)
    budgets: [],
    holding_extra: [],
    sources: {
      'claude-code': { paths: ['/home/ada/.claude/projects'], paths_not_found: ['/home/ada/.config/claude/projects'], files: 61, skipped_lines: 3 },
      codex: { paths: ['/home/ada/.codex/sessions'], paths_not_found: ['/home/ada/.codex/archived_sessions'], files: 24, skipped_lines: 0 },
      // Sources view: drift, a source turned off, one not readable offline, tools not on this machine
      'gemini-cli': { name: 'Gemini CLI', paths: ['/home/ada/.gemini/tmp'], paths_not_found: [], files: 9, skipped_lines: 0, drift: { unreadable_records: 17, unknown_files: 2, since: '2026-03-09' } },
      opencode: { name: 'OpenCode', enabled: false, paths: ['/home/ada/.local/share/opencode'], paths_not_found: [], files: 0, skipped_lines: 0, extra_paths: ['/mnt/old/opencode'] },
      cursor: { name: 'Cursor', readable: false, unreadable_reason: 'its local logs hold no token counts: not readable offline', paths: ['/home/ada/.config/Cursor/User'], paths_not_found: [], files: 0, skipped_lines: 0 },
      amp: { name: 'Amp', paths: [], paths_not_found: ['/home/ada/.local/share/amp/threads'], files: 0, skipped_lines: 0 },
      cline: { name: 'Cline', paths: [], paths_not_found: ['/home/ada/.config/Code/User/globalStorage/saoudrizwan.claude-dev/tasks'], files: 0, skipped_lines: 0 },
      goose: { name: 'Goose', paths: [], paths_not_found: ['/home/ada/.local/share/goose/sessions'], files: 0, skipped_lines: 0 },
    },
  };
}

export function emptyFixture() {
  const f = makeFixture();
  f.events = [];
  f.meta = {};
  f.sources = {
    'claude-code': { paths: [], paths_not_found: ['/home/ada/.claude/projects', '/home/ada/.config/claude/projects'], files: 0, skipped_lines: 0 },
    codex: { paths: [], paths_not_found: ['/home/ada/.codex/sessions', '/home/ada/.codex/archived_sessions'], files: 0, skipped_lines: 0 },
  };
  return f;
}

// More requests today, as if the tools kept working: appended to a fixture for the live update.
export function addTodayRequests(fx, n = 6, seed = 99) {
  const r = rng(seed);
  const start = Date.parse(fx.now) - 40 * 60000;
  const ev = session(r, { id: 'cc-live-session', source: 'claude-code', project: '/home/ada/src/tokenworth', startMs: start, n });
  fx.events.push(...ev);
  fx.meta['cc-live-session'] = { git_branch: 'feat/live', active_ms: 1800000, commits: [], suggested_outcome: null };
  return ev;
}

// Local calendar date of an instant in a zone (independent of the fake's own helper).
export function localDate(ts, tz) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(ts)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

// What was spent from `first` to `last` (local days, inclusive), optionally for one tool or project.
export function spentBetween(fx, first, last, { source, project } = {}) {
  let c = 0;
  for (const e of fx.events) {
    if (source && e.source !== source) continue;
    if (project && !(e.project === project || e.project.split('/').pop() === project)) continue;
    const d = localDate(e.ts, fx.timezone);
    if (d >= first && d <= last) c += e.cost_usd;
  }
  return c;
}

// Three budgets at known shares of their limits: all tools today at ~85% (near), Codex this ISO
// week (Mon 2026-03-09 … Sun 03-15) at ~125% (over), ledger-api this month at ~40%.
export function withBudgets(fx) {
  const cents = (v) => Math.round(v * 100) / 100;
  fx.budgets = [
    { period: 'daily', limit_usd: cents(spentBetween(fx, '2026-03-14', '2026-03-14') / 0.85), source: null, project: null },
    { period: 'weekly', limit_usd: cents(spentBetween(fx, '2026-03-09', '2026-03-15', { source: 'codex' }) / 1.25), source: 'codex', project: null },
    { period: 'monthly', limit_usd: cents(spentBetween(fx, '2026-03-01', '2026-03-31', { project: 'ledger-api' }) / 0.4), source: null, project: 'ledger-api' },
  ];
  return fx;
}

export const SPIKE_ALERT = { kind: 'spike', key: 'spike:2026-03-14', title: 'Spend spike: $48.20 today', body: '3.4× the median day of the last 14 ($14.10).' };
