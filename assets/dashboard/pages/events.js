// Events: a live tail of the stream, filtered by connection and event type, pausable.

import { fill, h, heading, time } from '../dom.js';
import { connections } from '../connections-state.js';
import { EVENT_NAMES, subscribe } from '../stream.js';

const TYPES = ['all', ...EVENT_NAMES];
const KEEP = 200;

export function render(main) {
  const conn = h('select', { id: 'ev-connection' }, h('option', { value: '', text: 'all connections' }),
    [...connections.values()].map((c) => h('option', { value: c.connectionId, text: c.number ? `+${c.number}` : c.connectionId.slice(0, 8) })));
  const type = h('select', { id: 'ev-type' }, TYPES.map((t) => h('option', { value: t === 'all' ? '' : t, text: t })));
  const pause = h('button', { type: 'button', id: 'ev-pause', 'aria-pressed': 'false', text: 'Pause' });
  const clear = h('button', { type: 'button', class: 'secondary', text: 'Clear' });
  const count = h('span', { class: 'muted', id: 'ev-held', 'aria-live': 'polite' });
  const list = h('ul', { class: 'events', id: 'event-list', 'aria-label': 'Events, newest first' });
  let paused = false;
  let held = [];
  const matches = (e) => (!conn.value || e.connectionId === conn.value) && (!type.value || e.event === type.value);
  const add = (e) => {
    if (!matches(e)) return;
    list.prepend(item(e));
    while (list.children.length > KEEP) list.lastChild.remove();
  };
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume' : 'Pause';
    if (!paused) { held.forEach(add); held = []; }
    count.textContent = '';
  });
  clear.addEventListener('click', () => { list.replaceChildren(); held = []; count.textContent = ''; });
  fill(main, heading('Events'),
    h('div', { class: 'row' }, h('label', { for: 'ev-connection' }, 'Connection', conn), h('label', { for: 'ev-type' }, 'Event type', type), pause, clear, count),
    list);
  return subscribe((e) => {
    if (!paused) return add(e);
    if (!matches(e)) return;
    held.push(e);
    count.textContent = `${held.length} new while paused`;
  });
}

function item(e) {
  const data = { ...e.data };
  if (data.qrDataUrl) data.qrDataUrl = `${data.qrDataUrl.slice(0, 32)}…`;
  return h('li', { 'data-event': e.event },
    h('strong', { text: e.event }), ' ', h('span', { class: 'mono', text: e.connectionId.slice(0, 8) }), ' ',
    h('span', { class: 'muted', text: time(e.timestamp) }), h('pre', { text: JSON.stringify(data) }));
}
