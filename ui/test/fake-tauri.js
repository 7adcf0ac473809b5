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
        return Promise.resolve(() => listeners.get(name).delete(cb));
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
