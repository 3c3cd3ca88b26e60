// A connection's webhook: its settings (secrets are write-only) and its deliveries, dead
// letters first to hand, each with a replay button for operators.

import { del, enc, get, post, put } from '../api.js';
import { badge, errorBox, fill, h, time, toast } from '../dom.js';
import { EVENT_NAMES as EVENTS, subscribe } from '../stream.js';


export function webhookSection(ctx, id) {
  const settings = h('div', { id: 'webhook-settings' });
  const deliveries = h('div', { id: 'deliveries' });
  const only = h('input', { type: 'checkbox', id: 'dead-only' });
  const reload = () => loadDeliveries(ctx, id, deliveries, only.checked);
  only.addEventListener('change', reload);
  const element = h('div', { class: 'grid' },
    h('section', { class: 'card', 'aria-labelledby': 'wh-title' }, h('h2', { id: 'wh-title', text: 'Webhook' }), settings),
    h('section', { class: 'card', 'aria-labelledby': 'dl-title' }, h('h2', { id: 'dl-title', text: 'Deliveries' }),
      h('div', { class: 'row' }, h('label', { class: 'inline', for: 'dead-only' }, only, 'Dead letters only'),
        h('button', { type: 'button', class: 'secondary', id: 'deliveries-refresh', text: 'Refresh', onclick: reload })),
      deliveries));
  loadSettings(ctx, id, settings);
  reload();
  // New events make new deliveries, and attempts change them: look again shortly after each
  // event, and every few seconds while some are still pending.
  let timer = null;
  const soon = (ms) => { clearTimeout(timer); timer = setTimeout(reload, ms); };
  const unsubscribe = subscribe((e) => { if (e.connectionId === id) soon(1500); });
  const observer = new MutationObserver(() => { if (deliveries.querySelector('[data-status="pending"]')) soon(3000); });
  observer.observe(deliveries, { childList: true, subtree: true });
  return { element, stop: () => { unsubscribe(); observer.disconnect(); clearTimeout(timer); } };
}

async function loadSettings(ctx, id, box) {
  let current = null;
  try {
    current = (await get(`/wa/connections/${enc(id)}/webhook`)).webhook;
  } catch (e) { fill(box, errorBox(e)); return; }
  const editable = ctx.can('operator');
  const url = h('input', { id: 'wh-url', type: 'url', value: current ? current.url : '', placeholder: 'https://example.com/hook', disabled: !editable });
  const secret = h('input', { id: 'wh-secret', type: 'password', autocomplete: 'new-password', disabled: !editable,
    placeholder: current && current.secretSet ? 'set (type to replace)' : 'none' });
  const boxes = EVENTS.map((name) => h('label', { class: 'inline' },
    h('input', { type: 'checkbox', value: name, disabled: !editable, checked: current && current.events.includes(name) }), name));
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', { id: 'webhook-form' },
    h('label', { for: 'wh-url' }, 'URL', url),
    h('fieldset', {}, h('legend', { text: 'Events (none checked: all)' }), h('div', { class: 'row' }, boxes)),
    h('label', { for: 'wh-secret' }, 'Secret for X-Hub-Signature-256', secret),
    editable ? h('p', { class: 'row' }, h('button', { type: 'submit', text: 'Save webhook' }),
      current ? h('button', { type: 'button', class: 'secondary', id: 'wh-remove', text: 'Remove webhook', onclick: async () => {
        try { await del(`/wa/connections/${enc(id)}/webhook`); toast('Webhook removed.'); loadSettings(ctx, id, box); } catch (e) { fill(status, errorBox(e)); }
      } }) : null) : h('p', { class: 'muted', text: 'Operators may change the webhook.' }),
    status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { url: url.value.trim(), events: boxes.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value) };
    if (secret.value) body.secret = secret.value;
    try {
      await put(`/wa/connections/${enc(id)}/webhook`, body);
      toast('Webhook saved.');
      loadSettings(ctx, id, box);
    } catch (e) { fill(status, errorBox(e)); }
  });
  fill(box, form);
}

async function loadDeliveries(ctx, id, box, deadOnly) {
  let list;
  try {
    list = await get(`/wa/webhooks/deliveries?connectionId=${enc(id)}&limit=20${deadOnly ? '&status=failed' : ''}`);
  } catch (e) { fill(box, errorBox(e)); return; }
  if (!list.length) { fill(box, h('p', { class: 'muted', text: 'No deliveries.' })); return; }
  const cell = (label, ...c) => h('td', { 'data-label': label }, ...c);
  const rows = list.map((d) => h('tr', { 'data-delivery-id': d.id, 'data-status': d.status },
    cell('Event', d.event), cell('Status', badge(d.status === 'failed' ? 'failed' : d.status), d.status === 'failed' ? ' (dead letter)' : ''),
    cell('Attempts', String(d.attempts)),
    cell('Last answer', d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : (d.lastError || '—')),
    cell('Updated', time(d.updatedAt)),
    cell('Replay', ctx.can('operator') && d.status !== 'pending'
      ? h('button', { type: 'button', class: 'secondary', 'data-replay': d.id, text: 'Replay', 'aria-label': `Replay the ${d.event} delivery`,
        onclick: async () => {
          try { await post(`/wa/webhooks/deliveries/${enc(d.id)}/retry`); toast('Queued again.'); loadDeliveries(ctx, id, box, deadOnly); } catch (e) { toast(e.message); }
        } })
      : '—')));
  fill(box, h('table', { class: 'stack' },
    h('thead', {}, h('tr', {}, ['Event', 'Status', 'Attempts', 'Last answer', 'Updated', 'Replay'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, rows)));
}
