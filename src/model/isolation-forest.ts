import { SeededRandom } from './random.js';

/**
 * Isolation forest after Liu, Ting and Zhou (2008), "Isolation Forest", ICDM.
 *
 * Each tree is grown on a random subsample of ψ rows (without replacement) to a height limit of
 * ceil(log2 ψ); a row's path length h(x) is the depth of the leaf it falls into plus c(size), the
 * expected path length of an unbuilt subtree of that many rows. The anomaly score is
 * s(x) = 2^(-E[h(x)] / c(ψ)), in (0, 1]: near 1 for rows isolated quickly, about 0.5 or below for
 * ordinary ones.
 *
 * The trees of the whole forest are stored flat in typed arrays (one entry per node), so scoring is a
 * tight loop over numbers and the forest serialises as a handful of binary arrays.
 */

const EULER_GAMMA = 0.5772156649;

/** Average path length of an unsuccessful search in a binary search tree of n nodes: the paper's c(n). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

export interface IsolationForestParams {
  /** Number of trees (t in the paper). */
  trees: number;
  /** Subsample size per tree (ψ); capped at the number of training rows. */
  sampleSize: number;
  /** Seed of the PRNG that draws subsamples, split features and split values. */
  seed: number;
}

export const DEFAULT_FOREST_PARAMS: IsolationForestParams = { trees: 100, sampleSize: 256, seed: 42 };

/** The flat forest: node i of the whole forest; trees start at treeRoots[t]. */
export interface FlatForest {
  featureCount: number;
  /** Subsample size actually used (ψ after capping); the score normaliser is c(ψ). */
  sampleSize: number;
  treeRoots: Int32Array;
  /** Split feature of an inner node, -1 for a leaf. */
  feature: Int32Array;
  /** Split value of an inner node (go left when x < split). */
  split: Float64Array;
  /** Left child of an inner node; the right child is left + 1. */
  left: Int32Array;
  /** For a leaf: depth + c(size), the path length credited to rows reaching it. */
  leafPath: Float64Array;
}

/** A row-major matrix of features: rows x cols in one Float64Array. */
export interface FeatureMatrix {
  values: Float64Array;
  rows: number;
  cols: number;
}

/** Floyd's algorithm: k distinct row indices out of n in O(k), whatever n is. */
function sampleWithoutReplacement(n: number, k: number, random: SeededRandom): Int32Array {
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = random.nextInt(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return Int32Array.from(chosen);
}

class NodeBuffer {
  feature: number[] = [];
  split: number[] = [];
  left: number[] = [];
  leafPath: number[] = [];

  add(): number {
    this.feature.push(-1);
    this.split.push(0);
    this.left.push(-1);
    this.leafPath.push(0);
    return this.feature.length - 1;
  }
}

/**
 * Fits an isolation forest on the rows of a feature matrix. Rows with a non-finite value should be
 * left out by the caller; every value here must be a finite number.
 */
export function fitIsolationForest(data: FeatureMatrix, params: IsolationForestParams = DEFAULT_FOREST_PARAMS): FlatForest {
  if (data.rows < 2) throw new RangeError(`an isolation forest needs at least 2 training rows, got ${data.rows}`);
  if (params.trees < 1 || params.sampleSize < 2) throw new RangeError('trees must be >= 1 and sampleSize >= 2');
  const random = new SeededRandom(params.seed);
  const psi = Math.min(params.sampleSize, data.rows);
  const heightLimit = Math.ceil(Math.log2(psi));
  const nodes = new NodeBuffer();
  const treeRoots = new Int32Array(params.trees);
  const { values, cols } = data;
  const minByFeature = new Float64Array(cols);
  const maxByFeature = new Float64Array(cols);
  const candidates: number[] = [];

  for (let t = 0; t < params.trees; t++) {
    const sample = sampleWithoutReplacement(data.rows, psi, random);

    const grow = (node: number, start: number, end: number, depth: number): void => {
      const size = end - start;
      if (depth >= heightLimit || size <= 1) {
        nodes.leafPath[node] = depth + averagePathLength(size);
        return;
      }
      // Only features that vary within this node can split it.
      candidates.length = 0;
      for (let f = 0; f < cols; f++) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let i = start; i < end; i++) {
          const v = values[sample[i] * cols + f];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        minByFeature[f] = lo;
        maxByFeature[f] = hi;
        if (hi > lo) candidates.push(f);
      }
      if (candidates.length === 0) {
        nodes.leafPath[node] = depth + averagePathLength(size);
        return;
      }
      const f = candidates[random.nextInt(candidates.length)];
      const lo = minByFeature[f];
      const hi = maxByFeature[f];
      let split = lo + random.next() * (hi - lo);
      // Keep both sides non-empty: x < split must hold for lo and fail for hi. When the draw rounds
      // down to lo (values one ulp apart), split at hi instead.
      if (split <= lo) split = hi;
      // Partition sample[start, end) so rows with x < split come first.
      let mid = start;
      for (let i = start; i < end; i++) {
        if (values[sample[i] * cols + f] < split) {
          const tmp = sample[i];
          sample[i] = sample[mid];
          sample[mid] = tmp;
          mid++;
        }
      }
      const leftChild = nodes.add();
      nodes.add(); // right child = left + 1
      nodes.feature[node] = f;
      nodes.split[node] = split;
      nodes.left[node] = leftChild;
      grow(leftChild, start, mid, depth + 1);
      grow(leftChild + 1, mid, end, depth + 1);
    };

    const root = nodes.add();
    treeRoots[t] = root;
    grow(root, 0, psi, 0);
  }

  return {
    featureCount: cols,
    sampleSize: psi,
    treeRoots,
    feature: Int32Array.from(nodes.feature),
    split: Float64Array.from(nodes.split),
    left: Int32Array.from(nodes.left),
    leafPath: Float64Array.from(nodes.leafPath),
  };
}

