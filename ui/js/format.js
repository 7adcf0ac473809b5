// Number, date and duration formatting. Pure functions; the time zone is always passed in
// (the app's configured zone from `overview.timezone` / `settings.timezone`).

const money2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

// $1,234.56; values under a cent keep two significant digits ($0.0042); $0.00 for zero.
export function money(v) {
  const n = Number(v);
  if (!Number.isFinite(n)) return '—';
  if (n === 0) return '$0.00';
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  if (a < 0.01) {
    const decimals = Math.min(8, Math.max(2, 1 - Math.floor(Math.log10(a))));
    return `${sign}$${a.toFixed(decimals)}`;
  }
  return `${sign}$${money2.format(a)}`;
}

// 950, 45.6k, 456k, 12.3M, 1.2B
export function tokens(v) {
  const n = Number(v);
  if (!Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  const units = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, suffix] of units) {
    if (a >= size * 0.9995) {
      const x = n / size;
      const digits = Math.abs(x) >= 99.95 ? 0 : 1;
      return `${x.toFixed(digits)}${suffix}`;
    }
  }
  return int.format(n);
}

export const integer = (v) => (Number.isFinite(Number(v)) ? int.format(Number(v)) : '—');

export function percent(v, digits = 0) {
  const n = Number(v);
  if (!Number.isFinite(n)) return '—';
  return `${(n * 100).toFixed(digits)}%`;
}

const dtfCache = new Map();
function dtf(timeZone, opts) {
  const key = `${timeZone}|${JSON.stringify(opts)}`;
  let f = dtfCache.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(undefined, { ...opts, timeZone: timeZone || undefined });
    } catch {
      f = new Intl.DateTimeFormat(undefined, opts);
    }
    dtfCache.set(key, f);
  }
  return f;
}

function toDate(iso) {
  if (iso === null || iso === undefined || iso === '') return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

// "Mar 14, 09:05" in the app's zone.
export function dateTime(iso, timeZone) {
  const d = toDate(iso);
  if (!d) return '—';
  return dtf(timeZone, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

// The local calendar date "YYYY-MM-DD" of an instant in the app's zone.
export function localDate(iso, timeZone) {
  const d = toDate(iso);
  if (!d) return null;
  const p = Object.fromEntries(dtf(timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

// "20:00" when the instant falls on `today` (the backend's local day), else "Mar 15, 02:00".
export function timeOrDate(iso, timeZone, today) {
  const d = localDate(iso, timeZone);
  if (!d) return '—';
  return d === today ? time(iso, timeZone) : dateTime(iso, timeZone);
}

export function time(iso, timeZone, seconds = false) {
  const d = toDate(iso);
  if (!d) return '—';
  const o = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  if (seconds) o.second = '2-digit';
  return dtf(timeZone, o).format(d);
}

// A local calendar date "YYYY-MM-DD" (no zone conversion) as "Sat, Mar 14".
export function localDay(ymd, withWeekday = true) {
  const d = parseYmd(ymd);
  if (!d) return ymd || '—';
  const o = { month: 'short', day: 'numeric', timeZone: 'UTC' };
  if (withWeekday) o.weekday = 'short';
  return dtf('UTC', o).format(d);
}

export function parseYmd(ymd) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(ymd || '');
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : null;
}

// Calendar arithmetic on "YYYY-MM-DD" strings, independent of any zone.
export function addDays(ymd, n) {
  const d = parseYmd(ymd);
  if (!d) return ymd;
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// 45s, 12m, 1h 05m, 2d 3h
export function duration(ms) {
  const n = Number(ms);
  if (!Number.isFinite(n) || n < 0) return '—';
  const s = Math.round(n / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function durationBetween(startIso, endIso) {
  const a = toDate(startIso);
  const b = toDate(endIso);
  return a && b ? b - a : NaN;
}

// Model names get long ("claude-sonnet-4-5-20250929"); the date suffix adds nothing in a table.
export function shortModel(name) {
  return String(name || '').replace(/-20\d{6}$/, '');
}

export function projectName(path) {
  if (!path) return '—';
  const parts = String(path).split(/[\\/]/).filter(Boolean);
  return parts.length ? parts[parts.length - 1] : String(path);
}

export const TOOL_NAMES = {
  'claude-code': 'Claude Code',
  codex: 'Codex',
  'gemini-cli': 'Gemini CLI',
  'qwen-code': 'Qwen Code',
  opencode: 'OpenCode',
  'copilot-cli': 'Copilot CLI',
  amp: 'Amp',
  cline: 'Cline',
  'roo-code': 'Roo Code',
  'kilo-code': 'Kilo Code',
  'zoo-code': 'Zoo Code',
  goose: 'Goose',
  droid: 'Droid',
  cursor: 'Cursor',
  codebuff: 'Codebuff',
  zcode: 'ZCode',
  grok: 'Grok Build CLI',
  aider: 'Aider',
  antigravity: 'Antigravity',
};
export const toolName = (id) => TOOL_NAMES[id] || id || '—';

// 812 B, 4.2 KB, 1.3 MB, 2.0 GB (powers of 1024)
export function bytes(v) {
  let n = Number(v);
  if (!Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(n >= 100 ? 0 : 1)} ${units[i]}`;
}
