// The shell: navigation, the shared context (time zone, "today"), and re-querying the visible
// view after each `usage-changed` event (debounced, without reloading the page).

import * as bridge from './bridge.js';
import { $, $$, h, replace, errorBox } from './dom.js';
import { sweep } from './chart.js';
import { time, dateTime } from './format.js';
import { drawHolding } from './holding.js';
import overview from './views/overview.js';
import sessions from './views/sessions.js';
import outcomes from './views/outcomes.js';
import sources from './views/sources.js';
import settings from './views/settings.js';
import sharing from './views/sharing.js';

const VIEWS = { overview, sessions, outcomes, sources, sharing, settings };
const ORDER = ['overview', 'sessions', 'outcomes', 'sources', 'sharing', 'settings'];

const ctx = {
  timezone: undefined, // the app's configured zone (from the backend), used for every local time
  today: undefined, // "YYYY-MM-DD" in that zone, from the backend (never the browser clock)
  view: 'overview',
  navigate,
  toast,
  refresh: () => run('local'),
  setTimezone(tz, today) {
    if (tz) ctx.timezone = tz;
    if (today) ctx.today = today;
    const note = $('#tz-note');
    if (note && ctx.timezone) note.textContent = ctx.timezone;
  },
  // `any`: whether any log folder exists (left as it was when not given).
  // `error`: why the watcher records nothing now (null once it records again; left as it was
  // when not given).
  setWatch(paused, any, error) {
    watch.paused = paused;
    if (any !== undefined) watch.any = any;
    if (error !== undefined) watch.error = error;
    drawWatch();
  },
  // The alerts that hold, from any `budgets` value a view got (budgets, set_budget, …).
  setHolding(holding) {
    holdingSeq++;
    showHolding(holding);
  },
};

// The sidebar's watcher state. A damaged ledger records nothing, whatever the watcher sees.
const watch = { paused: false, any: undefined, error: null };

function drawWatch() {
  const el = $('#watch-state');
  if (!el) return;
  const damaged = Boolean(ledger.health && ledger.health.damaged);
  const failing = !damaged && !watch.paused && Boolean(watch.error);
  const state = damaged || failing ? 'stopped' : watch.paused ? 'paused' : watch.any === false ? 'idle' : 'watching';
  el.dataset.state = state;
  $('.watch-label', el).textContent = damaged
    ? 'Not recording: ledger damaged'
    : failing
      ? 'Not recording'
      : { paused: 'Paused', idle: 'Not watching', watching: 'Watching logs' }[state];
  if (failing) el.title = String(watch.error);
  else el.removeAttribute('title');
}

// The holding alerts (issue 13): read at start, after usage changes and on `alerts-changed`.
// A read answered after a newer value arrived is dropped.
let holdingSeq = 0;
let holdingTimer = null;
const showHolding = (holding) => drawHolding(holding, () => navigate('settings', { section: 'budgets' }));

function readHolding() {
  const seq = ++holdingSeq;
  bridge
    .budgets()
    .then((b) => {
      if (seq === holdingSeq && b) showHolding(b.holding);
    })
    .catch(() => {}); // an app without budgets: no mark
}

function alertsChanged(p) {
  if (p && Array.isArray(p.holding)) ctx.setHolding(p.holding);
  const fresh = p && Array.isArray(p.new) ? p.new.filter((a) => a && a.title) : [];
  if (fresh.length) toast(fresh.map((a) => a.title).join(' · '), 'warn');
  readHolding();
  if (ctx.view === 'settings') requestRefresh(50, 'alerts-changed');
}

let inflight = null;
let queued = null;
let timer = null;

async function render(reason) {
  const view = VIEWS[ctx.view];
  const container = $('#view');
  try {
    if (!ctx.today) await loadMeta();
    await view.render(container, ctx, reason);
    sweep();
    markUpdated(reason);
  } catch (err) {
    replace(container, h('h1', { class: 'view-title' }, view.title), errorBox(err));
  }
}

async function loadMeta() {
  const o = await bridge.overview(1);
  ctx.setTimezone(o.timezone, o.today);
}

