/**
 * Text form of generated rows. Values never contain commas, quotes or newlines, so lines are
 * plain comma joins with no quoting.
 */

export const CSV_HEADER = 'trade_id,timestamp,symbol,side,quantity,price,currency,account,venue,trader';
export const LABELS_HEADER = 'source_row,trade_id,anomaly_type';

/** Positions of the fields in a row, matching CSV_HEADER. */
export const FIELD = {
  tradeId: 0,
  timestamp: 1,
  symbol: 2,
  side: 3,
  quantity: 4,
  price: 5,
  currency: 6,
  account: 7,
  venue: 8,
  trader: 9,
} as const;
export const FIELD_COUNT = 10;

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * ISO 8601 UTC timestamp with milliseconds, e.g. `2026-12-03T14:30:01.123Z`. Hand-formatted
 * because Date#toISOString per row is a measurable share of a 10M-row run.
 * @param dayPrefix 'YYYY-MM-DDT'
 * @param msOfDay 0 .. 86_399_999
 */
export function formatTimestamp(dayPrefix: string, msOfDay: number): string {
  const ms = msOfDay % 1000;
  const totalSeconds = (msOfDay - ms) / 1000;
  const s = totalSeconds % 60;
  const totalMinutes = (totalSeconds - s) / 60;
  const m = totalMinutes % 60;
  const h = (totalMinutes - m) / 60;
  return `${dayPrefix}${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[s]}.${THREE_DIGITS[ms]}Z`;
}

/**
 * Formats an integer count of 10^-decimals units as a fixed-point decimal, exactly
 * (formatScaled(1234, 2) === '12.34', formatScaled(-5, 3) === '-0.005').
 */
export function formatScaled(units: number, decimals: number): string {
  const negative = units < 0;
  let digits = String(Math.abs(units));
  if (decimals > 0) {
    if (digits.length <= decimals) digits = digits.padStart(decimals + 1, '0');
    digits = `${digits.slice(0, digits.length - decimals)}.${digits.slice(digits.length - decimals)}`;
  }
  return negative ? `-${digits}` : digits;
}

/** Joins a row's fields into one CSV line (without the line ending). */
export function csvLine(fields: readonly string[]): string {
  return (
    fields[0] + ',' + fields[1] + ',' + fields[2] + ',' + fields[3] + ',' + fields[4] + ',' +
    fields[5] + ',' + fields[6] + ',' + fields[7] + ',' + fields[8] + ',' + fields[9]
  );
}
