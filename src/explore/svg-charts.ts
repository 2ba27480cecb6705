import { escapeXml as esc, formatCompact, formatNumber } from './format.js';

/**
 * Charts as self-contained SVG strings, for a report that must read offline: no script, no fonts,
 * no images, no ids shared between charts. Each chart is an <svg role="img"> with an aria-label and
 * a <title> (its accessible name and tooltip), a visible heading, labelled axes, and every piece of
 * text from the data escaped. Sizes are in CSS pixels; the report scales them down to fit.
 */

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';
const INK = '#222';
const MUTED = '#666';
const GRID = '#e3e3e3';
/** The default bar colour. */
export const BAR_COLOR = '#3b6ea5';

/** One bar of a bar chart. */
export interface Bar {
  label: string;
  value: number;
  color?: string;
}

/** A value on an axis with its text. */
export interface Tick {
  value: number;
  label: string;
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Round (1, 2 or 5 times a power of ten) step near range/target; at least 1 for counts. */
export function niceStep(range: number, target = 5, integer = false): number {
  if (!(range > 0)) return 1;
  const raw = integer ? Math.max(1, range / target) : range / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/** Ticks 0, step, 2*step ... up to the first one at or above max (whole steps when `integer`, for counts). */
export function zeroBasedTicks(max: number, target = 5, integer = false): number[] {
  const step = niceStep(max, target, integer);
  const ticks = [0];
  while (ticks[ticks.length - 1] < max) ticks.push(Number((ticks.length * step).toPrecision(12)));
  if (ticks.length === 1) ticks.push(step);
  return ticks;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function open(width: number, height: number, title: string, description: string | undefined): string {
  const label = description ? `${title}. ${description}` : title;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(label)}" viewBox="0 0 ${width} ${height}" ` +
    `width="${width}" height="${height}" font-family="${FONT}" font-size="12" fill="${INK}">` +
    `<title>${esc(title)}</title>${description ? `<desc>${esc(description)}</desc>` : ''}` +
    `<text x="8" y="18" font-size="14" font-weight="600">${esc(title)}</text>`
  );
}

function noData(width: number, height: number, title: string, description?: string): string {
  return `${open(width, height, title, description)}<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="${MUTED}">no data</text></svg>`;
}

/** A vertical count axis with grid lines, and its label turned along the axis. */
function yAxis(box: Box, width: number, height: number, ticks: number[], label: string): string {
  const top = ticks[ticks.length - 1];
  const plotH = height - box.top - box.bottom;
  let s = '';
  for (const t of ticks) {
    const y = box.top + plotH - (t / top) * plotH;
    s += `<line x1="${box.left}" x2="${width - box.right}" y1="${y}" y2="${y}" stroke="${GRID}"/>`;
    s += `<text x="${box.left - 6}" y="${y + 4}" text-anchor="end" fill="${MUTED}" font-size="11">${esc(formatCompact(t))}</text>`;
  }
  const cy = box.top + plotH / 2;
  s += `<text transform="translate(14 ${cy}) rotate(-90)" text-anchor="middle" fill="${MUTED}">${esc(label)}</text>`;
  return s;
}

/** An x axis line with ticks and its label under it. */
function xAxis(box: Box, width: number, height: number, ticks: { x: number; label: string }[], label: string): string {
  const y = height - box.bottom;
  let s = `<line x1="${box.left}" x2="${width - box.right}" y1="${y}" y2="${y}" stroke="${MUTED}"/>`;
  for (const t of ticks) {
    s += `<line x1="${t.x}" x2="${t.x}" y1="${y}" y2="${y + 4}" stroke="${MUTED}"/>`;
    s += `<text x="${t.x}" y="${y + 16}" text-anchor="middle" fill="${MUTED}" font-size="11">${esc(t.label)}</text>`;
  }
  s += `<text x="${box.left + (width - box.left - box.right) / 2}" y="${height - 6}" text-anchor="middle" fill="${MUTED}">${esc(label)}</text>`;
  return s;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/** Shortest bar drawn for a non-zero count, so a single trade stays visible beside thousands. */
const MIN_BAR = 3;
const OUTLIER_LABELS = 16;

/**
 * Bins worth pointing at: non-empty, too short to read, and with empty neighbours (two bins either
 * side), which is what a lone fat-finger price or an off-hours trade looks like. At most 16.
 */
export function isolatedBins(counts: readonly number[], top: number, plotH: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < counts.length && out.length < OUTLIER_LABELS; i++) {
    if (counts[i] === 0 || (counts[i] / top) * plotH >= 12) continue;
    let alone = true;
    for (let d = -2; d <= 2 && alone; d++) if (d !== 0 && (counts[i + d] ?? 0) > 0) alone = false;
    if (alone) out.push(i);
  }
  return out;
}

/** The count written above a lone bar, in the colour of a warning. */
function outlierLabel(x: number, yTop: number, count: number): string {
  return `<text x="${r1(x)}" y="${r1(yTop - 4)}" text-anchor="middle" font-size="10" font-weight="600" fill="#b71c1c">${esc(formatCompact(count))}</text>`;
}

/**
 * Horizontal bars, one per label, longest value first as given; each bar ends in its value.
 * @param o.valueLabel the value axis's label (what the bars measure)
 */
export function barChart(o: { title: string; description?: string; bars: Bar[]; valueLabel: string; width?: number; formatValue?: (v: number) => string }): string {
  const width = o.width ?? 560;
  const fmt = o.formatValue ?? ((v: number) => formatNumber(v));
  const rowH = 22;
  const longest = Math.max(0, ...o.bars.map((b) => truncate(b.label, 28).length));
  const box: Box = { left: Math.min(210, 16 + longest * 7), right: 70, top: 32, bottom: 44 };
  const height = box.top + box.bottom + Math.max(1, o.bars.length) * rowH;
  if (o.bars.length === 0) return noData(width, 120, o.title, o.description);
  const max = Math.max(...o.bars.map((b) => b.value));
  const ticks = zeroBasedTicks(max > 0 ? max : 1, 4, o.bars.every((b) => Number.isInteger(b.value)));
  const top = ticks[ticks.length - 1];
  const plotW = width - box.left - box.right;
  let s = open(width, height, o.title, o.description);
  const axisY = height - box.bottom;
  for (const t of ticks) {
    const x = r1(box.left + (t / top) * plotW);
    s += `<line x1="${x}" x2="${x}" y1="${box.top}" y2="${axisY}" stroke="${GRID}"/>`;
    s += `<text x="${x}" y="${axisY + 16}" text-anchor="middle" fill="${MUTED}" font-size="11">${esc(formatCompact(t))}</text>`;
  }
  s += `<text x="${box.left + plotW / 2}" y="${height - 6}" text-anchor="middle" fill="${MUTED}">${esc(o.valueLabel)}</text>`;
  o.bars.forEach((b, i) => {
    const y = box.top + i * rowH;
    const w = Math.max(b.value > 0 ? 1 : 0, r1((b.value / top) * plotW));
    s += `<text x="${box.left - 6}" y="${y + rowH / 2 + 4}" text-anchor="end">${esc(truncate(b.label, 28))}</text>`;
    s += `<rect x="${box.left}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${b.color ?? BAR_COLOR}"><title>${esc(`${b.label}: ${fmt(b.value)}`)}</title></rect>`;
    s += `<text x="${box.left + w + 4}" y="${y + rowH / 2 + 4}" fill="${MUTED}" font-size="11">${esc(fmt(b.value))}</text>`;
  });
  s += `<line x1="${box.left}" x2="${box.left}" y1="${box.top}" y2="${axisY}" stroke="${MUTED}"/>`;
  return `${s}</svg>`;
}

/**
 * A histogram of fixed-width bins: bin i covers [lo + i*binWidth, lo + (i+1)*binWidth).
 * @param o.xTicks positions (in data units) and texts of the x ticks, e.g. powers of ten for a log axis
 */
export function histogramChart(o: {
  title: string;
  description?: string;
  lo: number;
  binWidth: number;
  counts: number[];
  xLabel: string;
  yLabel: string;
  xTicks: Tick[];
  width?: number;
  height?: number;
  color?: string;
  /** A bin's colour by its lower edge (e.g. flagged scores in red); default `color`. */
  barColor?: (from: number) => string;
  /** A vertical line at a value, labelled (e.g. the anomaly threshold on a score histogram). */
  marker?: { value: number; label: string; color?: string };
}): string {
  const width = o.width ?? 560;
  const height = o.height ?? 260;
  if (o.counts.length === 0 || o.counts.every((c) => c === 0)) return noData(width, height, o.title, o.description);
  const box: Box = { left: 56, right: 16, top: 32, bottom: 44 };
  const plotW = width - box.left - box.right;
  const plotH = height - box.top - box.bottom;
  const ticks = zeroBasedTicks(Math.max(...o.counts), 4, true);
  const top = ticks[ticks.length - 1];
  const x0 = o.lo;
  const x1 = o.lo + o.counts.length * o.binWidth;
  const sx = (v: number) => r1(box.left + ((v - x0) / (x1 - x0)) * plotW);
  let s = open(width, height, o.title, o.description) + yAxis(box, width, height, ticks, o.yLabel);
  const binPx = plotW / o.counts.length;
  const barW = Math.max(1, r1(binPx - (binPx > 4 ? 1 : 0)));
  o.counts.forEach((c, i) => {
    if (c === 0) return;
    const h = Math.max(MIN_BAR, r1((c / top) * plotH));
    const from = o.lo + i * o.binWidth;
    s += `<rect x="${sx(from)}" y="${r1(box.top + plotH - h)}" width="${barW}" height="${h}" fill="${o.barColor?.(from) ?? o.color ?? BAR_COLOR}">`;
    s += `<title>${esc(`[${formatNumber(from)}, ${formatNumber(from + o.binWidth)}): ${formatNumber(c)}`)}</title></rect>`;
  });
  for (const i of isolatedBins(o.counts, top, plotH)) {
    s += outlierLabel(sx(o.lo + i * o.binWidth) + barW / 2, box.top + plotH - MIN_BAR, o.counts[i]);
  }
  const ticksIn = o.xTicks.filter((t) => t.value >= x0 - 1e-9 && t.value <= x1 + 1e-9).map((t) => ({ x: sx(t.value), label: t.label }));
  s += xAxis(box, width, height, ticksIn, o.xLabel);
  if (o.marker && o.marker.value >= x0 && o.marker.value <= x1) {
    const mx = sx(o.marker.value);
    const color = o.marker.color ?? '#b71c1c';
    s += `<line x1="${mx}" x2="${mx}" y1="${box.top - 4}" y2="${height - box.bottom}" stroke="${color}" stroke-width="2" stroke-dasharray="5 3"/>`;
    // Labelled on the side with room: left of the line, unless the line is near the left edge.
    const right = mx < box.left + 120;
    s += `<text x="${r1(right ? mx + 4 : mx - 4)}" y="${box.top + 8}" text-anchor="${right ? 'start' : 'end'}" font-size="11" font-weight="600" fill="${color}">${esc(o.marker.label)}</text>`;
  }
  return `${s}</svg>`;
}

/** One series of a stacked chart. */
export interface Series {
  name: string;
  counts: number[];
  color: string;
}

/** Trades through the day: bins of `binMinutes` from 00:00 to 24:00 UTC, the series stacked, with a legend. */
export function timeOfDayChart(o: { title: string; description?: string; binMinutes: number; series: Series[]; yLabel: string; width?: number; height?: number }): string {
  const width = o.width ?? 1140;
  const height = o.height ?? 300;
  const bins = Math.round((24 * 60) / o.binMinutes);
  const totals = Array.from({ length: bins }, (_, i) => o.series.reduce((a, s) => a + (s.counts[i] ?? 0), 0));
  if (totals.every((t) => t === 0)) return noData(width, height, o.title, o.description);
  const box: Box = { left: 56, right: 16, top: 40, bottom: 44 };
  const plotW = width - box.left - box.right;
  const plotH = height - box.top - box.bottom;
  const ticks = zeroBasedTicks(Math.max(...totals), 4, true);
  const top = ticks[ticks.length - 1];
  const binPx = plotW / bins;
  let s = open(width, height, o.title, o.description) + yAxis(box, width, height, ticks, o.yLabel);
  for (let i = 0; i < bins; i++) {
    let base = 0;
    const start = i * o.binMinutes;
    const when = `${clock(start)}–${clock(start + o.binMinutes)} UTC`;
    for (const series of o.series) {
      const c = series.counts[i] ?? 0;
      if (c === 0) continue;
      const y0 = box.top + plotH - (base / top) * plotH;
      const h = Math.max(MIN_BAR, (c / top) * plotH);
      s += `<rect x="${r1(box.left + i * binPx)}" y="${r1(y0 - h)}" width="${r1(Math.max(1, binPx - 1))}" height="${r1(h)}" fill="${series.color}">`;
      s += `<title>${esc(`${when}, ${series.name}: ${formatNumber(c)}`)}</title></rect>`;
      base += c;
    }
  }
  for (const i of isolatedBins(totals, top, plotH)) {
    s += outlierLabel(box.left + i * binPx + binPx / 2, box.top + plotH - Math.max(MIN_BAR * o.series.filter((x) => (x.counts[i] ?? 0) > 0).length, (totals[i] / top) * plotH), totals[i]);
  }
  const xTicks = [];
  for (let h = 0; h <= 24; h += 3) xTicks.push({ x: r1(box.left + (h / 24) * plotW), label: clock(h * 60) });
  s += xAxis(box, width, height, xTicks, 'time of day (UTC)');
  // Legend, top right.
  let lx = width - box.right;
  for (const series of [...o.series].reverse()) {
    const w = 18 + series.name.length * 7;
    lx -= w + 12;
    s += `<rect x="${lx}" y="10" width="12" height="12" fill="${series.color}"/><text x="${lx + 16}" y="20" font-size="12">${esc(series.name)}</text>`;
  }
  return `${s}</svg>`;
}

function clock(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = Math.round(minutes % 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** White to blue for r < 0, white to red for r > 0 (a diverging scale; grey for no value). */
export function correlationColor(r: number | null): string {
  if (r === null) return '#d9d9d9';
  const target = r < 0 ? [33, 102, 172] : [178, 24, 43];
  const t = Math.min(1, Math.abs(r));
  const c = target.map((v) => Math.round(255 + (v - 255) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** A correlation matrix as a heatmap: one cell per pair with r written in it, and a colour key. */
export function correlationHeatmap(o: { title: string; description?: string; labels: string[]; matrix: (number | null)[][] }): string {
  const n = o.labels.length;
  const cell = 76;
  const box: Box = { left: 120, right: 110, top: 64, bottom: 16 };
  const width = box.left + n * cell + box.right;
  const height = box.top + n * cell + box.bottom;
  if (n === 0) return noData(480, 160, o.title, o.description);
  let s = open(width, height, o.title, o.description);
  o.labels.forEach((label, i) => {
    const text = esc(truncate(label, 14));
    s += `<text x="${box.left + i * cell + cell / 2}" y="${box.top - 8}" text-anchor="middle" font-size="11">${text}</text>`;
    s += `<text x="${box.left - 8}" y="${box.top + i * cell + cell / 2 + 4}" text-anchor="end" font-size="11">${text}</text>`;
  });
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const r = o.matrix[i]?.[j] ?? null;
      const x = box.left + j * cell;
      const y = box.top + i * cell;
      const shown = r === null ? '–' : r.toFixed(2);
      s += `<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="${correlationColor(r)}">`;
      s += `<title>${esc(`${o.labels[i]} × ${o.labels[j]}: r = ${shown}`)}</title></rect>`;
      s += `<text x="${x + cell / 2 - 1}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="12" fill="${r !== null && Math.abs(r) > 0.6 ? '#fff' : INK}">${shown}</text>`;
    }
  }
  // Colour key: discrete steps from -1 to 1 (no gradient, so no id that two charts could share).
  const kx = box.left + n * cell + 28;
  const steps = 10;
  const kh = Math.min(200, n * cell);
  for (let k = 0; k <= steps; k++) {
    const r = 1 - (2 * k) / steps;
    s += `<rect x="${kx}" y="${r1(box.top + (k * kh) / (steps + 1))}" width="16" height="${r1(kh / (steps + 1) + 0.5)}" fill="${correlationColor(r)}"/>`;
  }
  s += `<text x="${kx + 22}" y="${box.top + 10}" font-size="11" fill="${MUTED}">+1</text>`;
  s += `<text x="${kx + 22}" y="${r1(box.top + kh / 2 + 4)}" font-size="11" fill="${MUTED}">0</text>`;
  s += `<text x="${kx + 22}" y="${r1(box.top + kh - 4)}" font-size="11" fill="${MUTED}">−1</text>`;
  return `${s}</svg>`;
}
