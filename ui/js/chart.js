// Charts on uPlot (vendored, see ui/README.md). Colors come from CSS custom properties so the
// charts follow the light/dark theme; the app rebuilds views when the system theme flips.

import uPlot from '../vendor/uPlot.esm.js';
import { h } from './dom.js';

const live = new Set();

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export function seriesColor(key, i = 0) {
  const named = { 'claude-code': '--c-claude', codex: '--c-codex' };
  if (named[key]) return cssVar(named[key], '#888');
  return cssVar(`--c-${(i % 6) + 1}`, '#888');
}

function axis(fmt, side) {
  const stroke = cssVar('--muted', '#777');
  const grid = cssVar('--grid', '#eee');
  return {
    side,
    stroke,
    font: '11px system-ui, sans-serif',
    grid: { show: side !== 1, stroke: grid, width: 1 },
    ticks: { show: false },
    gap: 4,
    size: side === 1 || side === 3 ? 64 : 28,
    values: fmt ? (u, splits) => splits.map((v) => fmt(v)) : undefined,
  };
}

// Keeps uPlot sized to its container.
function mount(container, opts, data) {
  container.classList.add('chart');
  const width = Math.max(200, container.clientWidth || 600);
  const plot = new uPlot({ ...opts, width }, data, container);
  const ro = new ResizeObserver(() => {
    const w = container.clientWidth;
    if (w > 0 && Math.abs(w - plot.width) > 1) plot.setSize({ width: w, height: opts.height });
  });
  ro.observe(container);
  const entry = { plot, ro, container };
  live.add(entry);
  return plot;
}

// Destroys charts whose container left the document (called before each view render).
export function sweep() {
  for (const e of live) {
    if (!e.container.isConnected) {
      e.ro.disconnect();
      e.plot.destroy();
      live.delete(e);
    }
  }
}

// x values for calendar days/hours are "wall clock as UTC" seconds, so the axis shows the
// backend's local dates without any zone conversion in the browser.
export function wallSeconds(key) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}))?/.exec(key);
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], m[4] ? +m[4] : 0) / 1000;
}

// Stacked bars. layers: [{label, key, values:[…]}] bottom first; x: seconds.
export function stackedBars(container, { x, layers, yFmt, height = 180, xUnit = 'day', label }) {
  const stacked = [];
  let acc = x.map(() => 0);
  for (const l of layers) {
    acc = acc.map((a, i) => a + (l.values[i] || 0));
    stacked.push(acc.slice());
  }
  // uPlot paints in series order: the tallest (cumulative) layer first, lower layers over it.
  const order = layers.map((_, i) => i).reverse();
  const bars = uPlot.paths.bars({ size: [0.72, 28], gap: 1, radius: 0.15 });
  const series = [{ label: xUnit === 'hour' ? 'Hour' : 'Day', value: (u, v) => (v == null ? '—' : xLabel(v, xUnit)) }];
  const data = [x];
  for (const i of order) {
    const l = layers[i];
    const color = seriesColor(l.key, i);
    series.push({
      label: l.label,
      stroke: color,
      fill: color,
      width: 0,
      paths: bars,
      points: { show: false },
      value: (u, v, si, idx) => (idx == null ? '—' : yFmt(l.values[idx] || 0)),
    });
    data.push(stacked[i]);
  }
  const opts = {
    height,
    title: undefined,
    padding: [8, 8, 0, 0],
    cursor: { points: { show: false }, drag: { x: false, y: false } },
    legend: { show: true, live: true },
    scales: {
      x: { time: true, range: (u, min, max) => [min - pad(xUnit), max + pad(xUnit)] },
      y: { range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1] },
    },
    axes: [
      { ...axis(null, 2), values: (u, splits) => splits.map((v) => xTick(v, xUnit)), grid: { show: false } },
      axis(yFmt, 3),
    ],
    series,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
  };
  const plot = mount(container, opts, data);
  if (label) container.setAttribute('aria-label', label);
  return plot;
}

function pad(unit) {
  return unit === 'hour' ? 1800 : 43200;
}

const tickDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const tickHour = new Intl.DateTimeFormat(undefined, { hour: '2-digit', hourCycle: 'h23', timeZone: 'UTC' });
function xTick(v, unit) {
  const d = new Date(v * 1000);
  return unit === 'hour' ? `${tickHour.format(d)}h` : tickDay.format(d);
}
function xLabel(v, unit) {
  const d = new Date(v * 1000);
  return unit === 'hour' ? `${tickDay.format(d)}, ${tickHour.format(d)}:00` : tickDay.format(d);
}

// One session's requests: tokens per request as bars (left) and the running cost as a line
// (right). ts are real instants (seconds); the axis shows them in the app's zone.
export function requestsChart(container, { ts, tokens, cumCost, tokFmt, costFmt, timeZone, height = 170 }) {
  const bars = uPlot.paths.bars({ size: [0.6, 10, 3], gap: 0 });
  const accent = cssVar('--accent', '#2563eb');
  const tokColor = cssVar('--c-tokens', '#9aa4b2');
  let zone = timeZone;
  try {
    uPlot.tzDate(new Date(), zone);
  } catch {
    zone = undefined;
  }
  const fmtTime = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: zone });
  const fmtTick = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone });
  const opts = {
    height,
    padding: [8, 4, 0, 0],
    cursor: { drag: { x: true, y: false } },
    legend: { show: true, live: true },
    scales: { x: { time: true }, tok: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] }, usd: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { ...axis(null, 2), grid: { show: false }, values: (u, splits) => splits.map((v) => fmtTick.format(new Date(v * 1000))) },
      { ...axis(tokFmt, 3), scale: 'tok' },
      { ...axis(costFmt, 1), scale: 'usd', grid: { show: false } },
    ],
    series: [
      { label: 'Time', value: (u, v) => (v == null ? '—' : fmtTime.format(new Date(v * 1000))) },
      { label: 'Tokens', scale: 'tok', stroke: tokColor, fill: tokColor, width: 0, paths: bars, points: { show: false }, value: (u, v) => (v == null ? '—' : tokFmt(v)) },
      { label: 'Cost so far', scale: 'usd', stroke: accent, width: 2, points: { show: ts.length < 40, size: 4 }, value: (u, v) => (v == null ? '—' : costFmt(v)) },
    ],
    tzDate: zone ? (t) => uPlot.tzDate(new Date(t * 1e3), zone) : undefined,
  };
  if (!opts.tzDate) delete opts.tzDate;
  return mount(container, opts, [ts, tokens, cumCost]);
}

export function chartBox(ariaLabel) {
  return h('div', { class: 'chart', role: 'img', 'aria-label': ariaLabel });
}
