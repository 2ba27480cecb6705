/**
 * One day of market activity: which symbol trades next, at what price and size. Prices follow a
 * per-symbol random walk whose step grows with the time since that symbol last traded, plus a
 * bid/ask bounce tied to the side; the opening level wanders from day to day, so absolute prices
 * are not comparable across days and a model has to use same-day context.
 */

import { drawParticipant, type Participants } from './participants.js';
import { AliasTable, hashedNormal, Rng } from './random.js';
import { tradingSession, type TradingSession } from './session-clock.js';
import { VENUES, type SymbolSpec, type Venue } from './symbol-universe.js';

/** How many past days' shocks make up the opening level (see openingLogPrice). */
const LEVEL_MEMORY_DAYS = 20;
/** Share of trades printed at the midpoint (dark/midpoint crosses) rather than at the quote. */
const MIDPOINT_SHARE = 0.25;
/** Share of trades that are blocks of 5-20x the usual size: normal business, not anomalies. */
const BLOCK_SHARE = 0.015;
/** Normal sizes are capped well below the smallest quantity_spike (100x typical). */
const MAX_NORMAL_SIZE_MULTIPLE = 30;
const QUANTITY_LOG_SIGMA = 0.85;

/** One trade before it is turned into text (and possibly corrupted). */
export interface TradeDraft {
  symbol: SymbolSpec;
  /** ms of the day, UTC */
  timeMs: number;
  side: 'BUY' | 'SELL';
  quantity: number;
  /** price as an integer count of 10^-priceDecimals units, a multiple of the tick */
  priceUnits: number;
  /** the symbol's mid price when the trade printed (its "current level") */
  midPrice: number;
  account: string;
  venue: Venue;
  trader: string;
}

/**
 * Log of the day's opening price: the base level plus a moving sum of the last 20 days' shocks.
 * Consecutive days share 19 of 20 shocks, so the open moves about one daily volatility from day to
 * day, yet it stays within a few volatilities of the base level however far the calendar runs, and
 * any day is computed directly without replaying history.
 */
function openingLogPrice(seed: number, symbol: SymbolSpec, epochDay: number): number {
  let shocks = 0;
  for (let k = 0; k < LEVEL_MEMORY_DAYS; k++) shocks += hashedNormal(seed, 'level', symbol.index, epochDay - k);
  return Math.log(symbol.basePrice) + symbol.dailyVolatility * Math.SQRT1_2 * shocks;
}

/** Mutable per-symbol state for one trading day. */
export class MarketDay {
  private readonly logMid: Float64Array;
  private readonly lastMs: Float64Array;
  private readonly dayVolatility: Float64Array;
  private readonly buyShare: Float64Array;
  private readonly symbolTable: AliasTable;

  /**
   * @param universe the symbols (seed-only)
   * @param participants accounts and traders (seed-only)
   * @param seed the generator seed
   * @param epochDay the trading day, days since 1970-01-01
   * @param rng the stream that drives this day's trades
   * @param session the session's hours (the walk runs from its open to its close)
   */
  constructor(
    private readonly universe: readonly SymbolSpec[],
    private readonly participants: Participants,
    seed: number,
    epochDay: number,
    private readonly rng: Rng,
    private readonly session: TradingSession = tradingSession(),
  ) {
    const n = universe.length;
    this.logMid = new Float64Array(n);
    this.lastMs = new Float64Array(n).fill(session.openMs);
    this.dayVolatility = new Float64Array(n);
    this.buyShare = new Float64Array(n);
    const weights = new Float64Array(n);
    let liquidityTotal = 0;
    for (const s of universe) liquidityTotal += s.liquidity;
    // A floor under the Zipf weights keeps the tail symbols at a few dozen trades or more in a
    // typical day, as a real firm's book would, instead of a handful.
    const floor = (0.25 * liquidityTotal) / n;
    for (const s of universe) {
      const i = s.index;
      this.logMid[i] = openingLogPrice(seed, s, epochDay);
      this.dayVolatility[i] = s.dailyVolatility * Math.exp(0.25 * hashedNormal(seed, 'volatility', i, epochDay));
      this.buyShare[i] = Math.min(0.6, Math.max(0.4, 0.5 + 0.04 * hashedNormal(seed, 'side', i, epochDay)));
      weights[i] = s.liquidity * Math.exp(0.15 * hashedNormal(seed, 'activity', i, epochDay)) + floor;
    }
    this.symbolTable = new AliasTable(weights);
  }

  /** The symbol's opening price on this day. */
  openingPrice(symbolIndex: number): number {
    return Math.exp(this.logMid[symbolIndex]);
  }

  /**
   * Draws the next trade at `timeMs`. Times must be non-decreasing within the session; times
   * outside it (off-hours rows) price at the open or the latest level without moving the walk
   * past the session bounds.
   */
  draw(timeMs: number): TradeDraft {
    const rng = this.rng;
    const i = this.symbolTable.sample(rng);
    const symbol = this.universe[i];
    const { openMs, closeMs, lengthMs } = this.session;
    const t = Math.min(closeMs, Math.max(openMs, timeMs));
    const dt = t - this.lastMs[i];
    if (dt > 0) {
      this.logMid[i] += this.dayVolatility[i] * Math.sqrt(dt / lengthMs) * rng.normal();
      this.lastMs[i] = t;
    }
    const mid = Math.exp(this.logMid[i]);
    const side = rng.chance(this.buyShare[i]) ? 'BUY' : 'SELL';
    let price = mid;
    if (!rng.chance(MIDPOINT_SHARE)) {
      const halfSpread = Math.max(symbol.tickSize / 2, (mid * symbol.spreadBps) / 20_000) * rng.range(0.6, 1.4);
      price = side === 'BUY' ? mid + halfSpread : mid - halfSpread;
    }
    let size = symbol.typicalQuantity * Math.exp(QUANTITY_LOG_SIGMA * rng.normal());
    if (rng.chance(BLOCK_SHARE)) size *= rng.logUniform(5, 20);
    size = Math.min(size, MAX_NORMAL_SIZE_MULTIPLE * symbol.typicalQuantity);
    const { account, trader } = drawParticipant(this.participants, rng);
    return {
      symbol,
      timeMs,
      side,
      quantity: roundToLot(symbol, size),
      priceUnits: priceToUnits(symbol, price),
      midPrice: mid,
      account,
      venue: drawVenue(symbol, rng),
      trader,
    };
  }
}

/** Rounds a price to the symbol's tick, at least one tick, as an integer of 10^-decimals units. */
export function priceToUnits(symbol: SymbolSpec, price: number): number {
  return Math.max(1, Math.round(price / symbol.tickSize)) * symbol.tickUnits;
}

/** Rounds a size to the symbol's lot, at least one lot. */
export function roundToLot(symbol: SymbolSpec, size: number): number {
  return Math.max(1, Math.round(size / symbol.lotSize)) * symbol.lotSize;
}

function drawVenue(symbol: SymbolSpec, rng: Rng): Venue {
  const u = rng.next();
  const cumulative = symbol.venueCumulative;
  for (let v = 0; v < cumulative.length; v++) if (u < cumulative[v]) return VENUES[v];
  return VENUES[VENUES.length - 1];
}
