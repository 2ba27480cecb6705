import { SeededRandom } from '../model/random.js';
import { utcToLocal } from '../parse/time-zones.js';
import { MAD_TO_SIGMA, PairReservoir, Reservoir, kthSmallest, median, medianAbsoluteDeviation } from './robust-stats.js';

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
  /**
   * Robust sigma of ln(price / the symbol's rolling level): how far a trade usually lies from the
   * median of the symbol's previous LEVEL_WINDOW prices. Shrunk towards the day's pooled value for
   * symbols with few trades (see SHRINK_TRADES).
   */
  levelScale: number;
  /**
   * The symbol's typical level span: the median time its level window covers (from the oldest of
   * those prices to the trade), at least 1 s. A trade whose window covers a longer time (a quiet
   * hour) may lie further from the level: price moves grow with the square root of time, so
   * residuals are read against levelScale x sqrt((span + this) / (2 x this)).
   */
  levelSpanMs: number;
  /** Median of the symbol's first LEVEL_WINDOW prices: the level its first trade is compared with. */
  openingPrice: number;
  /** The time those first prices span (the first trade's level span). */
  openingSpanMs: number;
  /** Median and robust sigma of ln(price x quantity), the trade's notional in the file's units. */
  medianNotional: number;
  logNotionalScale: number;
  /** Median and robust sigma of ln(1 + seconds since the symbol's previous trade). */
  gapCenter: number;
  gapScale: number;
  /** Median and robust sigma of ln(1 + the symbol's trades in the minute before a trade). */
  burstCenter: number;
  burstScale: number;
  /** Valid trades per venue, when the file has a venue column. */
  venues?: Record<string, number>;
}

/**
 * Accounts' activity over the day, when the file has an account column: trades per account (at most
 * MAX_TRACKED_ACCOUNTS accounts; later ones are not tracked and read as typical), and the typical
 * account's count, seen from a trade (the trade-weighted median: half the trades come from accounts
 * at least this busy).
 */
export interface AccountActivity {
  typicalTrades: number;
  trades: Record<string, number>;
  /** Accounts seen after the cap was reached (their trades count as typical). */
  untracked: number;
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
  accounts?: AccountActivity;
}

/**
 * What only the file's order tells about one trade, from the symbol's earlier trades: the
 * reference price (median of the previous REFERENCE_WINDOW prices), its rolling level (median of the
 * previous LEVEL_WINDOW prices, which follows a price that drifts over the day), the time since the previous
 * trade, and the trades in the BURST_WINDOW_MS before it. Computed by the scan in file order and
 * carried with the row to the score step, so chunks see exactly what the whole file says. A file not
 * in time order per symbol gives gaps of 0 and approximate counts for the rows out of order.
 */
export interface TradeSequence {
  refPrice: number | null;
  /** Median of the symbol's previous LEVEL_WINDOW prices (fewer early in the day), null for its first trade. */
  levelPrice: number | null;
  /** Milliseconds from the oldest of those prices to this trade, null for the first trade. */
  levelSpanMs: number | null;
  gapMs: number | null;
  recentTrades: number;
}

/** Who made a trade, where the file says. */
export interface TradeParties {
  account?: string;
  venue?: string;
}

export const TIME_BIN_MINUTES = 15;
const BINS_PER_DAY = (24 * 60) / TIME_BIN_MINUTES;
/** Recent trades of a symbol whose median is its reference price for the jump feature. */
export const REFERENCE_WINDOW = 5;
/** Values sampled per symbol and measure (eight measures): 4,096 keep a median within ~0.02 sigma, and 10 million rows of 500 symbols at 128 MB. */
const RESERVOIR_CAPACITY = 4096;
/**
 * Prices whose median is a symbol's rolling level: long enough that a run of wrong prints cannot
 * move it (up to 15 in a row), short enough to follow a price that drifts during the day (measured:
 * most false alarms against the day's median were late-session trades 1-6% away after a drift).
 */
