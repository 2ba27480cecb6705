import { SeededRandom } from '../model/random.js';
import { utcToLocal } from '../parse/time-zones.js';
import { MAD_TO_SIGMA, Reservoir, median, medianAbsoluteDeviation } from './robust-stats.js';

/**
 * The day's context: per-symbol levels and spreads, and the day's activity by time of day, computed
 * over the WHOLE file during ingest so every chunk's features use the same reference (a per-chunk
 * median would shift with the chunk's luck).
 */
export interface SymbolContext {
  trades: number;
  medianPrice: number;
  /** Robust sigma of ln(price) over the day. */
  logPriceScale: number;
  medianQuantity: number;
  /** Robust sigma of ln(quantity) over the day. */
  logQuantityScale: number;
  /**
   * The symbol's typical trade-to-trade move: sigma of ln(price / recent reference price), estimated
   * from the 90th percentile of |move| (a MAD would be ~0 for a symbol whose trades mostly repeat the
   * last price, and turn a one-tick move into an outlier).
   */
  jumpScale: number;
}

export interface DayContext {
  /** The trading day (the date most trades fall on, in the schema's trading-day zone), or null when no row had a valid timestamp. */
  day: string | null;
  /** Rows that entered the context (valid symbol, timestamp, positive price and quantity). */
  validRows: number;
  timeBinMinutes: number;
  /** Valid trades per time-of-day bin (UTC). */
  timeBins: number[];
  symbols: Record<string, SymbolContext>;
}

export const TIME_BIN_MINUTES = 15;
const BINS_PER_DAY = (24 * 60) / TIME_BIN_MINUTES;
/** Recent trades of a symbol whose median is its reference price for the jump feature. */
export const REFERENCE_WINDOW = 5;
const RESERVOIR_CAPACITY = 8192;

// Floors keep a symbol that traded at one price all day from turning a one-tick move into infinity.
const MIN_LOG_PRICE_SCALE = 0.001;
const MIN_LOG_QUANTITY_SCALE = 0.05;
const MIN_JUMP_SCALE = 0.0005;

/** The 90th percentile of |x| of a normal distribution is 1.645 sigma. */
const Q90_TO_SIGMA = 1.645;

function absQuantile(values: Float64Array, q: number): number {
  if (values.length === 0) return 0;
  const abs = Float64Array.from(values, Math.abs).sort();
  return abs[Math.min(abs.length - 1, Math.floor(q * abs.length))];
}

class SymbolAccumulator {
  readonly logPrice: Reservoir;
  readonly logQuantity: Reservoir;
  readonly jump: Reservoir;
  private readonly recent = new Float64Array(REFERENCE_WINDOW);
  private recentCount = 0;

  constructor(random: SeededRandom) {
    this.logPrice = new Reservoir(RESERVOIR_CAPACITY, random);
    this.logQuantity = new Reservoir(RESERVOIR_CAPACITY, random);
    this.jump = new Reservoir(RESERVOIR_CAPACITY, random);
  }

  /** Median of the last REFERENCE_WINDOW prices before this one; a single bad print cannot move it far. */
  reference(): number | null {
    const n = Math.min(this.recentCount, REFERENCE_WINDOW);
    return n === 0 ? null : median(this.recent, n);
  }

  push(price: number): void {
    this.recent[this.recentCount % REFERENCE_WINDOW] = price;
    this.recentCount++;
  }
}

/** Builds the day's context from the valid rows of a file, in file order. */
export class DayContextBuilder {
  /** @param dayZone the IANA zone whose dates count as trading days (the session's) */
  constructor(private readonly dayZone = 'UTC') {}

  private readonly random = new SeededRandom(20080101);
  private readonly symbols = new Map<string, SymbolAccumulator>();
  private readonly timeBins = new Float64Array(BINS_PER_DAY);
  private readonly dayCounts = new Map<string, number>();
  private validRows = 0;

  /**
   * Adds one valid trade and returns its reference price (median of the symbol's previous few
   * trades in file order), or null for the symbol's first trade.
   */
  observe(symbol: string, timestampMs: number, price: number, quantity: number): number | null {
    let acc = this.symbols.get(symbol);
    if (!acc) {
      acc = new SymbolAccumulator(this.random);
      this.symbols.set(symbol, acc);
    }
    const ref = acc.reference();
    const logPrice = Math.log(price);
    acc.logPrice.add(logPrice);
    acc.logQuantity.add(Math.log(quantity));
    if (ref !== null) acc.jump.add(logPrice - Math.log(ref));
    acc.push(price);

    const msOfDay = ((timestampMs % 86_400_000) + 86_400_000) % 86_400_000;
    this.timeBins[Math.floor(msOfDay / (TIME_BIN_MINUTES * 60_000))]++;
    // Counting dates by day number avoids building a string per row.
    const dayNumber = Math.floor(utcToLocal(timestampMs, this.dayZone) / 86_400_000);
    const key = String(dayNumber);
    this.dayCounts.set(key, (this.dayCounts.get(key) ?? 0) + 1);
    this.validRows++;
    return ref;
  }

  build(): DayContext {
    const symbols: Record<string, SymbolContext> = {};
    for (const [name, acc] of [...this.symbols].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const lp = acc.logPrice.sample();
      const lq = acc.logQuantity.sample();
      const jumps = acc.jump.sample();
      const mp = median(lp);
      const mq = median(lq);
      symbols[name] = {
        trades: acc.logPrice.count,
        medianPrice: Math.exp(mp),
        logPriceScale: Math.max(MAD_TO_SIGMA * medianAbsoluteDeviation(lp, mp), MIN_LOG_PRICE_SCALE),
        medianQuantity: Math.exp(mq),
        logQuantityScale: Math.max(MAD_TO_SIGMA * medianAbsoluteDeviation(lq, mq), MIN_LOG_QUANTITY_SCALE),
        jumpScale: Math.max(absQuantile(jumps, 0.9) / Q90_TO_SIGMA, MIN_JUMP_SCALE),
      };
    }
    let day: string | null = null;
    let best = 0;
    for (const [key, count] of this.dayCounts) {
      if (count > best) {
        best = count;
        day = new Date(Number(key) * 86_400_000).toISOString().slice(0, 10);
      }
    }
    return { day, validRows: this.validRows, timeBinMinutes: TIME_BIN_MINUTES, timeBins: Array.from(this.timeBins), symbols };
  }
}