function markUpdated(reason) {
  const el = $('#last-updated');
  const now = new Date();
  el.dataset.value = now.toISOString();
  el.dataset.reason = reason || '';
  el.textContent = `Updated ${time(now.toISOString(), ctx.timezone, true)}`;
}

// Renders the visible view now or, when a render is in flight, once more after it (however many
// requests arrive meanwhile). The promise settles when the render that covers this call is done.
function run(reason) {
  if (inflight) {
    if (!queued) {
      queued = inflight.then(() => {
        queued = null;
        return run(reason);
      });
    }
    return queued;
  }
  inflight = render(reason).finally(() => {
    inflight = null;
  });
  return inflight;
}

function requestRefresh(delay = 100, reason = 'usage-changed') {
  clearTimeout(timer);
  timer = setTimeout(() => {
    ctx.today = undefined; // the day may have rolled over
    run(reason);
  }, delay);
}

// Set once any view was asked for (a click, a key, the tray): the start's own choice then yields.
let chosen = false;

export function navigate(view, opts = {}) {
  if (!VIEWS[view]) return;
  chosen = true;
  const changed = view !== ctx.view;
  ctx.view = view;
  for (const b of $$('.nav-btn')) {
    const on = b.dataset.view === view;
    b.classList.toggle('active', on);
    if (on) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  if (VIEWS[view].prepare) VIEWS[view].prepare(opts);
  if (changed) $('#main').scrollTop = 0;
  document.title = `${VIEWS[view].title} · Tokenworth`;
  return run('navigate');
}

// A damaged ledger (a corrupted page, a cut write-ahead log): the app writes nothing to it and
// offers to put the last good snapshot back, above whatever view is shown.
const ledger = { health: null, confirm: false, busy: false };

async function checkLedger() {
  try {
    ledger.health = await bridge.ledgerHealth();
  } catch {
    return;
  }
  if (!ledger.health || !ledger.health.damaged) ledger.confirm = false;
  drawLedgerBanner();
  drawWatch();
}

function drawLedgerBanner() {
  const old = $('#ledger-banner');
  const hs = ledger.health;
  if (!hs || !hs.damaged) {
    if (old) old.remove();
    return;
  }
  const from = hs.restore_from;
  const snap = from ? (hs.snapshots || []).find((s) => s.path === from) : null;
  const taken = snap ? dateTime(snap.taken, ctx.timezone) : '';
  let offer;
  if (!from) {
    offer = h('p', { id: 'restore-none' }, `There is no sound snapshot to restore from in ${hs.snapshot_dir || 'the snapshot folder'}. `, 'Keep the file as it is; `tokenworth doctor` says what is wrong.');
  } else if (!ledger.confirm) {
    offer = h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn primary', id: 'restore-ledger', dataset: { snapshot: from }, onclick: () => { ledger.confirm = true; drawLedgerBanner(); $('#restore-confirm')?.focus(); } },
        `Restore the snapshot of ${taken}`));
  } else {
    offer = h('div', { id: 'restore-dialog', role: 'alertdialog', 'aria-labelledby': 'restore-confirm-text' },
      h('p', { id: 'restore-confirm-text' },
        `Put back the snapshot of ${taken} (${from})? The damaged ledger is moved aside, not deleted. `,
        'What the logs still hold since the snapshot is read again; tags and notes made since it are not in it.'),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn primary', id: 'restore-confirm', disabled: ledger.busy, onclick: () => restoreNow(from) }, 'Restore'),
        h('button', { type: 'button', class: 'btn', id: 'restore-cancel', onclick: () => { ledger.confirm = false; drawLedgerBanner(); } }, 'Cancel')));
  }
  const el = h('section', { id: 'ledger-banner', class: 'error-box ledger-banner', role: 'alert', dataset: { damaged: hs.damaged } },
    h('strong', null, 'The ledger is damaged: '), String(hs.damaged),
    h('p', null, `Nothing is written to ${hs.database} until it is restored; what it holds is still shown where it can be read.`),
    offer);
  if (old) old.replaceWith(el);
  else $('#main').prepend(el);
}

