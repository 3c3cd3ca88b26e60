// Small charts drawn by hand as SVG (a chart library would outweigh the whole dashboard).
// Each chart is an image with a text alternative that says what it shows.

import { h } from './dom.js';

const W = 260;

/** Horizontal bars, each under its label: [{label, value, kind?}]; `format` renders values. */
export function bars(items, { label, format = String }) {
  const row = 36;
  const height = Math.max(items.length, 1) * row + 2;
  const max = Math.max(1, ...items.map((i) => i.value));
  const svg = h('svg:svg', { class: 'chart', viewBox: `0 0 ${W} ${height}`, role: 'img',
    'aria-label': `${label}: ${items.map((i) => `${i.label} ${format(i.value)}`).join(', ') || 'none'}` });
  items.forEach((item, n) => {
    const y = n * row;
    const width = Math.max(2, (item.value / max) * (W - 90));
    svg.append(
      h('svg:text', { x: 0, y: y + 13, text: item.label }),
      h('svg:rect', { class: `bar ${item.kind || ''}`, x: 0, y: y + 18, width, height: 12, rx: 3 }),
      h('svg:text', { x: width + 6, y: y + 29, text: format(item.value) }));
  });
  if (!items.length) svg.append(h('svg:text', { x: 0, y: 16, text: 'nothing yet' }));
  return svg;
}

/** A line over time: values oldest first. */
export function sparkline(values, { label, format = String }) {
  const height = 80;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? W / (values.length - 1) : W;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 18 - (v / max) * (height - 26)).toFixed(1)}`);
  const last = values.length ? values[values.length - 1] : 0;
  const svg = h('svg:svg', { class: 'chart', viewBox: `0 0 ${W} ${height}`, role: 'img',
    'aria-label': `${label}: now ${format(last)}, highest ${format(Math.max(0, ...values))} over the last ${values.length} samples` });
  svg.append(h('svg:line', { class: 'axis', x1: 0, y1: height - 18, x2: W, y2: height - 18 }));
  if (points.length > 1) svg.append(h('svg:polyline', { class: 'line', points: points.join(' ') }));
  svg.append(h('svg:text', { x: 0, y: height - 3, text: `now ${format(last)} · max ${format(Math.max(0, ...values))}` }));
  return svg;
}
