import { utcToLocal } from '../parse/time-zones.js';
import type { QualitySettings, TradeSchema } from '../schema/schema-settings.js';
import type { CheckedTrade } from './trade-checks.js';

/**
 * The rules that need to know the whole file or the market: the file's trading day, the session
 * hours and calendar, the notional's consistency, the reference list of symbols.
 */
export interface FileRuleContext {
  /** The file's trading day (YYYY-MM-DD in `dayZone`), from the day's context. */
  day: string | null;
  dayZone: string;
  settings: QualitySettings;
  knownSymbols?: Set<string>;
}

/** The zone a schema's trading day is counted in: the session's, else the timestamps'. */
export function tradingDayZone(schema: TradeSchema): string {
  return schema.quality.session?.timeZone ?? schema.timestamp.timeZone;
}

export function fileRuleContext(schema: TradeSchema, day: string | null): FileRuleContext {
  return {
    day,
    dayZone: tradingDayZone(schema),
    settings: schema.quality,
    knownSymbols: schema.quality.knownSymbols ? new Set(schema.quality.knownSymbols) : undefined,
  };
}

const DAY = 86_400_000;

/** The last day formatted: a file's rows fall on one or two days, and formatting a Date per row cost ~1 µs. */
let lastDayNumber = Number.NaN;
let lastDayText = '';

function isoDate(localMs: number): string {
  const dayNumber = Math.floor(localMs / DAY);
  if (dayNumber !== lastDayNumber) {
    lastDayText = new Date(dayNumber * DAY).toISOString().slice(0, 10);
    lastDayNumber = dayNumber;
  }
  return lastDayText;
}

function hhmm(localMs: number): string {
  return new Date(localMs).toISOString().slice(11, 16);
}

/** Adds the file-level issues of one checked row to its issue list. */
export function applyFileRules(t: CheckedTrade, ctx: FileRuleContext): void {
  const { settings } = ctx;
  if (t.timestampMs !== null) {
    const localDayMs = utcToLocal(t.timestampMs, ctx.dayZone);
    const date = isoDate(localDayMs);
    if (settings.singleDay && ctx.day !== null && date !== ctx.day) {
      t.issues.push({ code: 'OUTSIDE_TRADING_DAY', field: 'timestamp', message: `timestamp ${new Date(t.timestampMs).toISOString()} falls on ${date}, not on the file's trading day ${ctx.day}` });
    }
    const session = settings.session;
    if (session) {
      const local = utcToLocal(t.timestampMs, session.timeZone);
      const localDate = isoDate(local);
      const weekday = ((new Date(local).getUTCDay() + 6) % 7) + 1;
      const time = hhmm(local);
      const where = `${localDate} ${time} ${session.timeZone}`;
      if (!session.weekdays.includes(weekday)) {
        t.issues.push({ code: 'OUTSIDE_SESSION', field: 'timestamp', message: `traded at ${where}, a day the market is closed` });
      } else if (session.holidays.includes(localDate)) {
        t.issues.push({ code: 'OUTSIDE_SESSION', field: 'timestamp', message: `traded at ${where}, a holiday` });
      } else if (time < session.open || time >= session.close) {
        t.issues.push({ code: 'OUTSIDE_SESSION', field: 'timestamp', message: `traded at ${where}, outside the session ${session.open}-${session.close}` });
      }
    }
  }
  if (t.notional !== null && t.price !== null && t.quantity !== null) {
    const expected = t.price * t.quantity;
    const gap = Math.abs(t.notional - expected);
    if (gap > settings.notionalTolerance * Math.max(Math.abs(t.notional), Math.abs(expected))) {
      t.issues.push({ code: 'INCONSISTENT_NOTIONAL', field: 'notional', message: `notional ${t.notional} differs from price x quantity ${Number(expected.toPrecision(10))}` });
    }
  }
  if (ctx.knownSymbols && t.symbol !== null && !ctx.knownSymbols.has(t.symbol)) {
    t.issues.push({ code: 'UNKNOWN_SYMBOL', field: 'symbol', message: `symbol '${t.symbol}' is not in the reference list` });
  }
}
