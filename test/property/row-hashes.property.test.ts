import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash64, hash64Into, hash64Joined, hash64JoinedLow } from '../../src/pipeline/duplicate-index.js';
import { CONTENT_SEPARATOR, DuplicatePartitions } from '../../src/pipeline/duplicate-partitions.js';
import { propertySettings } from './property-settings.js';

/**
 * The scan hashes each row's fields in place (hash64Joined) instead of hashing the joined row: the
 * hashes, and so the repeats found, must be exactly those of the joined text, for any text at all.
 */
const anyText = fc.string({ unit: 'binary', maxLength: 40 });
const fields = fc.array(anyText, { maxLength: 12 });

describe('row hashes without joining', () => {
  it('hash64Joined(fields) equals hash64(fields joined), hash64JoinedLow its second half, and hash64Into(text) equals hash64(text)', () => {
    fc.assert(
      fc.property(fields, (f) => {
        const joined = new Uint32Array(2);
        hash64Joined(f, CONTENT_SEPARATOR, joined);
        expect([joined[0], joined[1]]).toEqual(hash64(f.join(CONTENT_SEPARATOR)));
        expect(hash64JoinedLow(f, CONTENT_SEPARATOR)).toBe(joined[1]);
        const one = new Uint32Array(2);
        hash64Into(f.join(''), one);
        expect([one[0], one[1]]).toEqual(hash64(f.join('')));
      }),
      propertySettings(500),
    );
  });

  it('finds the same repeats whether rows are added joined or as fields', () => {
    const rowsArb = fc.array(fc.tuple(fc.constantFrom('T1', 'T2', 'T3', ''), fc.array(fc.constantFrom('a', 'b', 'a\u001fb', ''), { minLength: 1, maxLength: 3 })), { maxLength: 40 });
    fc.assert(
      fc.property(rowsArb, fc.boolean(), (rows, keyed) => {
        const joined = new DuplicatePartitions(keyed);
        const split = new DuplicatePartitions(keyed);
        rows.forEach(([id, f], i) => {
          joined.add(id, f.join(CONTENT_SEPARATOR), i + 1);
          split.addFields(id, f, i + 1);
        });
        const a = joined.finish();
        const b = split.finish();
        expect({ rows: [...b.rows], key: [...b.sameKeyAs], row: [...b.sameRowAs] }).toEqual({ rows: [...a.rows], key: [...a.sameKeyAs], row: [...a.sameRowAs] });
      }),
      propertySettings(100),
    );
  });
});
