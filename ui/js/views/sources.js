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

const plural = (n, one, many) => `${f.integer(n)} ${Number(n) === 1 ? one : many}`;

// "Format may have changed: 3 unreadable records, 1 unknown file since 2026-03-02"
export function driftText(d) {
  if (!d) return '';
  const since = d.since ? ` since ${d.since}` : '';
  return `Format may have changed: ${plural(d.unreadable_records || 0, 'unreadable record', 'unreadable records')}, ${plural(d.unknown_files || 0, 'unknown file', 'unknown files')}${since}`;
}

// Cards order: sources with files (or events) first, then those found on disk or given folders,
// then the rest; the backend's order within each group.
export function sourceRank(s) {
  if (Number(s.files) > 0 || Number(s.events) > 0) return 0;
  if ((s.paths || []).length || (s.extra_paths || []).length || s.drift) return 1;
  return 2;
}
export function sortSources(list) {
  return list.map((s, i) => [sourceRank(s), i, s]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[2]);
}
// A source with nothing on this machine and nothing configured: one line, opens on demand.
const isCompact = (s) => sourceRank(s) === 2;

const sourceName = (s) => s.name || f.toolName(s.id);

// Turn on/off and extra folders: both go through set_source with the whole new state.
function controls(s, apply) {
  const enabled = s.enabled !== false;
  const extra = s.extra_paths || [];
  const name = sourceName(s);
  const sw = h('input', {
    type: 'checkbox',
    class: 'switch',
    role: 'switch',
    id: `src-on-${s.id}`,
    checked: enabled,
    'aria-label': `Read ${name}`,
    onchange: (e) => apply(s.id, e.target.checked, extra, e.target.checked ? `${name} is on` : `${name} is off`, e.target),
  });
  const input = h('input', { type: 'text', id: `src-path-${s.id}`, class: 'path-input', placeholder: '/path/to/more/logs', 'aria-label': `Add a log folder for ${name}`, spellcheck: 'false', autocomplete: 'off' });
  const form = h(
    'form',
    {
      class: 'extra-add',
      onsubmit: (e) => {
        e.preventDefault();
        const p = input.value.trim();
        if (!p) return;
        if (extra.includes(p)) {
          input.value = '';
          return;
        }
        apply(s.id, enabled, [...extra, p], `Added ${p}`, form.querySelector('button'));
      },
    },
    input,
    h('button', { type: 'submit', class: 'btn small', id: `src-add-${s.id}` }, 'Add folder'),
  );
  return [
    h('label', { class: 'source-switch', for: `src-on-${s.id}` }, sw, h('span', null, enabled ? 'On' : 'Off')),
    h(
      'div',
      { class: 'extra-paths' },
      h('h3', { class: 'sub-title', id: `src-extra-${s.id}` }, 'Extra log folders'),
      extra.length
        ? h(
            'ul',
            { class: 'path-list', 'aria-labelledby': `src-extra-${s.id}`, dataset: { testid: 'extra-paths' } },
            extra.map((p, i) =>
              h(
                'li',
                { class: 'path extra', dataset: { path: p } },
                h('code', { title: p, class: 'selectable' }, p),
                h('button', { type: 'button', class: 'btn small', id: `src-rm-${s.id}-${i}`, 'aria-label': `Remove ${p} from ${name}`, onclick: (e) => apply(s.id, enabled, extra.filter((x) => x !== p), `Removed ${p}`, e.currentTarget) }, 'Remove'),
              ),
            ),
          )
        : h('p', { class: 'muted small' }, 'None. Add a folder the tool writes its logs to, if it is not in a usual place.'),
      form,
    ),
  ];
}

