import type { DayContext, SymbolContext } from './day-context.js';

/**
 * The model's features. Each compares a trade with its own symbol's behaviour THAT DAY (from the day's
 * context), so one model serves symbols priced at 1 and at 3,000, and days whose levels drift.
 *
 * | feature | definition |
 * | --- | --- |
 * | price_deviation | ln(price / symbol's median price) / symbol's robust sigma of ln(price) |
 * | price_jump | ln(price / median of the symbol's previous 5 prices) / symbol's robust sigma of such moves |
 * | quantity_deviation | ln(quantity / symbol's median quantity) / symbol's robust sigma of ln(quantity) |
 * | time_rarity | ln(average trades per 15-minute bin / trades in this trade's bin): high in quiet hours |
 *
 * These raw values are what the model receives; before its forest it compresses them (see
 * `compressFeature`).
 */
export const FEATURE_NAMES = ['price_deviation', 'price_jump', 'quantity_deviation', 'time_rarity'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;

/**
 * Features whose distance from normal is meaningful on its own, so the model's extremeness part
 * reads them. price_jump is left to the forest: trade-to-trade moves grow with the time between
 * trades, so a large jump after a quiet hour is ordinary (measured: 3 of 4 false alarms at 5 sigmas
 * were jumps of 0-4% on generated days), while a wrong price also shows in price_deviation.
 */
export const EXTREMENESS_FEATURES: readonly boolean[] = FEATURE_NAMES.map((name) => name !== 'price_jump');

/** The fields of a valid trade the features need. */
export interface FeatureInput {
  symbol: string;
  timestampMs: number;
  price: number;
  quantity: number;
  /** Reference price from the symbol's recent trades (null for its first trade of the day). */
  refPrice: number | null;
}

/**
 * sign(z) ln(1 + |z|): a decimal shift is z ~ 200, a heavy but normal block z ~ 4, and without
 * compression the forest's uniform split points would almost all fall in the empty space between.
 */
export function compressFeature(z: number): number {
  return z < 0 ? -Math.log1p(-z) : Math.log1p(z);
}

/** Robust z-scores of one trade against its symbol's day, before compression. */
export function rawFeatures(t: FeatureInput, ctx: DayContext, sym: SymbolContext, out: Float64Array, offset = 0): void {
  out[offset] = Math.log(t.price / sym.medianPrice) / sym.logPriceScale;
  out[offset + 1] = t.refPrice === null ? 0 : Math.log(t.price / t.refPrice) / sym.jumpScale;
  out[offset + 2] = Math.log(t.quantity / sym.medianQuantity) / sym.logQuantityScale;
  const msOfDay = ((t.timestampMs % 86_400_000) + 86_400_000) % 86_400_000;
  const bin = Math.floor(msOfDay / (ctx.timeBinMinutes * 60_000));
  const average = ctx.validRows / ctx.timeBins.length;
  out[offset + 3] = Math.log(average / Math.max(ctx.timeBins[bin], 1));
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
      const ratio = t.price / sym.medianPrice;
      if (ratio >= 1.5) return `price ${fmt(t.price)} is ${times(ratio)} the symbol's median ${fmt(sym.medianPrice)}`;
      if (ratio <= 1 / 1.5) return `price ${fmt(t.price)} is 1/${times(1 / ratio)} of the symbol's median ${fmt(sym.medianPrice)}`;
      return `price ${fmt(t.price)} is ${percent(ratio)} ${ratio > 1 ? 'above' : 'below'} the symbol's median ${fmt(sym.medianPrice)}`;
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
    case 'time_rarity': {
      const msOfDay = ((t.timestampMs % 86_400_000) + 86_400_000) % 86_400_000;
      const bin = Math.floor(msOfDay / (ctx.timeBinMinutes * 60_000));
      const share = (ctx.timeBins[bin] / Math.max(ctx.validRows, 1)) * 100;
      const hhmm = new Date(t.timestampMs).toISOString().slice(11, 16);
      return `traded at ${hhmm} UTC, when the day saw ${share < 0.1 ? share.toPrecision(1) : share.toFixed(1)}% of its trades in that quarter-hour`;
    }
  }
}
