import { averagePathLength, type FeatureMatrix, type FlatForest } from './isolation-forest.js';

/**
 * Which features made the isolation forest single out a row: per-feature shares of the row's
 * isolation, for explaining an alert ("flagged mostly for its quantity").
 *
 * Scheme (after DIFFI, Carletti, Terzi and Susto, "Interpretable Anomaly Detection with DIFFI",
 * 2023). In tree t the row walks from the root (all ψ subsampled training rows) down to a leaf;
 * each split on its path narrows the set of training rows sharing the row's cell from n_parent
 * to n_child. That split credits its feature with
 *
 *     log2(n_parent / n_child) / h_t(x)
 *
 * - log2(n_parent / n_child) is the bits of isolation the split contributed; along a path they
 *   add up to log2(ψ / leaf size). A split that sends the row to the small side (it lies in a
 *   tail of that feature) earns a lot, one that keeps it with the crowd earns almost nothing.
 *   This is DIFFI's "induced imbalance", and what makes the scheme discriminate: counting splits
 *   alone credits every feature the trees happened to pick at random (measured on 2-D normal data,
 *   a row 4 sigma out in one feature got only ~0.58 of a plain 1/h split count on that feature;
 *   with the bits factor, ~0.88).
 * - 1/h_t(x), the inverse of the row's path length in that tree (leaf depth + c(leaf size), the
 *   quantity the score averages), is DIFFI's weight: trees that isolate the row quickly, which are
 *   the ones that make its score high, count more.
 *
 * Credits are summed over trees and normalised to shares that sum to 1. The flat forest keeps no
 * node sizes, so they are recovered once per forest from the leaves (leafPath - depth = c(size),
 * and c is strictly increasing) and cached in a WeakMap keyed by the forest object: the forest
 * arrays must not be modified after the first call.
 *
 * A row goes down the same branches as in scoring: left when x < split, so NaN goes right. When
 * nothing isolates the row at all (a forest fitted on constant columns: every tree is one leaf)
 * the shares are uniform, which keeps "shares sum to 1" true for every row.
 */

/** Attribution shares of one row: featureCount values, each >= 0, summing to 1. */
export function pathAttribution(forest: FlatForest, row: ArrayLike<number>): Float64Array {
  if (row.length !== forest.featureCount) {
    throw new RangeError(`the forest expects ${forest.featureCount} features, the row has ${row.length}`);
  }
  const out = new Float64Array(forest.featureCount);
  attributeInto(forest, log2NodeSizes(forest), row, 0, out, 0);
  return out;
}

/**
 * Attribution shares of several rows of a matrix, by row index: row k of the result
 * (rows.length x featureCount, row-major, one allocation) holds the shares of data row rows[k].
 */
export function pathAttributions(forest: FlatForest, data: FeatureMatrix, rows: readonly number[]): Float64Array {
  if (data.cols !== forest.featureCount) {
    throw new RangeError(`the forest expects ${forest.featureCount} features, the data has ${data.cols}`);
  }
  const cols = forest.featureCount;
  for (const r of rows) {
    if (!Number.isInteger(r) || r < 0 || r >= data.rows) {
      throw new RangeError(`row index ${r} is outside the matrix (${data.rows} rows)`);
    }
  }
  const out = new Float64Array(rows.length * cols);
  const log2Size = log2NodeSizes(forest);
  for (let k = 0; k < rows.length; k++) attributeInto(forest, log2Size, data.values, rows[k] * cols, out, k * cols);
  return out;
}

/**
 * Writes the shares of the row at values[offset, offset + featureCount) to
 * out[outOffset, outOffset + featureCount), which must hold zeros. Each tree is walked twice,
 * once for h_t(x) and once to credit the splits, so no per-tree buffer is needed.
 */
function attributeInto(
  forest: FlatForest,
  log2Size: Float64Array,
  values: ArrayLike<number>,
  offset: number,
  out: Float64Array,
  outOffset: number,
): void {
  const { treeRoots, feature, split, left, leafPath, featureCount } = forest;
  let total = 0;
  for (let t = 0; t < treeRoots.length; t++) {
    const root = treeRoots[t];
    let node = root;
    let f = feature[node];
    while (f >= 0) {
      node = values[offset + f] < split[node] ? left[node] : left[node] + 1;
      f = feature[node];
    }
    // h >= depth >= 1 whenever the root splits; a one-leaf tree never reaches the loop below.
    const weight = 1 / leafPath[node];
    node = root;
    f = feature[node];
    while (f >= 0) {
      const next = values[offset + f] < split[node] ? left[node] : left[node] + 1;
      const credit = (log2Size[node] - log2Size[next]) * weight;
      out[outOffset + f] += credit;
      total += credit;
      node = next;
      f = feature[node];
    }
  }
  if (total > 0) {
    for (let f = 0; f < featureCount; f++) out[outOffset + f] /= total;
  } else {
    out.fill(1 / featureCount, outOffset, outOffset + featureCount);
  }
}

const log2SizeCache = new WeakMap<FlatForest, Float64Array>();

/** log2 of the number of subsampled training rows in each node of the forest (cached per forest). */
function log2NodeSizes(forest: FlatForest): Float64Array {
  const cached = log2SizeCache.get(forest);
  if (cached !== undefined) return cached;
  const { treeRoots, feature, left, leafPath, sampleSize } = forest;
  const nodeCount = feature.length;
  const size = new Float64Array(nodeCount);
  const depth = new Int32Array(nodeCount);
  // Pre-order per tree from an explicit stack (no assumption about how nodes are numbered);
  // walking that order backwards visits children before their parents.
  const order = new Int32Array(nodeCount);
  let visited = 0;
  const stack: number[] = [];
  for (let t = 0; t < treeRoots.length; t++) {
    stack.push(treeRoots[t]);
    depth[treeRoots[t]] = 0;
    while (stack.length > 0) {
      const node = stack.pop()!;
      order[visited++] = node;
      if (feature[node] >= 0) {
        const l = left[node];
        depth[l] = depth[l + 1] = depth[node] + 1;
        stack.push(l, l + 1);
      }
    }
  }
  for (let i = visited - 1; i >= 0; i--) {
    const node = order[i];
    size[node] = feature[node] >= 0 ? size[left[node]] + size[left[node] + 1] : leafSize(leafPath[node] - depth[node], sampleSize);
  }
  const log2Size = size.map(Math.log2);
  log2SizeCache.set(forest, log2Size);
  return log2Size;
}

/**
 * The n in [1, max] whose c(n) is nearest to `c`: c is strictly increasing from n = 1 and
 * consecutive values differ by at least ~2/max, far more than the rounding in leafPath.
 */
function leafSize(c: number, max: number): number {
  let lo = 1;
  let hi = Math.max(1, max);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (averagePathLength(mid) < c) lo = mid + 1;
    else hi = mid;
  }
  // lo is the first n with c(n) >= c (or max); the nearest may be the one before it.
  return lo > 1 && c - averagePathLength(lo - 1) < averagePathLength(lo) - c ? lo - 1 : lo;
}
