/**
 * Pearson correlation in one pass and bounded memory: running means and co-moments of k features
 * (the multivariate form of Welford's update), mergeable across groups (Chan et al.'s parallel
 * formula). Merging is what lets a feature that depends on the whole file be correlated in one pass:
 * the log deviation of a price from its symbol's day VWAP is log(price) minus a per-symbol constant
 * known only at the end. Keeping co-moments per symbol with log(price), then shifting each symbol's
 * mean by -log(VWAP) before merging, gives exactly the co-moments of the deviation, because a
 * constant shift changes a group's mean but none of its co-moments.
 */

/** Running means and co-moments of k features. */
export class CoMoments {
  n = 0;
  readonly mean: Float64Array;
  /** Row-major k x k sums of products of deviations from the mean. */
  readonly c: Float64Array;
  private readonly delta: Float64Array;

  constructor(readonly k: number) {
    this.mean = new Float64Array(k);
    this.c = new Float64Array(k * k);
    this.delta = new Float64Array(k);
  }

  /** Adds one observation (k finite values). */
  add(x: ArrayLike<number>): void {
    const k = this.k;
    this.n++;
    const inv = 1 / this.n;
    for (let i = 0; i < k; i++) {
      this.delta[i] = x[i] - this.mean[i];
      this.mean[i] += this.delta[i] * inv;
    }
    // C += delta_old * (x - mean_new)^T; the upper triangle suffices, mirrored in correlation().
    for (let i = 0; i < k; i++) {
      const di = this.delta[i];
      for (let j = i; j < k; j++) this.c[i * k + j] += di * (x[j] - this.mean[j]);
    }
  }

  /** Moves feature i's mean by `by` (as if `by` were added to every observation of it). */
  shift(i: number, by: number): void {
    this.mean[i] += by;
  }

  /** Adds another group's observations (same k). */
  merge(other: CoMoments): void {
    if (other.n === 0) return;
    const k = this.k;
    const n = this.n + other.n;
    const factor = (this.n * other.n) / n;
    for (let i = 0; i < k; i++) this.delta[i] = other.mean[i] - this.mean[i];
    for (let i = 0; i < k; i++) {
      for (let j = i; j < k; j++) this.c[i * k + j] += other.c[i * k + j] + this.delta[i] * this.delta[j] * factor;
    }
    for (let i = 0; i < k; i++) this.mean[i] += (this.delta[i] * other.n) / n;
    this.n = n;
  }

  /** The k x k Pearson correlation matrix; null where a feature does not vary (or n < 2). */
  correlation(): (number | null)[][] {
    const k = this.k;
    const out: (number | null)[][] = [];
    for (let i = 0; i < k; i++) {
      const row: (number | null)[] = [];
      for (let j = 0; j < k; j++) {
        const [a, b] = i <= j ? [i, j] : [j, i];
        const vi = this.c[i * k + i];
        const vj = this.c[j * k + j];
        // A relative floor, not == 0: a constant column accumulates rounding dust, not variance.
        const varies = (v: number, m: number) => v > 1e-24 * Math.max(1, m * m) * this.n;
        if (this.n < 2 || !varies(vi, this.mean[i]) || !varies(vj, this.mean[j])) {
          row.push(null);
          continue;
        }
        const r = this.c[a * k + b] / Math.sqrt(vi * vj);
        row.push(Math.max(-1, Math.min(1, r)));
      }
      out.push(row);
    }
    return out;
  }
}

/** Pearson correlation matrix of the columns of `rows` (each row one observation); a convenience for small inputs. */
export function pearsonMatrix(rows: ArrayLike<number>[]): (number | null)[][] {
  const k = rows[0]?.length ?? 0;
  const m = new CoMoments(k);
  for (const r of rows) m.add(r);
  return m.correlation();
}