async function restoreNow(snapshot) {
  ledger.busy = true;
  drawLedgerBanner();
  try {
    const r = await bridge.restoreLedger(snapshot);
    ledger.confirm = false;
    toast(r.kept_aside ? `Restored; the damaged ledger is kept as ${r.kept_aside}` : 'Restored', 'info');
  } catch (err) {
    toast(String(err), 'error');
  } finally {
    ledger.busy = false;
  }
  await checkLedger();
  requestRefresh(50, 'restored');
}

let toastTimer = null;
function toast(message, kind = 'info') {
  const el = $('#toast');
  el.textContent = message;
  el.dataset.kind = kind;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), kind === 'error' || kind === 'warn' ? 6000 : 2600);
}

function wireNav() {
  const buttons = $$('.nav-btn');
  for (const b of buttons) {
    b.addEventListener('click', () => navigate(b.dataset.view));
    b.addEventListener('keydown', (e) => {
      const i = buttons.indexOf(b);
      let j = -1;
      if (e.key === 'ArrowDown' || e.key === 'ArrowRight') j = (i + 1) % buttons.length;
      else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') j = (i - 1 + buttons.length) % buttons.length;
      else if (e.key === 'Home') j = 0;
      else if (e.key === 'End') j = buttons.length - 1;
      if (j >= 0) {
        e.preventDefault();
        buttons[j].focus();
      }
    });
  }
  // Alt+1…6 jumps to a view from anywhere.
  document.addEventListener('keydown', (e) => {
    if (e.altKey && !e.ctrlKey && !e.metaKey && /^[1-6]$/.test(e.key)) {
      e.preventDefault();
      navigate(ORDER[Number(e.key) - 1]);
      $(`#nav-${ORDER[Number(e.key) - 1]}`).focus();
    }
  });
}

// The sidebar's watcher state as the app holds it: whether any log folder exists (from the
// watcher's roots) and the watcher's last error. A ledger the app cannot read (written by a
// newer Tokenworth, say) records nothing either.
function readRoots() {
  bridge
    .sources()
    .then((s) => {
      if (!s || !s.watcher) return;
      const any = (s.watcher.roots || []).some((r) => r.state !== 'missing');
      ctx.setWatch(s.watcher.paused, any, s.last_error === undefined ? undefined : s.last_error);
    })
    // The watcher's own reason (a data folder gone, say) is the better one when there is one.
    .catch((err) => ctx.setWatch(watch.paused, undefined, watch.error || String((err && err.message) || err)));
}

async function start() {
  wireNav();
  if (!bridge.available()) {
    replace($('#view'), h('div', { class: 'error-box', role: 'alert' }, 'This page is the Tokenworth dashboard; open it from the Tokenworth app.'));
    return;
  }
  await bridge.on('usage-changed', () => {
    requestRefresh(100, 'usage-changed');
    clearTimeout(holdingTimer);
    holdingTimer = setTimeout(readHolding, 100);
  });
  await bridge.on('alerts-changed', alertsChanged);
  await bridge.on('watcher-changed', (p) => {
    checkLedger();
    if (p && typeof p.paused === 'boolean') ctx.setWatch(p.paused, undefined, p.error);
    // A watcher (re)started after a restore or a change of sources has its roots only now.
    readRoots();
    if (ctx.view === 'sources') requestRefresh(100, 'watcher-changed');
  });
  // The tray's daily auto-send sent (or failed): the Sharing view shows it.
  await bridge.on('sharing-changed', () => {
    if (ctx.view === 'sharing') requestRefresh(50, 'sharing-changed');
  });
  await bridge.on('navigate', (p) => {
    if (p && p.view) navigate(p.view, { sessionId: p.sessionId });
  });
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => run('theme'));
  readRoots();
  readHolding();
  // The app opens a new window on a view with `#view=<view>&session=<id>` (e.g. "Tag last
  // session…" from the tray); an open window gets a 'navigate' event instead.
  checkLedger();
  // The nav works from the first moment (wireNav above); a view chosen while the listeners were
  // being set up is kept, not replaced by the start view.
  if (chosen) return;
  const hint = new URLSearchParams(location.hash.slice(1));
  const view = hint.get('view');
  if (view && VIEWS[view]) await navigate(view, { sessionId: hint.get('session') || undefined });
  else await navigate('overview');
}

start();
