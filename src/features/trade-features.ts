import { levelTimeFactor, type DayContext, type SymbolContext } from './day-context.js';

/**
 * The trade features. Each compares a trade with its own symbol's behaviour THAT DAY (from the
 * day's context, computed over the whole file), so one model serves symbols priced at 1 and at 3,000,
 * and days whose levels drift. Robust z-scores are (value - median) / robust sigma (MAD x 1.4826).
 *
 * | feature | definition |
 * | --- | --- |
 * | price_deviation | ln(price / symbol's rolling level) / (robust sigma of that ratio over the symbol's day x a time factor); the level is the median of its previous 31 prices (for its first trade, of its first 31), so a price that drifts during the day is not an outlier late in the session; the time factor sqrt((span + typical span) / (2 typical span)) lets a price lie further from a level that covers a quiet hour |
 * | price_jump | ln(price / median of the symbol's previous 5 prices) / symbol's robust sigma of such moves |
 * | quantity_deviation | ln(quantity / symbol's median quantity) / symbol's robust sigma of ln(quantity) |
 * | notional_deviation | ln(price x quantity / symbol's median notional) / its robust sigma |
 * | time_rarity | ln(average trades per 15-minute bin / trades in this trade's bin): high in quiet hours |
 * | trade_gap | robust z of ln(1 + seconds since the symbol's previous trade): high after a silence |
 * | symbol_burst | robust z of ln(1 + the symbol's trades in the minute before): high in a rush |
 * | account_rarity | ln(typical account's trades that day / this account's trades): high for a rarely seen account (0 without an account column) |
 * | venue_rarity | -ln(share of the symbol's trades on this venue): high on an unusual venue (0 without a venue column) |
 *
 * These raw values are what a model receives; it reads the subset it was trained on (its
 * `features`) and compresses them before its forest (see `compressFeature`).
 */
