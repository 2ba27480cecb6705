/**
 * The text of one progress line: what is being done, how far it is, how fast, and how long is left.
 * Pure functions of numbers (no clock, no stream), so the renderer and its tests share them.
 */

/** Where a long task stands at one moment. */
export interface ProgressState {
  /** What is being done ("scoring chunks", "reading day.csv"). */
  label: string;
  /** Units done so far. */
  done: number;
  /** Units in all, when known: the line then has a bar, a percentage and the time left. */
  total?: number;
  /** The unit's name as counted ("rows", "chunks", "MB"). */
  unit: string;
  /** Milliseconds since the task started. */
  elapsedMs: number;
  /**
   * The share done when it is measured apart from `done` (bytes read of a file whose rows are
   * counted): the bar and the time left follow it, the count and the rate stay in `unit`.
   */
  fraction?: number;
}

/** The derived figures of a state: share done (undefined when the total is unknown), rate per second, time left. */
export interface ProgressFigures {
  fraction?: number;
  ratePerSec?: number;
  remainingMs?: number;
}

/** No rate or time left before this much time has passed: the first moments' rate is noise. */
export const MIN_ELAPSED_FOR_RATE_MS = 500;

export function progressFigures(state: ProgressState): ProgressFigures {
  const fraction =
    state.fraction !== undefined ? clamp01(state.fraction) : state.total !== undefined && state.total > 0 ? clamp01(state.done / state.total) : undefined;
  if (state.elapsedMs < MIN_ELAPSED_FOR_RATE_MS) return { fraction };
  const ratePerSec = (state.done * 1000) / state.elapsedMs;
  // The time left assumes the pace so far holds: the whole run's average is steadier than a window's.
  const remainingMs = fraction !== undefined && fraction > 0 ? (state.elapsedMs * (1 - fraction)) / fraction : undefined;
  return { fraction, ratePerSec, remainingMs };
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

/** 950 -> "950", 333.3 -> "333", 2.25 -> "2.3", 12_345 -> "12.3k", 1_234_567 -> "1.23M". */
export function formatCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(n / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(n / 1e3).toPrecision(3)}k`;
  if (Number.isInteger(n) || a >= 100) return String(Math.round(n));
  return n.toFixed(1);
}

/** 4_200 -> "4s", 75_000 -> "1m15s", 3_900_000 -> "1h05m". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const BAR_WIDTH = 24;

function bar(fraction: number, width: number): string {
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/**
 * One line, e.g. `scoring chunks [############------------]  50%  3/6 chunks  1.2 chunks/s  2s left`;
 * without a total: `reading day.csv  120k rows  60.1k rows/s  2s`. Cut to `columns - 1` characters
 * where the terminal's width is known, since a wrapped line cannot be overwritten in place.
 */
export function formatProgressLine(state: ProgressState, columns?: number): string {
  const f = progressFigures(state);
  const parts = [state.label];
  if (f.fraction !== undefined) {
    // Floored, so 100% means done, not 99.6%.
    parts.push(bar(f.fraction, BAR_WIDTH), `${Math.floor(f.fraction * 100)}%`);
  }
  parts.push(state.total !== undefined ? `${formatCount(state.done)}/${formatCount(state.total)} ${state.unit}` : `${formatCount(state.done)} ${state.unit}`);
  if (f.ratePerSec !== undefined) parts.push(`${formatCount(f.ratePerSec)} ${state.unit}/s`);
  if (f.remainingMs !== undefined && f.fraction !== undefined && f.fraction < 1) parts.push(`${formatDuration(Math.ceil(f.remainingMs / 1000) * 1000)} left`);
  else parts.push(formatDuration(state.elapsedMs));
  const line = parts.join('  ');
  return columns !== undefined && columns > 1 && line.length > columns - 1 ? line.slice(0, columns - 1) : line;
}
