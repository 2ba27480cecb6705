/**
 * The symbol universe: the instruments a firm trades, with the static traits that shape their
 * trades. It depends only on the seed and the market shape, so history days and the target day
 * share symbols, and symbol i is the same whatever the universe size (the first k symbols of a
 * larger universe are the universe of size k), so files of different sizes from one seed still
 * line up.
 *
 * The market shape changes what the symbols look like without changing how many random draws each
 * takes, so the default shape gives exactly the symbols it always gave:
 * - priceLevels: how price levels spread across symbols. 'default': log10(price) ~ N(1.6, 0.75)
 *   clipped to [0, 3.48], a median near 40 and tails from ~1 to ~3,000; 'penny': N(-0.8, 0.45)
 *   clipped to [-2, 0.3], ~0.01 to ~2 with a median near 0.16, where a tick is a sizeable share of
 *   the price; 'wide': N(1.6, 1.5) clipped to [-2, 5], ~0.01 to ~100,000 in one book.
 * - priceScale: multiplies every level (a denomination change: 1000 turns 40 into 40,000). Ticks,
 *   decimals and lots follow the scaled price; volatility follows the unscaled level, so a scale
 *   does not make a market calmer.
 * - volumeScale: multiplies every symbol's typical trade value, hence its typical size; sizes never
 *   fall below 5 lots, so a small scale makes thin books of a few lots per trade.
 */

import { Rng } from './random.js';

export const VENUES = ['XLON', 'XPAR', 'XETR', 'XAMS', 'BATE', 'CHIX', 'TRQX'] as const;
export type Venue = (typeof VENUES)[number];

const CURRENCY_SHARES: ReadonlyArray<readonly [string, number]> = [
  ['EUR', 0.44],
  ['GBP', 0.32],
  ['USD', 0.1],
  ['CHF', 0.07],
  ['SEK', 0.04],
  ['DKK', 0.03],
];

// Primary listing venue(s) by trading currency; the lit MTFs (BATE, CHIX, TRQX) trade everything.
const HOME_VENUES: Readonly<Record<string, readonly Venue[]>> = {
  EUR: ['XPAR', 'XETR', 'XAMS'],
  GBP: ['XLON'],
  USD: ['XLON', 'XETR'],
  CHF: ['XETR'],
  SEK: ['XETR'],
  DKK: ['XETR'],
};

// Tokens that common CSV readers (pandas, DuckDB, Spark) turn into null or a boolean.
const RESERVED_TICKERS = new Set(['NA', 'NAN', 'NULL', 'NONE', 'TRUE', 'FALSE', 'INF']);

export const PRICE_LEVELS = ['default', 'penny', 'wide'] as const;
export type PriceLevels = (typeof PRICE_LEVELS)[number];

/** Market-wide traits that shape every symbol (see the module comment). */
export interface MarketShape {
  priceLevels: PriceLevels;
  priceScale: number;
  volumeScale: number;
}

export const DEFAULT_MARKET_SHAPE: MarketShape = { priceLevels: 'default', priceScale: 1, volumeScale: 1 };

/** log10(price) ~ N(mean, sd) clipped to [min, max], per price-level spread. */
const LOG10_PRICE: Record<PriceLevels, { mean: number; sd: number; min: number; max: number }> = {
  default: { mean: 1.6, sd: 0.75, min: 0, max: 3.48 },
  penny: { mean: -0.8, sd: 0.45, min: -2, max: 0.3 },
  wide: { mean: 1.6, sd: 1.5, min: -2, max: 5 },
};

/** Static traits of one instrument. */
export interface SymbolSpec {
  /** position in the universe; 0 is the most liquid */
  index: number;
  ticker: string;
  /** long-run price level the daily opening level wanders around */
  basePrice: number;
  /** typical daily volatility (fraction, e.g. 0.02 = 2%) */
  dailyVolatility: number;
  /** relative share of the day's trades before daily variation */
  liquidity: number;
  /** minimum price increment */
  tickSize: number;
  /** decimals printed for the price */
  priceDecimals: number;
  /** tick size in units of 10^-priceDecimals (an integer) */
  tickUnits: number;
  /** quantities are multiples of this */
  lotSize: number;
  /** median trade size in shares */
  typicalQuantity: number;
  /** quoted spread in basis points of price */
  spreadBps: number;
  currency: string;
  /** cumulative venue probabilities aligned with VENUES */
  venueCumulative: Float64Array;
}

/** Default universe size for a file of `rows` rows: clamp(round(rows / 300), 20, 500). */
export function defaultSymbolCount(rows: number): number {
  return Math.min(500, Math.max(20, Math.round(rows / 300)));
}

/**
 * Tick size bands loosely modelled on the MiFID II tick regime: cheap stocks quote in finer
 * increments, so their prices carry 3-4 decimals (5-6 below 0.1, for penny prices).
 */