export const LEVEL_WINDOW = 31;
/**
 * Per-symbol scales are shrunk towards the day's pooled scale with this many pseudo-trades: a
 * symbol with 30 trades has a noisy MAD (measured: on a 1,000-symbol day, 77 of 131 false alarms were
 * 2-6% price moves of thin symbols), one with 3,000 keeps its own.
 */
export const SHRINK_TRADES = 30;
/** The same for quantity and notional scales (see SHRUNK_SCALES). */
export const SIZE_SHRINK_TRADES = 100;
/** The window of the burst feature: the symbol's trades in the minute before a trade. */
export const BURST_WINDOW_MS = 60_000;
/** Accounts tracked per file; a retail book with more accounts tracks the first this many. */
export const MAX_TRACKED_ACCOUNTS = 200_000;

// Floors keep a symbol that traded at one price all day from turning a one-tick move into infinity.
const MIN_LOG_PRICE_SCALE = 0.001;
const MIN_LOG_QUANTITY_SCALE = 0.05;
const MIN_JUMP_SCALE = 0.0005;
const MIN_GAP_SCALE = 0.1;
const MIN_LEVEL_SPAN_MS = 1000;
const MIN_BURST_SCALE = 0.25;

/** The 90th percentile of |x| of a normal distribution is 1.645 sigma. */
const Q90_TO_SIGMA = 1.645;

function absQuantile(values: Float64Array, q: number): number {
  if (values.length === 0) return 0;
  const abs = Float64Array.from(values, Math.abs);
  return kthSmallest(abs, Math.min(abs.length - 1, Math.floor(q * abs.length)));
}

const REFERENCE_SCRATCH = new Float64Array(REFERENCE_WINDOW);

class SymbolAccumulator {
  readonly logPrice: Reservoir;
  readonly logQuantity: Reservoir;
  readonly jump: Reservoir;
  readonly logNotional: Reservoir;
  readonly gap: Reservoir;
  readonly burst: Reservoir;
  venues?: Map<string, number>;
  /** (ln(price / level), level span in ms) of each trade after the first. */
  readonly levelResidual: PairReservoir;
  private readonly recent = new Float64Array(REFERENCE_WINDOW);
  private recentCount = 0;
  /** The last LEVEL_WINDOW prices, in arrival order (ring) and sorted (for the median). */
  private readonly levelRing = new Float64Array(LEVEL_WINDOW);
  private readonly levelSorted = new Float64Array(LEVEL_WINDOW);
  private readonly levelTimes = new Float64Array(LEVEL_WINDOW);
  private levelCount = 0;
  /** The first LEVEL_WINDOW prices of the day, and the times of the first and last of them. */
  readonly opening: number[] = [];
  openingFrom = Number.NaN;
  openingTo = Number.NaN;
  private lastTimestamp = Number.NaN;
  /** Timestamps of the trades in the burst window: a ring buffer from `head`, `size` long. */
  private window = new Float64Array(16);
  private head = 0;
  private size = 0;

  constructor(random: SeededRandom) {
    this.logPrice = new Reservoir(RESERVOIR_CAPACITY, random);
    this.logQuantity = new Reservoir(RESERVOIR_CAPACITY, random);
    this.jump = new Reservoir(RESERVOIR_CAPACITY, random);
    this.logNotional = new Reservoir(RESERVOIR_CAPACITY, random);
    this.gap = new Reservoir(RESERVOIR_CAPACITY, random);
    this.burst = new Reservoir(RESERVOIR_CAPACITY, random);
    this.levelResidual = new PairReservoir(RESERVOIR_CAPACITY, random);
  }

  /** Median of the last LEVEL_WINDOW prices (fewer early on), null before the first. */
  level(): number | null {
    const n = Math.min(this.levelCount, LEVEL_WINDOW);
    if (n === 0) return null;
    const mid = n >> 1;
    return n % 2 ? this.levelSorted[mid] : (this.levelSorted[mid - 1] + this.levelSorted[mid]) / 2;
  }

