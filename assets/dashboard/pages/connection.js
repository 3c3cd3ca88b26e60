// A connection's page: its status and timeline (replayed from the outbox, then live), recent
// messages both ways with ack ticks that change live, the send form, the webhook and its
// deliveries, and disconnect.

import { enc, get, post } from '../api.js';
import { badge, confirmDialog, errorBox, fill, h, heading, phone, time, toast } from '../dom.js';
import { openStream, subscribe } from '../stream.js';
import { sendForm } from './send-form.js';
import { webhookSection } from './webhook.js';

const TIMELINE = 'authenticated,ready,disconnected,change_state,pairing_code';
const TICKS = { pending: '◷', sent: '✓', delivered: '✓✓', read: '✓✓', played: '✓✓', failed: '✕', received: '' };
const ACK_STATUS = { ERROR: 'failed', PENDING: 'pending', SERVER: 'sent', DEVICE: 'delivered', READ: 'read', PLAYED: 'played' };

export function render(main, ctx, id) {
  const head = h('div', { id: 'conn-head' });
  const timeline = h('ol', { class: 'timeline', id: 'timeline', 'aria-live': 'off' });
  const list = h('ul', { class: 'messages', id: 'messages', 'aria-label': 'Recent messages' });
  const messages = new Map();
  const form = sendForm(ctx, id, { onSent: (m) => show(list, messages, m) });
  list.dataset.reply = form.enabled ? 'yes' : 'no';
  list.addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-reply-to]');
    if (b) form.replyTo(b.dataset.replyTo, b.dataset.chat);
  });
  const webhook = webhookSection(ctx, id);
  fill(main, heading('Connection'), head,
    h('div', { class: 'grid' },
      h('section', { class: 'card', 'aria-labelledby': 'tl-title' }, h('h2', { id: 'tl-title', text: 'Timeline' }), timeline),
      h('section', { class: 'card', 'aria-labelledby': 'msg-title' }, h('h2', { id: 'msg-title', text: 'Recent messages' }), list, form.element)),
    webhook.element);
  const stops = [webhook.stop];
  get(`/wa/connections/${enc(id)}`).then((c) => {
    drawHead(head, ctx, c);
    timeline.prepend(h('li', {}, h('strong', { text: 'created' }), ` ${time(c.createdAt)}`));
    stops.push(openStream({ query: `?connectionId=${enc(id)}&events=${TIMELINE}`, lastEventId: '0',
      onEvent: (e) => step(timeline, e) }));
  }, (e) => fill(head, errorBox(e)));
  get(`/wa/connections/${enc(id)}/messages?limit=30`).then((page) => {
    if (!page.messages.length && !messages.size) list.append(h('li', { class: 'muted', id: 'no-messages', text: 'No messages yet.' }));
    for (const m of page.messages.reverse()) show(list, messages, m);
  }, (e) => list.append(h('li', {}, errorBox(e))));
  stops.push(subscribe((e) => live(e, id, head, ctx, list, messages)));
  return () => stops.forEach((s) => s());
}

function drawHead(head, ctx, c) {
  const disconnect = h('button', { type: 'button', class: 'danger', id: 'disconnect', text: 'Disconnect…' });
  disconnect.addEventListener('click', async () => {
    const sure = await confirmDialog(`Log ${phone(c.number)} out of WhatsApp and archive this connection?`, 'Disconnect');
    if (!sure) return;
    try {
      await post(`/wa/disconnect/${enc(c.connectionId)}`);
      toast('Disconnected.');
    } catch (e) { toast(e.message); }
  });
  fill(head, h('p', { class: 'row' },
    h('span', { id: 'conn-status' }, badge(c.status)),
    h('strong', { text: phone(c.number) }),
    h('span', { text: (c.profile && c.profile.pushName) || '' }),
    h('span', { class: 'mono muted', text: c.connectionId }),
    c.reason ? h('span', { class: 'muted', text: `reason: ${c.reason}` }) : null,
    ctx.can('operator') && c.status !== 'disconnected' ? disconnect : null));
}

