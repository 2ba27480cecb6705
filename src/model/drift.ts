/**
 * Feature drift between the training data and a day's trades: the population stability index
 * (PSI) per feature, from bins fixed at training time.
 *
 * Why PSI: it is the industry's usual drift measure for scoring models, cheap (a handful of
 * counts per feature), and its counts add up across chunks, so the pipeline counts per chunk in
 * parallel and sums at the end without keeping values.
 *
 * Bins come from quantiles of the training column, so each holds about the same share of the
 * training rows and PSI is sensitive where the data is. Non-finite values (NaN, ±Infinity) are
 * not binned: they are counted as `missing`, for the caller to report on their own, because a
 * rise in missing features is a data-quality problem rather than a change of distribution.
 */

/** PSI below this: no meaningful drift. */
export const PSI_MODERATE = 0.1;
/** PSI at or above this: the population has changed significantly (the conventional 0.25). */
export const PSI_SIGNIFICANT = 0.25;
/**
 * Floor for both shares in the PSI sum. An empty bin would give ln(0) = -Infinity; flooring
 * both shares at 1e-4 (one row in 10 000) keeps every term finite and >= 0, and still makes a
 * bin that training left empty count heavily once a few percent of the rows fall into it (5%
 * gives about 0.31 on its own).
 */
export const PSI_EPSILON = 1e-4;

export type DriftLevel = 'none' | 'moderate' | 'significant';

export interface BaselineBins {
  /**
   * Inner cut points, strictly increasing; bins are closed on the right: bin 0 is x <= edges[0],
   * bin i is edges[i-1] < x <= edges[i], the last bin is x > edges[edges.length - 1].
   */
  edges: number[];
  /** Share of the training column's finite values in each bin (edges.length + 1 values, sum 1). */
  shares: number[];
}

export interface BinCounts {
  /** Values per bin (edges.length + 1 counts). */
  counts: number[];
  /** Values that were not binned because they are not finite numbers. */
  missing: number;
}

/**
 * Bins for a training column: the inner cut points at the quantiles 1/bins, ..., (bins-1)/bins of
 * its finite values, and the training share of each bin. The cut points are values of the column
 * (the smallest value with at least that share of the column at or below it, not interpolated)
 * and bins are closed on the right, so each bin of a continuous column holds about 1/bins of it and the
 * bins of a discrete column align with its values.
 *
 * Ties: duplicate cut points are collapsed, so a column with a heavy value gets fewer bins, and a
 * bin may hold a point mass. When the lowest cut point is the training minimum, one more cut
 * point just below it is added, so that values below the training range get a bin of their own
 * (empty in training), as values above it do whenever the top cut point is the maximum. A
 * constant column c thus gets edges [c⁻, c] and shares [0, 1, 0]: any departure from c shows.
 *
 * Throws RangeError when `bins` is not an integer >= 1 or the column has no finite value.
 */
export function baselineBins(values: ArrayLike<number>, bins = 10): BaselineBins {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be an integer >= 1, got ${bins}`);
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite.push(values[i]);
  if (finite.length === 0) throw new RangeError('the training column has no finite value to take bins from');
  const sorted = Float64Array.from(finite).sort();
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const edge = quantile(sorted, k, bins);
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  if (edges.length > 0 && edges[0] === sorted[0]) edges.unshift(nextDown(sorted[0]));
  const { counts } = binCounts(edges, sorted);
  return { edges, shares: counts.map((c) => c / sorted.length) };
}

/**
 * Counts values per bin of `edges` (see BaselineBins). Counts of several chunks of a column add up,
 * bin by bin, to the counts of the whole column (mergeBinCounts).
 */
export function binCounts(edges: readonly number[], values: ArrayLike<number>): BinCounts {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let missing = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      missing++;
      continue;
    }
    // Binary search for the number of edges < v: that is the bin.
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]++;
  }
  return { counts, missing };
}

/** Sums the bin counts of chunks of one column (all counted against the same edges). */
export function mergeBinCounts(parts: readonly BinCounts[]): BinCounts {
  if (parts.length === 0) throw new RangeError('no bin counts to merge');
  const bins = parts[0].counts.length;
  const counts = new Array<number>(bins).fill(0);
  let missing = 0;
  for (const part of parts) {
    if (part.counts.length !== bins) {
      throw new RangeError(`bin counts of different binnings: ${bins} and ${part.counts.length} bins`);
    }
    for (let b = 0; b < bins; b++) counts[b] += part.counts[b];
    missing += part.missing;
  }
  return { counts, missing };
}

/**
 * Population stability index of observed counts against the baseline shares:
 * Σ (a - e) · ln(a / e) over bins, with a the observed and e the baseline share, both floored at
 * PSI_EPSILON. 0 for identical distributions; grows with the shift.
 *
 * Throws RangeError when the lengths differ, a count is negative, or there is nothing to compare
 * (all counts zero: e.g. every value was missing): the caller decides what an empty day means.
 */
export function psi(baselineShares: readonly number[], counts: readonly number[]): number {
  if (baselineShares.length !== counts.length) {
    throw new RangeError(`${counts.length} counts for ${baselineShares.length} baseline bins`);
  }
  let total = 0;
  for (const c of counts) {
    if (!(c >= 0)) throw new RangeError(`bin counts must be >= 0, got ${c}`);
    total += c;
  }
  if (total === 0) throw new RangeError('no values to compare with the baseline: every bin count is 0');
  let sum = 0;
  for (let b = 0; b < counts.length; b++) {
    const actual = Math.max(counts[b] / total, PSI_EPSILON);
    const expected = Math.max(baselineShares[b], PSI_EPSILON);
    sum += (actual - expected) * Math.log(actual / expected);
  }
  return sum;
}

/** The conventional reading of a PSI: < 0.1 none, < 0.25 moderate, otherwise significant. */
export function driftLevel(value: number): DriftLevel {
  if (Number.isNaN(value)) throw new RangeError('PSI is NaN');
  if (value < PSI_MODERATE) return 'none';
  if (value < PSI_SIGNIFICANT) return 'moderate';
  return 'significant';
}

/**
 * Quantile k/bins of sorted values: the smallest value with at least that share of the values at
 * or below it. Computed as k·n/bins, not (k/bins)·n, so that 0.3 · 10 does not round up past 3.
 */
function quantile(sorted: Float64Array, k: number, bins: number): number {
  return sorted[Math.max(0, Math.ceil((k * sorted.length) / bins) - 1)];
}

/** The largest double less than x (x finite). */
function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  // For a positive double, the next one down has the bit pattern one lower; for a negative one
  // (sign bit set, magnitude in the low bits), one higher.
  view.setBigInt64(0, x > 0 ? bits - 1n : bits + 1n);
  return view.getFloat64(0);
}
