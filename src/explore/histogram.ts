/**
 * Fixed-bin histograms. The bins are fixed before the data is seen (no first pass for a range), so
 * a histogram costs a few hundred counters whatever the file's size; values outside the range are
 * counted as under- or overflow rather than lost.
 */

export interface HistogramSummary {
  /** Lower edge of the first bin (inclusive). */
  lo: number;
  /** Width of every bin. */
  width: number;
  /** Counts per bin: bin i covers [lo + i*width, lo + (i+1)*width). */
  counts: number[];
  /** Values below lo, and at or above lo + counts.length*width (NaN is never counted). */
  underflow: number;
  overflow: number;
  total: number;
}

/** Counts values into `bins` equal bins over [lo, hi). */
export class Histogram {
  private readonly counts: Float64Array;
  private readonly width: number;
  private underflow = 0;
  private overflow = 0;

  constructor(
    private readonly lo: number,
    hi: number,
    bins: number,
  ) {
    if (!(hi > lo) || !(bins >= 1)) throw new RangeError(`histogram needs lo < hi and at least one bin, got [${lo}, ${hi}) in ${bins}`);
    this.counts = new Float64Array(bins);
    this.width = (hi - lo) / bins;
  }

  add(x: number, weight = 1): void {
    if (Number.isNaN(x)) return;
    const i = Math.floor((x - this.lo) / this.width);
    if (i < 0) this.underflow += weight;
    else if (i >= this.counts.length) this.overflow += weight;
    else this.counts[i] += weight;
  }

  /** Every bin, empty ones included (for charts with a fixed axis, such as the hours of a day). */
  finish(): HistogramSummary {
    const counts = Array.from(this.counts);
    return { lo: this.lo, width: this.width, counts, underflow: this.underflow, overflow: this.overflow, total: counts.reduce((a, b) => a + b, 0) + this.underflow + this.overflow };
  }

  /** The bins from the first non-empty one to the last, so a chart spans the data, not the preset range. */
  finishTrimmed(): HistogramSummary {
    const full = this.finish();
    const first = full.counts.findIndex((c) => c > 0);
    if (first < 0) return { ...full, counts: [] };
    let last = full.counts.length - 1;
    while (full.counts[last] === 0) last--;
    return { ...full, lo: roundEdge(full.lo + first * full.width), counts: full.counts.slice(first, last + 1) };
  }
}

// lo + i*width in binary floating point gives edges such as 0.30000000000000004; round to 12
// significant digits so summary.json reads as the edges were meant.
function roundEdge(x: number): number {
  return Number(x.toPrecision(12));
}

/**
 * A histogram of log10(x) for positive x with `perDecade` bins per power of ten, from 10^minExp to
 * 10^maxExp: prices, quantities and notionals span many orders of magnitude, so equal bins on a
 * log scale show their shape where linear bins would put everything in the first one.
 */
export function logHistogram(minExp = -6, maxExp = 12, perDecade = 10): Histogram {
  return new Histogram(minExp, maxExp, (maxExp - minExp) * perDecade);
}
