// Overview: connections by status (any role, from the live list); for admins also messages per
// minute, the webhook queue and memory per session from /metrics, sampled while the page is open.

import { get } from '../api.js';
import { bytes, fill, h, heading } from '../dom.js';
import { bars, sparkline } from '../charts.js';
import { connections, load, watch } from '../connections-state.js';
import { byConnection, parseMetrics, total } from '../metrics.js';

const SAMPLE_MS = 10000;
const KEEP = 30;
/** Samples survive page changes so the lines do not restart each visit. */
const history = [];

export function render(main, ctx) {
  const status = h('div', { id: 'ov-status' });
  const rate = h('div', { id: 'ov-rate' });
  const queue = h('div', { id: 'ov-queue' });
  const memory = h('div', { id: 'ov-memory' });
  const card = (id, title, body) => h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id, text: title }), body);
  const totals = h('p', { class: 'stat', id: 'ov-total' });
  fill(main, heading('Overview'), h('div', { class: 'grid' },
    card('ov-status-t', 'Connections by status', h('div', {}, totals, status)),
    ctx.can('admin') ? card('ov-rate-t', 'Messages per minute', rate) : null,
    ctx.can('admin') ? card('ov-queue-t', 'Webhook queue depth', queue) : null,
    ctx.can('admin') ? card('ov-memory-t', 'Memory per session (PSS)', memory) : null),
    ctx.can('admin') ? null : h('p', { class: 'muted', text: 'Message rates, the webhook queue and memory need an admin key (/metrics).' }));
  const drawStatus = () => {
    const count = (s) => [...connections.values()].filter((c) => c.status === s).length;
    totals.textContent = `${count('connected')} of ${connections.size} connected`;
    fill(status, bars(['connected', 'pending', 'disconnected'].map((s) => ({ label: s, value: count(s), kind: s })), { label: 'Connections by status' }));
  };
  const unwatch = watch(drawStatus);
  load(ctx.me.role).then(drawStatus, () => {});
  drawStatus();
  if (!ctx.can('admin')) return unwatch;
  const sample = async () => {
    try {
      const m = parseMetrics(await get('/metrics'));
      history.push({ at: Date.now(), messages: total(m, 'wa_messages_sent_total') + total(m, 'wa_messages_received_total'),
        queue: total(m, 'wa_webhook_queue_depth'), pss: byConnection(m, 'wa_browser_pss_bytes') });
      while (history.length > KEEP) history.shift();
      drawMetrics(rate, queue, memory);
    } catch (e) { fill(rate, h('p', { class: 'error', text: e.message })); }
  };
  // A rate needs two samples: take the second soon, then one every SAMPLE_MS.
  fill(rate, h('p', { class: 'muted', text: 'Measuring…' }));
  sample();
  const first = setTimeout(sample, 2000);
  const timer = setInterval(sample, SAMPLE_MS);
  return () => { unwatch(); clearTimeout(first); clearInterval(timer); };
}

function drawMetrics(rate, queue, memory) {
  const perMinute = history.slice(1).map((s, i) => {
    const before = history[i];
    return Math.max(0, ((s.messages - before.messages) * 60000) / Math.max(1, s.at - before.at));
  });
  const round = (v) => v.toFixed(1);
  if (perMinute.length) fill(rate, sparkline(perMinute, { label: 'Messages sent and received per minute', format: round }));
  fill(queue, sparkline(history.map((s) => s.queue), { label: 'Webhook deliveries waiting' }));
  const last = history[history.length - 1];
  const items = [...last.pss.entries()].map(([id, value]) => {
    const c = connections.get(id);
    return { label: c && c.number ? `+${c.number}` : id.slice(0, 8), value };
  });
  fill(memory, bars(items, { label: 'Memory per session', format: bytes }));
}
