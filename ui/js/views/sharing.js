// Sharing: join a team board, choose what is shared, see the exact payload (JSON and table),
// send now, daily auto-send, the audit log, withdraw and leave (issue 11). Off until joined:
// this view then only shows the join form, and nothing reaches the network until Join.

import * as bridge from '../bridge.js';
import { h, replace } from '../dom.js';
import * as f from '../format.js';

// What survives a redraw (a usage-changed re-query, an action's refresh).
const ui = {
  error: null, // the last action's failure, shown until the next action succeeds
  notice: null, // the last action's result
  confirm: null, // {kind: 'withdraw'|'leave', since, until}
  tab: 'table',
  deviceCode: null,
  openedUrl: null,
};

const plural = (n, one, many = `${one}s`) => `${f.integer(n)} ${Number(n) === 1 ? one : many}`;

const FIELDS = [
  ['outcomes', 'Outcomes', 'Sessions and cost per outcome tag (shipped, fixed, …; untagged spend as “untagged”).'],
  ['tools', 'Per tool', 'The day split by tool (Claude Code, Codex, …).'],
  ['models', 'Per model', 'The day split by model.'],
  ['commits', 'Commit counts', 'How many commits the day’s sessions made, per outcome (only with outcomes).'],
];

const NEVER = 'Never sent, whatever you choose: project paths or names, session ids, prompts, notes, links, branch names, commit messages or hashes, your user or machine name.';

function sharedList(shared) {
  const v = ['day totals and cost'];
  if (shared.outcomes) v.push('outcomes');
  if (shared.tools) v.push('per tool');
  if (shared.models) v.push('per model');
  if (shared.commits && shared.outcomes) v.push('commit counts');
  return v.join(', ');
}

// Parses the preview's bodies into rows, one per day, in send order.
export function previewRows(bodies) {
  const rows = [];
  for (const b of bodies || []) {
    let doc;
    try {
      doc = JSON.parse(b);
    } catch {
      continue;
    }
    for (const d of doc.days || []) rows.push(d);
  }
  return rows;
}

const splitText = (list) => (list ? list.map((s) => `${s.name} ${f.tokens(s.tokens.total_tokens)}`).join(', ') || '—' : 'not shared');
const outcomeText = (list) =>
  list
    ? list
        .map((o) => `${o.outcome} ${o.sessions}× ${f.money(o.cost_usd)}${o.commits !== undefined && o.commits !== null ? `, ${plural(o.commits, 'commit')}` : ''}`)
        .join('; ') || '—'
    : 'not shared';