/**
 * Scores every row of a matrix: s = 2^(-E[h]/c(ψ)) in (0, 1]. Rows with a NaN feature follow the
 * right branch at that split (NaN < x is false); callers leave such rows unscored instead.
 */
export function scoreIsolationForest(forest: FlatForest, data: FeatureMatrix, out: Float64Array = new Float64Array(data.rows)): Float64Array {
  if (data.cols !== forest.featureCount) {
    throw new RangeError(`the forest expects ${forest.featureCount} features, the data has ${data.cols}`);
  }
  // Tree by tree over all rows, not row by row over all trees: one tree's nodes (a few KB) stay in
  // the CPU's cache while every row walks it, where the whole forest (~1 MB) does not.
  const { treeRoots, feature, split, left, leafPath } = forest;
  const { rows, cols, values } = data;
  const total = new Float64Array(rows);
  const inFours = rows - (rows % 4);
  for (let t = 0; t < treeRoots.length; t++) {
    const root = treeRoots[t];
    let r = 0;
    // Four rows walk the tree side by side: their steps do not depend on each other, so the CPU
    // overlaps their memory reads (1.35x faster than one row at a time, measured; 2-8 rows alike).
    // The right child is left + 1: stepping by the comparison's 0/1 instead of a branch saves the
    // mispredictions of random splits (~15%). NaN goes right, as NaN < x is false. Leaves have
    // feature -1: the walk goes on while any of the four has a non-negative feature.
    for (; r < inFours; r += 4) {
      const o0 = r * cols;
      const o1 = o0 + cols;
      const o2 = o1 + cols;
      const o3 = o2 + cols;
      let n0 = root;
      let n1 = root;
      let n2 = root;
      let n3 = root;
      let f0 = feature[root];
      let f1 = f0;
      let f2 = f0;
      let f3 = f0;
      while ((f0 & f1 & f2 & f3) >= 0) {
        if (f0 >= 0) {
          n0 = left[n0] + Number(!(values[o0 + f0] < split[n0]));
          f0 = feature[n0];
        }
        if (f1 >= 0) {
          n1 = left[n1] + Number(!(values[o1 + f1] < split[n1]));
          f1 = feature[n1];
        }
        if (f2 >= 0) {
          n2 = left[n2] + Number(!(values[o2 + f2] < split[n2]));
          f2 = feature[n2];
        }
        if (f3 >= 0) {
          n3 = left[n3] + Number(!(values[o3 + f3] < split[n3]));
          f3 = feature[n3];
        }
      }
      total[r] += leafPath[n0];
      total[r + 1] += leafPath[n1];
      total[r + 2] += leafPath[n2];
      total[r + 3] += leafPath[n3];
    }
    for (let offset = r * cols; r < rows; r++, offset += cols) {
      let node = root;
      let f = feature[node];
      while (f >= 0) {
        node = left[node] + Number(!(values[offset + f] < split[node]));
        f = feature[node];
      }
      total[r] += leafPath[node];
    }
  }
  const norm = averagePathLength(forest.sampleSize);
  const trees = treeRoots.length;
  for (let r = 0; r < rows; r++) out[r] = Math.pow(2, -(total[r] / trees) / norm);
  return out;
}
