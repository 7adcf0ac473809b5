// Settings: time zone, start at login, budgets and alerts, where data lives, price overrides.

import * as bridge from '../bridge.js';
import { h, replace } from '../dom.js';
import { budgetsCard, alertsCard, ui as budgetUi } from './budgets.js';

const PRICE_FIELDS = [
  ['input', 'Input', true],
  ['output', 'Output', true],
  ['cache_write_5m', 'Cache 5m', false],
  ['cache_write_1h', 'Cache 1h', false],
  ['cache_read', 'Cache read', false],
];

const priceFmt = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 });
const fmtPrice = (v) => (v === undefined || v === null || !Number.isFinite(Number(v)) ? '—' : `$${priceFmt.format(Number(v))}`);

function row(label, help, control, forId) {
  return h('div', { class: 'setting' }, h('div', { class: 'setting-text' }, h('label', { class: 'setting-label', for: forId }, label), help ? h('p', { class: 'muted small' }, help) : null), h('div', { class: 'setting-control' }, control));
}

// A section to bring into view after the next draw (the alert banner opens Budgets).
let section = null;

export default {
  id: 'settings',
  title: 'Settings',
  prepare(opts = {}) {
    section = opts.section || null;
  },
  async render(container, ctx) {
    // Budgets and sources are read beside the settings; either failing leaves the rest usable.
    const [s, budgets, sources] = await Promise.all([
      bridge.settings(),
      bridge.budgets().catch((e) => ({ error: String(e) })),
      bridge.sources().catch(() => null),
    ]);
    ctx.setTimezone(s.timezone);
    if (budgets && Array.isArray(budgets.holding)) ctx.setHolding(budgets.holding);
    const apply = async (fn, message) => {
      try {
        const next = await fn();
        if (next && next.timezone) ctx.setTimezone(next.timezone);
        ctx.today = undefined;
        ctx.toast(message);
        await ctx.refresh();
      } catch (e) {
        ctx.toast(String(e), 'error');
        await ctx.refresh();
      }
    };

    const following = s.timezone_source === 'system';
    const zones = Array.isArray(s.timezones) && s.timezones.length ? s.timezones : [s.timezone].filter(Boolean);
    const tzSelect = h(
      'select',
      { id: 'set-timezone', onchange: (e) => apply(() => bridge.setTimezone(e.target.value || null), e.target.value ? `Days now split in ${e.target.value}` : 'Following the system time zone') },
      h('option', { value: '', selected: following }, `System (${s.system_timezone || 'unknown'})`),
      zones.map((z) => h('option', { value: z, selected: !following && z === s.timezone }, z.replace(/_/g, ' '))),
    );

    const auto = h('input', { type: 'checkbox', id: 'set-autostart', class: 'switch', role: 'switch', checked: !!s.autostart, onchange: (e) => apply(() => bridge.setAutostart(e.target.checked), e.target.checked ? 'Tokenworth will start at login' : 'Tokenworth will not start at login') });

    const overrides = Array.isArray(s.price_overrides) ? s.price_overrides : [];
    const table = h(
      'table',
      { class: 'data compact prices', id: 'price-overrides' },
      h('caption', { class: 'sr-only' }, 'Price overrides in USD per million tokens'),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Model'), PRICE_FIELDS.map(([, l]) => h('th', { scope: 'col', class: 'r' }, l)), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h(
        'tbody',
        null,
        overrides.length
          ? overrides.map((o) =>
              h(
                'tr',
                { dataset: { model: o.model } },
                h('th', { scope: 'row' }, h('code', null, o.model)),
                PRICE_FIELDS.map(([k]) => h('td', { class: 'r num' }, fmtPrice(o[k]))),
                h('td', { class: 'r' }, h('button', { type: 'button', class: 'btn small', 'aria-label': `Remove the price override of ${o.model}`, onclick: () => apply(() => bridge.setPriceOverride(o.model, null), `Removed the price of ${o.model}`) }, 'Remove')),
              ),
            )
          : h('tr', null, h('td', { colspan: PRICE_FIELDS.length + 2, class: 'muted' }, 'No overrides: prices come from the bundled table.')),
      ),
    );

    const inputs = {};
    const form = h(
      'form',
      {
        class: 'price-form',
        id: 'price-form',
        novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          const model = inputs.model.value.trim();
          if (!model) return inputs.model.focus();
          const prices = {};
          for (const [k, l, required] of PRICE_FIELDS) {
            const raw = inputs[k].value.trim();
            if (!raw) {
              if (required) {
                ctx.toast(`${l} price is required`, 'error');
                return inputs[k].focus();
              }
              continue;
            }
            const v = Number(raw);
            if (!Number.isFinite(v) || v < 0) {
              ctx.toast(`${l}: not a price`, 'error');
              return inputs[k].focus();
            }
            prices[k] = v;
          }
          apply(() => bridge.setPriceOverride(model, prices), `Saved the price of ${model}`);
        },
      },
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Model'), (inputs.model = h('input', { type: 'text', id: 'price-model', placeholder: 'my-local-model', required: true, autocomplete: 'off', spellcheck: 'false' }))),
      PRICE_FIELDS.map(([k, l, required]) => h('label', { class: 'field narrow' }, h('span', { class: 'field-label', title: required ? 'required' : 'optional' }, l), (inputs[k] = h('input', { type: 'number', id: `price-${k}`, min: '0', step: 'any', inputmode: 'decimal', placeholder: required ? '0.00' : 'opt.' })))),
      h('button', { type: 'submit', class: 'btn primary', id: 'price-add' }, 'Save price'),
    );

    // A redraw (a usage-changed re-query, an action) keeps the focus where it was, or moves it
    // where the action asked.
    const focused = document.activeElement && container.contains(document.activeElement) ? document.activeElement.id : null;
    replace(
      container,
      h('header', { class: 'view-head' }, h('div', null, h('h1', { class: 'view-title' }, 'Settings'))),
      h(
        'section',
        { class: 'card settings' },
        row('Time zone', `Splits days for every report (also the CLI's). ${following ? 'Currently following the system.' : `Set in ${s.config_file || 'config.toml'}.`}`, tzSelect, 'set-timezone'),
        row('Start at login', 'Keep the tray icon running after you log in.', auto, 'set-autostart'),
      ),
      budgetsCard(ctx, budgets, sources),
      alertsCard(ctx, budgets),
      h(
        'section',
        { class: 'card' },
        h('h2', { class: 'card-title' }, 'Where your data lives'),
        h(
          'dl',
          { class: 'paths-dl' },
          h('dt', null, 'Data directory'),
          h('dd', null, h('code', { class: 'selectable', id: 'set-data-dir' }, s.data_dir || '—')),
          h('dt', null, 'Ledger'),
          h('dd', null, h('code', { class: 'selectable' }, s.database || '—')),
          h('dt', null, 'Config file'),
          h('dd', null, h('code', { class: 'selectable' }, s.config_file || '—')),
        ),
        h('p', { class: 'muted small' }, 'Set TOKENWORTH_DATA_DIR before starting the app to use another directory. Nothing is sent anywhere.'),
      ),
      h(
        'section',
        { class: 'card' },
        h('div', { class: 'card-head' }, h('h2', null, 'Price overrides'), h('span', { class: 'muted small' }, 'USD per million tokens; applies to all history')),
        table,
        form,
      ),
    );
    const target = document.getElementById(budgetUi.focus || focused || '');
    budgetUi.focus = null;
    if (target && !target.disabled) target.focus();
    if (section) {
      const head = document.getElementById(`${section}-title`);
      section = null;
      if (head) {
        head.scrollIntoView({ block: 'start' });
        head.focus({ preventScroll: true });
      }
    }
  },
};