function step(timeline, e) {
  const what = {
    authenticated: 'scanned (authenticated)',
    ready: `connected as ${phone(e.data.number)}`,
    disconnected: `disconnected: ${e.data.reason}`,
    change_state: `state ${e.data.state}`,
    pairing_code: 'pairing code issued',
  }[e.event] || e.event;
  timeline.append(h('li', { 'data-event': e.event }, h('strong', { text: what }), ` ${time(e.timestamp)}`));
}

/** Moves the page along with the shared stream. */
function live(e, id, head, ctx, list, messages) {
  if (e.connectionId !== id) return;
  if (e.event === 'ready' || e.event === 'disconnected') {
    get(`/wa/connections/${enc(id)}`).then((c) => drawHead(head, ctx, c), (err) => toast(err.message));
  }
  if (e.event === 'message' || e.event === 'message_create') {
    const d = e.data;
    show(list, messages, { messageId: d.id, direction: d.fromMe ? 'outbound' : 'inbound', body: d.body, kind: d.type,
      from: d.from, to: d.to, timestamp: d.timestamp, status: d.fromMe ? undefined : 'received' });
  }
  if (e.event === 'message_ack') {
    const status = ACK_STATUS[e.data.ackName];
    const m = messages.get(e.data.messageId);
    if (!status) return;
    // An ack can overtake the send's answer: keep it until the message itself shows up.
    if (!m) messages.set(e.data.messageId, { messageId: e.data.messageId, status, early: true });
    else if (m.early) m.status = best(m.status, status);
    else show(list, messages, { messageId: e.data.messageId, status });
  }
}

const ORDER = ['failed', 'pending', 'sent', 'delivered', 'read', 'played'];
const rank = (s) => (s === 'failed' ? 99 : ORDER.indexOf(s));
/** The further of two delivery states (acks and snapshots arrive in any order). */
const best = (a, b) => (!a ? b : !b ? a : rank(b) >= rank(a) ? b : a);

/** Adds or updates one message in the list (oldest first, newest at the bottom). */
function show(list, messages, m) {
  if (!m.messageId) return;
  const old = messages.get(m.messageId);
  const merged = { ...old, ...Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) };
  merged.status = best(old && old.status, m.status) || (merged.direction === 'inbound' ? 'received' : 'pending');
  delete merged.early;
  messages.set(m.messageId, merged);
  const item = bubble(merged, list.dataset.reply === 'yes');
  const existing = list.querySelector(`li[data-message-id="${CSS.escape(m.messageId)}"]`);
  if (existing) existing.replaceWith(item);
  else {
    const none = list.querySelector('#no-messages');
    if (none) none.remove();
    list.append(item);
    list.scrollTop = list.scrollHeight;
  }
}

function bubble(m, canReply) {
  const who = m.direction === 'inbound' ? `from ${m.from || '?'}` : `to ${m.to || m.chatId || '?'}`;
  const ticks = m.direction === 'outbound'
    ? h('span', { class: 'ticks', 'data-status': m.status, role: 'img', 'aria-label': m.status, title: m.status, text: TICKS[m.status] || '' })
    : null;
  const reply = canReply && h('button', { type: 'button', class: 'secondary', text: 'Reply',
    'aria-label': `Reply to this message ${who}`, 'data-reply-to': m.messageId, 'data-chat': m.direction === 'inbound' ? m.from : m.to });
  return h('li', { class: `msg ${m.direction}`, 'data-message-id': m.messageId, 'data-status': m.status },
    h('div', { text: m.body || `[${m.kind || 'message'}]` }),
    h('div', { class: 'meta' }, h('span', { text: who }), h('span', { text: time(m.timestamp || m.createdAt) }), ticks, reply));
}