function previewTable(rows) {
  return h(
    'table',
    { class: 'data compact sh-preview-table', id: 'share-preview-table' },
    h('caption', { class: 'sr-only' }, 'What Send now sends, one row per day'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col', class: 'r' }, 'Tokens'), h('th', { scope: 'col', class: 'r' }, 'Cost'), h('th', { scope: 'col' }, 'Tools'), h('th', { scope: 'col' }, 'Models'), h('th', { scope: 'col' }, 'Outcomes'))),
    h(
      'tbody',
      null,
      rows.map((d) =>
        h(
          'tr',
          { dataset: { testid: 'preview-row', day: d.day, tokens: d.totals.total_tokens, cost: d.totals.cost_usd } },
          h('th', { scope: 'row', class: 'nowrap' }, d.day),
          h('td', { class: 'r num' }, f.tokens(d.totals.total_tokens)),
          h('td', { class: 'r num' }, f.money(d.totals.cost_usd)),
          h('td', { class: 'small' }, splitText(d.tools)),
          h('td', { class: 'small' }, splitText(d.models)),
          h('td', { class: 'small' }, outcomeText(d.outcomes)),
        ),
      ),
    ),
  );
}

// Keeps what was typed (and the focus) across a redraw.
function keepInputs(container, draw) {
  const values = {};
  for (const el of container.querySelectorAll('input[id]:not([type=checkbox])')) values[el.id] = el.value;
  const focus = document.activeElement && container.contains(document.activeElement) ? document.activeElement.id : null;
  draw();
  for (const [id, v] of Object.entries(values)) {
    const el = document.getElementById(id);
    if (el && !el.value && v && !el.dataset.reset) el.value = v;
  }
  if (focus) {
    const el = document.getElementById(focus);
    if (el && !el.disabled) el.focus();
  }
}

function banner() {
  return [
    ui.error ? h('div', { class: 'error-box', id: 'share-error', role: 'alert' }, ui.error) : null,
    ui.notice ? h('div', { class: 'ok-box', id: 'share-notice', role: 'status' }, ui.notice) : null,
  ];
}

export default {
  id: 'sharing',
  title: 'Sharing',
  async render(container, ctx) {
    const st = await bridge.shareStatus();
    // Runs an action; its result or error is shown in the view, which is drawn again.
    const act = async (btn, fn, done, reset = []) => {
      if (btn) btn.disabled = true;
      container.setAttribute('aria-busy', 'true');
      try {
        const r = await fn();
        ui.error = null;
        ui.notice = typeof done === 'function' ? done(r) : done;
        for (const id of reset) {
          const el = document.getElementById(id);
          if (el) (el.value = ''), (el.dataset.reset = '1');
        }
        if (ui.notice) ctx.toast(ui.notice);
      } catch (e) {
        ui.error = String(e);
        ui.notice = null;
        ctx.toast(String(e), 'error');
      } finally {
        container.removeAttribute('aria-busy');
      }
      await ctx.refresh();
    };
    if (!st.sharing) {
      ui.confirm = null;
      ui.deviceCode = null;
      keepInputs(container, () => drawOff(container, st, act));
      return;
    }
    let preview = null;
    let previewError = null;
    let log = [];
    let logError = null;
    const range = { since: valueOf('share-preview-since'), until: valueOf('share-preview-until') };
    await Promise.all([
      bridge.sharePreview(range).then((p) => (preview = p), (e) => (previewError = String(e))),
      bridge.shareLog().then((l) => (log = l.entries || []), (e) => (logError = String(e))),
    ]);
    keepInputs(container, () => drawOn(container, ctx, st, { preview, previewError, log, logError }, act));
  },
};

const valueOf = (id) => {
  const el = document.getElementById(id);
  return el ? el.value.trim() : '';
};

function drawOff(container, st, act) {
  const url = h('input', { type: 'url', id: 'share-url', placeholder: 'https://board.example.com', required: true, autocomplete: 'off', spellcheck: 'false' });
  const code = h('input', { type: 'text', id: 'share-code', placeholder: 'twi_… (invite) or twd_… (device code)', required: true, autocomplete: 'off', spellcheck: 'false' });
  const alias = h('input', { type: 'text', id: 'share-alias', placeholder: st.suggested_alias || 'Brisk Otter', autocomplete: 'off', spellcheck: 'false', maxlength: '40' });
  const aliasHelp = h('p', { class: 'muted small', id: 'share-alias-help' });
  const syncAlias = () => {
    const device = code.value.trim().startsWith('twd_');
    alias.disabled = device;
    aliasHelp.textContent = device
      ? 'A device code joins as the member who made it: no alias here.'
      : `How the board shows you. Empty: a random two-word alias like “${st.suggested_alias || 'Brisk Otter'}” — never your user or machine name.`;
  };
  code.addEventListener('input', syncAlias);
  syncAlias();
  const btn = h('button', { type: 'submit', class: 'btn primary', id: 'share-join' }, 'Join');
  const form = h(
    'form',
    {
      class: 'sh-join',
      id: 'share-join-form',
      novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        if (!url.value.trim()) {
          ui.error = 'Give the board’s address (https://…, or http:// on this machine only).';
          ui.notice = null;
          url.focus();
          return act(null, async () => Promise.reject(ui.error));
        }
        if (!code.value.trim()) {
          code.focus();
          return act(null, async () => Promise.reject('Paste the invite (twi_…) from the board’s admin, or a device code (twd_…) from your other machine.'));
        }
        act(
          btn,
          () => bridge.shareJoin(url.value.trim(), code.value.trim(), alias.disabled ? undefined : alias.value.trim() || undefined),
          (j) => `Joined team ${j.team} on ${j.board} as ${j.device ? 'a new device of ' : ''}${j.alias}. Nothing is sent until you press Send now.${j.token_note ? ` Note: ${j.token_note}.` : ''}`,
        );
      },
    },
    h('label', { class: 'field grow' }, h('span', { class: 'field-label' }, 'Board address'), url),
    h('label', { class: 'field grow' }, h('span', { class: 'field-label' }, 'Invite or device code'), code),
    h('label', { class: 'field grow' }, h('span', { class: 'field-label' }, 'Alias (optional)'), alias),
    h('div', { class: 'sh-join-go' }, btn),
  );
  replace(
    container,
    h('header', { class: 'view-head' }, h('div', null, h('h1', { class: 'view-title' }, 'Sharing'), h('p', { class: 'view-sub', id: 'share-state', dataset: { sharing: 'off' } }, 'Off: nothing leaves this machine, and the app opens no network connection for it.'))),
    banner(),
    h(
      'section',
      { class: 'card', id: 'share-join-card' },
      h('h2', { class: 'card-title' }, 'Join a team board'),
      h('p', { class: 'muted small' }, 'With an invite from the board’s admin, or a device code made on your other machine (Add device). Joining sends nothing of your usage; you choose what is shared and see it before any send.'),
      form,
      aliasHelp,
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', { class: 'card-title' }, 'What would be shared'),
      h('ul', { class: 'sh-list' }, h('li', null, 'Per local day: tokens and cost (always, once joined).'), h('li', null, 'Outcome counts and costs (on at join; you can turn them off).'), h('li', null, 'Per tool, per model and commit counts: off until you turn them on.'), h('li', null, 'Projects can be excluded: their usage is then not sent at all.')),
      h('p', { class: 'muted small' }, NEVER),
    ),
  );
}

