// Connections: a live table from the event stream, filtered by status and searched by number,
// name or id. Memory and CPU come from /metrics (admin) or /stats.

import { ago, badge, bytes, fill, h, heading, phone } from '../dom.js';
import { connections, load, refreshStats, watch } from '../connections-state.js';

const STATUSES = ['all', 'connected', 'pending', 'disconnected'];

export function render(main, ctx) {
  const search = h('input', { id: 'conn-search', type: 'search', placeholder: 'number, name or id' });
  const status = h('select', { id: 'conn-status' }, STATUSES.map((s) => h('option', { value: s, text: s })));
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' });
  const body = h('tbody');
  const table = h('table', { class: 'stack', id: 'connections' },
    h('caption', { class: 'muted', text: 'Every connection of this key, updated live' }),
    h('thead', {}, h('tr', {}, ['Status', 'Number', 'Profile', 'Last activity', 'Memory', 'CPU', 'Connection']
      .map((t) => h('th', { scope: 'col', text: t })))),
    body);
  const refresh = h('button', { type: 'button', class: 'secondary', text: 'Refresh memory and CPU',
    onclick: () => refreshStats().catch(() => {}) });
  fill(main,
    heading('Connections'),
    h('div', { class: 'row' },
      h('label', { for: 'conn-search' }, 'Search', search),
      h('label', { for: 'conn-status' }, 'Status', status),
      refresh,
      ctx.can('operator') ? h('a', { href: '#/link', text: 'Link a number' }) : null),
    summary, table);
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const wanted = status.value;
    const rows = [...connections.values()]
      .filter((c) => wanted === 'all' || c.status === wanted)
      .filter((c) => !q || [c.number, c.profileName, c.connectionId].some((v) => v && v.toLowerCase().includes(q)))
      .sort((a, b) => String(b.lastActive || '').localeCompare(String(a.lastActive || '')) || a.connectionId.localeCompare(b.connectionId));
    fill(body, rows.map(row));
    const counts = STATUSES.slice(1).map((s) => `${[...connections.values()].filter((c) => c.status === s).length} ${s}`);
    summary.textContent = `${rows.length} shown of ${connections.size}: ${counts.join(', ')}`;
    if (connections.size) performance.mark('connections-rendered');
  };
  search.addEventListener('input', draw);
  status.addEventListener('change', draw);
  const unwatch = watch(draw);
  load(ctx.me.role).then(draw, () => {});
  draw();
  return unwatch;
}

function row(c) {
  const cell = (label, ...content) => h('td', { 'data-label': label }, ...content);
  return h('tr', { 'data-connection-id': c.connectionId, 'data-status': c.status },
    cell('Status', badge(c.status), c.reason ? h('span', { class: 'muted', text: ` ${c.reason}` }) : null),
    cell('Number', phone(c.number)),
    cell('Profile', c.profileName || '—'),
    cell('Last activity', ago(c.lastActive)),
    cell('Memory', bytes(c.pssBytes)),
    cell('CPU', c.cpuSeconds === undefined ? '—' : `${c.cpuSeconds.toFixed(1)} s`),
    cell('Connection', h('a', { href: `#/c/${encodeURIComponent(c.connectionId)}`, class: 'mono', text: c.connectionId.slice(0, 8),
      'aria-label': `Open connection ${c.number ? phone(c.number) : c.connectionId}` })));
}
