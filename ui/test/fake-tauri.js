// A stand-in for the Rust side in the browser test: window.__TAURI__ (core.invoke + event.listen)
// implementing the commands of docs/bridge.md from fixture data (raw requests), the way the
// backend aggregates them. Injected before the page's own scripts; the test drives it through
// window.__fakeTauri (setFixture, emit, calls).
(() => {
  const OUTCOMES = ['shipped', 'fixed', 'explored', 'abandoned', 'wasted'];
  const T_KEYS = ['input_tokens', 'cache_creation_tokens', 'cache_read_tokens', 'output_tokens', 'reasoning_tokens', 'total_tokens', 'cost_usd', 'unpriced_tokens'];
  let fx = window.__TW_FIXTURE__ || { events: [], meta: {}, tags: {}, sources: {}, now: new Date().toISOString(), timezone: 'UTC' };
  const listeners = new Map();
  const calls = [];

  const zero = () => Object.fromEntries(T_KEYS.map((k) => [k, 0]));
  const add = (acc, e) => {
    for (const k of T_KEYS) acc[k] += e[k] || 0;
    return acc;
  };
  const partsCache = new Map();
  function local(ts, tz) {
    let f = partsCache.get(tz);
    if (!f) {
      f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' });
      partsCache.set(tz, f);
    }
    const p = Object.fromEntries(f.formatToParts(new Date(ts)).map((x) => [x.type, x.value]));
    return { date: `${p.year}-${p.month}-${p.day}`, hour: `${p.year}-${p.month}-${p.day}T${p.hour}` };
  }
  const addDays = (ymd, n) => {
    const d = new Date(`${ymd}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  };
  const today = () => local(fx.now, fx.timezone).date;
  const inRange = (e, since, until) => {
    const d = local(e.ts, fx.timezone).date;
    return (!since || d >= since) && (!until || d <= until);
  };

  function daily(since, until) {
    const days = new Map();
    const total = zero();
    for (const e of fx.events) {
      if (!inRange(e, since, until)) continue;
      const date = local(e.ts, fx.timezone).date;
      let d = days.get(date);
      if (!d) days.set(date, (d = { date, sources: {}, total: zero(), models: {} }));
      add((d.sources[e.source] ||= zero()), e);
      add((d.models[e.model] ||= zero()), e);
      add(d.total, e);
      add(total, e);
    }
    return { days: Array.from(days.values()).sort((a, b) => (a.date < b.date ? -1 : 1)), total };
  }

  function sessionList({ since, until, source, project } = {}) {
    const by = new Map();
    for (const e of fx.events) {
      if (source && e.source !== source) continue;
      if (project && !(e.project === project || e.project.startsWith(`${project}/`) || e.project.split('/').pop() === project)) continue;
      if (!inRange(e, since, until)) continue;
      const key = `${e.source}\u0000${e.session_id}`;
      let s = by.get(key);
      if (!s) by.set(key, (s = { source: e.source, session_id: e.session_id, project: e.project, start: e.ts, end: e.ts, requests: 0, models: [], ...zero() }));
      if (e.ts < s.start) s.start = e.ts;
      if (e.ts > s.end) s.end = e.ts;
      s.requests++;
      if (!s.models.includes(e.model)) s.models.push(e.model);
      add(s, e);
    }
    const total = zero();
    const sessions = Array.from(by.values())
      .sort((a, b) => (a.start < b.start ? -1 : 1))
      .map((s) => {
        add(total, s);
        const m = fx.meta[s.session_id] || {};
        const tag = fx.tags[s.session_id] || null;
        s.models.sort();
        return { ...s, git_branch: m.git_branch ?? null, active_ms: m.active_ms ?? null, commits: m.commits || [], suggested_outcome: m.suggested_outcome ?? null, outcome: tag ? tag.outcome : null, note: tag ? tag.note ?? null : null, link: tag ? tag.link ?? null : null };
      });
    return { sessions, total };
  }

  function sourcesJson() {
    const ids = Object.keys(fx.sources);
    const list = ids.map((id) => {
      const evs = fx.events.filter((e) => e.source === id);
      const unpriced = {};
      for (const e of evs) if (e.unpriced_tokens) unpriced[e.model] = (unpriced[e.model] || 0) + e.unpriced_tokens;
      const s = fx.sources[id];
      return {
        id,
        name: s.name || { 'claude-code': 'Claude Code', codex: 'Codex' }[id] || id,
        readable: s.readable !== false,
        unreadable_reason: s.unreadable_reason || null,
        enabled: s.enabled !== false,
        paths: s.paths,
        paths_not_found: s.paths_not_found,
        extra_paths: s.extra_paths || [],
        files: s.files,
        events: evs.length,
        skipped_lines: s.skipped_lines,
        unpriced_models: unpriced,
        drift: s.drift || null,
      };
    });
    const roots = [];
    for (const s of list) {
      for (const p of s.paths) roots.push({ source: s.id, path: p, state: s.id === 'codex' ? 'polling' : 'watching', ...(s.id === 'codex' ? { reason: 'inotify watch limit reached' } : {}) });
      for (const p of s.paths_not_found) roots.push({ source: s.id, path: p, state: 'missing' });
    }
    return {
      sources: list,
      data_dir: '/home/ada/.local/share/tokenworth',
      database: '/home/ada/.local/share/tokenworth/ledger.db',
      price_table: 'LiteLLM snapshot 2026-02-20 (bundled)',
      watcher: { paused: !!fx.paused, roots },
      last_scan: fx.events.length ? { at: fx.now, events: 42, bytes: 1832211, duration_ms: 37 } : null,
      last_error: null,
      supported: ['claude-code', 'codex'],
    };
  }

  function settingsJson() {
    const following = !fx.timezone_set;
    return {
      timezone: fx.timezone,
      timezone_source: following ? 'system' : 'config',
      system_timezone: 'Europe/Berlin',
      timezones: ['America/Los_Angeles', 'America/New_York', 'Asia/Tokyo', 'Europe/Berlin', 'Europe/London', 'UTC'],
      data_dir: '/home/ada/.local/share/tokenworth',
      database: '/home/ada/.local/share/tokenworth/ledger.db',
      config_file: '/home/ada/.local/share/tokenworth/config.toml',
      autostart: !!fx.autostart,
      price_overrides: fx.price_overrides || [],
    };
  }

  function outcomesJson({ since, until } = {}) {
    const { sessions } = sessionList({ since, until });
    const rows = new Map();
    const untagged = { sessions: 0, cost_usd: 0, total_tokens: 0 };
    let total = 0;
    let commits = 0;
    for (const s of sessions) {
      total += s.cost_usd;
      commits += s.commits.length;
      if (!s.outcome) {
        untagged.sessions++;
        untagged.cost_usd += s.cost_usd;
        untagged.total_tokens += s.total_tokens;
        continue;
      }
      let r = rows.get(s.outcome);
      if (!r) rows.set(s.outcome, (r = { outcome: s.outcome, sessions: 0, cost_usd: 0, total_tokens: 0, commits: 0 }));
      r.sessions++;
      r.cost_usd += s.cost_usd;
      r.total_tokens += s.total_tokens;
      r.commits += s.commits.length;
    }
    const shipped = rows.get('shipped');
    const review = sessions.filter((s) => !s.outcome).sort((a, b) => b.cost_usd - a.cost_usd).slice(0, 5);
    const idle = sessions.filter((s) => s.active_ms && Date.parse(s.end) - Date.parse(s.start) > 4 * s.active_ms && s.cost_usd > 0.5).slice(0, 4).map((s) => ({ ...s, reason: 'active under a quarter of its span' }));
    return {
      since: since || null,
      until: until || null,
      outcomes: Array.from(rows.values()),
      untagged,
      total: { sessions: sessions.length, cost_usd: total },
      commits,
      cost_per_shipped_session: shipped ? shipped.cost_usd / shipped.sessions : null,
      cost_per_commit: commits ? total / commits : null,
      untagged_share: total ? untagged.cost_usd / total : null,
      review,
      idle_burn: idle,
    };
  }

  // ---- sharing (issue 11): the library's behaviour as far as the view sees it. fx.share holds
  // the membership (null: off), fx.share_fail the failures to answer with, fx.share_received
  // the bodies the "board" got.
  const SHARE_LOG = '/home/ada/.local/share/tokenworth/sharing-log.jsonl';
  const sh = () => (fx.share ||= { settings: null, log: [] });
  const joinedOrThrow = () => {
    const s = sh().settings;
    if (!s) throw 'sharing is off: join a board first (nothing leaves this machine until then)';
    return s;
  };
  const failWith = (op) => {
    const f = (fx.share_fail || {})[op];
    if (f) throw f;
  };
  function checkBoardUrl(url) {
    const u = String(url).trim().replace(/\/+$/, '');
    const m = /^([a-zA-Z]+):\/\/([^/?#]+)/.exec(u);
    if (!m) throw `${JSON.stringify(u)} is not a board address (https://host[:port])`;
    const scheme = m[1].toLowerCase();
    const host = m[2].replace(/:\d+$/, '');
    if (scheme === 'https') return u;
    if (scheme === 'http') {
      if (host === 'localhost' || host.startsWith('127.') || host === '[::1]') return u;
      throw `${JSON.stringify(u)}: refusing plain http:// to a board that is not on this machine; use https://`;
    }
    throw `${JSON.stringify(u)}: the scheme ${JSON.stringify(scheme)} is not https`;
  }
  function shareDays(s, since, until) {
    const t = today();
    const first = [addDays(t, -(s.window_days - 1)), since].filter(Boolean).sort().pop();
    const last = [t, until].filter(Boolean).sort()[0];
    const byDay = new Map();
    const excluded = (p) => s.excluded_projects.some((x) => p === x || p.startsWith(`${x}/`) || p.split('/').pop() === x);
    for (const e of fx.events) {
      if (excluded(e.project)) continue;
      const d = local(e.ts, fx.timezone).date;
      if (d < first || d > last) continue;
      let day = byDay.get(d);
      if (!day) byDay.set(d, (day = { day: d, totals: zero(), tools: new Map(), models: new Map(), outcomes: new Map() }));
      add(day.totals, e);
      add(day.tools.get(e.source) || day.tools.set(e.source, zero()).get(e.source), e);
      add(day.models.get(e.model) || day.models.set(e.model, zero()).get(e.model), e);
      const tag = fx.tags[e.session_id];
      const o = tag ? tag.outcome : 'untagged';
      let od = day.outcomes.get(o);
      if (!od) day.outcomes.set(o, (od = { outcome: o, sessions: new Set(), cost_usd: 0, commits: 0 }));
      od.sessions.add(e.session_id);
      od.cost_usd += e.cost_usd;
    }
    const splits = (m) => Array.from(m.entries()).sort().map(([name, tokens]) => ({ name, tokens }));
    return Array.from(byDay.values())
      .sort((a, b) => (a.day < b.day ? -1 : 1))
      .map((d) => {
        const out = { day: d.day, totals: d.totals };
        if (s.fields.tools) out.tools = splits(d.tools);
        if (s.fields.models) out.models = splits(d.models);
        if (s.fields.outcomes) out.outcomes = Array.from(d.outcomes.values()).map((o) => ({ outcome: o.outcome, sessions: o.sessions.size, cost_usd: o.cost_usd, ...(s.fields.commits ? { commits: o.commits } : {}) }));
        return out;
      });
  }
  function sharePlan(s, since, until) {
    const changed = [];
    let unchanged = 0;
    for (const d of shareDays(s, since, until)) {
      const fp = JSON.stringify(d);
      if (s.sent[d.day] === fp) unchanged++;
      else changed.push([d, fp]);
    }
    const bodies = changed.length ? [JSON.stringify({ days: changed.map(([d]) => d) })] : [];
    return { bodies, changed, unchanged, days: changed.length };
  }
  function shareStatus() {
    const s = sh().settings;
    const base = { queue_error: null, keyring: true, log_file: SHARE_LOG };
    if (!s) return { sharing: false, suggested_alias: 'Quiet Heron', ...base, auto_state: { running: false, next_at: null, retry_at: null, failures: 0, last_error: null, last_ok: null } };
    const plan = sharePlan(s);
    return {
      sharing: true,
      board: s.board,
      team: s.team,
      alias: s.alias,
      member_id: s.member_id,
      device_id: s.device_id,
      token_store: s.token_store,
      auto: s.auto,
      shared: { totals: true, ...s.fields, commits: s.fields.commits && s.fields.outcomes },
      excluded_projects: [...s.excluded_projects],
      window_days: s.window_days,
      sent_days: Object.keys(s.sent).length,
      queued_days: plan.days,
      last_send: s.last_send,
      unchanged_days: plan.unchanged,
      ...base,
      auto_state: fx.share_auto_state || { running: s.auto, next_at: s.auto ? `${addDays(today(), 1)}T23:10:00.000Z` : null, retry_at: null, failures: 0, last_error: null, last_ok: null },
    };
  }
  const shareLog = (request, status, payload, answer) => sh().log.push({ time: fx.now, board: sh().settings.board, request, status, payload, answer });
  const shareCommands = {
    share_status: () => shareStatus(),
    share_join({ url, code, alias }) {
      if (sh().settings) throw `already sharing with ${sh().settings.board} (team ${sh().settings.team}, as ${sh().settings.alias}): leave that board first`;
      code = String(code || '').trim();
      const device = code.startsWith('twd_');
      if (!device && !code.startsWith('twi_')) throw 'that is neither an invite (twi_…) nor a device code (twd_…): ask the board\u2019s admin for an invite';
      if (device && alias) throw 'an alias is for a new member; a device code joins as the member who made it';
      const board = checkBoardUrl(url);
      failWith('join');
      if (board.includes('unreachable')) throw `cannot reach the board at ${board} (Connection Failed: Connect error: Connection refused (os error 111)); nothing was sent or changed`;
      if (code === 'twi_used') throw `the board at ${board} refused (HTTP 410): this invite was already used or has expired; ask the board's admin for a new invite, or Add device on your other machine for a new device code`;
      const s = { board, team: 'demo', member_id: 'mem_1', device_id: device ? 'dev_2' : 'dev_1', alias: device ? 'Amber Otter' : alias || 'Quiet Heron', token_store: fx.share_keyring === false ? 'file' : 'keyring', fields: { outcomes: true, tools: false, models: false, commits: false }, excluded_projects: [], auto: false, window_days: 90, sent: {}, last_send: null };
      sh().settings = s;
      return { board, team: s.team, member_id: s.member_id, device_id: s.device_id, alias: s.alias, token_store: s.token_store, device, token_note: fx.share_keyring === false ? 'the OS keyring refused the token (no Secret Service); the token is kept in /home/ada/.local/share/tokenworth/sharing-token (readable by you only)' : null };
    },
    share_preview({ since, until }) {
      const s = joinedOrThrow();
      failWith('preview');
      const p = sharePlan(s, since, until);
      return { text: p.bodies.map((b) => `${b}\n`).join(''), bodies: p.bodies, days: p.days, unchanged: p.unchanged };
    },
    share_send() {
      const s = joinedOrThrow();
      const p = sharePlan(s);
      const f = (fx.share_fail || {}).send;
      if (f) {
        for (const b of p.bodies) shareLog('PUT /api/v1/days', 0, b, f);
        s.last_send = { time: fx.now, status: f, days: 0 };
        throw f;
      }
      for (const b of p.bodies) {
        (fx.share_received ||= []).push(b);
        shareLog('PUT /api/v1/days', 200, b, '{"stored":1,"replaced":0}');
      }
      for (const [d, fp] of p.changed) s.sent[d.day] = fp;
      s.last_send = { time: fx.now, status: 'ok', days: p.days };
      return { sent: p.days, unchanged: p.unchanged };
    },
    share_withdraw({ since, until }) {
      const s = joinedOrThrow();
      failWith('withdraw');
      let n = 0;
      for (const d of Object.keys(s.sent)) if ((!since || d >= since) && (!until || d <= until)) (delete s.sent[d], n++);
      shareLog(since || until ? `DELETE /api/v1/data?from=${since || '0001-01-01'}&to=${until || '9999-12-31'}` : 'DELETE /api/v1/data', 200, '', `{"deleted_days":${n}}`);
      const was = s.auto;
      s.auto = false;
      (fx.share_withdrawn ||= []).push({ since: since ?? null, until: until ?? null });
      return { deleted: n, auto_was_on: was };
    },
    share_leave() {
      const s = joinedOrThrow();
      failWith('leave');
      const n = Object.keys(s.sent).length;
      shareLog('DELETE /api/v1/membership', 200, '', `{"deleted_days":${n}}`);
      sh().settings = null;
      return { deleted: n };
    },
    share_open() {
      joinedOrThrow();
      failWith('open');
      fx.share_opened = (fx.share_opened || 0) + 1;
      return fx.share_no_browser ? { opened: false, url: `${sh().settings.board}/signin/once-abc` } : { opened: true, url: null };
    },
    share_add_device() {
      joinedOrThrow();
      failWith('add_device');
      return { code: 'twd_FAKE7CODE', expires_in_seconds: 600 };
    },
    share_set_auto({ on }) {
      const s = joinedOrThrow();
      if (typeof on !== 'boolean') throw 'on must be true or false';
      s.auto = on;
      return shareStatus();
    },
    share_set_fields({ outcomes, tools, models, commits, exclude, include }) {
      const s = joinedOrThrow();
      for (const [k, v] of Object.entries({ outcomes, tools, models, commits })) if (v !== undefined) s.fields[k] = !!v;
      for (const p of exclude || []) {
        if (!String(p).trim()) throw 'Exclude needs a project directory or name';
        if (!s.excluded_projects.includes(p.trim())) s.excluded_projects.push(p.trim());
      }
      for (const p of include || []) s.excluded_projects = s.excluded_projects.filter((x) => x !== p.trim());
      return shareStatus();
    },
    share_log: () => ({ entries: sh().log }),
  };

  // ---- the 5-hour window, budgets and alerts (issue 13), as tokenworth-core computes them:
  // report::blocks/burn_at, budget::status/projection and alerts' budget thresholds. The spike
  // and idle-burn alerts that hold come from fx.holding_extra (the test sets them).
  const HOUR = 3600000;
  const BLOCK = 5 * HOUR;
  const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
  function activeBlock() {
    if (fx.active_block !== undefined) return fx.active_block; // the test's own (null: none)
    const now = Date.parse(fx.now);
    let cur = null;
    for (const e of [...fx.events].sort((a, b) => (a.ts < b.ts ? -1 : 1))) {
      const ts = Date.parse(e.ts);
      if (ts > now) break;
      if (!cur || ts >= cur.startMs + BLOCK) cur = { startMs: ts - (ts % HOUR), first: ts, last: ts, requests: 0, models: [], sources: {}, total: zero() };
      cur.last = ts;
      cur.requests++;
      if (!cur.models.includes(e.model)) cur.models.push(e.model);
      add((cur.sources[e.source] ||= zero()), e);
      add(cur.total, e);
    }
    if (!cur || now >= cur.startMs + BLOCK) return null;
    const end = cur.startMs + BLOCK;
    const elapsed = Math.max(Math.min(now, end) - cur.first, 60000);
    const perHour = cur.total.cost_usd / (elapsed / HOUR);
    return {
      start: iso(cur.startMs),
      end: iso(end),
      actual_end: iso(cur.last),
      active: true,
      requests: cur.requests,
      models: cur.models.sort(),
      sources: cur.sources,
      total: cur.total,
      burn: { cost_per_hour: perHour, tokens_per_minute: cur.total.total_tokens / (elapsed / 60000), projected_cost_usd: cur.total.cost_usd + perHour * (Math.max(end - now, 0) / HOUR) },
    };
  }

  const ALERT_DEFAULTS = { budget: true, spike: true, idle_burn: true, spike_factor: 3, idle_minutes: 30, idle_burn_usd: 5, idle_burn_unpriced_tokens: 1000000 };
  const PERIOD_NAMES = ['daily', 'weekly', 'monthly'];
  const offsetFmt = new Map();
  function offsetMs(ms, tz) {
    let f = offsetFmt.get(tz);
    if (!f) offsetFmt.set(tz, (f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })));
    const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
  }
  function midnightMs(ymd, tz) {
    const guess = Date.parse(`${ymd}T00:00:00Z`);
    let ms = guess;
    for (let i = 0; i < 3; i++) ms = guess - offsetMs(ms, tz);
    return ms;
  }
  function periodDays(period, t) {
    if (period === 'daily') return [t, t];
    if (period === 'weekly') {
      const first = addDays(t, -((new Date(`${t}T00:00:00Z`).getUTCDay() + 6) % 7));
      return [first, addDays(first, 6)];
    }
    const first = `${t.slice(0, 8)}01`;
    const d = new Date(`${first}T00:00:00Z`);
    d.setUTCMonth(d.getUTCMonth() + 1);
    return [first, addDays(d.toISOString().slice(0, 10), -1)];
  }
  const projectMatch = (p, want) => p === want || p.startsWith(`${want}/`) || p.split('/').pop() === want;
  function projection(spent, start, end, now) {
    const len = Math.max(end - start, 1);
    const elapsed = Math.max(Math.min(Math.max(now - start, Math.min(HOUR, end - start)), end - start), 1);
    return spent * Math.max(len / elapsed, 1);
  }
  function budgetStatus() {
    const t = today();
    const now = Date.parse(fx.now);
    return (fx.budgets || []).map((b) => {
      const [first, last] = periodDays(b.period, t);
      let spent = 0;
      for (const e of fx.events) {
        if (b.source && e.source !== b.source) continue;
        if (b.project && !projectMatch(e.project, b.project)) continue;
        if (inRange(e, first, last)) spent += e.cost_usd;
      }
      const start = midnightMs(first, fx.timezone);
      const end = midnightMs(addDays(last, 1), fx.timezone);
      return { period: b.period, limit_usd: b.limit_usd, source: b.source ?? null, project: b.project ?? null, spent_usd: spent, used_share: spent / b.limit_usd, projected_usd: projection(spent, start, end, now), first };
    });
  }
  const usd = (v) => `$${v.toFixed(2)}`;
  const alertScope = (b) => (b.source && b.project ? `${b.source} in ${b.project}` : b.source ? b.source : b.project ? `project ${b.project}` : 'all tools');
  function holdingNow() {
    const a = { ...ALERT_DEFAULTS, ...(fx.alerts || {}) };
    const out = [];
    if (a.budget) {
      for (const b of budgetStatus()) {
        const th = b.used_share >= 1 ? 100 : b.used_share >= 0.8 ? 80 : 0;
        if (!th) continue;
        const name = b.period[0].toUpperCase() + b.period.slice(1);
        out.push({
          kind: 'budget',
          key: `budget:${b.period}:${b.source || '*'}:${b.project || '*'}:${b.first}:${th}`,
          title: th === 100 ? `${name} budget spent (${alertScope(b)})` : `${name} budget at 80% (${alertScope(b)})`,
          body: `${usd(b.spent_usd)} of ${usd(b.limit_usd)} spent (${Math.round(b.used_share * 100)}%); ${usd(b.projected_usd)} at this pace by the end of the period.`,
        });
      }
    }
    for (const x of fx.holding_extra || []) if (a[x.kind] !== false) out.push(x);
    return out;
  }
  const budgetsJson = () => ({
    budgets: budgetStatus().map(({ first, ...b }) => b),
    alerts: { ...ALERT_DEFAULTS, ...(fx.alerts || {}) },
    holding: holdingNow(),
  });
  // After a change, the app emits alerts-changed when the set of holding alerts changed.
  function changed(before) {
    const was = new Set(before.map((a) => a.key));
    const now = holdingNow();
    if (now.length !== was.size || now.some((a) => !was.has(a.key))) {
      setTimeout(() => emit('alerts-changed', { holding: now, new: now.filter((a) => !was.has(a.key)) }), 20);
    }
    return budgetsJson();
  }
  const scopeText = (source, project) => (source && project ? `${source} in project ${project}` : source || (project ? `project ${project}` : 'everything'));
  const optText = (v, name) => {
    if (v === null || v === undefined) return null;
    if (typeof v !== 'string') throw `${name} must be a string or null`;
    return v.trim() || null;
  };
  const budgetCommands = {
    budgets: () => budgetsJson(),
    set_budget({ period, usd: amount, source, project }) {
      if (!PERIOD_NAMES.includes(period)) throw `'${period}' is not a period: use daily, weekly or monthly`;
      if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0) throw `${amount} is not an amount in USD`;
      source = optText(source, 'source');
      project = optText(project, 'project');
      if (source && !fx.sources[source]) throw `unknown tool ${source}`;
      if (project && !fx.events.some((e) => projectMatch(e.project, project))) throw `unknown project '${project}': no usage in the ledger was made in it (give its directory or its last path component, as \`--project\` takes it)`;
      const before = holdingNow();
      const list = (fx.budgets ||= []);
      const i = list.findIndex((b) => b.period === period && (b.source ?? null) === source && (b.project ?? null) === project);
      if (i >= 0) list[i] = { ...list[i], limit_usd: amount };
      else list.push({ period, limit_usd: amount, source, project });
      return changed(before);
    },
    remove_budget({ period, source, project }) {
      source = optText(source, 'source');
      project = optText(project, 'project');
      const list = fx.budgets || [];
      const i = list.findIndex((b) => b.period === period && (b.source ?? null) === source && (b.project ?? null) === project);
      if (i < 0) throw `there is no ${period} budget for ${scopeText(source, project)} to remove`;
      const before = holdingNow();
      list.splice(i, 1);
      return changed(before);
    },
    set_alerts({ alerts }) {
      if (!alerts || typeof alerts !== 'object') throw 'alerts must be an object';
      const a = { ...ALERT_DEFAULTS, ...(fx.alerts || {}), ...alerts };
      for (const k of ['budget', 'spike', 'idle_burn']) if (typeof a[k] !== 'boolean') throw `[alerts]: \`${k}\` must be true or false`;
      for (const k of ['idle_minutes', 'idle_burn_unpriced_tokens']) if (!Number.isInteger(a[k]) || a[k] < 0) throw `[alerts]: \`${k}\` must be a whole number`;
      if (!(Number.isFinite(a.spike_factor) && a.spike_factor > 1)) throw '[alerts]: `spike_factor` must be a number above 1';
      if (!(Number.isFinite(a.idle_burn_usd) && a.idle_burn_usd > 0) || a.idle_minutes === 0) throw '[alerts]: `idle_burn_usd` and `idle_minutes` must be more than 0';
      if (a.idle_burn_unpriced_tokens === 0) throw '[alerts]: `idle_burn_unpriced_tokens` must be more than 0';
      const before = holdingNow();
      fx.alerts = a;
      return changed(before);
    },
  };

  const clone = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

  const commands = {
    overview({ days = 30 } = {}) {
      const t = today();
      const hourly = new Map();
      for (const e of fx.events) {
        const l = local(e.ts, fx.timezone);
        if (l.date !== t) continue;
        add((hourly.get(l.hour) || hourly.set(l.hour, zero()).get(l.hour)), e);
      }
      return {
        today: t,
        timezone: fx.timezone,
        daily: daily(addDays(t, -(days - 1)), t),
        hourly: Array.from(hourly.entries()).sort().map(([hour, total]) => ({ hour, total })),
        active_block: activeBlock(),
      };
    },
    sessions: (a) => sessionList(a),
    session_requests({ source, sessionId }) {
      if (!source || !sessionId) throw 'session_requests needs source and sessionId';
      return {
        requests: fx.events
          .filter((e) => e.source === source && e.session_id === sessionId)
          .sort((a, b) => (a.ts < b.ts ? -1 : 1))
          .map(({ ts, model, input_tokens, cache_creation_tokens, cache_read_tokens, output_tokens, reasoning_tokens, total_tokens, cost_usd, unpriced_tokens }) => ({ ts, model, input_tokens, cache_creation_tokens, cache_read_tokens, output_tokens, reasoning_tokens, total_tokens, cost_usd, unpriced_tokens })),
      };
    },
    sources: () => sourcesJson(),
    settings: () => settingsJson(),
    set_timezone({ timezone }) {
      if (timezone === undefined) throw 'missing timezone';
      fx.timezone_set = timezone !== null;
      fx.timezone = timezone || 'Europe/Berlin';
      return settingsJson();
    },
    set_autostart({ enabled }) {
      fx.autostart = !!enabled;
      return settingsJson();
    },
    set_price_override({ model, prices }) {
      if (!model) throw 'model is required';
      fx.price_overrides = (fx.price_overrides || []).filter((p) => p.model !== model);
      if (prices) fx.price_overrides.push({ model, ...prices });
      return settingsJson();
    },
    // config.toml [sources.<id>]: the backend trims paths and drops empty ones; an unknown id fails
    set_source({ id, enabled, paths }) {
      const s = fx.sources[id];
      if (!s) throw `unknown source: ${id}`;
      if (typeof enabled !== 'boolean') throw 'enabled must be true or false';
      if (!Array.isArray(paths)) throw 'paths must be an array';
      if (fx.fail_set_source) throw fx.fail_set_source;
      s.enabled = enabled;
      s.extra_paths = paths.map((p) => String(p).trim()).filter(Boolean);
      return sourcesJson();
    },
    set_paused({ paused }) {
      fx.paused = !!paused;
      return sourcesJson();
    },
    rescan() {
      setTimeout(() => emit('usage-changed', { events: 0, at: new Date().toISOString() }), 30);
      return null;
    },
    tag_sessions({ sessionIds, outcome, note, link }) {
      if (!Array.isArray(sessionIds)) throw 'sessionIds must be an array';
      if (!OUTCOMES.includes(outcome)) throw `unknown outcome: ${outcome}`;
      for (const id of sessionIds) fx.tags[id] = { outcome, note: note ?? null, link: link ?? null };
      return { tagged: sessionIds.length };
    },
    clear_tags({ sessionIds }) {
      let n = 0;
      for (const id of sessionIds) if (fx.tags[id]) (delete fx.tags[id], n++);
      return { cleared: n };
    },
    outcomes: (a) => outcomesJson(a),
    // The real app's ledger checks run against real files (tests/e2e); here the ledger is sound.
    ledger_health: () => ({ database: '/home/me/.local/share/tokenworth/ledger.db', damaged: null, snapshot_dir: null, snapshots: [], restore_from: null, problem: null }),
    ...shareCommands,
    ...budgetCommands,
  };

  function emit(name, payload) {
    for (const cb of listeners.get(name) || []) cb({ event: name, id: 1, payload });
  }

  window.__TAURI__ = {
    core: {
      invoke(cmd, args = {}) {
        calls.push({ cmd, args: clone(args) });
        return new Promise((resolve, reject) => {
          setTimeout(() => {
            const fn = commands[cmd];
            if (!fn) return reject(`Command ${cmd} not found`);
            try {
              resolve(clone(fn(clone(args))));
            } catch (e) {
              reject(typeof e === 'string' ? e : String(e));
            }
          }, 3);
        });
      },
    },
    event: {
      listen(name, cb) {
        if (!listeners.has(name)) listeners.set(name, new Set());
        listeners.get(name).add(cb);
        const off = () => listeners.get(name).delete(cb);
        // A slow start (the real webview's listen calls are round trips) when the test asks for one.
        const delay = window.__TW_LISTEN_DELAY__ || 0;
        return delay ? new Promise((r) => setTimeout(() => r(off), delay)) : Promise.resolve(off);
      },
    },
  };

  window.__fakeTauri = {
    calls,
    emit,
    setFixture(next) {
      fx = next;
    },
    fixture: () => fx,
    call: (cmd, args) => clone(commands[cmd](clone(args || {}))),
  };
})();
