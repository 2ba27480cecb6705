/**
 * The symbol universe: the instruments a firm trades, with the static traits that shape their
 * trades. It depends only on the seed, so history days and the target day share symbols, and
 * symbol i is the same whatever the universe size (the first k symbols of a larger universe are
 * the universe of size k), so files of different sizes from one seed still line up.
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
 * increments, so their prices carry 3-4 decimals.
 */
export function tickForPrice(price: number): { tickSize: number; decimals: number } {
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
  if (price < 2) return 100;
  if (price < 10) return 10;
  return 1;
}

/**
 * Builds `count` symbols for `seed`. Symbol i draws from its own stream, so it does not change
 * when the universe grows.
 */
export function buildSymbolUniverse(seed: number, count: number): SymbolSpec[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`symbols must be a positive integer, got ${count}`);
  const seen = new Set<string>();
  const symbols: SymbolSpec[] = [];
  for (let index = 0; index < count; index++) {
    const rng = Rng.fromParts(seed, 'symbol', index);
    let ticker = drawTicker(rng);
    while (seen.has(ticker) || RESERVED_TICKERS.has(ticker)) ticker = drawTicker(rng);
    seen.add(ticker);

    // log10(price) ~ N(1.6, 0.75) clipped: a median near 40, tails from ~1 to ~3000.
    const log10Price = Math.min(3.48, Math.max(0, 1.6 + 0.75 * rng.normal()));
    const basePrice = Math.pow(10, log10Price);
    // Cheap stocks tend to be the volatile ones.
    const volMedian = 0.02 * Math.pow(40 / basePrice, 0.08);
    const dailyVolatility = Math.min(0.05, Math.max(0.008, volMedian * Math.exp(0.4 * rng.normal())));
    const { tickSize, decimals } = tickForPrice(basePrice);
    const lotSize = lotForPrice(basePrice);
    const notional = 12_000 * Math.exp(0.6 * rng.normal());
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
