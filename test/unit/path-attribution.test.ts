import { describe, expect, it } from 'vitest';
import { fitIsolationForest, type FeatureMatrix, type FlatForest } from '../../src/model/isolation-forest.js';
import { pathAttribution, pathAttributions } from '../../src/model/path-attribution.js';
import { rng } from '../support/seeded-rng.js';

/** Standard normal draws (Box-Muller). */
function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** n rows of `cols` independent standard normal features. */
function normalData(n: number, cols: number, seed: number): FeatureMatrix {
  const g = gaussian(rng(seed));
  return { values: Float64Array.from({ length: n * cols }, g), rows: n, cols };
}

function sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

const training = normalData(2000, 2, 7);
const forest: FlatForest = fitIsolationForest(training, { trees: 100, sampleSize: 256, seed: 42 });

describe('pathAttribution', () => {
  it.each([
    ['an ordinary row', [0.2, -0.4]],
    ['an outlier in feature 0', [5, 0]],
    ['an outlier in feature 1', [0, -5]],
    ['an outlier in both', [4, 4]],
    ['a row with a NaN', [Number.NaN, 1]],
  ])('gives shares >= 0 that sum to 1 for %s', (_name, row) => {
    const shares = pathAttribution(forest, row);

    expect(shares).toHaveLength(2);
    for (const s of shares) expect(s).toBeGreaterThanOrEqual(0);
    expect(sum(shares)).toBeCloseTo(1, 12);
  });

  it.each([
    [1, [0, 4]],
    [1, [0.3, -3.5]],
    [0, [4, 0]],
    [0, [-6, 0.3]],
  ])('credits feature %i most for a row that is an outlier only there: %j', (outlying, row) => {
    const shares = pathAttribution(forest, row);

    expect(shares[outlying]).toBeGreaterThan(0.6);
  });

  it('credits the outlying feature among three', () => {
    const data = normalData(2000, 3, 11);
    const forest3 = fitIsolationForest(data, { trees: 100, sampleSize: 256, seed: 3 });

    const shares = pathAttribution(forest3, [0.1, -0.2, 5]);

    expect(shares[2]).toBeGreaterThan(0.6);
    expect(shares[2]).toBe(Math.max(...shares));
  });

  it('is deterministic, and the same for a refitted forest with the same seed', () => {
    const refitted = fitIsolationForest(training, { trees: 100, sampleSize: 256, seed: 42 });

    const first = pathAttribution(forest, [0, 4]);
    const again = pathAttribution(forest, [0, 4]);
    const fromRefit = pathAttribution(refitted, [0, 4]);

    expect(again).toEqual(first);
    expect(fromRefit).toEqual(first);
  });

  it('gives uniform shares when the forest never splits (constant training columns)', () => {
    const constant: FeatureMatrix = { values: new Float64Array(3 * 50).fill(2), rows: 50, cols: 3 };
    const flat = fitIsolationForest(constant, { trees: 10, sampleSize: 32, seed: 1 });

    expect(Array.from(pathAttribution(flat, [2, 2, 9]))).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  it('rejects a row of the wrong width', () => {
    expect(() => pathAttribution(forest, [1, 2, 3])).toThrow(/expects 2 features, the row has 3/);
  });
});

describe('pathAttributions', () => {
  it('holds, row by row, what pathAttribution gives for each requested row', () => {
    const data: FeatureMatrix = { values: Float64Array.from([0, 0, 5, 0, 0, -5, 1, 1]), rows: 4, cols: 2 };
    const rows = [2, 0, 2, 3];

    const all = pathAttributions(forest, data, rows);

    expect(all).toHaveLength(rows.length * 2);
    rows.forEach((r, k) => {
      const single = pathAttribution(forest, data.values.subarray(r * 2, r * 2 + 2));
      expect(Array.from(all.subarray(k * 2, k * 2 + 2))).toEqual(Array.from(single));
    });
  });

  it('gives an empty result for no rows', () => {
    expect(pathAttributions(forest, training, [])).toHaveLength(0);
  });

  it.each([[-1], [2000], [1.5]])('rejects row index %d', (r) => {
    expect(() => pathAttributions(forest, training, [0, r])).toThrow(RangeError);
  });

  it('rejects a matrix of the wrong width', () => {
    const wide = normalData(5, 3, 1);
    expect(() => pathAttributions(forest, wide, [0])).toThrow(/expects 2 features, the data has 3/);
  });
});
