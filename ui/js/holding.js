// The alerts that hold (issue 13), in view while they hold: a count on the Settings button and a
// banner above the view listing their titles. Not a dialog: "Hide" folds the banner away until
// the set of holding alerts changes; the count stays.

import { $, h } from './dom.js';
import { holdingList, holdingKey } from './budget.js';

const KIND_LABEL = { budget: 'Budget', spike: 'Spike', idle_burn: 'Idle burn' };
const state = { list: [], key: '', hidden: null };

export const holdingNow = () => state.list;

// `open` opens the view where budgets and alerts are set.
export function drawHolding(holding, open) {
  state.list = holdingList(holding);
  state.key = holdingKey(state.list);
  if (state.hidden !== null && state.hidden !== state.key) state.hidden = null;
  drawBadge();
  drawBanner(open);
}

function drawBadge() {
  const nav = $('#nav-settings');
  if (!nav) return;
  let badge = $('#alerts-badge', nav);
  const n = state.list.length;
  if (!n) {
    if (badge) badge.remove();
    nav.removeAttribute('title');
    return;
  }
  const next = h(
    'span',
    { class: 'nav-badge', id: 'alerts-badge', dataset: { count: n } },
    h('span', { 'aria-hidden': 'true' }, String(n)),
    h('span', { class: 'sr-only' }, `, ${n === 1 ? '1 alert holds' : `${n} alerts hold`}`),
  );
  if (badge) badge.replaceWith(next);
  else nav.append(next);
  nav.title = state.list.map((a) => a.title || a.key).join('\n');
}

function drawBanner(open) {
  const old = $('#alerts-banner');
  if (!state.list.length || state.hidden === state.key) {
    if (old) {
      const hadFocus = old.contains(document.activeElement);
      old.remove();
      if (hadFocus) $('#main')?.focus();
    }
    return;
  }
  const n = state.list.length;
  const el = h(
    'section',
    { id: 'alerts-banner', class: 'alerts-banner', role: 'region', 'aria-labelledby': 'alerts-banner-title', dataset: { count: n } },
    h(
      'div',
      { class: 'alerts-head' },
      h('span', { class: 'alerts-ico', 'aria-hidden': 'true' }, '!'),
      h('h2', { id: 'alerts-banner-title' }, n === 1 ? '1 alert holds' : `${n} alerts hold`),
      h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'btn small', id: 'alerts-open', onclick: () => open && open() }, 'Budgets and alerts'),
      h(
        'button',
        {
          type: 'button',
          class: 'btn small icon-text',
          id: 'alerts-hide',
          title: 'Hide until the alerts change (the count on Settings stays)',
          onclick: () => {
            state.hidden = state.key;
            drawBanner(open);
          },
        },
        'Hide',
      ),
    ),
    h(
      'ul',
      { class: 'alerts-list', id: 'alerts-list' },
      state.list.map((a) =>
        h(
          'li',
          { dataset: { kind: a.kind || '', key: a.key || '' } },
          h('span', { class: `alert-kind k-${a.kind || 'other'}` }, KIND_LABEL[a.kind] || a.kind || 'Alert'),
          h('span', { class: 'alert-title' }, a.title || a.key),
          a.body ? h('span', { class: 'alert-body muted' }, a.body) : null,
        ),
      ),
    ),
  );
  if (old) {
    // Keep the focus on the button it was on across a redraw.
    const focus = old.contains(document.activeElement) ? document.activeElement.id : null;
    old.replaceWith(el);
    if (focus) document.getElementById(focus)?.focus();
  } else {
    $('#view').before(el);
  }
}