  /** Milliseconds from the oldest price in the level window to `timestampMs` (0 when out of order), null before the first. */
  levelSpan(timestampMs: number): number | null {
    if (this.levelCount === 0) return null;
    const oldest = this.levelCount < LEVEL_WINDOW ? 0 : this.levelCount % LEVEL_WINDOW;
    return Math.max(0, timestampMs - this.levelTimes[oldest]);
  }

  /** Adds a price to the level window: drops the oldest from the sorted copy, inserts the new one. */
  pushLevel(price: number, timestampMs: number): void {
    let n = Math.min(this.levelCount, LEVEL_WINDOW);
    const slot = this.levelCount % LEVEL_WINDOW;
    if (this.levelCount >= LEVEL_WINDOW) {
      const old = this.levelRing[slot];
      let i = 0;
      while (this.levelSorted[i] !== old) i++;
      this.levelSorted.copyWithin(i, i + 1, n);
      n--;
    }
    let j = n;
    while (j > 0 && this.levelSorted[j - 1] > price) {
      this.levelSorted[j] = this.levelSorted[j - 1];
      j--;
    }
    this.levelSorted[j] = price;
    this.levelRing[slot] = price;
    this.levelTimes[slot] = timestampMs;
    this.levelCount++;
    if (this.opening.length < LEVEL_WINDOW) {
      this.opening.push(price);
      if (this.opening.length === 1) this.openingFrom = timestampMs;
      this.openingTo = timestampMs;
    }
  }

  /** Milliseconds since the symbol's previous trade (0 when out of order), null for its first. */
  gapTo(timestampMs: number): number | null {
    return Number.isNaN(this.lastTimestamp) ? null : Math.max(0, timestampMs - this.lastTimestamp);
  }

  /** Trades in the BURST_WINDOW_MS before `timestampMs`, then adds this one to the window. */
  countRecent(timestampMs: number): number {
    const from = timestampMs - BURST_WINDOW_MS;
    while (this.size > 0 && this.window[this.head] < from) {
      this.head = (this.head + 1) % this.window.length;
      this.size--;
    }
    const count = this.size;
    if (this.size === this.window.length) {
      const grown = new Float64Array(this.window.length * 2);
      for (let i = 0; i < this.size; i++) grown[i] = this.window[(this.head + i) % this.window.length];
      this.window = grown;
      this.head = 0;
    }
    this.window[(this.head + this.size) % this.window.length] = timestampMs;
    this.size++;
    if (!(timestampMs <= this.lastTimestamp)) this.lastTimestamp = timestampMs;
    return count;
  }

