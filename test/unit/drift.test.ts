import { describe, expect, it } from 'vitest';
import {
  PSI_EPSILON,
  PSI_MODERATE,
  PSI_SIGNIFICANT,
  baselineBins,
  binCounts,
  driftLevel,
  mergeBinCounts,
  psi,
} from '../../src/model/drift.js';
import { rng } from '../support/seeded-rng.js';

/** n draws of a normal distribution (Box-Muller). */
function normal(n: number, seed: number, mean = 0, sd = 1): Float64Array {
  const random = rng(seed);
  return Float64Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

describe('baselineBins', () => {
  it('cuts a continuous column into ten bins of about a tenth each', () => {
    const { edges, shares } = baselineBins(normal(10_000, 1));

    expect(edges).toHaveLength(9);
    for (let i = 1; i < edges.length; i++) expect(edges[i]).toBeGreaterThan(edges[i - 1]);
    expect(shares).toHaveLength(10);
    for (const s of shares) expect(s).toBeCloseTo(0.1, 3);
    expect(sum(shares)).toBeCloseTo(1, 12);
  });

  it('gives each value of a small discrete column its own bin', () => {
    const { edges, shares } = baselineBins(Float64Array.from([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]));

    // 0 is both the 0.1 quantile and the minimum: a bin below the training range is added.
    expect(edges.slice(1)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(edges[0]).toBeLessThan(0);
    expect(shares).toEqual([0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
  });

  it('collapses duplicate cut points of a column with a heavy value', () => {
    const values = Float64Array.from({ length: 1000 }, (_, i) => (i < 600 ? 0 : i));

    const { edges, shares } = baselineBins(values);

    expect(edges.slice(1)).toEqual([0, 699, 799, 899]);
    expect(shares).toEqual([0, 0.6, 0.1, 0.1, 0.1, 0.1]);
  });

  it('gives a constant column a bin below, at and above its value', () => {
    const { edges, shares } = baselineBins(new Float64Array(500).fill(3));

    expect(edges).toHaveLength(2);
    expect(edges[0]).toBeLessThan(3);
    expect(edges[1]).toBe(3);
    expect(shares).toEqual([0, 1, 0]);
    expect(binCounts(edges, [2.999999, 3, 3.000001]).counts).toEqual([1, 1, 1]);
  });

  it('keeps values below and above the range of a 0/1 column apart from 0 and 1', () => {
    const values = Float64Array.from({ length: 100 }, (_, i) => (i < 70 ? 0 : 1));

    const { edges, shares } = baselineBins(values);

    expect(edges.slice(1)).toEqual([0, 1]);
    expect(shares).toEqual([0, 0.7, 0.3, 0]);
    expect(binCounts(edges, [-1, 0, 0.5, 1, 2]).counts).toEqual([1, 1, 2, 1]);
  });

  it('skips non-finite values', () => {
    const clean = normal(1000, 2);
    const dirty = Float64Array.from([...clean, Number.NaN, Number.POSITIVE_INFINITY, Number.NaN]);

    expect(baselineBins(dirty)).toEqual(baselineBins(clean));
  });

  it.each([
    ['no values', new Float64Array(0), 10, /no finite value/],
    ['only NaN', Float64Array.from([Number.NaN, Number.NaN]), 10, /no finite value/],
    ['zero bins', Float64Array.from([1, 2]), 0, /bins must be an integer >= 1/],
    ['fractional bins', Float64Array.from([1, 2]), 2.5, /bins must be an integer >= 1/],
  ])('rejects %s', (_name, values, bins, message) => {
    expect(() => baselineBins(values, bins)).toThrow(message);
  });
});

describe('binCounts', () => {
  it('puts a value equal to an edge in the bin below it (bins are closed on the right)', () => {
    expect(binCounts([1, 2], [0.5, 1, 1.5, 2, 3]).counts).toEqual([2, 2, 1]);
  });

  it('counts NaN and infinite values as missing, not in a bin', () => {
    const result = binCounts([0], [Number.NaN, -1, 1, Number.NEGATIVE_INFINITY, Number.NaN]);

    expect(result).toEqual({ counts: [1, 1], missing: 3 });
  });

  it('gives counts per chunk that add up to the counts of the whole column', () => {
    const values = normal(10_000, 3);
    values[17] = Number.NaN;
    values[9000] = Number.NaN;
    const { edges } = baselineBins(normal(5000, 4));

    const chunks = [values.subarray(0, 1234), values.subarray(1234, 1235), values.subarray(1235, 7000), values.subarray(7000)];
    const merged = mergeBinCounts(chunks.map((chunk) => binCounts(edges, chunk)));

    expect(merged).toEqual(binCounts(edges, values));
    expect(merged.missing).toBe(2);
  });

  it('refuses to merge counts of different binnings', () => {
    expect(() => mergeBinCounts([{ counts: [1, 2], missing: 0 }, { counts: [1, 2, 3], missing: 0 }])).toThrow(RangeError);
  });
});

describe('psi', () => {
  const training = normal(10_000, 5);
  const baseline = baselineBins(training);

  it('is near 0 for another sample of the same distribution', () => {
    const value = psi(baseline.shares, binCounts(baseline.edges, normal(10_000, 6)).counts);

    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThan(0.02);
    expect(driftLevel(value)).toBe('none');
  });

  it('is 0 for the training sample itself', () => {
    expect(psi(baseline.shares, binCounts(baseline.edges, training).counts)).toBeCloseTo(0, 12);
  });

  it('is significant for a normal shifted by one standard deviation', () => {
    const value = psi(baseline.shares, binCounts(baseline.edges, normal(10_000, 7, 1)).counts);

    expect(value).toBeGreaterThan(PSI_SIGNIFICANT);
    expect(driftLevel(value)).toBe('significant');
  });

  it('detects a constant column that starts to vary, either way', () => {
    const constant = baselineBins(new Float64Array(100).fill(3));

    expect(psi(constant.shares, binCounts(constant.edges, [3, 3, 3]).counts)).toBe(0);
    expect(driftLevel(psi(constant.shares, binCounts(constant.edges, [3, 3, 4, 5]).counts))).toBe('significant');
    expect(driftLevel(psi(constant.shares, binCounts(constant.edges, [3, 3, 2, 1]).counts))).toBe('significant');
  });

  it('stays finite when a bin is empty on either side, flooring shares at PSI_EPSILON', () => {
    const value = psi([0.5, 0.5, 0], [10, 0, 0]);
    const expected = (1 - 0.5) * Math.log(1 / 0.5) + (PSI_EPSILON - 0.5) * Math.log(PSI_EPSILON / 0.5);

    expect(value).toBeCloseTo(expected, 12);
  });

  it.each([
    ['lengths differ', [0.5, 0.5], [1, 2, 3], /3 counts for 2 baseline bins/],
    ['every count is 0', [0.5, 0.5], [0, 0], /no values to compare/],
    ['a count is negative', [0.5, 0.5], [3, -1], /must be >= 0/],
  ])('throws when %s', (_name, shares, counts, message) => {
    expect(() => psi(shares, counts)).toThrow(message);
  });
});

describe('driftLevel', () => {
  it.each([
    [0, 'none'],
    [0.0999, 'none'],
    [PSI_MODERATE, 'moderate'],
    [0.2499, 'moderate'],
    [PSI_SIGNIFICANT, 'significant'],
    [3, 'significant'],
    [Number.POSITIVE_INFINITY, 'significant'],
  ])('reads PSI %d as %s', (value, level) => {
    expect(driftLevel(value)).toBe(level);
  });

  it('uses the conventional cut points', () => {
    expect([PSI_MODERATE, PSI_SIGNIFICANT]).toEqual([0.1, 0.25]);
  });

  it('rejects NaN', () => {
    expect(() => driftLevel(Number.NaN)).toThrow(RangeError);
  });
});