function sourceCard(s, watcher, apply) {
  const unpriced = Object.entries(s.unpriced_models || {}).sort((a, b) => b[1] - a[1]);
  const paths = s.paths || [];
  const notFound = s.paths_not_found || [];
  const enabled = s.enabled !== false;
  const readable = s.readable !== false;
  const name = sourceName(s);
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
  const compact = isCompact(s);
  const offPill = enabled ? null : h('span', { class: 'state-pill s-off', dataset: { testid: 'source-off' } }, 'Off');
  const why = s.unreadable_reason ? s.unreadable_reason.charAt(0).toUpperCase() + s.unreadable_reason.slice(1) + '.' : 'Not readable.';
  const unreadableNote = readable ? null : h('p', { class: 'note unreadable', dataset: { testid: 'unreadable' } }, why);
  const drift = s.drift ? h('div', { class: 'warn-box', role: 'status', dataset: { testid: 'drift' } }, driftText(s.drift)) : null;
  const body = [
    drift,
    unreadableNote,
    readable
      ? h(
          'dl',
          { class: 'kvs four' },
          h('div', { class: 'kv' }, h('dt', null, 'Events'), h('dd', { class: 'num', dataset: { value: s.events } }, f.integer(s.events))),
          h('div', { class: 'kv' }, h('dt', null, 'Files'), h('dd', { class: 'num', dataset: { value: s.files } }, f.integer(s.files))),
          h('div', { class: ['kv', Number(s.skipped_lines) > 0 && 'warn'] }, h('dt', null, 'Skipped lines'), h('dd', { class: 'num', dataset: { value: s.skipped_lines } }, f.integer(s.skipped_lines))),
          h('div', { class: ['kv', unpriced.length > 0 && 'warn'] }, h('dt', null, 'Unpriced models'), h('dd', { class: 'num' }, f.integer(unpriced.length))),
        )
      : null,
    h('h3', { class: 'sub-title' }, 'Locations'),
    h('ul', { class: 'path-list' }, paths.map((p) => pathRow(p, true)), notFound.map((p) => pathRow(p, false)), extraRoots.map((r) => pathRow(r.path, r.state !== 'missing')), !paths.length && !notFound.length && !extraRoots.length ? h('li', { class: 'muted' }, 'No locations.') : null),
    unpriced.length
      ? [
          h('h3', { class: 'sub-title' }, 'Models without a price'),
          h('p', { class: 'muted small' }, 'Their tokens are counted but not in the cost. Add a price in Settings.'),
          h('ul', { class: 'unpriced-list' }, unpriced.map(([m, t]) => h('li', null, h('code', null, m), h('span', { class: 'num muted' }, `${f.tokens(t)} tokens`)))),
        ]
      : null,
  ];
  const [sw, extraEditor] = controls(s, apply);
  const props = { class: ['card', 'source-card', compact && 'compact', !enabled && 'off'], dataset: { testid: 'source-card', source: s.id, enabled: String(enabled), readable: String(readable) } };
  if (compact) {
    // <details>: the summary is one line and opens with Enter/Space; the switch stays inside.
    return h(
      'details',
      props,
      h('summary', { class: 'source-line' }, h('span', { class: 'source-name' }, name), h('code', { class: 'muted small' }, s.id), offPill, h('span', { class: 'muted small' }, readable ? 'not found on this machine' : 'not found; not readable')),
      h('div', { class: 'source-body' }, h('div', { class: 'card-head' }, h('span', { class: 'muted small' }, 'Read this tool'), sw), body, extraEditor),
    );
  }
  return h('section', props, h('div', { class: 'card-head' }, h('h2', null, name), h('code', { class: 'muted small' }, s.id), offPill, h('span', { class: 'spacer' }), sw), body, extraEditor);
}

export default {
  id: 'sources',
  title: 'Sources',
  async render(container, ctx) {
    draw(container, ctx, await bridge.sources());
  },
};

function draw(container, ctx, s) {
  {
    const w = s.watcher || null;
    if (w) ctx.setWatch(w.paused, (w.roots || []).some((r) => r.state !== 'missing'), s.last_error || null);
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

    // set_source answers with the new sources JSON; the view is drawn again from it and the
    // control that was used gets the focus back (keyboard users keep their place).
    const apply = async (id, enabled, paths, done, control) => {
      const focusId = document.activeElement && document.activeElement.id;
      if (control) control.disabled = true;
      try {
        const next = await bridge.setSource(id, enabled, paths);
        const open = Array.from(container.querySelectorAll('details[open][data-source]'), (d) => d.dataset.source);
        draw(container, ctx, { ...s, ...(next || {}) });
        for (const o of open) {
          const d = container.querySelector(`details[data-source="${CSS.escape(o)}"]`);
          if (d) d.open = true;
        }
        const back = focusId && document.getElementById(focusId);
        if (back) back.focus();
        else {
          const card = container.querySelector(`[data-testid=source-card][data-source="${CSS.escape(id)}"] input[type=text]`);
          if (card) card.focus();
        }
        ctx.toast(done);
      } catch (e) {
        ctx.toast(String(e), 'error');
        if (control) {
          control.disabled = false;
          if (control.type === 'checkbox') control.checked = !control.checked;
        }
      }
    };

    const supported = s.supported || [];
    const missing = supported.filter((id) => !(s.sources || []).some((x) => x.id === id));
    const list = sortSources([...(s.sources || []), ...missing.map((id) => ({ id, events: 0, files: 0, skipped_lines: 0 }))]);
    const full = list.filter((x) => !isCompact(x));
    const rest = list.filter(isCompact);
    replace(
      container,
      h('header', { class: 'view-head' }, h('div', null, h('h1', { class: 'view-title' }, 'Sources'), h('p', { class: 'view-sub' }, `Supported: ${list.map(sourceName).join(', ') || '—'}`))),
      status,
      h('div', { class: 'grid-2' }, full.map((x) => sourceCard(x, w, apply))),
      rest.length
        ? h(
            'section',
            { class: 'card other-sources', id: 'other-sources' },
            h('h2', { class: 'card-title' }, 'Other supported tools'),
            h('p', { class: 'muted small' }, 'Not found on this machine. Open one to turn it off or to add a folder where it keeps its logs.'),
            h('div', { class: 'source-lines' }, rest.map((x) => sourceCard(x, w, apply))),
          )
        : null,
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
  }
}
