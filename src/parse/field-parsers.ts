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
  // Every row of every file has one: the common, valid ISO forms are read digit by digit; anything
  // else (spaces, epochs, invalid dates) goes the general way, which has the final word.
  const fast = isoTimestampMs(text);
  return fast === undefined ? parseTimestampByPattern(text) : { ok: true, value: fast };
}

const ZERO = 48;
/** The value of the two (or four) decimal digits at `at`, or -1 if any is not a digit. */
function digits2(s: string, at: number): number {
  const a = s.charCodeAt(at) - ZERO;
  const b = s.charCodeAt(at + 1) - ZERO;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function isLeapYear(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days from 1970-01-01 to the date (proleptic Gregorian, as Date.UTC counts them). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH[[:]MM]]` with no surrounding space, valid as written,
 * as epoch milliseconds; undefined for any other text (parseTimestampByPattern decides those). The
 * same value parseTimestampByPattern gives (property-tested).
 */
export function isoTimestampMs(s: string): number | undefined {
  const n = s.length;
  if (n < 16 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58) return undefined;
  const sep = s.charCodeAt(10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return undefined; // T, t or a space
  const hi = digits2(s, 0);
  const lo = digits2(s, 2);
  const month = digits2(s, 5);
  const day = digits2(s, 8);
  const hour = digits2(s, 11);
  const minute = digits2(s, 14);
  if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return undefined;
  const year = hi * 100 + lo;
  if (day > (month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1])) return undefined;
  let at = 16;
  let second = 0;
  let millis = 0;
  if (at < n && s.charCodeAt(at) === 58) {
    second = digits2(s, at + 1);
    if (second < 0 || second > 59) return undefined;
    at += 3;
    const mark = at < n ? s.charCodeAt(at) : 0;
    if (mark === 46 || mark === 44) {
      const from = at + 1;
      let to = from;
      while (to < n && to - from < 10) {
        const c = s.charCodeAt(to) - ZERO;
        if (c < 0 || c > 9) break;
        to++;
      }
      if (to === from || to - from > 9) return undefined;
      millis = Math.floor(Number(`0.${s.slice(from, to)}`) * 1000);
      at = to;
    }
  }
  let offsetMinutes = 0;
  if (at < n) {
    const z = s.charCodeAt(at);
    if (z === 90 || z === 122) {
      if (at + 1 !== n) return undefined;
    } else if (z === 43 || z === 45) {
      const hours = digits2(s, at + 1);
      if (hours < 0) return undefined;
      let minutes = 0;
      let end = at + 3;
      if (end < n) {
        if (s.charCodeAt(end) === 58) end++;
        minutes = digits2(s, end);
        if (minutes < 0) return undefined;
        end += 2;
      }
      if (end !== n || hours > 14 || minutes > 59) return undefined;
      offsetMinutes = (z === 45 ? -1 : 1) * (hours * 60 + minutes);
    } else return undefined;
  }
  const ms = daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
  return ms - offsetMinutes * 60_000;
}

/** parseTimestamp by its patterns: the general way, for every form and every invalid value. */
export function parseTimestampByPattern(text: string): Parsed<number> {
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