export function tickForPrice(price: number): { tickSize: number; decimals: number } {
  if (price < 0.01) return { tickSize: 0.000001, decimals: 6 };
  if (price < 0.1) return { tickSize: 0.00001, decimals: 5 };
  if (price < 1) return { tickSize: 0.0001, decimals: 4 };
  if (price < 5) return { tickSize: 0.0005, decimals: 4 };
  if (price < 10) return { tickSize: 0.001, decimals: 3 };
  if (price < 50) return { tickSize: 0.005, decimals: 3 };
  if (price < 100) return { tickSize: 0.01, decimals: 2 };
  if (price < 500) return { tickSize: 0.05, decimals: 2 };
  if (price < 1000) return { tickSize: 0.1, decimals: 2 };
  return { tickSize: 0.5, decimals: 2 };
}

function drawTicker(rng: Rng): string {
  const u = rng.next();
  const length = u < 0.15 ? 3 : u < 0.88 ? 4 : 5;
  let ticker = '';
  for (let i = 0; i < length; i++) ticker += String.fromCharCode(65 + rng.int(26));
  return ticker;
}

function drawCurrency(rng: Rng): string {
  let u = rng.next();
  for (const [currency, share] of CURRENCY_SHARES) {
    if (u < share) return currency;
    u -= share;
  }
  return CURRENCY_SHARES[0][0];
}

function drawVenueCumulative(rng: Rng, currency: string): Float64Array {
  const weights = new Float64Array(VENUES.length);
  const home = rng.pick(HOME_VENUES[currency]);
  for (let v = 0; v < VENUES.length; v++) {
    const venue = VENUES[v];
    if (venue === home) weights[v] = rng.range(0.45, 0.75);
    else if (venue === 'BATE' || venue === 'CHIX' || venue === 'TRQX') weights[v] = rng.range(0.04, 0.2);
    else weights[v] = rng.chance(0.3) ? rng.range(0.002, 0.02) : 0; // occasional cross-listing
  }
  const cumulative = new Float64Array(VENUES.length);
  let total = 0;
  for (let v = 0; v < VENUES.length; v++) total += weights[v];
  let running = 0;
  for (let v = 0; v < VENUES.length; v++) {
    running += weights[v] / total;
    cumulative[v] = running;
  }
  cumulative[VENUES.length - 1] = 1;
  return cumulative;
}

function lotForPrice(price: number): number {
  if (price < 0.1) return 1000;
  if (price < 2) return 100;
  if (price < 10) return 10;
  return 1;
}

/**
 * Builds `count` symbols for `seed` in the given market shape. Symbol i draws from its own stream,
 * so it does not change when the universe grows.
 */
export function buildSymbolUniverse(seed: number, count: number, shape: MarketShape = DEFAULT_MARKET_SHAPE): SymbolSpec[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`symbols must be a positive integer, got ${count}`);
  const levels = LOG10_PRICE[shape.priceLevels];
  const seen = new Set<string>();
  const symbols: SymbolSpec[] = [];
  for (let index = 0; index < count; index++) {
    const rng = Rng.fromParts(seed, 'symbol', index);
    let ticker = drawTicker(rng);
    while (seen.has(ticker) || RESERVED_TICKERS.has(ticker)) ticker = drawTicker(rng);
    seen.add(ticker);

    const log10Price = Math.min(levels.max, Math.max(levels.min, levels.mean + levels.sd * rng.normal()));
    const level = Math.pow(10, log10Price);
    const basePrice = level * shape.priceScale;
    // Cheap stocks tend to be the volatile ones (by the unscaled level: a denomination is not a risk).
    const volMedian = 0.02 * Math.pow(40 / level, 0.08);
    const dailyVolatility = Math.min(0.05, Math.max(0.008, volMedian * Math.exp(0.4 * rng.normal())));
    const { tickSize, decimals } = tickForPrice(basePrice);
    const lotSize = lotForPrice(basePrice);
    const notional = 12_000 * Math.exp(0.6 * rng.normal()) * shape.volumeScale;
    const typicalQuantity = Math.max(5 * lotSize, Math.round(notional / basePrice / lotSize) * lotSize);
    const currency = drawCurrency(rng);
    symbols.push({
      index,
      ticker,
      basePrice,
      dailyVolatility,
      liquidity: 1 / (index + 1),
      tickSize,
      priceDecimals: decimals,
      tickUnits: Math.round(tickSize * 10 ** decimals),
      lotSize,
      typicalQuantity,
      spreadBps: (2 + 3 * Math.log1p(index)) * rng.range(0.7, 1.3),
      currency,
      venueCumulative: drawVenueCumulative(rng, currency),
    });
  }
  return symbols;
}
