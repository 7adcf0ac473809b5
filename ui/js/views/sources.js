// Sources: per tool, where it looked, what it read and skipped, unpriced models, watcher state.

import * as bridge from '../bridge.js';
import { h, replace } from '../dom.js';
import * as f from '../format.js';

/** A button that asks the backend for a scan now (Sources, and the empty state). */
export function rescanButton(ctx, id, label, started) {
  const btn = h(
    'button',
    {
      type: 'button',
      class: 'btn primary',
      id,
      onclick: async () => {
        btn.disabled = true;
        try {
          await bridge.rescan();
          ctx.toast(started);
        } catch (e) {
          ctx.toast(String(e), 'error');
        } finally {
          btn.disabled = false;
        }
      },
    },
    label,
  );
  return btn;
}

const STATE_LABEL = { watching: 'watching', polling: 'polling', missing: 'missing' };

function rootState(watcher, source, path) {
  const roots = (watcher && watcher.roots) || [];
  return roots.find((r) => r.source === source && r.path === path) || null;
}

function sourceCard(s, watcher) {
  const unpriced = Object.entries(s.unpriced_models || {}).sort((a, b) => b[1] - a[1]);
  const paths = s.paths || [];
  const notFound = s.paths_not_found || [];
  // Watcher roots for this source that the paths list does not name (e.g. a parent directory).
  const extraRoots = ((watcher && watcher.roots) || []).filter((r) => r.source === s.id && !paths.includes(r.path) && !notFound.includes(r.path));
  const pathRow = (p, found) => {
    const r = rootState(watcher, s.id, p);
    const st = r ? r.state : found ? null : 'missing';
    return h(
      'li',
      { class: ['path', found ? 'found' : 'missing'], dataset: { state: st || '' } },
      h('span', { class: `state-pill s-${st || 'none'}`, title: r && r.reason ? r.reason : '' }, st ? STATE_LABEL[st] || st : found ? 'found' : 'not found'),
      h('code', { title: p }, p),
      r && r.reason ? h('span', { class: 'muted small reason' }, r.reason) : null,
    );
  };
  return h(
    'section',
    { class: 'card source-card', dataset: { testid: 'source-card', source: s.id } },
    h('div', { class: 'card-head' }, h('h2', null, f.toolName(s.id)), h('code', { class: 'muted small' }, s.id)),
    h(
      'dl',
      { class: 'kvs four' },
      h('div', { class: 'kv' }, h('dt', null, 'Events'), h('dd', { class: 'num', dataset: { value: s.events } }, f.integer(s.events))),
      h('div', { class: 'kv' }, h('dt', null, 'Files'), h('dd', { class: 'num', dataset: { value: s.files } }, f.integer(s.files))),
      h('div', { class: ['kv', Number(s.skipped_lines) > 0 && 'warn'] }, h('dt', null, 'Skipped lines'), h('dd', { class: 'num', dataset: { value: s.skipped_lines } }, f.integer(s.skipped_lines))),
      h('div', { class: ['kv', unpriced.length > 0 && 'warn'] }, h('dt', null, 'Unpriced models'), h('dd', { class: 'num' }, f.integer(unpriced.length))),
    ),
    h('h3', { class: 'sub-title' }, 'Locations'),
    h('ul', { class: 'path-list' }, paths.map((p) => pathRow(p, true)), notFound.map((p) => pathRow(p, false)), extraRoots.map((r) => pathRow(r.path, r.state !== 'missing')), !paths.length && !notFound.length && !extraRoots.length ? h('li', { class: 'muted' }, 'No locations.') : null),
    unpriced.length
      ? [
          h('h3', { class: 'sub-title' }, 'Models without a price'),
          h('p', { class: 'muted small' }, 'Their tokens are counted but not in the cost. Add a price in Settings.'),
          h('ul', { class: 'unpriced-list' }, unpriced.map(([m, t]) => h('li', null, h('code', null, m), h('span', { class: 'num muted' }, `${f.tokens(t)} tokens`)))),
        ]
      : null,
  );
}

export default {
  id: 'sources',
  title: 'Sources',
  async render(container, ctx) {
    const s = await bridge.sources();
    const w = s.watcher || null;
    if (w) ctx.setWatch(w.paused, (w.roots || []).some((r) => r.state !== 'missing'));
    const paused = !!(w && w.paused);

    const pauseBtn = h(
      'button',
      {
        type: 'button',
        class: 'btn',
        id: 'watch-toggle',
        'aria-pressed': String(paused),
        onclick: async () => {
          pauseBtn.disabled = true;
          try {
            const r = await bridge.setPaused(!paused);
            if (r && r.watcher) ctx.setWatch(r.watcher.paused);
            await ctx.refresh();
          } catch (e) {
            ctx.toast(String(e), 'error');
            pauseBtn.disabled = false;
          }
        },
      },
      paused ? 'Resume watching' : 'Pause watching',
    );
    const rescanBtn = rescanButton(ctx, 'rescan', 'Scan now', 'Scan started; the views update when it is stored.');

    const ls = s.last_scan;
    const status = h(
      'section',
      { class: 'card status-card' },
      h(
        'div',
        { class: 'status-line' },
        h('span', { class: `state-pill big s-${paused ? 'paused' : 'watching'}`, id: 'watcher-state', dataset: { paused: String(paused) } }, w ? (paused ? 'Paused' : 'Watching') : 'Watcher unknown'),
        h(
          'span',
          { class: 'muted small', id: 'last-scan' },
          ls ? `Last scan ${f.dateTime(ls.at, ctx.timezone)}: ${f.integer(ls.events)} new events, ${f.bytes(ls.bytes)} in ${f.integer(ls.duration_ms)} ms` : 'No scan yet',
        ),
        h('span', { class: 'spacer' }),
        pauseBtn,
        rescanBtn,
      ),
      s.last_error ? h('div', { class: 'error-box', id: 'last-error', role: 'alert' }, s.last_error) : null,
    );

    const supported = s.supported || [];
    const list = s.sources || [];
    const missing = supported.filter((id) => !list.some((x) => x.id === id));
    replace(
      container,
      h('header', { class: 'view-head' }, h('div', null, h('h1', { class: 'view-title' }, 'Sources'), h('p', { class: 'view-sub' }, `Supported: ${supported.map(f.toolName).join(', ') || '—'}`))),
      status,
      h('div', { class: 'grid-2' }, list.map((x) => sourceCard(x, w)), missing.map((id) => sourceCard({ id, events: 0, files: 0, skipped_lines: 0 }, w))),
      h(
        'section',
        { class: 'card' },
        h('h2', { class: 'card-title' }, 'Storage'),
        h(
          'dl',
          { class: 'paths-dl' },
          h('dt', null, 'Data directory'),
          h('dd', null, h('code', { class: 'selectable' }, s.data_dir || '—')),
          h('dt', null, 'Ledger'),
          h('dd', null, h('code', { class: 'selectable' }, s.database || '—')),
          h('dt', null, 'Price table'),
          h('dd', null, h('code', { class: 'selectable' }, typeof s.price_table === 'string' ? s.price_table : s.price_table ? JSON.stringify(s.price_table) : '—')),
        ),
      ),
    );
  },
};
