import { describe, expect, it } from 'vitest';
import {
  averagePathLength,
  fitIsolationForest,
  scoreIsolationForest,
  type FeatureMatrix,
  type FlatForest,
} from '../../src/model/isolation-forest.js';
import { rng } from '../support/seeded-rng.js';


/** Standard normal draws (Box-Muller). */
function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function matrix(rows: number[][]): FeatureMatrix {
  const cols = rows[0]?.length ?? 0;
  return { values: Float64Array.from(rows.flat()), rows: rows.length, cols };
}

/** A 2-D Gaussian blob (mean 0, sigma 1) of n rows. */
function blob(n: number, seed: number): number[][] {
  const g = gaussian(rng(seed));
  return Array.from({ length: n }, () => [g(), g()]);
}

/** The paper's c(n), written out here independently of the implementation. */
function paperC(n: number): number {
  return 2 * (Math.log(n - 1) + 0.5772156649) - (2 * (n - 1)) / n;
}

interface Leaf {
  node: number;
  depth: number;
}

/** Walks one tree of the flat arrays from its root, collecting every leaf with its depth. */
function leavesOf(forest: FlatForest, tree: number): Leaf[] {
  const leaves: Leaf[] = [];
  const stack: Leaf[] = [{ node: forest.treeRoots[tree], depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (forest.feature[node] < 0) {
      leaves.push({ node, depth });
    } else {
      stack.push({ node: forest.left[node], depth: depth + 1 }, { node: forest.left[node] + 1, depth: depth + 1 });
    }
  }
  return leaves;
}

/**
 * Number of sampled rows that ended in a leaf, from leafPath = depth + c(size): c is strictly
 * increasing from n = 1 on (c(1) = 0, c(2) = 1, c(3) ~ 1.21, ...), so for sizes up to `max` the size
 * is the n whose c(n) matches. (c(0) = c(1) = 0: an empty leaf would read as size 1.)
 */
function leafSize(forest: FlatForest, leaf: Leaf, max: number): number {
  const c = forest.leafPath[leaf.node] - leaf.depth;
  for (let n = 1; n <= max; n++) {
    const cn = n === 1 ? 0 : n === 2 ? 1 : paperC(n);
    if (Math.abs(cn - c) < 1e-9) return n;
  }
  throw new Error(`leaf ${leaf.node}: leafPath - depth = ${c} is c(n) of no n <= ${max}`);
}

/** The leaf one row falls into in one tree (x < split goes left). */
function leafOf(forest: FlatForest, tree: number, row: ArrayLike<number>): number {
  let node = forest.treeRoots[tree];
  while (forest.feature[node] >= 0) node = row[forest.feature[node]] < forest.split[node] ? forest.left[node] : forest.left[node] + 1;
  return node;
}

describe('averagePathLength: the paper\'s c(n)', () => {
  it.each([3, 4, 10, 256, 100_000])('c(%i) = 2(ln(n-1) + Euler gamma) - 2(n-1)/n', (n) => {
    expect(averagePathLength(n)).toBeCloseTo(paperC(n), 12);
  });

  it('c(256) is about 10.24 (the normaliser of a default forest)', () => {
    // 2 * (ln 255 + 0.5772) - 2 * 255/256 = 2 * (5.5413 + 0.5772) - 1.9922 = 10.2448
    expect(averagePathLength(256)).toBeCloseTo(10.2448, 3);
  });

  it.each([
    [2, 1],
    [1, 0],
    [0, 0],
  ])('c(%i) = %d', (n, expected) => {
    expect(averagePathLength(n)).toBe(expected);
  });

  it('grows with n', () => {
    const values = [1, 2, 3, 4, 8, 16, 256, 1024].map(averagePathLength);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
  });
});

describe('fitIsolationForest: tree shape', () => {
  it.each([8, 16, 100, 256])('no leaf lies deeper than ceil(log2 psi) with psi = %i', (psi) => {
    const data = matrix(blob(400, psi));
    const forest = fitIsolationForest(data, { trees: 20, sampleSize: psi, seed: 3 });
    const limit = Math.ceil(Math.log2(psi));

    const depths = Array.from({ length: forest.treeRoots.length }, (_, t) => leavesOf(forest, t).map((l) => l.depth)).flat();

    expect(Math.max(...depths)).toBeLessThanOrEqual(limit);
  });

  it('stores one root per tree, and every inner node has a real split feature and two children', () => {
    const data = matrix(blob(100, 5));
    const forest = fitIsolationForest(data, { trees: 7, sampleSize: 32, seed: 9 });

    expect(forest.treeRoots).toHaveLength(7);
    expect(forest.featureCount).toBe(2);
    for (let node = 0; node < forest.feature.length; node++) {
      if (forest.feature[node] < 0) continue;
      expect(forest.feature[node]).toBeLessThan(2);
      expect(forest.left[node]).toBeGreaterThan(node);
      expect(forest.left[node] + 1).toBeLessThan(forest.feature.length);
    }
  });

  it('credits each leaf with depth + c(size), and the leaf sizes of a tree add up to psi', () => {
    // psi = 8: the height limit is 3, so leaves at the limit can hold several rows.
    const psi = 8;
    const data = matrix(blob(500, 11));
    const forest = fitIsolationForest(data, { trees: 50, sampleSize: psi, seed: 17 });

    for (let t = 0; t < forest.treeRoots.length; t++) {
      const sizes = leavesOf(forest, t).map((leaf) => leafSize(forest, leaf, psi));
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(psi);
    }
  });

  it('grows each tree on psi distinct rows: with psi = rows, every training row reaches exactly the leaf sized for it', () => {
    // When the subsample is all rows without replacement, routing every training row through a
    // tree must reproduce the leaf sizes; a repeated or missing row would make some leaf disagree.
    const rows = blob(8, 23);
    const forest = fitIsolationForest(matrix(rows), { trees: 40, sampleSize: 8, seed: 29 });

    for (let t = 0; t < forest.treeRoots.length; t++) {
      const routed = new Map<number, number>();
      for (const row of rows) {
        const leaf = leafOf(forest, t, row);
        routed.set(leaf, (routed.get(leaf) ?? 0) + 1);
      }
      for (const leaf of leavesOf(forest, t)) {
        const expected = routed.get(leaf.node) ?? 0;
        // c(0) = c(1): an empty leaf reads as size 1, so it would fail here too (1 != 0).
        expect(leafSize(forest, leaf, 8)).toBe(expected);
      }
    }
  });

  it('splits every node of distinct values until one row is left or the height limit is reached', () => {
    // A node with two distinct values and depth left below the height limit is always split, so
    // on distinct 1-D values every leaf above the limit (4 for psi = 16) holds exactly one row.
    const data = matrix([[1], [2], [3], [4], [5], [6], [7], [8], [9], [10], [11], [12], [13], [14], [15], [16]]);
    const forest = fitIsolationForest(data, { trees: 60, sampleSize: 16, seed: 31 });

    for (let t = 0; t < forest.treeRoots.length; t++) {
      for (const leaf of leavesOf(forest, t)) {
        if (leaf.depth < 4) expect(leafSize(forest, leaf, 16)).toBe(1);
      }
    }
  });

  it('makes a leaf of rows that do not vary at all, crediting their whole count', () => {
    const data = matrix(Array.from({ length: 16 }, () => [5, 5]));
    const forest = fitIsolationForest(data, { trees: 3, sampleSize: 16, seed: 1 });

    for (let t = 0; t < 3; t++) {
      const root = forest.treeRoots[t];
      expect(forest.feature[root]).toBe(-1);
      expect(forest.leafPath[root]).toBeCloseTo(paperC(16), 12);
    }
  });

  // Regression: a fallback split at (lo + hi) / 2 rounds back to lo for adjacent doubles, leaving the
  // left child empty (seen with seed 1 in 11 of 20 trees).
  it('keeps both children of a split non-empty even for values one ulp apart', () => {
    const data = matrix([[1], [1 + Number.EPSILON]]);
    const forest = fitIsolationForest(data, { trees: 20, sampleSize: 2, seed: 1 });

    for (let t = 0; t < forest.treeRoots.length; t++) {
      const root = forest.treeRoots[t];
      expect(forest.feature[root]).toBe(0);
      expect(leafOf(forest, t, [1])).not.toBe(leafOf(forest, t, [1 + Number.EPSILON]));
    }
  });
});

describe('fitIsolationForest: parameters and reproducibility', () => {
  const data = matrix(blob(300, 41));

  it('builds identical arrays for the same seed', () => {
    const a = fitIsolationForest(data, { trees: 10, sampleSize: 64, seed: 123 });
    const b = fitIsolationForest(data, { trees: 10, sampleSize: 64, seed: 123 });

    expect(b.treeRoots).toEqual(a.treeRoots);
    expect(b.feature).toEqual(a.feature);
    expect(b.split).toEqual(a.split);
    expect(b.left).toEqual(a.left);
    expect(b.leafPath).toEqual(a.leafPath);
  });

  it('builds a different forest for a different seed', () => {
    const a = fitIsolationForest(data, { trees: 10, sampleSize: 64, seed: 123 });
    const b = fitIsolationForest(data, { trees: 10, sampleSize: 64, seed: 124 });

    expect(Array.from(b.split)).not.toEqual(Array.from(a.split));
  });

  it('caps the subsample size at the number of rows (and the height limit with it)', () => {
    const small = matrix(blob(10, 43));
    const forest = fitIsolationForest(small, { trees: 15, sampleSize: 256, seed: 5 });

    expect(forest.sampleSize).toBe(10);
    for (let t = 0; t < 15; t++) {
      const leaves = leavesOf(forest, t);
      expect(Math.max(...leaves.map((l) => l.depth))).toBeLessThanOrEqual(Math.ceil(Math.log2(10)));
      expect(leaves.map((l) => leafSize(forest, l, 10)).reduce((a, b) => a + b, 0)).toBe(10);
    }
  });

  it.each([0, 1])('refuses to train on %i rows', (rows) => {
    const tiny: FeatureMatrix = { values: new Float64Array(rows * 2), rows, cols: 2 };

    expect(() => fitIsolationForest(tiny, { trees: 5, sampleSize: 8, seed: 1 })).toThrow(RangeError);
    expect(() => fitIsolationForest(tiny, { trees: 5, sampleSize: 8, seed: 1 })).toThrow(/at least 2 training rows, got/);
  });

  it.each([
    { trees: 0, sampleSize: 8 },
    { trees: 5, sampleSize: 1 },
  ])('refuses parameters trees=$trees sampleSize=$sampleSize', ({ trees, sampleSize }) => {
    expect(() => fitIsolationForest(data, { trees, sampleSize, seed: 1 })).toThrow(RangeError);
  });
});

describe('scoreIsolationForest', () => {
  const inliers = blob(500, 47);
  const forest = fitIsolationForest(matrix(inliers), { trees: 100, sampleSize: 256, seed: 42 });

  it('scores every row in (0, 1]', () => {
    const probe = matrix([...inliers.slice(0, 50), [0, 0], [1e6, -1e6], [-50, 3]]);

    const scores = scoreIsolationForest(forest, probe);

    expect(scores).toHaveLength(53);
    for (const s of scores) {
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it('equals 2^(-mean path / c(psi)) computed by walking the trees', () => {
    const row = [0.3, -1.2];
    let total = 0;
    for (let t = 0; t < forest.treeRoots.length; t++) total += forest.leafPath[leafOf(forest, t, row)];
    const expected = Math.pow(2, -(total / forest.treeRoots.length) / paperC(256));

    expect(scoreIsolationForest(forest, matrix([row]))[0]).toBeCloseTo(expected, 12);
  });

  it.each([1, 3, 4, 5, 8, 13])('gives %i rows walked four at a time exactly the scores of each row walked alone (NaN features included)', (rows) => {
    const probe = [...inliers.slice(0, rows)].map((r, i) => (i % 3 === 1 ? [Number.NaN, r[1]] : i % 5 === 2 ? [r[0] * 40, r[1]] : r));
    const together = scoreIsolationForest(forest, matrix(probe));
    const alone = probe.map((row) => scoreIsolationForest(forest, matrix([row]))[0]);
    // Bit for bit: each row's path lengths are added in the same tree order either way.
    expect(Array.from(together)).toEqual(alone);
    for (const [i, row] of probe.entries()) {
      if (Number.isNaN(row[0])) continue;
      let total = 0;
      for (let t = 0; t < forest.treeRoots.length; t++) total += forest.leafPath[leafOf(forest, t, row)];
      expect(together[i]).toBe(Math.pow(2, -(total / forest.treeRoots.length) / paperC(256)));
    }
  });

  it('scores an obvious outlier above every inlier of a 2-D Gaussian blob', () => {
    const scores = scoreIsolationForest(forest, matrix([...inliers, [7, -7]]));

    const outlier = scores[inliers.length];
    const maxInlier = Math.max(...scores.subarray(0, inliers.length));
    expect(outlier).toBeGreaterThan(maxInlier);
    expect(outlier).toBeGreaterThan(0.6);
  });

  it('scores the centre of the blob as ordinary (below 0.5)', () => {
    expect(scoreIsolationForest(forest, matrix([[0, 0]]))[0]).toBeLessThan(0.5);
  });

  it('writes into the given output array', () => {
    const out = new Float64Array(2);

    const result = scoreIsolationForest(forest, matrix([[0, 0], [9, 9]]), out);

    expect(result).toBe(out);
    expect(out[1]).toBeGreaterThan(out[0]);
  });

  it('refuses data with a different number of features than the forest', () => {
    expect(() => scoreIsolationForest(forest, matrix([[1, 2, 3]]))).toThrow(/expects 2 features, the data has 3/);
  });
});
