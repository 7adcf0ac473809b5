// The "nothing recorded yet" state: where Tokenworth looked for logs and what it supports.

import { h } from '../dom.js';
import { toolName } from '../format.js';
import { rescanButton } from './sources.js';

export function totalEvents(src) {
  return (src && src.sources ? src.sources : []).reduce((a, s) => a + (Number(s.events) || 0), 0);
}

export function emptyState(src, ctx) {
  const list = src && Array.isArray(src.sources) ? src.sources : [];
  const supported = (src && src.supported) || list.map((s) => s.id);
  const rows = list.map((s) =>
    h(
      'div',
      { class: 'empty-source', dataset: { source: s.id } },
      h('h3', null, toolName(s.id)),
      h(
        'ul',
        { class: 'path-list' },
        (s.paths || []).map((p) => h('li', { class: 'path found' }, h('span', { class: 'path-state' }, 'found'), h('code', null, p))),
        (s.paths_not_found || []).map((p) => h('li', { class: 'path missing' }, h('span', { class: 'path-state' }, 'not found'), h('code', null, p))),
        !(s.paths || []).length && !(s.paths_not_found || []).length ? h('li', { class: 'muted' }, 'No locations known for this tool.') : null,
      ),
    ),
  );
  const btn = rescanButton(ctx, 'empty-rescan', 'Scan again', 'Scanning again…');
  return h(
    'section',
    { id: 'empty-state', class: 'empty-state', 'aria-labelledby': 'empty-title' },
    h('div', { class: 'empty-mark', 'aria-hidden': 'true' }),
    h('h2', { id: 'empty-title' }, 'No AI coding usage recorded yet'),
    h(
      'p',
      { class: 'lead' },
      `Tokenworth reads the logs that ${supported.map(toolName).join(' and ')} keep on this machine. `,
      'It found none with billed requests in these places:',
    ),
    h('div', { class: 'empty-sources' }, rows),
    h(
      'p',
      { class: 'muted small' },
      'Supported tools: ',
      supported.map(toolName).join(', '),
      '. Claude Code honours $CLAUDE_CONFIG_DIR, Codex honours $CODEX_HOME. Nothing leaves this machine.',
    ),
    h('div', { class: 'actions' }, btn),
  );
}
