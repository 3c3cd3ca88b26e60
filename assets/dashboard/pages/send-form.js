// The send form: text, a file with a caption, or a location, optionally as a reply. Text and
// location are JSON (`message` / `location {latitude, longitude, name?, address?}`, `replyTo`);
// a file is multipart (`to`, `caption`, `file`). Shown only to keys that may send.

import { call, enc } from '../api.js';
import { errorBox, fill, h } from '../dom.js';

export function sendForm(ctx, id, { onSent }) {
  if (!ctx.can('sender')) {
    const element = h('p', { class: 'muted', id: 'send-disabled', text: 'This key may read but not send.' });
    return { element, enabled: false, replyTo: () => {} };
  }
  const f = fields();
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', { id: 'send-form', 'aria-labelledby': 'send-title' },
    h('h2', { id: 'send-title', text: 'Send a message' }),
    h('div', { class: 'row' },
      h('label', { for: 'send-to' }, 'To (number or chat id)', f.to),
      h('label', { for: 'send-kind' }, 'Kind', f.kind)),
    f.text, f.file, f.location,
    h('div', { class: 'row' }, h('label', { for: 'send-reply' }, 'Reply to (message id, optional)', f.reply),
      h('button', { type: 'submit', id: 'send-submit', text: 'Send' })),
    status);
  const showKind = () => {
    f.text.hidden = f.kind.value !== 'text';
    f.file.hidden = f.kind.value !== 'file';
    f.location.hidden = f.kind.value !== 'location';
  };
  f.kind.addEventListener('change', showKind);
  showKind();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const submit = form.querySelector('#send-submit');
    submit.disabled = true;
    try {
      const { body, preview } = payload(f);
      const sent = await call('POST', `/wa/send/${enc(id)}`, body);
      fill(status, h('p', { class: 'muted', text: `Sent: ${sent.messageId}` }));
      onSent({ messageId: sent.messageId, direction: 'outbound', to: f.to.value.trim(), body: preview, timestamp: sent.timestamp, status: 'pending' });
      f.message.value = '';
    } catch (e) {
      fill(status, errorBox(e));
    } finally {
      submit.disabled = false;
    }
  });
  const replyTo = (messageId, chat) => {
    f.reply.value = messageId;
    if (chat) f.to.value = chat;
    f.kind.value = 'text';
    showKind();
    f.message.focus();
  };
  return { element: form, enabled: true, replyTo };
}

function fields() {
  const input = (id, attrs = {}) => h('input', { id, name: id, ...attrs });
  const f = {
    to: input('send-to', { required: true, autocomplete: 'off', placeholder: '+92 300 7654321' }),
    kind: h('select', { id: 'send-kind' }, ['text', 'file', 'location'].map((k) => h('option', { value: k, text: k }))),
    message: h('textarea', { id: 'send-message', name: 'message' }),
    upload: input('send-file', { type: 'file' }),
    caption: input('send-caption'),
    lat: input('send-lat', { type: 'number', step: 'any', min: '-90', max: '90' }),
    lng: input('send-lng', { type: 'number', step: 'any', min: '-180', max: '180' }),
    place: input('send-place'),
    address: input('send-address'),
    reply: input('send-reply', { autocomplete: 'off' }),
  };
  f.text = h('label', { for: 'send-message' }, 'Message', f.message);
  f.file = h('fieldset', {}, h('legend', { text: 'File' }),
    h('div', { class: 'row' }, h('label', { for: 'send-file' }, 'File', f.upload), h('label', { for: 'send-caption' }, 'Caption', f.caption)));
  f.location = h('fieldset', {}, h('legend', { text: 'Location' }), h('div', { class: 'row' },
    h('label', { for: 'send-lat' }, 'Latitude', f.lat), h('label', { for: 'send-lng' }, 'Longitude', f.lng),
    h('label', { for: 'send-place' }, 'Name (optional)', f.place), h('label', { for: 'send-address' }, 'Address (optional)', f.address)));
  return f;
}

/** The request body for the chosen kind, and what the message list shows for it. */
function payload(f) {
  const to = f.to.value.trim();
  const replyTo = f.reply.value.trim() || undefined;
  if (f.kind.value === 'file') {
    const file = f.upload.files[0];
    if (!file) throw new Error('Choose a file to send.');
    const body = new FormData();
    body.append('to', to);
    if (f.caption.value.trim()) body.append('caption', f.caption.value.trim());
    if (replyTo) body.append('replyTo', replyTo);
    body.append('file', file, file.name);
    return { body, preview: f.caption.value.trim() || `[file ${file.name}]` };
  }
  if (f.kind.value === 'location') {
    const location = { latitude: Number(f.lat.value), longitude: Number(f.lng.value) };
    if (f.place.value.trim()) location.name = f.place.value.trim();
    if (f.address.value.trim()) location.address = f.address.value.trim();
    return { body: { to, location, replyTo }, preview: `[location ${location.latitude}, ${location.longitude}]` };
  }
  return { body: { to, message: f.message.value, replyTo }, preview: f.message.value };
}