export const FEATURE_NAMES = [
  'price_deviation',
  'price_jump',
  'quantity_deviation',
  'notional_deviation',
  'time_rarity',
  'trade_gap',
  'symbol_burst',
  'account_rarity',
  'venue_rarity',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;

export function isFeatureName(name: string): name is FeatureName {
  return (FEATURE_NAMES as readonly string[]).includes(name);
}

/**
 * Features whose distance from normal is meaningful on its own, so the model's extremeness part
 * reads them. price_jump is left to the forest: trade-to-trade moves grow with the time between
 * trades, so a large jump after a quiet hour is ordinary (measured: 3 of 4 false alarms at 5 sigmas
 * were jumps of 0-4% on generated days), while a wrong price also shows in price_deviation. The
 * activity features (gaps, bursts, accounts, venues) vary widely in ordinary trading, so they too
 * are left to the forest, which sees them in combination.
 */
export const EXTREMENESS_FEATURES: readonly FeatureName[] = ['price_deviation', 'quantity_deviation', 'notional_deviation', 'time_rarity'];

/** The fields of a valid trade the features need. */
export interface FeatureInput {
  symbol: string;
  timestampMs: number;
  price: number;
  quantity: number;
  /** Reference price from the symbol's recent trades (null for its first trade of the day). */
  refPrice: number | null;
  /** The symbol's rolling level before this trade (null for its first trade: the opening median serves). */
  levelPrice: number | null;
  /** The time the level's window covers (null for the first trade). */
  levelSpanMs: number | null;
  /** Milliseconds since the symbol's previous trade (null for its first). */
  gapMs: number | null;
  /** The symbol's trades in the minute before this one. */
  recentTrades: number;
  account?: string;
  venue?: string;
}

/**
 * sign(z) ln(1 + |z|): a decimal shift is z ~ 200, a heavy but normal block z ~ 4, and without
 * compression the forest's uniform split points would almost all fall in the empty space between.
 */
export function compressFeature(z: number): number {
  return z < 0 ? -Math.log1p(-z) : Math.log1p(z);
}

function accountRarity(account: string | undefined, ctx: DayContext): number {
  const activity = ctx.accounts;
  if (account === undefined || !activity) return 0;
  const trades = activity.trades[account];
  return trades === undefined ? 0 : Math.log(activity.typicalTrades / trades);
}

function venueRarity(venue: string | undefined, sym: SymbolContext): number {
  if (venue === undefined || !sym.venues) return 0;
  const onVenue = sym.venues[venue] ?? 0;
  return -Math.log(Math.max(onVenue, 1) / Math.max(sym.trades, 1));
}

/** The raw features of one trade against its symbol's day, in FEATURE_NAMES order, at `offset`. */
export function rawFeatures(t: FeatureInput, ctx: DayContext, sym: SymbolContext, out: Float64Array, offset = 0): void {
  out[offset] = Math.log(t.price / (t.levelPrice ?? sym.openingPrice)) / (sym.levelScale * levelTimeFactor(t.levelSpanMs ?? sym.openingSpanMs, sym.levelSpanMs));
  out[offset + 1] = t.refPrice === null ? 0 : Math.log(t.price / t.refPrice) / sym.jumpScale;
  out[offset + 2] = Math.log(t.quantity / sym.medianQuantity) / sym.logQuantityScale;
  out[offset + 3] = Math.log((t.price * t.quantity) / sym.medianNotional) / sym.logNotionalScale;
  const msOfDay = ((t.timestampMs % 86_400_000) + 86_400_000) % 86_400_000;
  const bin = Math.floor(msOfDay / (ctx.timeBinMinutes * 60_000));
  const average = ctx.validRows / ctx.timeBins.length;
  out[offset + 4] = Math.log(average / Math.max(ctx.timeBins[bin], 1));
  out[offset + 5] = t.gapMs === null ? 0 : (Math.log1p(t.gapMs / 1000) - sym.gapCenter) / sym.gapScale;
  out[offset + 6] = (Math.log1p(t.recentTrades) - sym.burstCenter) / sym.burstScale;
  out[offset + 7] = accountRarity(t.account, ctx);
  out[offset + 8] = venueRarity(t.venue, sym);
}

/**
 * Writes the raw feature vector of one trade at `offset`. Returns false (and writes NaN) when the
 * symbol is not in the day's context, which only happens for rows the context left out.
 */
export function writeFeatures(t: FeatureInput, ctx: DayContext, out: Float64Array, offset: number): boolean {
  const sym = ctx.symbols[t.symbol];
  if (!sym) {
    out.fill(Number.NaN, offset, offset + FEATURE_COUNT);
    return false;
  }
  rawFeatures(t, ctx, sym, out, offset);
  return true;
}

function percent(ratio: number): string {
  return `${Math.round(Math.abs(ratio - 1) * 100)}%`;
}

function times(ratio: number): string {
  return ratio >= 10 ? `${Math.round(ratio)}x` : `${ratio.toFixed(1)}x`;
}

/** 0.4 s, 12 s, 5.2 min, 3.1 h. */
function duration(seconds: number): string {
  if (seconds < 1) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function fmt(n: number): string {
  return Number(n.toPrecision(6)).toString();
}

/**
 * A sentence a risk analyst reads, for one feature of one trade: the value against the symbol's norm.
 */
export function describeFeature(name: FeatureName, t: FeatureInput, ctx: DayContext): string {
  const sym = ctx.symbols[t.symbol];
  switch (name) {
    case 'price_deviation': {
      const level = t.levelPrice ?? sym.openingPrice;
      const what = t.levelPrice === null ? "the symbol's opening median" : "the symbol's recent median";
      const ratio = t.price / level;
      if (ratio >= 1.5) return `price ${fmt(t.price)} is ${times(ratio)} ${what} ${fmt(level)}`;
      if (ratio <= 1 / 1.5) return `price ${fmt(t.price)} is 1/${times(1 / ratio)} of ${what} ${fmt(level)}`;
      return `price ${fmt(t.price)} is ${percent(ratio)} ${ratio > 1 ? 'above' : 'below'} ${what} ${fmt(level)}`;
    }
    case 'price_jump': {
      const ref = t.refPrice ?? sym.medianPrice;
      const ratio = t.price / ref;
      const move = ratio >= 1.5 || ratio <= 1 / 1.5 ? times(ratio >= 1 ? ratio : 1 / ratio) : percent(ratio);
      return `price jumped ${move} ${ratio >= 1 ? 'up' : 'down'} from the symbol's recent trades (${fmt(ref)})`;
    }
    case 'quantity_deviation': {
      const ratio = t.quantity / sym.medianQuantity;
      return ratio >= 1
        ? `quantity ${fmt(t.quantity)} is ${times(ratio)} the symbol's typical ${fmt(sym.medianQuantity)}`
        : `quantity ${fmt(t.quantity)} is 1/${times(1 / ratio)} of the symbol's typical ${fmt(sym.medianQuantity)}`;
    }
    case 'notional_deviation': {
      const notional = t.price * t.quantity;
      const ratio = notional / sym.medianNotional;
      return ratio >= 1
        ? `notional ${fmt(notional)} is ${times(ratio)} the symbol's typical ${fmt(sym.medianNotional)}`
        : `notional ${fmt(notional)} is 1/${times(1 / ratio)} of the symbol's typical ${fmt(sym.medianNotional)}`;
    }
    case 'trade_gap': {
      const typical = Math.expm1(sym.gapCenter);
      return t.gapMs === null
        ? "the symbol's first trade of the day"
        : `came ${duration(t.gapMs / 1000)} after the symbol's previous trade (typically ${duration(typical)})`;
    }
    case 'symbol_burst': {
      const typical = Math.expm1(sym.burstCenter);
      return `${t.recentTrades} trade${t.recentTrades === 1 ? '' : 's'} of the symbol in the minute before (typically ${fmt(Number(typical.toFixed(1)))})`;
    }
    case 'account_rarity': {
      const trades = t.account === undefined ? undefined : ctx.accounts?.trades[t.account];
      return `account ${t.account ?? '(none)'} made ${trades ?? 'few'} trade${trades === 1 ? '' : 's'} that day (a typical trade's account made ${ctx.accounts?.typicalTrades ?? '?'})`;
    }
    case 'venue_rarity': {
      const onVenue = t.venue === undefined ? 0 : (sym.venues?.[t.venue] ?? 0);
      const share = (onVenue / Math.max(sym.trades, 1)) * 100;
      return `venue ${t.venue ?? '(none)'} carried ${share < 0.1 ? share.toPrecision(1) : share.toFixed(1)}% of the symbol's trades that day`;
    }
    case 'time_rarity': {
      const msOfDay = ((t.timestampMs % 86_400_000) + 86_400_000) % 86_400_000;
      const bin = Math.floor(msOfDay / (ctx.timeBinMinutes * 60_000));
      const share = (ctx.timeBins[bin] / Math.max(ctx.validRows, 1)) * 100;
      const hhmm = new Date(t.timestampMs).toISOString().slice(11, 16);
      return `traded at ${hhmm} UTC, when the day saw ${share < 0.1 ? share.toPrecision(1) : share.toFixed(1)}% of its trades in that quarter-hour`;
    }
  }
}
