import { SeededRandom } from '../model/random.js';

/** Median of the first n values (of a copy; the values are not reordered). NaN for n = 0. */
export function median(values: Float64Array | number[], n = values.length): number {
  if (n === 0) return Number.NaN;
  const copy = Float64Array.from(values.slice(0, n));
  const mid = n >> 1;
  const upper = kthSmallest(copy, mid);
  if (n % 2) return upper;
  // The lower middle is the largest value left of the upper one once it is selected.
  let lower = copy[0];
  for (let i = 1; i < mid; i++) if (copy[i] > lower) lower = copy[i];
  return (lower + upper) / 2;
}

/**
 * The k-th smallest value (0-based) of `a`, reordering it so that a[0..k) are all at most a[k]: the
 * value a full numeric sort would put at k, in linear time on average (the day's context takes eight
 * medians per symbol of up to 4,096 values each). A NaN anywhere sorts the whole array instead, as
 * Float64Array's sort places NaNs (last).
 */
export function kthSmallest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  for (let i = 0; i <= hi; i++) {
    if (a[i] !== a[i]) {
      a.sort();
      return a[k];
    }
  }
  while (hi - lo > 16) {
    // Median of three as the pivot; Hoare partition around its value.
    const m = (lo + hi) >> 1;
    if (a[m] < a[lo]) swap(a, m, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[m]) swap(a, hi, m);
    const pivot = a[m];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  // A short range: insertion sort finishes it.
  for (let i = lo + 1; i <= hi; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** Scale a normal distribution's sigma would have, from the median absolute deviation. */
export const MAD_TO_SIGMA = 1.4826;

export function medianAbsoluteDeviation(values: Float64Array | number[], center: number, n = values.length): number {
  const dev = new Float64Array(n);
  for (let i = 0; i < n; i++) dev[i] = Math.abs(values[i] - center);
  return median(dev);
}

/** A Reservoir of pairs: both values of a pair are kept or dropped together. */
export class PairReservoir {
  private a: Float64Array;
  private b: Float64Array;
  private seen = 0;

  constructor(
    private readonly capacity: number,
    private readonly random: SeededRandom,
  ) {
    this.a = new Float64Array(Math.min(capacity, 64));
    this.b = new Float64Array(Math.min(capacity, 64));
  }

  add(x: number, y: number): void {
    let slot = this.seen;
    if (this.seen < this.capacity) {
      if (this.seen === this.a.length) {
        const size = Math.min(this.capacity, this.a.length * 2);
        const a = new Float64Array(size);
        const b = new Float64Array(size);
        a.set(this.a);
        b.set(this.b);
        this.a = a;
        this.b = b;
      }
    } else {
      slot = this.random.nextInt(this.seen + 1);
    }
    if (slot < this.capacity) {
      this.a[slot] = x;
      this.b[slot] = y;
    }
    this.seen++;
  }

  /** The sampled pairs as two views (do not keep them across add()). */
  sample(): [Float64Array, Float64Array] {
    const n = Math.min(this.seen, this.capacity);
    return [this.a.subarray(0, n), this.b.subarray(0, n)];
  }
}

/**
 * A uniform sample of at most `capacity` values from a stream (Vitter's algorithm R), so per-symbol
 * medians stay bounded in memory on a 10-million-row file. Exact while the stream is shorter than the
 * capacity; seeded, so a file always yields the same context.
 */
export class Reservoir {
  private buffer: Float64Array;
  private seen = 0;

  constructor(
    private readonly capacity: number,
    private readonly random: SeededRandom,
  ) {
    this.buffer = new Float64Array(Math.min(capacity, 64));
  }

  add(value: number): void {
    if (this.seen < this.capacity) {
      if (this.seen === this.buffer.length) {
        const grown = new Float64Array(Math.min(this.capacity, this.buffer.length * 2));
        grown.set(this.buffer);
        this.buffer = grown;
      }
      this.buffer[this.seen] = value;
    } else {
      const j = this.random.nextInt(this.seen + 1);
      if (j < this.capacity) this.buffer[j] = value;
    }
    this.seen++;
  }

  get count(): number {
    return this.seen;
  }

  /** The sampled values (a view; do not keep it across add()). */
  sample(): Float64Array {
    return this.buffer.subarray(0, Math.min(this.seen, this.capacity));
  }
}
