import { SeededRandom } from '../model/random.js';
import { Reservoir } from '../features/robust-stats.js';

/**
 * Streaming statistics of one stream of numbers, in bounded memory: count, min, max, mean and
 * standard deviation exactly (Welford's update, which stays accurate where the textbook
 * sum-of-squares formula cancels catastrophically), and quantiles from a seeded reservoir sample
 * (exact while the stream fits the reservoir).
 */

/** The quantiles reported for every numeric column, as fractions. */
export const QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] as const;
/** Their names in summary.json (`p1` ... `p99`). */
export type QuantileName = 'p1' | 'p5' | 'p25' | 'p50' | 'p75' | 'p95' | 'p99';
const QUANTILE_NAMES: readonly QuantileName[] = ['p1', 'p5', 'p25', 'p50', 'p75', 'p95', 'p99'];

/** What a finished RunningStats reports (JSON-serialisable: no NaN or Infinity). */
export interface NumberStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  /** Sample standard deviation (divides by n - 1); null for fewer than two values. */
  std: number | null;
  quantiles: Record<QuantileName, number>;
  /** True when every value was kept (count <= the reservoir size); false when quantiles are estimated from a sample. */
  quantilesExact: boolean;
  /** How many values the quantiles were computed from. */
  quantileSample: number;
}

/**
 * Quantile q of ascending-sorted values by linear interpolation between closest ranks (the
 * "type 7" definition of R, numpy and pandas), so results match what an analyst's tools say.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Count, extremes, mean, standard deviation and quantiles of a stream of finite numbers. */
export class RunningStats {
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  private readonly reservoir: Reservoir;

  /**
   * @param reservoirSize values kept for quantiles; memory grows with the stream up to this size
   * @param seed seeds the reservoir's sampling, so the same file gives the same summary
   */
  constructor(
    private readonly reservoirSize: number,
    seed: number,
  ) {
    this.reservoir = new Reservoir(reservoirSize, new SeededRandom(seed));
  }

  add(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.reservoir.add(x);
  }

  get count(): number {
    return this.n;
  }

  /** The statistics so far; null when no value was added. */
  finish(): NumberStats | null {
    if (this.n === 0) return null;
    const sorted = Float64Array.from(this.reservoir.sample()).sort();
    const quantiles = {} as Record<QuantileName, number>;
    QUANTILES.forEach((q, i) => {
      quantiles[QUANTILE_NAMES[i]] = quantileSorted(sorted, q);
    });
    return {
      count: this.n,
      min: this.min,
      max: this.max,
      mean: this.mean,
      std: this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : null,
      quantiles,
      quantilesExact: this.n <= this.reservoirSize,
      quantileSample: sorted.length,
    };
  }
}
