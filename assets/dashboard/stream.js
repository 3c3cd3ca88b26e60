// The live event stream: `GET /wa/events` (Server-Sent Events) read with fetch(), because an
// EventSource cannot send the X-Api-Key header and the key must never be in a URL. Reconnects
// with Last-Event-ID, so nothing is missed across a drop.

import { key, unauthorized } from './api.js';

/** Every event the gateway sends, in its documented order (a unit test holds this to the server's list). */
export const EVENT_NAMES = ['qr', 'pairing_code', 'loading', 'authenticated', 'ready', 'message', 'message_create', 'message_ack', 'message_reaction', 'message_edit', 'message_revoke', 'poll_vote', 'media_uploaded', 'change_state', 'disconnected', 'group_join', 'group_leave', 'group_admin_changed', 'group_update', 'group_membership_request', 'contact_changed', 'chat_archived', 'chat_removed', 'call', 'asleep', 'awake'];

/** Opens a stream; `onEvent(envelope)` for each event, `onState('live'|'reconnecting')`. */
export function openStream({ query = '', lastEventId = null, onEvent, onState = () => {} }) {
  const control = new AbortController();
  let last = lastEventId;
  let pause = 500;
  const run = async () => {
    while (!control.signal.aborted) {
      try {
        await follow();
        pause = 500;
      } catch (e) {
        if (control.signal.aborted) return;
      }
      if (control.signal.aborted) return;
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 10000);
    }
  };
  const follow = async () => {
    const headers = { 'X-Api-Key': key.get() || '', Accept: 'text/event-stream' };
    if (last) headers['Last-Event-ID'] = last;
    const response = await fetch(`/wa/events${query}`, { headers, signal: control.signal, cache: 'no-store' });
    if (response.status === 401) {
      // The key was revoked: retrying cannot help; the tab signs out.
      control.abort();
      unauthorized('the API key is no longer valid');
      return;
    }
    if (!response.ok) throw new Error(`stream: HTTP ${response.status}`);
    onState('live');
    await parse(response.body, (envelope) => { last = envelope.id; onEvent(envelope); });
  };
  run();
  return () => control.abort();
}

/** Reads SSE frames: `id:`, `event:`, `data:` lines, a blank line ends one. */
async function parse(body, emit) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (data.length) emit(JSON.parse(data.join('\n')));
        data = [];
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      }
    }
  }
}

/** One stream for the whole tab, shared by every page. */
const listeners = new Set();
let stop = null;

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function startHub(onState) {
  stopHub();
  const onEvent = (e) => listeners.forEach((fn) => {
    // A page's bug must not end the stream for the others; it still shows in the console.
    try { fn(e); } catch (err) { console.error(err); }
  });
  stop = openStream({ onEvent, onState });
}

export function stopHub() {
  if (stop) stop();
  stop = null;
}
