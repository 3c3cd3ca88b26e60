// Reads the Prometheus text of `GET /metrics` (admin only) into {name: [{labels, value}]}.

export function parseMetrics(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    for (const pair of (m[3] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    (out[m[1]] ||= []).push({ labels, value: Number(m[4]) });
  }
  return out;
}

/** The sum of a metric's samples (0 when absent). */
export function total(metrics, name) {
  return (metrics[name] || []).reduce((sum, s) => sum + (Number.isFinite(s.value) ? s.value : 0), 0);
}

/** A metric's value for each connection id. */
export function byConnection(metrics, name) {
  const out = new Map();
  for (const s of metrics[name] || []) if (s.labels.connection_id) out.set(s.labels.connection_id, s.value);
  return out;
}
