import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTimestampMs, parseTimestamp, parseTimestampByPattern } from '../../src/parse/field-parsers.js';
import { propertySettings } from './property-settings.js';

/**
 * parseTimestamp reads the common ISO forms digit by digit (isoTimestampMs) and leaves everything
 * else to its patterns (parseTimestampByPattern). The fast way must never disagree: whatever it
 * accepts, the patterns accept with the same milliseconds; and it must accept the valid common forms.
 */
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** ISO-like text: valid parts, out-of-range parts, odd separators, fractions, zones, stray spaces. */
const isoLike = fc
  .record({
    year: fc.integer({ min: 0, max: 9999 }),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 24 }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.option(fc.integer({ min: 0, max: 60 })),
    fraction: fc.option(fc.stringMatching(/^[0-9]{1,11}$/)),
    fractionMark: fc.constantFrom('.', ','),
    sep: fc.constantFrom('T', 't', ' ', '_'),
    zone: fc.constantFrom('', 'Z', 'z', '+01:00', '-05:30', '+0100', '+01', '+14:00', '+15:00', '-12:60', ' Z', '+1', 'UTC'),
    around: fc.constantFrom(['', ''], [' ', ''], ['', ' '], ['', '\t']),
  })
  .map(({ year, month, day, hour, minute, second, fraction, fractionMark, sep, zone, around }) => {
    let text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}${sep}${pad(hour, 2)}:${pad(minute, 2)}`;
    if (second !== null) {
      text += `:${pad(second, 2)}`;
      if (fraction !== null) text += `${fractionMark}${fraction}`;
    }
    return `${around[0]}${text}${zone}${around[1]}`;
  });

describe('timestamps read digit by digit', () => {
  it('agree with the patterns on every ISO-like text they accept, and parseTimestamp is the patterns', () => {
    fc.assert(
      fc.property(isoLike, (text) => {
        const fast = isoTimestampMs(text);
        const byPattern = parseTimestampByPattern(text);
        if (fast !== undefined) expect(byPattern).toEqual({ ok: true, value: fast });
        expect(parseTimestamp(text)).toEqual(byPattern);
      }),
      propertySettings(3000),
    );
  });

  it('agree on any text at all', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        expect(parseTimestamp(text)).toEqual(parseTimestampByPattern(text));
      }),
      propertySettings(1000),
    );
  });

  it('take the common valid forms themselves (milliseconds, seconds, offsets), every millisecond fraction exactly', () => {
    for (let ms = 0; ms < 1000; ms++) {
      const text = `2026-12-01T09:30:00.${pad(ms, 3)}Z`;
      expect(isoTimestampMs(text)).toBe(Date.UTC(2026, 11, 1, 9, 30, 0, ms));
      expect(parseTimestampByPattern(text)).toEqual({ ok: true, value: isoTimestampMs(text) });
    }
    expect(isoTimestampMs('2024-02-29 23:59:59')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
    expect(isoTimestampMs('2026-12-01T09:30:00+01:00')).toBe(Date.UTC(2026, 11, 1, 8, 30));
    expect(isoTimestampMs('2023-02-29T00:00:00Z')).toBeUndefined();
  });
});
