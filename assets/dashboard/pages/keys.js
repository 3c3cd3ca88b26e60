// Keys (admin): create one for a tenant and role (shown once, with a copy button), list, revoke.

import { del, get, post } from '../api.js';
import { confirmDialog, errorBox, fill, h, heading, time, toast } from '../dom.js';

export function render(main) {
  const tenant = h('input', { id: 'key-tenant', required: true, maxlength: '100', autocomplete: 'off' });
  const role = h('select', { id: 'key-role' }, ['viewer', 'sender', 'operator', 'admin'].map((r) => h('option', { value: r, text: r })));
  const name = h('input', { id: 'key-name', maxlength: '100', autocomplete: 'off' });
  const created = h('div', { id: 'key-created', 'aria-live': 'polite' });
  const list = h('div', { id: 'key-list' });
  const form = h('form', { class: 'card', id: 'key-form', 'aria-labelledby': 'new-key' },
    h('h2', { id: 'new-key', text: 'New key' }),
    h('div', { class: 'row' }, h('label', { for: 'key-tenant' }, 'Tenant', tenant), h('label', { for: 'key-role' }, 'Role', role),
      h('label', { for: 'key-name' }, 'Name (optional)', name), h('button', { type: 'submit', text: 'Create key' })),
    created);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { tenant: tenant.value.trim(), role: role.value };
    if (name.value.trim()) body.name = name.value.trim();
    try {
      const k = await post('/wa/keys', body);
      fill(created, shownOnce(k));
      loadList(list);
    } catch (e) { fill(created, errorBox(e)); }
  });
  fill(main, heading('API keys'), form, h('h2', { text: 'Keys' }), list);
  loadList(list);
  return () => {};
}

function shownOnce(k) {
  const value = h('input', { id: 'key-value', readonly: true, value: k.key, class: 'mono' });
  const copy = h('button', { type: 'button', id: 'key-copy', text: 'Copy' });
  copy.addEventListener('click', async () => {
    value.select();
    try {
      await navigator.clipboard.writeText(k.key);
      toast('Copied.');
    } catch {
      toast('Copy was refused by the browser: the key is selected, copy it by hand.');
    }
  });
  return h('div', {}, h('p', { text: 'This key is shown only now. Keep it somewhere safe:' }),
    h('div', { class: 'row' }, h('label', { for: 'key-value' }, 'New key', value), copy));
}

async function loadList(box) {
  let keys;
  try { keys = await get('/wa/keys'); } catch (e) { fill(box, errorBox(e)); return; }
  const cell = (label, ...c) => h('td', { 'data-label': label }, ...c);
  const rows = keys.map((k) => h('tr', { 'data-key-id': k.id, 'data-revoked': k.revokedAt ? 'yes' : 'no' },
    cell('Name', k.name || '—'), cell('Tenant', k.tenant), cell('Role', k.role), cell('Starts with', h('span', { class: 'mono', text: k.keyPrefix })),
    cell('Created', time(k.createdAt)), cell('Revoked', k.revokedAt ? time(k.revokedAt) : '—'),
    cell('Revoke', k.revokedAt ? '—' : h('button', { type: 'button', class: 'danger', 'data-revoke': k.id, text: 'Revoke',
      'aria-label': `Revoke the key ${k.name || k.keyPrefix}`, onclick: () => revoke(k, box) }))));
  fill(box, keys.length ? h('table', { class: 'stack', id: 'keys' },
    h('thead', {}, h('tr', {}, ['Name', 'Tenant', 'Role', 'Starts with', 'Created', 'Revoked', 'Revoke'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, rows)) : h('p', { class: 'muted', text: 'No keys yet.' }));
}

async function revoke(k, box) {
  if (!(await confirmDialog(`Revoke the key ${k.name || k.keyPrefix}? Its users are refused at once.`, 'Revoke'))) return;
  try {
    await del(`/wa/keys/${encodeURIComponent(k.id)}`);
    toast('Revoked.');
    loadList(box);
  } catch (e) { toast(e.message); }
}
