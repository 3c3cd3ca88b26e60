// Building the page without innerHTML (nothing from the API is ever parsed as markup) and the
// formatting every page shares.

/** h('button', {class: 'x', onclick: fn, 'aria-label': 'y'}, 'text', child) */
export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'text') el.textContent = value;
    else if (key === 'value') el.value = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A short message at the bottom of the screen, read out by screen readers. */
export function toast(text) {
  const box = document.getElementById('toast');
  const p = h('p', { text });
  box.append(p);
  setTimeout(() => p.remove(), 5000);
}

/** An inline error under a form. */
export function errorBox(err) {
  return h('p', { class: 'error', role: 'alert', text: err && err.message ? err.message : String(err) });
}

export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function ago(iso) {
  if (!iso) return '—';
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return time(iso);
}

export function bytes(n) {
  if (n === undefined || n === null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function phone(number) {
  return number ? `+${number}` : '—';
}

export function badge(status) {
  return h('span', { class: `badge ${status}`, 'data-status': status, text: status });
}

/** A modal yes/no question; resolves true when confirmed. */
export function confirmDialog(question, confirmLabel) {
  return new Promise((resolve) => {
    const yes = h('button', { type: 'button', class: 'danger', text: confirmLabel });
    const no = h('button', { type: 'button', class: 'secondary', text: 'Cancel' });
    const dialog = h('dialog', { 'aria-labelledby': 'confirm-q' },
      h('p', { id: 'confirm-q', text: question }), h('div', { class: 'row' }, no, yes));
    const done = (answer) => { dialog.close(); dialog.remove(); resolve(answer); };
    yes.addEventListener('click', () => done(true));
    no.addEventListener('click', () => done(false));
    dialog.addEventListener('cancel', () => done(false));
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

/** A page heading that takes the focus after a route change (for keyboard and screen readers). */
export function heading(text) {
  return h('h1', { tabindex: '-1', text });
}
