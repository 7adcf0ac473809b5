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

// Subscribes to a backend event ('usage-changed', 'watcher-changed', 'navigate'); the handler
// gets the payload. Returns a function that unsubscribes.
export async function on(name, handler) {
  const t = tauri();
  if (!t.event || typeof t.event.listen !== 'function') return () => {};
  const unlisten = await t.event.listen(name, (e) => handler(e ? e.payload : undefined));
  return typeof unlisten === 'function' ? unlisten : () => {};
}
