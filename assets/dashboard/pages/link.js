// Link a number: add a connection and show its QR code as it rotates (`qr` events), or ask for a
// pairing code for a phone number (`pairing_code` events); then follow it to `connected`.

import { post } from '../api.js';
import { errorBox, fill, h, heading, phone } from '../dom.js';
import { subscribe } from '../stream.js';

export function render(main) {
  const out = h('div', { id: 'link-progress', 'aria-live': 'polite' });
  const qrButton = h('button', { type: 'button', id: 'link-qr', text: 'Show a QR code' });
  const phoneInput = h('input', { id: 'link-phone', type: 'tel', inputmode: 'tel', autocomplete: 'off', placeholder: '+92 300 1234567' });
  const codeForm = h('form', { class: 'row' },
    h('label', { for: 'link-phone' }, 'Phone number (international format)', phoneInput),
    h('button', { type: 'submit', class: 'secondary', id: 'link-code-submit', text: 'Get a pairing code' }));
  let stop = () => {};
  const begin = async (body) => {
    stop();
    qrButton.disabled = true;
    fill(out, h('p', { class: 'muted', text: 'Starting a browser for the new connection…' }));
    try {
      const created = await post('/wa/add-number', body);
      stop = follow(out, created);
    } catch (e) {
      fill(out, errorBox(e));
    } finally {
      qrButton.disabled = false;
    }
  };
  qrButton.addEventListener('click', () => begin(undefined));
  codeForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (phoneInput.value.trim()) begin({ phone: phoneInput.value.trim() });
  });
  fill(main, heading('Link a number'),
    h('div', { class: 'grid' },
      h('section', { class: 'card', 'aria-labelledby': 'by-qr' }, h('h2', { id: 'by-qr', text: 'By QR code' }),
        h('p', { class: 'muted', text: 'On the phone: WhatsApp → Settings → Linked devices → Link a device, then scan.' }), qrButton),
      h('section', { class: 'card', 'aria-labelledby': 'by-code' }, h('h2', { id: 'by-code', text: 'By phone number' }),
        h('p', { class: 'muted', text: 'On the phone: Link a device → Link with phone number instead, then type the code.' }), codeForm)),
    out);
  return () => stop();
}

/** Shows the code and follows the connection's events until it is connected or ends. */
function follow(out, created) {
  const id = created.connectionId;
  const img = h('img', { class: 'qr', id: 'link-qr-image', alt: 'QR code to scan with WhatsApp; it changes every few seconds' });
  const code = h('p', { class: 'code', id: 'link-code' });
  const status = h('p', { id: 'link-status', 'data-status': 'pending', text: 'Waiting for the scan…' });
  if (created.qr) img.src = created.qr;
  if (created.pairingCode) code.textContent = created.pairingCode;
  fill(out, h('p', {}, 'Connection ', h('a', { href: `#/c/${encodeURIComponent(id)}`, class: 'mono', text: id })),
    created.pairingCode ? code : img, status);
  return subscribe((e) => {
    if (e.connectionId !== id) return;
    if (e.event === 'qr' && e.data.qrDataUrl) img.src = e.data.qrDataUrl;
    if (e.event === 'pairing_code') code.textContent = e.data.pairingCode;
    if (e.event === 'authenticated') status.textContent = 'Scanned: loading the chats…';
    if (e.event === 'loading') status.textContent = `Loading the chats: ${Math.round(e.data.percent)} %`;
    if (e.event === 'ready') {
      img.remove();
      code.remove();
      status.dataset.status = 'connected';
      fill(status, `Connected as ${phone(e.data.number)}. `, h('a', { href: `#/c/${encodeURIComponent(id)}`, text: 'Open the connection' }));
    }
    if (e.event === 'disconnected') {
      status.dataset.status = 'disconnected';
      status.textContent = `Ended: ${e.data.reason}`;
    }
  });
}