function drawOn(container, ctx, st, data, act) {
  const { preview, previewError, log, logError } = data;
  const tz = ctx.timezone;
  const when = (iso) => (iso ? f.dateTime(iso, tz) : '—');

  const sendBtn = h('button', { type: 'button', class: 'btn primary', id: 'share-send', onclick: () => act(sendBtn, () => bridge.shareSend(), (r) => `Sent ${plural(r.sent, 'day')} to ${st.board} (${plural(r.unchanged, 'day')} unchanged).`) }, 'Send now');
  const openBtn = h(
    'button',
    {
      type: 'button',
      class: 'btn',
      id: 'share-open',
      onclick: () =>
        act(openBtn, () => bridge.shareOpen(), (r) => {
          ui.openedUrl = r.opened ? null : r.url;
          return r.opened ? 'Opened the team’s board in the browser (signed in with a single-use link).' : 'No browser could be started: open the single-use link below within two minutes.';
        }),
    },
    'Open board',
  );
  const deviceBtn = h('button', { type: 'button', class: 'btn small', id: 'share-add-device', onclick: () => act(deviceBtn, () => bridge.shareAddDevice(), (c) => ((ui.deviceCode = c), `Device code made: valid ${Math.round(c.expires_in_seconds / 60)} minutes, single use.`)) }, 'Add device');

  const last = st.last_send;
  const kv = (label, value, props = {}) => h('div', { class: 'kv' }, h('dt', null, label), h('dd', { title: typeof value === 'string' ? value : undefined, ...props }, value));
  const status = h(
    'section',
    { class: 'card', id: 'share-status' },
    h('div', { class: 'card-head' }, h('h2', null, 'Status'), h('span', { class: 'state-pill s-watching', id: 'share-on' }, 'Sharing on')),
    h(
      'dl',
      { class: 'kvs four' },
      kv('Board', st.board, { id: 'share-board' }),
      kv('Team', st.team, { id: 'share-team' }),
      kv('Alias', st.alias || '—', { id: 'share-alias-shown' }),
      kv('This device', `${st.device_id} (token in the ${st.token_store === 'keyring' ? 'OS keyring' : 'file'})`, { id: 'share-device' }),
      kv('Last send', last ? `${when(last.time)} · ${last.status === 'ok' ? `ok, ${plural(last.days, 'day')}` : 'failed'}` : 'never', { id: 'share-last', dataset: { status: last ? last.status : '' } }),
      kv('Queued', st.queue_error ? 'unknown' : plural(st.queued_days, 'day'), { id: 'share-queued', dataset: { value: st.queued_days } }),
      kv('Sent', plural(st.sent_days, 'day'), { id: 'share-sent', dataset: { value: st.sent_days } }),
      kv('Shared', sharedList(st.shared), { id: 'share-shared' }),
    ),
    last && last.status !== 'ok' ? h('div', { class: 'warn-box sh-gap', id: 'share-last-error' }, `The last send failed: ${last.status}`) : null,
    st.queue_error ? h('div', { class: 'warn-box sh-gap' }, `Cannot tell what is queued: ${st.queue_error}`) : null,
    h(
      'div',
      { class: 'sh-row' },
      h('span', { class: 'muted small' }, `The board accepts the last ${plural(st.window_days, 'day')}. Other devices of yours join with a device code; each sends its own days.`),
      h('span', { class: 'spacer' }),
      deviceBtn,
    ),
    ui.deviceCode
      ? h('p', { class: 'sh-code' }, 'On the other machine, join ', h('code', { class: 'selectable' }, st.board), ' with ', h('code', { class: 'selectable', id: 'share-device-code' }, ui.deviceCode.code), ` (single use, ${Math.round(ui.deviceCode.expires_in_seconds / 60)} minutes).`)
      : null,
    ui.openedUrl ? h('p', { class: 'sh-code' }, 'Sign-in link: ', h('code', { class: 'selectable', id: 'share-open-url' }, ui.openedUrl)) : null,
  );

  // ---- what is shared
  const setField = (key, on, el) => act(el, () => bridge.shareSetFields({ [key]: on }), `${FIELDS.find((x) => x[0] === key)[1]} ${on ? 'will be shared' : 'will not be shared'} from the next send.`);
  const fieldRow = (key, label, help, checked, disabled, note) =>
    h(
      'div',
      { class: 'setting' },
      h('div', { class: 'setting-text' }, h('label', { class: 'setting-label', for: `share-f-${key}` }, label), h('p', { class: 'muted small' }, help), note ? h('p', { class: 'muted small' }, note) : null),
      h('div', { class: 'setting-control' }, h('input', { type: 'checkbox', class: 'switch', role: 'switch', id: `share-f-${key}`, checked, disabled, onchange: key === 'totals' ? undefined : (e) => setField(key, e.target.checked, e.target) })),
    );
  const excluded = st.excluded_projects || [];
  const exInput = h('input', { type: 'text', id: 'share-exclude', class: 'path-input', placeholder: '/work/secret-project or secret-project', 'aria-label': 'A project to exclude', spellcheck: 'false', autocomplete: 'off' });
  const exForm = h(
    'form',
    {
      class: 'extra-add',
      id: 'share-exclude-form',
      onsubmit: (e) => {
        e.preventDefault();
        const p = exInput.value.trim();
        if (!p) return exInput.focus();
        act(e.submitter || null, () => bridge.shareSetFields({ exclude: [p] }), `Nothing of ${p} will be sent.`, ['share-exclude']);
      },
    },
    exInput,
    h('button', { type: 'submit', class: 'btn small', id: 'share-exclude-add' }, 'Exclude'),
  );
  const fields = h(
    'section',
    { class: 'card', id: 'share-fields' },
    h('h2', { class: 'card-title' }, 'What is shared'),
    fieldRow('totals', 'Day totals and cost', 'Always, once joined: per local day, tokens and cost.', true, true),
    FIELDS.map(([k, l, help]) => fieldRow(k, l, help, !!st.shared[k] || (k === 'commits' && !!st.shared.commits), k === 'commits' && !st.shared.outcomes, k === 'commits' && !st.shared.outcomes ? 'Turn outcomes on to share commit counts.' : null)),
    h('h3', { class: 'sub-title', id: 'share-excluded-title' }, 'Excluded projects'),
    excluded.length
      ? h(
          'ul',
          { class: 'path-list', 'aria-labelledby': 'share-excluded-title', id: 'share-excluded' },
          excluded.map((p, i) => h('li', { class: 'path extra', dataset: { project: p } }, h('code', { class: 'selectable' }, p), h('button', { type: 'button', class: 'btn small', id: `share-include-${i}`, 'aria-label': `Share ${p} again`, onclick: (e) => act(e.currentTarget, () => bridge.shareSetFields({ include: [p] }), `${p} is shared again.`) }, 'Share again'))),
        )
      : h('p', { class: 'muted small' }, 'None: every project’s usage counts in the day totals.'),
    exForm,
    h('p', { class: 'muted small' }, NEVER),
  );

  // ---- auto-send
  const a = st.auto_state || {};
  const autoLine = !st.auto
    ? 'Off: nothing is sent unless you press Send now.'
    : a.retry_at
      ? `Could not send (${a.last_error || 'error'}); ${st.queued_days ? `${plural(st.queued_days, 'day')} queued, ` : ''}trying again ${when(a.retry_at)}.`
      : a.next_at
        ? `Next send ${when(a.next_at)}${a.last_ok ? `; last auto-send ${when(a.last_ok)}` : ''}.`
        : 'On.';
  const auto = h(
    'section',
    { class: 'card', id: 'share-auto-card' },
    h(
      'div',
      { class: 'setting' },
      h(
        'div',
        { class: 'setting-text' },
        h('label', { class: 'setting-label', for: 'share-auto' }, 'Send daily'),
        h('p', { class: 'muted small' }, 'While the tray app runs: once a day, after midnight (00:10 in your time zone), the days whose figures changed are sent. Offline, they wait and are retried; a day is sent again only when it changed.'),
        h('p', { class: ['small', a.retry_at ? 'warn-text' : 'muted'], id: 'share-auto-state', dataset: { auto: String(!!st.auto), retry: a.retry_at || '' } }, autoLine),
      ),
      h('div', { class: 'setting-control' }, h('input', { type: 'checkbox', class: 'switch', role: 'switch', id: 'share-auto', checked: !!st.auto, onchange: (e) => act(e.target, () => bridge.shareSetAuto(e.target.checked), e.target.checked ? 'Daily auto-send is on.' : 'Daily auto-send is off.') })),
    ),
  );

  // ---- preview
  const rows = preview ? previewRows(preview.bodies) : [];
  const tabBtn = (id, label) =>
    h('button', { type: 'button', id: `share-tab-${id}`, class: ui.tab === id ? 'on' : '', role: 'radio', 'aria-checked': String(ui.tab === id), onclick: () => ((ui.tab = id), ctx.refresh()) }, label);
  const prevSince = h('input', { type: 'date', id: 'share-preview-since', 'aria-label': 'Preview from', onchange: () => ctx.refresh() });
  const prevUntil = h('input', { type: 'date', id: 'share-preview-until', 'aria-label': 'Preview until', onchange: () => ctx.refresh() });
  const previewCard = h(
    'section',
    { class: 'card', id: 'share-preview', dataset: { days: preview ? preview.days : '', unchanged: preview ? preview.unchanged : '' } },
    h('div', { class: 'card-head' }, h('h2', null, 'Preview: what Send now sends'), h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Show as' }, tabBtn('table', 'Table'), tabBtn('json', 'JSON'))),
    h('p', { class: 'muted small' }, 'Exactly the request bodies, in order, byte for byte what ', h('code', null, 'tokenworth share preview'), ' prints and what the board receives. Days unchanged since they were last sent are left out.'),
    h('div', { class: 'filters sh-gap' }, h('label', { class: 'field inline' }, h('span', { class: 'field-label' }, 'From'), prevSince), h('label', { class: 'field inline' }, h('span', { class: 'field-label' }, 'Until'), prevUntil)),
    previewError
      ? h('div', { class: 'error-box', id: 'share-preview-error', role: 'alert' }, previewError)
      : !rows.length
        ? h('p', { class: 'muted', id: 'share-preview-empty' }, `Nothing to send: ${plural(preview.unchanged, 'day')} unchanged since last sent.`)
        : ui.tab === 'json'
          ? h('pre', { class: 'sh-json selectable', id: 'share-preview-json', tabindex: '0' }, preview.text)
          : h('div', { class: 'table-wrap' }, previewTable(rows)),
    preview && rows.length ? h('p', { class: 'muted small' }, `${plural(preview.days, 'day')} in ${plural(preview.bodies.length, 'request')}; ${plural(preview.unchanged, 'day')} unchanged.`) : null,
  );

  // ---- audit log
  const entries = [...log].reverse();
  const logCard = h(
    'section',
    { class: 'card', id: 'share-log' },
    h('div', { class: 'card-head' }, h('h2', null, 'Audit log'), h('code', { class: 'muted small selectable' }, st.log_file || '')),
    logError ? h('div', { class: 'error-box', role: 'alert' }, logError) : null,
    entries.length
      ? h(
          'table',
          { class: 'data compact', id: 'share-log-table' },
          h('caption', { class: 'sr-only' }, 'Every request that sent or deleted figures, newest first'),
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'Request'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Payload'))),
          h(
            'tbody',
            null,
            entries.map((e) => {
              let days = null;
              try {
                days = e.payload ? (JSON.parse(e.payload).days || []).length : null;
              } catch {
                days = null;
              }
              return h(
                'tr',
                { dataset: { testid: 'log-row', status: e.status, request: e.request } },
                h('td', { class: 'nowrap' }, when(e.time)),
                h('td', null, h('code', null, e.request)),
                h('td', { title: e.answer || '' }, e.status === 0 ? 'unreachable' : String(e.status)),
                h('td', null, e.payload ? h('details', null, h('summary', null, days === null ? 'payload' : plural(days, 'day')), h('pre', { class: 'sh-json selectable' }, e.payload)) : h('span', { class: 'muted' }, '—')),
              );
            }),
          ),
        )
      : h('p', { class: 'muted small', id: 'share-log-empty' }, 'Nothing sent yet. Every send, withdraw and leave is recorded here with its exact payload.'),
  );

  // ---- withdraw and leave
  const wSince = h('input', { type: 'date', id: 'share-w-since', 'aria-label': 'Withdraw from' });
  const wUntil = h('input', { type: 'date', id: 'share-w-until', 'aria-label': 'Withdraw until' });
  const rangeText = (since, until) => (since || until ? `from ${since || 'the first day'} to ${until || 'the last day'}` : 'every day');
  let confirmBox = null;
  if (ui.confirm) {
    const c = ui.confirm;
    const store = st.token_store === 'keyring' ? 'the OS keyring' : 'its file in the data directory';
    const text =
      c.kind === 'leave'
        ? `Leave team ${st.team} on ${st.board}? This deletes every day ${st.alias || 'you'} sent, from every device of yours, ends the membership and forgets this device’s token (in ${store}). Sharing turns off here; the local ledger is not touched.`
        : `Withdraw ${rangeText(c.since, c.until)} that ${st.alias || 'you'} sent to team ${st.team} on ${st.board}? The board deletes those days from every device of yours. The membership stays${st.auto ? '; daily auto-send is turned off, so they are not sent again' : ''}. The local ledger is not touched.`;
    const yes = h(
      'button',
      {
        type: 'button',
        class: 'btn danger',
        id: 'share-confirm-yes',
        onclick: () => {
          ui.confirm = null;
          if (c.kind === 'leave') return act(yes, () => bridge.shareLeave(), (r) => `Left the board: deleted ${plural(r.deleted, 'day row')}, the membership and this device’s token.`);
          return act(yes, () => bridge.shareWithdraw({ since: c.since, until: c.until }), (r) => `Deleted ${plural(r.deleted, 'day row')} from the board (every device); the membership stays.${r.auto_was_on ? ' Daily auto-send is now off.' : ''}`, ['share-w-since', 'share-w-until']);
        },
      },
      c.kind === 'leave' ? 'Leave and delete' : 'Withdraw',
    );
    confirmBox = h(
      'div',
      { class: 'sh-confirm', id: 'share-confirm', role: 'alertdialog', 'aria-labelledby': 'share-confirm-text', dataset: { kind: c.kind } },
      h('p', { id: 'share-confirm-text' }, text),
      h('div', { class: 'sh-row' }, yes, h('button', { type: 'button', class: 'btn', id: 'share-confirm-no', onclick: () => ((ui.confirm = null), ctx.refresh()) }, 'Cancel')),
    );
  }
  const ask = (c) => {
    ui.confirm = c;
    ctx.refresh().then(() => {
      const b = document.getElementById('share-confirm-no');
      if (b) b.focus();
    });
  };
  const danger = h(
    'section',
    { class: 'card', id: 'share-danger' },
    h('h2', { class: 'card-title' }, 'Withdraw or leave'),
    h(
      'div',
      { class: 'setting' },
      h('div', { class: 'setting-text' }, h('span', { class: 'setting-label' }, 'Withdraw'), h('p', { class: 'muted small' }, 'Deletes what you sent in the range (every day when empty) from the board, on every device. You stay a member.')),
      h(
        'div',
        { class: 'setting-control sh-row' },
        h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'From'), wSince),
        h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Until'), wUntil),
        h('button', { type: 'button', class: 'btn', id: 'share-withdraw', onclick: () => ask({ kind: 'withdraw', since: wSince.value || null, until: wUntil.value || null }) }, 'Withdraw…'),
      ),
    ),
    h(
      'div',
      { class: 'setting' },
      h('div', { class: 'setting-text' }, h('span', { class: 'setting-label' }, 'Leave'), h('p', { class: 'muted small' }, 'Withdraws everything, ends the membership and forgets this device’s token.')),
      h('div', { class: 'setting-control' }, h('button', { type: 'button', class: 'btn danger', id: 'share-leave', onclick: () => ask({ kind: 'leave' }) }, 'Leave…')),
    ),
    confirmBox,
  );

  replace(
    container,
    h(
      'header',
      { class: 'view-head' },
      h('div', null, h('h1', { class: 'view-title' }, 'Sharing'), h('p', { class: 'view-sub', id: 'share-state', dataset: { sharing: 'on' } }, `On: team ${st.team} on ${st.board}, as ${st.alias || '—'}`)),
      h('div', { class: 'actions' }, openBtn, sendBtn),
    ),
    banner(),
    status,
    previewCard,
    h('div', { class: 'grid-2' }, fields, h('div', { class: 'sh-stack' }, auto, danger)),
    logCard,
  );
}
