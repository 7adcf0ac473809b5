// The one module that talks to the Rust side (docs/bridge.md). Nothing else in ui/ may touch
// window.__TAURI__: views call these functions and get plain JSON back. A rejected promise
// carries the backend's message as a string, which the UI shows as is.

function tauri() {
  const t = window.__TAURI__;
  if (!t || !t.core || typeof t.core.invoke !== 'function') {
    throw new Error('Not running inside the Tokenworth app (window.__TAURI__ is missing).');
  }
  return t;
}

export function available() {
  try {
    tauri();
    return true;
  } catch {
    return false;
  }
}

async function call(command, args = {}) {
  try {
    return await tauri().core.invoke(command, args);
  } catch (err) {
    throw typeof err === 'string' ? err : err && err.message ? err.message : String(err);
  }
}

// Drops undefined/empty optional arguments so the backend sees "absent", not "".
function compact(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v !== undefined && v !== null && v !== '') out[k] = v;
  }
  return out;
}

export const overview = (days = 30) => call('overview', { days });
export const sessions = ({ since, until, source, project } = {}) =>
  call('sessions', compact({ since, until, source, project }));
export const sessionRequests = (source, sessionId) => call('session_requests', { source, sessionId });
export const sources = () => call('sources', {});
export const settings = () => call('settings', {});
export const setTimezone = (timezone) => call('set_timezone', { timezone: timezone || null });
export const setAutostart = (enabled) => call('set_autostart', { enabled: !!enabled });
export const setPriceOverride = (model, prices) => call('set_price_override', { model, prices: prices || null });
export const setSource = (id, enabled, paths) => call('set_source', { id, enabled: !!enabled, paths: (paths || []).map(String) });
export const setPaused = (paused) => call('set_paused', { paused: !!paused });
export const rescan = () => call('rescan', {});
export const tagSessions = (sessionIds, outcome, note, link) =>
  call('tag_sessions', { sessionIds, outcome, ...compact({ note, link }) });
export const clearTags = (sessionIds) => call('clear_tags', { sessionIds });
export const outcomes = ({ since, until } = {}) => call('outcomes', compact({ since, until }));
// The ledger's health and restoring a snapshot (issue 14).
export const ledgerHealth = () => call('ledger_health', {});
export const restoreLedger = (snapshot) => call('restore_ledger', compact({ snapshot }));

// Budgets and alerts (issue 13). Each returns the whole `budgets` value
// ({budgets, alerts, holding}); `source`/`project` null means every tool / every project.
export const budgets = () => call('budgets', {});
export const setBudget = (period, usd, source, project) =>
  call('set_budget', { period, usd: Number(usd), source: source || null, project: project || null });
export const removeBudget = (period, source, project) => call('remove_budget', { period, source: source || null, project: project || null });
export const setAlerts = (alerts) => call('set_alerts', { alerts });

// Sharing with a team board (issue 11). Only join, send, withdraw, leave, open and add-device
// reach the network, and only once joined; the others read local files and the ledger.
export const shareStatus = () => call('share_status', {});
export const shareJoin = (url, code, alias) => call('share_join', { url: String(url || ''), code: String(code || ''), ...compact({ alias }) });
export const sharePreview = ({ since, until } = {}) => call('share_preview', compact({ since, until }));
export const shareSend = () => call('share_send', {});
export const shareWithdraw = ({ since, until } = {}) => call('share_withdraw', compact({ since, until }));
export const shareLeave = () => call('share_leave', {});
export const shareOpen = () => call('share_open', {});
export const shareAddDevice = () => call('share_add_device', {});
export const shareSetAuto = (on) => call('share_set_auto', { on: !!on });
export const shareSetFields = (changes) => call('share_set_fields', changes || {});
export const shareLog = () => call('share_log', {});

// Subscribes to a backend event ('usage-changed', 'watcher-changed', 'navigate', 'sharing-changed',
// 'alerts-changed'); the handler gets the payload. Returns a function that unsubscribes.
export async function on(name, handler) {
  const t = tauri();
  if (!t.event || typeof t.event.listen !== 'function') return () => {};
  const unlisten = await t.event.listen(name, (e) => handler(e ? e.payload : undefined));
  return typeof unlisten === 'function' ? unlisten : () => {};
}
