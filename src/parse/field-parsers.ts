/**
 * Parsers for single field values. Each returns a tagged result rather than throwing: a bad value is
 * data to flag, not an error to stop on.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: 'missing' | 'unparsable' | 'non_finite' };

const NUMBER_PATTERN = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE_PATTERN = /^[+-]?(?:nan|inf|infinity)$/i;

/** A plain decimal number ("12", "-0.5", "1e3"); "NaN", "Infinity" and overflow such as "1e309" are non-finite. */
export function parseNumber(text: string): Parsed<number> {
  const s = text.trim();
  if (s === '') return { ok: false, problem: 'missing' };
  if (NON_FINITE_PATTERN.test(s)) return { ok: false, problem: 'non_finite' };
  if (!NUMBER_PATTERN.test(s)) return { ok: false, problem: 'unparsable' };
  const value = Number(s);
  if (!Number.isFinite(value)) return { ok: false, problem: 'non_finite' };
  return { ok: true, value };
}

// 2026-12-03T14:30:01.123Z, 2026-12-03 14:30:01, 2026-12-03T14:30:01+01:00, with 0-9 fraction digits.
const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const EPOCH_PATTERN = /^\d{9,16}$/;
const MAX_DATE_MS = 8.64e15;

/**
 * A timestamp as epoch milliseconds (UTC). ISO 8601 with or without a zone (no zone = UTC), or epoch
 * seconds / milliseconds (told apart by magnitude: 12 digits or more are milliseconds).
 */
export function parseTimestamp(text: string): Parsed<number> {
  const s = text.trim();
  if (s === '') return { ok: false, problem: 'missing' };
  if (EPOCH_PATTERN.test(s)) {
    const n = Number(s);
    const ms = s.length >= 12 ? n : n * 1000;
    // Past JavaScript's dates (±8.64e15 ms, year 275760): not a time any step can format or compare.
    return ms > MAX_DATE_MS ? { ok: false, problem: 'unparsable' } : { ok: true, value: ms };
  }
  const m = ISO_PATTERN.exec(s);
  if (!m) return { ok: false, problem: 'unparsable' };
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = sec === undefined ? 0 : Number(sec);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, problem: 'unparsable' };
  }
  const millis = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
  // Date.UTC reads years 0-99 as 1900-1999; setting the year afterwards keeps it as written.
  date.setUTCFullYear(year);
  let value = date.getTime();
  // Date.UTC rolls 2026-02-31 over into March: reject dates that do not exist.
  if (date.getUTCDate() !== day) return { ok: false, problem: 'unparsable' };
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2) || '0');
    // Real offsets run from -12:00 to +14:00.
    if (hours > 14 || minutes > 59) return { ok: false, problem: 'unparsable' };
    value -= sign * (hours * 60 + minutes) * 60_000;
  }
  return { ok: true, value };
}

export type Side = 'BUY' | 'SELL';

// A Map, not an object literal: a side spelled 'constructor' must not find Object.prototype's.
const SIDES = new Map<string, Side>([
  ['buy', 'BUY'],
  ['b', 'BUY'],
  ['1', 'BUY'],
  ['bid', 'BUY'],
  ['sell', 'SELL'],
  ['s', 'SELL'],
  ['-1', 'SELL'],
  ['2', 'SELL'],
  ['ask', 'SELL'],
  ['offer', 'SELL'],
]);

/** A trade side from the spellings files use: buy/sell, B/S, 1/-1 (FIX 54: 1 buy, 2 sell). */
export function parseSide(text: string): Parsed<Side> {
  const s = text.trim().toLowerCase();
  if (s === '') return { ok: false, problem: 'missing' };
  const side = SIDES.get(s);
  return side ? { ok: true, value: side } : { ok: false, problem: 'unparsable' };
}
