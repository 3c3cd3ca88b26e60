// The dashboard's shell: sign-in, the navigation, the live-stream indicator and the routes
// (`#/page/arg`). Each page module exports `render(main, ctx, arg)` returning a cleanup function.

import { get, key, whenUnauthorized } from './api.js';
import { fill, h, toast } from './dom.js';
import { startHub, stopHub } from './stream.js';
import * as state from './connections-state.js';
import * as signin from './pages/signin.js';
import * as overview from './pages/overview.js';
import * as connectionsPage from './pages/connections.js';
import * as link from './pages/link.js';
import * as connection from './pages/connection.js';
import * as events from './pages/events.js';
import * as keys from './pages/keys.js';

const ROLES = ['viewer', 'sender', 'operator', 'admin'];
const PAGES = {
  overview: { page: overview, role: 'viewer' },
  connections: { page: connectionsPage, role: 'viewer' },
  link: { page: link, role: 'operator' },
  c: { page: connection, role: 'viewer', nav: 'connections' },
  events: { page: events, role: 'viewer' },
  keys: { page: keys, role: 'admin' },
};

const main = document.getElementById('main');
let ctx = null;
let cleanup = () => {};

/** What the signed-in key may do: `ctx.can('operator')`. */
function context(me) {
  const rank = ROLES.indexOf(me.role);
  return { me, can: (role) => rank >= ROLES.indexOf(role) };
}

async function start() {
  whenUnauthorized((message) => signOut(`Signed out: ${message}`));
  document.getElementById('signout').addEventListener('click', () => signOut('Signed out.'));
  window.addEventListener('hashchange', route);
  if (!key.get()) return showSignIn();
  try {
    await enter(await get('/wa/me'));
  } catch (e) {
    showSignIn(e.message);
  }
}

/** Signed in: the navigation for this role, the stream, then the page. */
async function enter(me) {
  ctx = context(me);
  document.getElementById('who').textContent = `${me.role} · ${me.tenant}`;
  for (const a of document.querySelectorAll('#nav a')) a.hidden = !ctx.can(a.dataset.role || 'viewer');
  document.getElementById('nav').hidden = false;
  document.getElementById('signout').hidden = false;
  const live = document.getElementById('live');
  startHub((s) => { live.textContent = s === 'live' ? '● live' : '○ reconnecting…'; });
  state.load(me.role).catch((e) => toast(`Connections: ${e.message}`));
  route();
}

function showSignIn(message) {
  cleanup();
  cleanup = signin.render(main, message, async (me) => {
    await enter(me);
  });
}

function signOut(message) {
  if (!ctx) return;
  ctx = null;
  key.clear();
  stopHub();
  state.reset();
  for (const id of ['nav', 'signout']) document.getElementById(id).hidden = true;
  document.getElementById('who').textContent = '';
  document.getElementById('live').textContent = '';
  showSignIn(message);
}

function route() {
  if (!ctx) return;
  const hash = location.hash || '#/connections';
  if (!hash.startsWith('#/')) return; // the skip link, not a page
  const [name, ...rest] = hash.slice(2).split('/');
  const entry = PAGES[name] || PAGES.connections;
  cleanup();
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === (entry.nav || name)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!ctx.can(entry.role)) {
    fill(main, h('h1', { tabindex: '-1', text: 'Not allowed' }), h('p', { text: `This page needs the ${entry.role} role.` }));
    cleanup = () => {};
  } else {
    cleanup = entry.page.render(main, ctx, rest.map(decodeURIComponent).join('/')) || (() => {});
  }
  const title = main.querySelector('h1');
  if (title && document.activeElement !== document.body) title.focus();
}

start();
