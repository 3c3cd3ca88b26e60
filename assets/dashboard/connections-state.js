// Every connection the key may see, kept current from the event stream (no polling): loaded
// once, then each event moves its connection along. Pages subscribe to redraw.

import { get, enc } from './api.js';
import { subscribe } from './stream.js';
import { parseMetrics, byConnection } from './metrics.js';

export const connections = new Map();
const watchers = new Set();
let role = 'viewer';
let loaded = null;

export function watch(fn) {
  watchers.add(fn);
  return () => watchers.delete(fn);
}

function changed(id) {
  watchers.forEach((fn) => fn(id));
}

/** Loads the list once per sign-in (pages await it), then follows the stream. */
export function load(myRole) {
  role = myRole;
  if (!loaded) {
    loaded = (async () => {
      // Events that arrive while the list loads are applied on top of it, in order.
      const early = [];
      const hold = subscribe((e) => early.push(e));
      let list;
      try { list = await get('/wa/connections'); } finally { hold(); }
      for (const c of list) connections.set(c.connectionId, { ...c });
      early.forEach(apply);
      changed(null);
      subscribe(apply);
      details([...connections.values()].filter((c) => c.status === 'connected').map((c) => c.connectionId));
      refreshStats().catch(() => {});
    })();
  }
  return loaded;
}

export function reset() {
  connections.clear();
  loaded = null;
}

/** What each event says about its connection. */
function apply(e) {
  const id = e.connectionId;
  if (!id) return;
  const known = connections.has(id);
  const c = connections.get(id) || { connectionId: id, status: 'pending' };
  switch (e.event) {
    case 'qr': case 'pairing_code':
      c.status = 'pending';
      break;
    case 'ready':
      c.status = 'connected';
      c.number = e.data.number || c.number;
      c.profileName = (e.data.profile && e.data.profile.pushName) || c.profileName;
      c.reason = null;
      refreshStats([id]).catch(() => {});
      break;
    case 'disconnected':
      c.status = 'disconnected';
      c.reason = e.data.reason;
      c.pssBytes = undefined;
      c.cpuSeconds = undefined;
      break;
    case 'message': case 'message_create': case 'message_ack':
      c.lastActive = e.timestamp;
      break;
    default:
      if (!known) break;
      return;
  }
  connections.set(id, c);
  if (!known) details([id]);
  changed(id);
}

/** Profile names (and anything else the list lacks), a few at a time. */
async function details(ids) {
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id; id = queue.shift()) {
      try {
        const d = await get(`/wa/connections/${enc(id)}`);
        const c = connections.get(id);
        if (!c) continue;
        c.profileName = (d.profile && d.profile.pushName) || c.profileName;
        c.number = d.number || c.number;
        c.reason = d.reason;
        c.createdAt = d.createdAt;
        changed(id);
      } catch { /* gone meanwhile: the stream will say so */ }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

/** Memory and CPU: one scrape of /metrics for an admin, else /stats per running connection. */
export async function refreshStats(ids) {
  if (role === 'admin') {
    const m = parseMetrics(await get('/metrics'));
    const pss = byConnection(m, 'wa_browser_pss_bytes');
    const cpu = byConnection(m, 'wa_browser_cpu_seconds_total');
    for (const c of connections.values()) {
      c.pssBytes = pss.get(c.connectionId);
      c.cpuSeconds = cpu.get(c.connectionId);
    }
    changed(null);
    return;
  }
  const wanted = ids || [...connections.values()].filter((c) => c.status === 'connected').map((c) => c.connectionId);
  for (const id of wanted) {
    try {
      const s = await get(`/wa/connections/${enc(id)}/stats`);
      const c = connections.get(id);
      if (c) Object.assign(c, { pssBytes: s.running ? s.pssBytes : undefined, cpuSeconds: s.running ? s.cpuSeconds : undefined });
      changed(id);
    } catch { /* gone meanwhile */ }
  }
}
