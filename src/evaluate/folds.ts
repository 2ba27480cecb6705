import type { FeatureMatrix } from '../model/isolation-forest.js';
import { SeededRandom } from '../model/random.js';

/** One fold of a k-fold split: row indices, each list in ascending order. */
export interface Fold {
  train: number[];
  test: number[];
}

/**
 * Seeded stratified k-fold split. The positive rows and the normal rows are each shuffled (with the
 * project's SeededRandom) and dealt round-robin over the folds, the normal rows continuing where the
 * positives stopped. So every fold's positives differ from any other's by at most one, and so do the
 * fold sizes; every row is in exactly one test fold; and a seed always gives the same split.
 *
 * Fewer positives than folds is allowed here (some test folds then have none); callers that need a
 * positive in every fold check that themselves.
 */
export function stratifiedKFold(positive: readonly boolean[], k: number, seed: number): Fold[] {
  const rows = positive.length;
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`folds must be an integer >= 2, got ${k}`);
  if (k > rows) throw new RangeError(`${k} folds need at least ${k} rows, got ${rows}`);
  const random = new SeededRandom(seed);
  const positives: number[] = [];
  const normals: number[] = [];
  for (let i = 0; i < rows; i++) (positive[i] ? positives : normals).push(i);
  shuffle(positives, random);
  shuffle(normals, random);

  const foldOf = new Int32Array(rows);
  let next = 0;
  for (const i of positives.concat(normals)) {
    foldOf[i] = next;
    next = (next + 1) % k;
  }
  const folds: Fold[] = Array.from({ length: k }, () => ({ train: [], test: [] }));
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < k; f++) (f === foldOf[i] ? folds[f].test : folds[f].train).push(i);
  }
  return folds;
}

/** Fisher-Yates, in place. */
function shuffle(xs: number[], random: SeededRandom): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const t = xs[i];
    xs[i] = xs[j];
    xs[j] = t;
  }
}

/** A new matrix of the given rows, in the given order. */
export function takeRows(matrix: FeatureMatrix, indices: readonly number[]): FeatureMatrix {
  const { cols } = matrix;
  const values = new Float64Array(indices.length * cols);
  for (let r = 0; r < indices.length; r++) {
    const from = indices[r] * cols;
    values.set(matrix.values.subarray(from, from + cols), r * cols);
  }
  return { values, rows: indices.length, cols };
}
