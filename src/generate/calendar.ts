/**
 * Trading-day arithmetic on 'YYYY-MM-DD' strings (UTC). Holidays are ignored on purpose: the
 * generator only needs a plausible run of weekdays for history files.
 */

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** A parsed trading day. */
export interface CalendarDay {
  /** 'YYYY-MM-DD' */
  iso: string;
  /** 'YYYYMMDD', used inside trade ids */
  compact: string;
  /** days since 1970-01-01 */
  epochDay: number;
}

/** Parses and validates a 'YYYY-MM-DD' day; throws RangeError for malformed or impossible dates. */
export function parseDay(day: string): CalendarDay {
  const match = DAY_PATTERN.exec(day);
  if (!match) throw new RangeError(`day must be YYYY-MM-DD, got '${day}'`);
  const [, y, m, d] = match;
  const epochMs = Date.UTC(Number(y), Number(m) - 1, Number(d));
  // Date.UTC rolls 2026-02-30 over to March; a round trip catches it.
  if (isoFromEpochDay(epochMs / MS_PER_DAY) !== day) throw new RangeError(`day '${day}' is not a calendar date`);
  return { iso: day, compact: `${y}${m}${d}`, epochDay: epochMs / MS_PER_DAY };
}

/** 'YYYY-MM-DD' of a day counted from 1970-01-01. */
export function isoFromEpochDay(epochDay: number): string {
  return new Date(epochDay * MS_PER_DAY).toISOString().slice(0, 10);
}

/** True for Saturday and Sunday. */
export function isWeekend(epochDay: number): boolean {
  // 1970-01-01 was a Thursday, so (epochDay + 4) mod 7 is the weekday with Sunday = 0.
  const weekday = (((epochDay + 4) % 7) + 7) % 7;
  return weekday === 0 || weekday === 6;
}

/**
 * Earlier trading days (weekdays only, going back from `day`, excluding `day`), newest last;
 * e.g. previousTradingDays('2026-12-07', 2) -> ['2026-12-03', '2026-12-04'].
 */
export function previousTradingDays(day: string, count: number): string[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const days: string[] = [];
  let epochDay = parseDay(day).epochDay;
  while (days.length < count) {
    epochDay -= 1;
    if (!isWeekend(epochDay)) days.push(isoFromEpochDay(epochDay));
  }
  return days.reverse();
}
