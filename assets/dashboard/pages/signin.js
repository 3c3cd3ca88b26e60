// Sign-in: an API key, checked with GET /wa/me, then kept in this tab's session storage only.

import { get, key, ApiError } from '../api.js';
import { errorBox, fill, h } from '../dom.js';

export function render(main, message, onSignedIn) {
  const input = h('input', { id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const status = h('div', { 'aria-live': 'polite' }, message ? h('p', { class: 'muted', text: message }) : null);
  const form = h('form', { class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title', tabindex: '-1', text: 'Sign in' }),
    h('p', { class: 'muted', text: 'Use an API key of this gateway. It stays in this tab only and is sent as a header.' }),
    h('label', { for: 'api-key' }, 'API key', input),
    h('p', {}, h('button', { type: 'submit', id: 'signin-submit', text: 'Sign in' })),
    status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    key.set(value);
    try {
      const me = await get('/wa/me');
      onSignedIn(me);
    } catch (e) {
      key.clear();
      const text = e instanceof ApiError && e.status === 401 ? 'This key is not valid.' : e.message;
      fill(status, errorBox(text));
    }
  });
  fill(main, form);
  input.focus();
  return () => {};
}