  /** Median of the last REFERENCE_WINDOW prices before this one; a single bad print cannot move it far. */
  reference(): number | null {
    const n = Math.min(this.recentCount, REFERENCE_WINDOW);
    if (n === 0) return null;
    // Insertion sort into a shared scratch array: no allocation per row (this runs for every trade).
    const sorted = REFERENCE_SCRATCH;
    for (let i = 0; i < n; i++) {
      const v = this.recent[i];
      let j = i;
      while (j > 0 && sorted[j - 1] > v) {
        sorted[j] = sorted[j - 1];
        j--;
      }
      sorted[j] = v;
    }
    const mid = n >> 1;
    return n % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
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
  /** Valid trades per local day number (days since 1970-01-01), in first-seen order. */
  private readonly dayCounts = new Map<number, number>();
  private validRows = 0;

  private readonly accountTrades = new Map<string, number>();
  private untrackedAccounts = 0;
  private sawAccounts = false;

  /**
   * Adds one valid trade (in file order) and returns what the symbol's earlier trades say about it.
   */
  observe(symbol: string, timestampMs: number, price: number, quantity: number, parties: TradeParties = {}): TradeSequence {
    let acc = this.symbols.get(symbol);
    if (!acc) {
      acc = new SymbolAccumulator(this.random);
      this.symbols.set(symbol, acc);
    }
    const ref = acc.reference();
    const level = acc.level();
    const levelSpanMs = acc.levelSpan(timestampMs);
    const gapMs = acc.gapTo(timestampMs);
    const recentTrades = acc.countRecent(timestampMs);
    const logPrice = Math.log(price);
    const logQuantity = Math.log(quantity);
    acc.logPrice.add(logPrice);
    acc.logQuantity.add(logQuantity);
    acc.logNotional.add(logPrice + logQuantity);
    acc.burst.add(Math.log1p(recentTrades));
    if (gapMs !== null) acc.gap.add(Math.log1p(gapMs / 1000));
    if (ref !== null) acc.jump.add(logPrice - Math.log(ref));
    if (level !== null) acc.levelResidual.add(logPrice - Math.log(level), levelSpanMs!);
    acc.push(price);
    acc.pushLevel(price, timestampMs);
    if (parties.venue !== undefined) {
      acc.venues ??= new Map();
      acc.venues.set(parties.venue, (acc.venues.get(parties.venue) ?? 0) + 1);
    }
    if (parties.account !== undefined) this.countAccount(parties.account);

    const msOfDay = ((timestampMs % 86_400_000) + 86_400_000) % 86_400_000;
    this.timeBins[Math.floor(msOfDay / (TIME_BIN_MINUTES * 60_000))]++;
    // Counting dates by day number avoids building a string per row.
    const dayNumber = Math.floor(utcToLocal(timestampMs, this.dayZone) / 86_400_000);
    this.dayCounts.set(dayNumber, (this.dayCounts.get(dayNumber) ?? 0) + 1);
    this.validRows++;
    return { refPrice: ref, levelPrice: level, levelSpanMs, gapMs, recentTrades };
  }

  private countAccount(account: string): void {
    this.sawAccounts = true;
    const n = this.accountTrades.get(account);
    if (n !== undefined) this.accountTrades.set(account, n + 1);
    else if (this.accountTrades.size < MAX_TRACKED_ACCOUNTS) this.accountTrades.set(account, 1);
    else this.untrackedAccounts++;
  }

  /** The account count half the trades come from accounts at least as busy as (trade-weighted median). */
  private accountActivity(): AccountActivity | undefined {
    if (!this.sawAccounts) return undefined;
    const counts = Float64Array.from(this.accountTrades.values()).sort();
    let total = 0;
    for (const c of counts) total += c;
    let typical = 1;
    let seen = 0;
    for (let i = counts.length - 1; i >= 0; i--) {
      seen += counts[i];
      if (seen * 2 >= total) {
        typical = counts[i];
        break;
      }
    }
    const trades: Record<string, number> = {};
    for (const [name, n] of [...this.accountTrades].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) trades[name] = n;
    return { typicalTrades: typical, trades, untracked: this.untrackedAccounts };
  }

  build(): DayContext {
    const symbols: Record<string, SymbolContext> = {};
    for (const [name, acc] of [...this.symbols].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const lp = acc.logPrice.sample();
      const lq = acc.logQuantity.sample();
      const jumps = acc.jump.sample();
      const [residuals, spans] = acc.levelResidual.sample();
      const spanCenter = Math.max(spans.length ? median(spans) : 0, MIN_LEVEL_SPAN_MS);
      const mp = median(lp);
      const mq = median(lq);
      const ln = acc.logNotional.sample();
      const mn = median(ln);
      const gaps = acc.gap.sample();
      const gc = gaps.length ? median(gaps) : 0;
      const bursts = acc.burst.sample();
      const bc = median(bursts);
      symbols[name] = {
        trades: acc.logPrice.count,
        medianPrice: Math.exp(mp),
        logPriceScale: Math.max(MAD_TO_SIGMA * medianAbsoluteDeviation(lp, mp), MIN_LOG_PRICE_SCALE),
        // Like the jump scale, from the 90th percentile of |residual|: the residuals of a price that
        // drifts have heavier tails than a normal's, and a MAD would make ordinary moves look extreme.
        levelScale: Math.max(absQuantile(timeNormalised(residuals, spans, spanCenter), 0.9) / Q90_TO_SIGMA, MIN_LOG_PRICE_SCALE),
        levelSpanMs: spanCenter,
        openingPrice: median(acc.opening),
        openingSpanMs: Math.max(0, acc.openingTo - acc.openingFrom),
        medianQuantity: Math.exp(mq),
        logQuantityScale: Math.max(MAD_TO_SIGMA * medianAbsoluteDeviation(lq, mq), MIN_LOG_QUANTITY_SCALE),
        jumpScale: Math.max(absQuantile(jumps, 0.9) / Q90_TO_SIGMA, MIN_JUMP_SCALE),
        medianNotional: Math.exp(mn),
        logNotionalScale: Math.max(MAD_TO_SIGMA * medianAbsoluteDeviation(ln, mn), MIN_LOG_QUANTITY_SCALE),
        gapCenter: gc,
        gapScale: Math.max(gaps.length ? MAD_TO_SIGMA * medianAbsoluteDeviation(gaps, gc) : 0, MIN_GAP_SCALE),
        burstCenter: bc,
        burstScale: Math.max(MAD_TO_SIGMA * medianAbsoluteDeviation(bursts, bc), MIN_BURST_SCALE),
      };
      if (acc.venues) symbols[name].venues = Object.fromEntries([...acc.venues].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    shrinkScales(symbols);
    let day: string | null = null;
    let best = 0;
    for (const [key, count] of this.dayCounts) {
      if (count > best) {
        best = count;
        day = new Date(key * 86_400_000).toISOString().slice(0, 10);
      }
    }
    const context: DayContext = { day, validRows: this.validRows, timeBinMinutes: TIME_BIN_MINUTES, timeBins: Array.from(this.timeBins), symbols };
    const accounts = this.accountActivity();
    if (accounts) context.accounts = accounts;
    return context;
  }
}

/**
 * The scales shrunk towards the day's pooled scale, with their pseudo-trades. Size dispersions are
 * alike across symbols (in logs), so thin symbols borrow more of the pool's; volatilities genuinely
 * differ, so price scales borrow less (measured on a 1,000-symbol day of ~30 trades a symbol: 100
 * pseudo-trades for every scale cut the size false alarms but raised the price ones).
 */
const SHRUNK_SCALES: readonly ['logPriceScale' | 'levelScale' | 'jumpScale' | 'logQuantityScale' | 'logNotionalScale', number][] = [
  ['logPriceScale', SHRINK_TRADES],
  ['levelScale', SHRINK_TRADES],
  ['jumpScale', SHRINK_TRADES],
  ['logQuantityScale', SIZE_SHRINK_TRADES],
  ['logNotionalScale', SIZE_SHRINK_TRADES],
];

/**
 * Shrinks each symbol's scales towards the median of all symbols' scales, weighting the symbol's
 * own by its trades and the pooled one by n0 pseudo-trades: sqrt((n s^2 + n0 S^2) / (n + n0)).
 */
function shrinkScales(symbols: Record<string, SymbolContext>): void {
  const all = Object.values(symbols);
  if (all.length < 2) return;
  for (const [key, n0] of SHRUNK_SCALES) {
    const pooled = median(all.map((s) => s[key]));
    for (const s of all) s[key] = Math.sqrt((s.trades * s[key] ** 2 + n0 * pooled ** 2) / (s.trades + n0));
  }
}

/** How much further than usual a price may lie from a level whose window covers `spanMs` (see levelSpanMs). */
export function levelTimeFactor(spanMs: number | null, spanCenterMs: number): number {
  return spanMs === null ? 1 : Math.sqrt((spanMs + spanCenterMs) / (2 * spanCenterMs));
}

/** Residuals divided by their time factor. */
function timeNormalised(residuals: Float64Array, spans: Float64Array, spanCenterMs: number): Float64Array {
  return Float64Array.from(residuals, (r, i) => r / levelTimeFactor(spans[i], spanCenterMs));
}
