import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kthSmallest, median } from '../../src/features/robust-stats.js';
import { propertySettings } from './property-settings.js';

/**
 * The day's context takes its medians and quantiles by selection (kthSmallest), not by sorting: the
 * values must be exactly those of a full sort, duplicates, ties and NaNs included.
 */
const values = fc.array(fc.oneof({ arbitrary: fc.double({ noNaN: true, min: -1e6, max: 1e6 }), weight: 8 }, { arbitrary: fc.constantFrom(0, 1, 2, 2, 2, -3), weight: 3 }, { arbitrary: fc.constant(Number.NaN), weight: 1 }), { minLength: 1, maxLength: 300 });

/** What sorting gives: Float64Array's numeric sort, NaNs last. */
function sortedAt(xs: number[], k: number): number {
  return Float64Array.from(xs).sort()[k];
}

describe('selection instead of sorting', () => {
  it('kthSmallest gives the value a sort puts at k, for every k', () => {
    fc.assert(
      fc.property(values, fc.nat(), (xs, seed) => {
        const k = seed % xs.length;
        const a = Float64Array.from(xs);
        const got = kthSmallest(a, k);
        const want = sortedAt(xs, k);
        // -0 and 0 are one value to selection; NaN is NaN.
        expect(got === want || (Number.isNaN(got) && Number.isNaN(want))).toBe(true);
        // Everything left of k is at most the k-th value (when there is no NaN to sort last).
        if (!xs.some(Number.isNaN)) for (let i = 0; i < k; i++) expect(a[i] <= a[k]).toBe(true);
      }),
      propertySettings(500),
    );
  });

  it('median equals the middle of a sort (the mean of the two middles for an even count), and leaves its input alone', () => {
    fc.assert(
      fc.property(values, (xs) => {
        const before = [...xs];
        const sorted = Float64Array.from(xs).sort();
        const mid = xs.length >> 1;
        const expected = xs.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        const got = median(xs);
        expect(Number.isNaN(expected) ? Number.isNaN(got) : got === expected).toBe(true);
        expect(xs).toEqual(before);
      }),
      propertySettings(500),
    );
  });
});
