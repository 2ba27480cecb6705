import { describe, expect, it } from 'vitest';
import { BURST_WINDOW_MS, DayContextBuilder, LEVEL_WINDOW, REFERENCE_WINDOW, TIME_BIN_MINUTES, type DayContext, type SymbolContext } from '../../src/features/day-context.js';
import { MAD_TO_SIGMA, Reservoir, median, medianAbsoluteDeviation } from '../../src/features/robust-stats.js';
import {
  FEATURE_COUNT,
  FEATURE_NAMES,
  compressFeature,
  describeFeature,
  rawFeatures,
  writeFeatures,
  type FeatureInput,
  type FeatureName,
} from '../../src/features/trade-features.js';
import { SeededRandom } from '../../src/model/random.js';

const at = (iso: string): number => Date.parse(iso);

describe('median and medianAbsoluteDeviation', () => {
  it.each<[number[], number]>([
    [[5], 5],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[-1, 10, 10, 7, 0], 7],
  ])('median of %j is %d', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('uses only the first n values when n is given', () => {
    expect(median([9, 1, 5, 100, 100], 3)).toBe(5);
  });

  it('is NaN for no values', () => {
    expect(median([])).toBeNaN();
  });

  it('does not reorder its input', () => {
    const values = Float64Array.from([3, 1, 2]);
    median(values);
    expect(Array.from(values)).toEqual([3, 1, 2]);
  });

  it('gives the median of absolute deviations from the centre', () => {
    // |1-3|, |2-3|, |3-3|, |4-3|, |10-3| = 2, 1, 0, 1, 7 -> median 1
    expect(medianAbsoluteDeviation([1, 2, 3, 4, 10], 3)).toBe(1);
  });
});

describe('Reservoir', () => {
  it('keeps every value, in order, below capacity (also past its initial buffer of 64)', () => {
    const reservoir = new Reservoir(1000, new SeededRandom(1));
    const values = Array.from({ length: 300 }, (_, i) => i * 1.5);

    for (const v of values) reservoir.add(v);

    expect(reservoir.count).toBe(300);
    expect(Array.from(reservoir.sample())).toEqual(values);
  });

  it('keeps exactly capacity values when the stream is exactly that long', () => {
    const reservoir = new Reservoir(10, new SeededRandom(1));
    for (let i = 0; i < 10; i++) reservoir.add(i);

    expect(Array.from(reservoir.sample())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('keeps at most capacity values of a longer stream, each one from the stream, and counts them all', () => {
    const reservoir = new Reservoir(50, new SeededRandom(7));
    for (let i = 0; i < 5000; i++) reservoir.add(i);

    const sample = Array.from(reservoir.sample());
    expect(reservoir.count).toBe(5000);
    expect(sample).toHaveLength(50);
    expect(new Set(sample).size).toBe(50);
    for (const v of sample) {
      expect(Number.isInteger(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(5000);
    }
  });

  it('samples the whole stream, not just its start', () => {
    // A uniform sample of 200 from 0..19999 has mean 10000 +- 1155/sqrt(200)*5 ~ +- 410 (5 sigmas).
    const reservoir = new Reservoir(200, new SeededRandom(3));
    for (let i = 0; i < 20_000; i++) reservoir.add(i);

    const sample = Array.from(reservoir.sample());
    const mean = sample.reduce((a, b) => a + b, 0) / sample.length;
    expect(Math.abs(mean - 10_000)).toBeLessThan(1_000);
    expect(sample.filter((v) => v >= 10_000).length).toBeGreaterThan(50);
  });
});

describe('DayContextBuilder', () => {
  it('gives the exact median price and quantity of a symbol with few trades', () => {
    const builder = new DayContextBuilder();
    builder.observe('ACME', at('2026-03-02T10:00:00Z'), 10, 100);
    builder.observe('ACME', at('2026-03-02T10:01:00Z'), 30, 500);
    builder.observe('ACME', at('2026-03-02T10:02:00Z'), 20, 200);

    const acme = builder.build().symbols.ACME;

    expect(acme.trades).toBe(3);
    expect(acme.medianPrice).toBeCloseTo(20, 10);
    expect(acme.medianQuantity).toBeCloseTo(200, 10);
  });

  it('takes the median of an even count in log space: the geometric mean of the middle two', () => {
    const builder = new DayContextBuilder();
    builder.observe('ACME', at('2026-03-02T10:00:00Z'), 10, 1);
    builder.observe('ACME', at('2026-03-02T10:01:00Z'), 40, 1);

    expect(builder.build().symbols.ACME.medianPrice).toBeCloseTo(20, 10);
  });

  it('measures spread as the robust sigma (1.4826 MAD) of ln(price) and ln(quantity)', () => {
    const builder = new DayContextBuilder();
    // ln prices around ln 20: deviations ln 2, 0, ln 1.5 -> MAD = ln 1.5
    builder.observe('ACME', at('2026-03-02T10:00:00Z'), 10, 100);
    builder.observe('ACME', at('2026-03-02T10:01:00Z'), 20, 400);
    builder.observe('ACME', at('2026-03-02T10:02:00Z'), 30, 200);

    const acme = builder.build().symbols.ACME;

    expect(acme.logPriceScale).toBeCloseTo(MAD_TO_SIGMA * Math.log(1.5), 10);
    // ln quantities around ln 200: deviations ln 2, ln 2, 0 -> MAD = ln 2
    expect(acme.logQuantityScale).toBeCloseTo(MAD_TO_SIGMA * Math.log(2), 10);
  });

  it('floors the spreads of a symbol that traded at one price and size all day', () => {
    const builder = new DayContextBuilder();
    for (let i = 0; i < 20; i++) builder.observe('FLAT', at('2026-03-02T10:00:00Z') + i * 1000, 50, 100);

    const flat = builder.build().symbols.FLAT;

    expect(flat.logPriceScale).toBeGreaterThan(0);
    expect(flat.logQuantityScale).toBeGreaterThan(0);
    expect(flat.jumpScale).toBeGreaterThan(0);
  });

  it('keeps each symbol\'s statistics apart', () => {
    const builder = new DayContextBuilder();
    builder.observe('AAA', at('2026-03-02T10:00:00Z'), 1, 10);
    builder.observe('BBB', at('2026-03-02T10:00:00Z'), 3000, 5);
    builder.observe('AAA', at('2026-03-02T10:01:00Z'), 1, 10);

    const { symbols } = builder.build();

    expect(Object.keys(symbols)).toEqual(['AAA', 'BBB']);
    expect(symbols.AAA).toMatchObject({ trades: 2 });
    expect(symbols.AAA.medianPrice).toBeCloseTo(1, 10);
    expect(symbols.BBB).toMatchObject({ trades: 1 });
    expect(symbols.BBB.medianPrice).toBeCloseTo(3000, 8);
  });

  it('names as the day the UTC date most trades fall on', () => {
    const builder = new DayContextBuilder();
    builder.observe('A', at('2026-03-01T23:59:00Z'), 1, 1);
    builder.observe('A', at('2026-03-02T00:00:00Z'), 1, 1);
    builder.observe('A', at('2026-03-02T12:00:00Z'), 1, 1);
    builder.observe('A', at('2026-03-03T00:00:01Z'), 1, 1);

    expect(builder.build().day).toBe('2026-03-02');
  });

  it('has no day and no symbols before any trade', () => {
    const context = new DayContextBuilder().build();

    expect(context).toMatchObject({ day: null, validRows: 0, symbols: {}, timeBinMinutes: TIME_BIN_MINUTES });
    expect(context.timeBins).toHaveLength((24 * 60) / TIME_BIN_MINUTES);
    expect(context.timeBins.every((n) => n === 0)).toBe(true);
  });

  it('counts trades per 15-minute UTC bin of the day', () => {
    const builder = new DayContextBuilder();
    builder.observe('A', at('2026-03-02T00:05:00Z'), 1, 1); // bin 0
    builder.observe('A', at('2026-03-02T00:14:59.999Z'), 1, 1); // bin 0
    builder.observe('A', at('2026-03-02T00:15:00Z'), 1, 1); // bin 1
    builder.observe('A', at('2026-03-02T09:30:00Z'), 1, 1); // 9*4 + 2 = bin 38
    builder.observe('A', at('2026-03-03T09:44:00Z'), 1, 1); // another day, same time of day: bin 38
    builder.observe('A', at('2026-03-02T23:59:59Z'), 1, 1); // bin 95

    const context = builder.build();

    expect(context.validRows).toBe(6);
    expect(context.timeBins[0]).toBe(2);
    expect(context.timeBins[1]).toBe(1);
    expect(context.timeBins[38]).toBe(2);
    expect(context.timeBins[95]).toBe(1);
    expect(context.timeBins.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('puts a trade before 1970 in the right time-of-day bin', () => {
    const builder = new DayContextBuilder();
    builder.observe('A', at('1969-12-31T23:50:00Z'), 1, 1);

    expect(builder.build().timeBins[95]).toBe(1);
  });
});

describe('DayContextBuilder.observe: reference price', () => {
  it(`is null for a symbol's first trade, then the median of its previous ${REFERENCE_WINDOW} or fewer prices`, () => {
    const builder = new DayContextBuilder();
    const t = at('2026-03-02T10:00:00Z');
    const prices = [100, 102, 101, 104, 103, 110, 90];

    const refs = prices.map((p, i) => builder.observe('ACME', t + i * 1000, p, 10).refPrice);

    expect(refs).toEqual([
      null,
      100, // [100]
      101, // [100, 102]
      101, // [100, 102, 101]
      101.5, // [100, 102, 101, 104]
      102, // [100, 102, 101, 104, 103]
      103, // last 5: [102, 101, 104, 103, 110]
    ]);
  });

  it('keeps a reference per symbol', () => {
    const builder = new DayContextBuilder();
    const t = at('2026-03-02T10:00:00Z');

    expect(builder.observe('AAA', t, 10, 1).refPrice).toBeNull();
    expect(builder.observe('BBB', t, 500, 1).refPrice).toBeNull();
    expect(builder.observe('AAA', t, 11, 1).refPrice).toBe(10);
    expect(builder.observe('BBB', t, 505, 1).refPrice).toBe(500);
  });

  it('is barely moved by a single wild print', () => {
    const builder = new DayContextBuilder();
    const t = at('2026-03-02T10:00:00Z');
    for (const p of [100, 100.5, 99.5, 100.2, 100]) builder.observe('ACME', t, p, 10);

    builder.observe('ACME', t, 10_000, 10); // a fat-finger print
    const next = builder.observe('ACME', t, 100.1, 10).refPrice;

    expect(next).not.toBeNull();
    expect(Math.abs(next! / 100 - 1)).toBeLessThan(0.01);
  });

  it('derives the jump scale from trade-to-trade moves', () => {
    // Prices alternate 100 / 101: every move is +-ln(1.01); the 90th percentile of |move| / 1.645.
    const quiet = new DayContextBuilder();
    const jumpy = new DayContextBuilder();
    for (let i = 0; i < 40; i++) {
      quiet.observe('Q', at('2026-03-02T10:00:00Z') + i, 100, 1);
      jumpy.observe('J', at('2026-03-02T10:00:00Z') + i, i % 2 ? 110 : 100, 1);
    }

    expect(jumpy.build().symbols.J.jumpScale).toBeGreaterThan(quiet.build().symbols.Q.jumpScale);
  });
});

function symbol(overrides: Partial<SymbolContext> = {}): SymbolContext {
  return {
    trades: 100,
    medianPrice: 50,
    logPriceScale: 0.02,
    medianQuantity: 1000,
    logQuantityScale: 0.8,
    jumpScale: 0.004,
    levelScale: 0.02,
    levelSpanMs: 60_000,
    openingPrice: 50,
    openingSpanMs: 60_000,
    medianNotional: 50_000,
    logNotionalScale: 1,
    gapCenter: Math.log1p(30),
    gapScale: 0.5,
    burstCenter: Math.log1p(2),
    burstScale: 0.5,
    ...overrides,
  };
}

/** 96 bins; 960 trades: bin 40 (10:00-10:15) is the busiest with 200, bin 8 (02:00) empty. */
function context(sym: SymbolContext = symbol()): DayContext {
  const timeBins = new Array<number>(96).fill(0);
  timeBins[40] = 200;
  for (let b = 41; b < 41 + 38; b++) timeBins[b] = 20;
  return { day: '2026-03-02', validRows: 960, timeBinMinutes: 15, timeBins, symbols: { ACME: sym } };
}

function trade(overrides: Partial<FeatureInput> = {}): FeatureInput {
  return { symbol: 'ACME', timestampMs: at('2026-03-02T10:05:00Z'), price: 50, quantity: 1000, refPrice: 50, levelPrice: null, levelSpanMs: null, gapMs: 30_000, recentTrades: 2, ...overrides };
}

function features(t: FeatureInput, ctx: DayContext = context()): number[] {
  const out = new Float64Array(FEATURE_COUNT);
  rawFeatures(t, ctx, ctx.symbols[t.symbol], out);
  return Array.from(out);
}

describe('rawFeatures', () => {
  it("gives price_deviation = ln(price / rolling level) / levelScale, not against the day's median", () => {
    // The level (median of the previous trades) is 60; the day's median 50 plays no part.
    const ctx = context(symbol({ levelScale: 0.05 }));

    expect(features(trade({ price: 600, levelPrice: 60 }), ctx)[0]).toBeCloseTo(Math.log(10) / 0.05, 9);
    expect(features(trade({ price: 60, levelPrice: 60 }), ctx)[0]).toBe(0);
    expect(features(trade({ price: 6, levelPrice: 60 }), ctx)[0]).toBeCloseTo(-Math.log(10) / 0.05, 9);
  });

  it("compares a symbol's first trade (no level yet) with its opening median", () => {
    const ctx = context(symbol({ levelScale: 0.05, openingPrice: 40 }));

    expect(features(trade({ price: 400, levelPrice: null }), ctx)[0]).toBeCloseTo(Math.log(10) / 0.05, 9);
  });

  it('gives price_jump = ln(price / reference) / jumpScale, and 0 without a reference', () => {
    expect(features(trade({ price: 55, refPrice: 50 }))[1]).toBeCloseTo(Math.log(1.1) / 0.004, 9);
    expect(features(trade({ price: 55, refPrice: null }))[1]).toBe(0);
  });

  it('gives quantity_deviation = ln(quantity / median quantity) / logQuantityScale', () => {
    expect(features(trade({ quantity: 20_000 }))[2]).toBeCloseTo(Math.log(20) / 0.8, 9);
  });

  it('gives time_rarity = ln(average trades per bin / trades in the bin), counting an empty bin as 1', () => {
    const busiest = features(trade({ timestampMs: at('2026-03-02T10:05:00Z') }))[4];
    const empty = features(trade({ timestampMs: at('2026-03-02T02:05:00Z') }))[4];

    expect(busiest).toBeCloseTo(Math.log(10 / 200), 12);
    expect(empty).toBeCloseTo(Math.log(10 / 1), 12);
    expect(empty).toBeGreaterThan(busiest);
  });

  it('writes at the given offset without touching the rest', () => {
    const out = new Float64Array(3 * FEATURE_COUNT).fill(-7);

    rawFeatures(trade({ price: 500 }), context(), symbol(), out, FEATURE_COUNT);

    expect(Array.from(out.subarray(0, FEATURE_COUNT))).toEqual(new Array(FEATURE_COUNT).fill(-7));
    expect(out[FEATURE_COUNT]).toBeCloseTo(Math.log(10) / 0.02, 9);
    expect(Array.from(out.subarray(2 * FEATURE_COUNT))).toEqual(new Array(FEATURE_COUNT).fill(-7));
  });
});

describe('writeFeatures', () => {
  it('writes the features of a known symbol and says so', () => {
    const out = new Float64Array(FEATURE_COUNT);

    expect(writeFeatures(trade({ price: 500 }), context(), out, 0)).toBe(true);
    expect(out[0]).toBeCloseTo(Math.log(10) / 0.02, 9);
  });

  it('writes NaN and returns false for a symbol the day context does not know', () => {
    const out = new Float64Array(2 * FEATURE_COUNT);

    expect(writeFeatures(trade({ symbol: 'NOPE' }), context(), out, FEATURE_COUNT)).toBe(false);
    expect(Array.from(out.subarray(0, FEATURE_COUNT))).toEqual(new Array(FEATURE_COUNT).fill(0));
    expect(Array.from(out.subarray(FEATURE_COUNT)).every(Number.isNaN)).toBe(true);
  });
});

describe('compressFeature', () => {
  it.each([
    [0, 0],
    [Math.E - 1, 1],
    [-(Math.E - 1), -1],
    [Math.E ** 2 - 1, 2],
  ])('compress(%d) = sign * ln(1 + |z|) = %d', (z, expected) => {
    expect(compressFeature(z)).toBeCloseTo(expected, 12);
  });

  it('is odd and increasing', () => {
    const zs = [-500, -20, -1, -0.1, 0, 0.1, 1, 20, 500];
    const compressed = zs.map(compressFeature);
    for (let i = 1; i < zs.length; i++) expect(compressed[i]).toBeGreaterThan(compressed[i - 1]);
    for (const z of zs) expect(compressFeature(-z)).toBeCloseTo(-compressFeature(z), 12);
  });
});

describe('describeFeature', () => {
  it.each<[number, string]>([
    [500, "price 500 is 10x the symbol's recent median 50"],
    [100, "price 100 is 2.0x the symbol's recent median 50"],
    [5, "price 5 is 1/10x of the symbol's recent median 50"],
    [55, "price 55 is 10% above the symbol's recent median 50"],
    [45, "price 45 is 10% below the symbol's recent median 50"],
  ])('price_deviation of a trade at %d: "%s"', (price, sentence) => {
    expect(describeFeature('price_deviation', trade({ price, levelPrice: 50 }), context())).toBe(sentence);
  });

  it("compares the symbol's first trade with its opening median (of its first trades)", () => {
    const ctx = context(symbol({ openingPrice: 40 }));

    expect(describeFeature('price_deviation', trade({ price: 400, levelPrice: null }), ctx)).toBe("price 400 is 10x the symbol's opening median 40");
  });

  it.each<[number, string]>([
    [3000, "quantity 3000 is 3.0x the symbol's typical 1000"],
    [25_000, "quantity 25000 is 25x the symbol's typical 1000"],
    [100, "quantity 100 is 1/10x of the symbol's typical 1000"],
  ])('quantity_deviation of a trade of %d: "%s"', (quantity, sentence) => {
    expect(describeFeature('quantity_deviation', trade({ quantity }), context())).toBe(sentence);
  });

  it.each<[number, number | null, string]>([
    [60, 50, "price jumped 20% up from the symbol's recent trades (50)"],
    [500, 50, "price jumped 10x up from the symbol's recent trades (50)"],
    [25, 50, "price jumped 2.0x down from the symbol's recent trades (50)"],
    [55, null, "price jumped 10% up from the symbol's recent trades (50)"],
  ])('price_jump of a trade at %d after reference %s: "%s"', (price, refPrice, sentence) => {
    expect(describeFeature('price_jump', trade({ price, refPrice }), context())).toBe(sentence);
  });

  it('says when the trade happened (HH:MM UTC) and how much of the day traded in that quarter-hour', () => {
    const sentence = describeFeature('time_rarity', trade({ timestampMs: at('2026-03-02T02:07:45Z') }), context());

    expect(sentence).toMatch(/^traded at 02:07 UTC/);
    expect(sentence).toContain('0% of its trades');
  });

  it('gives the share of the busiest quarter-hour', () => {
    // 200 of 960 trades = 20.8%
    const sentence = describeFeature('time_rarity', trade({ timestampMs: at('2026-03-02T10:05:00Z') }), context());

    expect(sentence).toBe('traded at 10:05 UTC, when the day saw 20.8% of its trades in that quarter-hour');
  });

  it('rounds prices to six significant digits', () => {
    const sentence = describeFeature('price_deviation', trade({ price: 123.456789, levelPrice: 12.3456789 }), context());

    expect(sentence).toBe("price 123.457 is 10x the symbol's recent median 12.3457");
  });
});

describe('DayContextBuilder.observe: the trade sequence (gaps and bursts)', () => {
  it("gives the time since the symbol's previous trade, null for its first, per symbol", () => {
    const builder = new DayContextBuilder();
    const t = at('2026-03-02T10:00:00Z');

    expect(builder.observe('A', t, 10, 1).gapMs).toBeNull();
    expect(builder.observe('B', t + 500, 10, 1).gapMs).toBeNull();
    expect(builder.observe('A', t + 2_500, 10, 1).gapMs).toBe(2_500);
    expect(builder.observe('B', t + 700, 10, 1).gapMs).toBe(200);
  });

  it('reads a trade out of time order as a gap of 0, not a negative one', () => {
    const builder = new DayContextBuilder();
    const t = at('2026-03-02T10:00:00Z');
    builder.observe('A', t + 10_000, 10, 1);

    expect(builder.observe('A', t, 10, 1).gapMs).toBe(0);
    expect(builder.observe('A', t + 12_000, 10, 1).gapMs).toBe(2_000);
  });

  it(`counts the symbol's trades in the ${BURST_WINDOW_MS / 1000} s before each trade`, () => {
    const builder = new DayContextBuilder();
    const t = at('2026-03-02T10:00:00Z');
    // 100 trades one second apart: the 61st and later each see the 60 before (the window is [t-60 s, t)).
    const counts = Array.from({ length: 100 }, (_, i) => builder.observe('A', t + i * 1000, 10, 1).recentTrades);

    expect(counts.slice(0, 3)).toEqual([0, 1, 2]);
    expect(counts[60]).toBe(60);
    expect(counts[99]).toBe(60);
    // After a quiet 5 minutes the window is empty again.
    expect(builder.observe('A', t + 400_000, 10, 1).recentTrades).toBe(0);
  });

  it("fits the symbol's notional, gap and burst levels", () => {
    const builder = new DayContextBuilder();
    const t = at('2026-03-02T10:00:00Z');
    for (let i = 0; i < 50; i++) builder.observe('A', t + i * 10_000, 20, 5);

    const a = builder.build().symbols.A;

    expect(a.medianNotional).toBeCloseTo(100, 9);
    expect(a.gapCenter).toBeCloseTo(Math.log1p(10), 9);
    // Every trade 10 s apart: 5 or 6 trades in the minute before, after the first few.
    expect(Math.expm1(a.burstCenter)).toBeGreaterThanOrEqual(5);
    expect(a.burstScale).toBeGreaterThan(0);
  });

  it('counts venues per symbol and trades per account where the file has them', () => {
    const builder = new DayContextBuilder();
    const t = at('2026-03-02T10:00:00Z');
    for (let i = 0; i < 9; i++) builder.observe('A', t + i, 10, 1, { account: 'BIG', venue: 'XLON' });
    builder.observe('A', t + 10, 10, 1, { account: 'RARE', venue: 'XPAR' });
    builder.observe('B', t + 11, 10, 1);

    const ctx = builder.build();

    expect(ctx.symbols.A.venues).toEqual({ XLON: 9, XPAR: 1 });
    expect(ctx.symbols.B.venues).toBeUndefined();
    expect(ctx.accounts?.trades).toEqual({ BIG: 9, RARE: 1 });
    // Half the trades come from accounts with at least 9 trades.
    expect(ctx.accounts?.typicalTrades).toBe(9);
  });

  it('leaves accounts out of the context of a file without an account column', () => {
    const builder = new DayContextBuilder();
    builder.observe('A', at('2026-03-02T10:00:00Z'), 10, 1);

    expect(builder.build().accounts).toBeUndefined();
  });
});

describe('rawFeatures: notional and activity features', () => {
  const index = (name: FeatureName): number => FEATURE_NAMES.indexOf(name);

  it('gives notional_deviation = ln(price x quantity / median notional) / logNotionalScale', () => {
    // 50 x 20,000 = 1,000,000 = 20x the median notional 50,000; scale 1.
    expect(features(trade({ quantity: 20_000 }))[index('notional_deviation')]).toBeCloseTo(Math.log(20), 9);
  });

  it('gives trade_gap as a robust z of ln(1 + seconds since the previous trade), 0 for the first trade', () => {
    const slow = features(trade({ gapMs: 3_600_000 }))[index('trade_gap')];

    expect(slow).toBeCloseTo((Math.log1p(3600) - Math.log1p(30)) / 0.5, 9);
    expect(features(trade({ gapMs: null }))[index('trade_gap')]).toBe(0);
  });

  it('gives symbol_burst as a robust z of ln(1 + trades in the minute before)', () => {
    expect(features(trade({ recentTrades: 2 }))[index('symbol_burst')]).toBeCloseTo(0, 12);
    expect(features(trade({ recentTrades: 200 }))[index('symbol_burst')]).toBeCloseTo((Math.log1p(200) - Math.log1p(2)) / 0.5, 9);
  });

  it("gives account_rarity = ln(typical account's trades / this account's), 0 without accounts", () => {
    const ctx: DayContext = { ...context(), accounts: { typicalTrades: 400, trades: { BIG: 400, RARE: 2 }, untracked: 0 } };

    expect(features(trade({ account: 'RARE' }), ctx)[index('account_rarity')]).toBeCloseTo(Math.log(200), 9);
    expect(features(trade({ account: 'BIG' }), ctx)[index('account_rarity')]).toBe(0);
    expect(features(trade({ account: 'RARE' }))[index('account_rarity')]).toBe(0);
    expect(features(trade({ account: 'UNSEEN' }), ctx)[index('account_rarity')]).toBe(0);
  });

  it("gives venue_rarity = -ln(the venue's share of the symbol's trades), 0 without venues", () => {
    const ctx = context(symbol({ trades: 100, venues: { XLON: 99, XPAR: 1 } }));

    expect(features(trade({ venue: 'XPAR' }), ctx)[index('venue_rarity')]).toBeCloseTo(Math.log(100), 9);
    expect(features(trade({ venue: 'XLON' }), ctx)[index('venue_rarity')]).toBeCloseTo(-Math.log(0.99), 9);
    expect(features(trade({ venue: 'XLON' }))[index('venue_rarity')]).toBe(0);
  });
});

describe('describeFeature: notional and activity features', () => {
  it.each<[FeatureName, Partial<FeatureInput>, string]>([
    ['notional_deviation', { quantity: 20_000 }, "notional 1000000 is 20x the symbol's typical 50000"],
    ['trade_gap', { gapMs: 5_400_000 }, "came 1.5 h after the symbol's previous trade (typically 30 s)"],
    ['trade_gap', { gapMs: null }, "the symbol's first trade of the day"],
    ['symbol_burst', { recentTrades: 140 }, '140 trades of the symbol in the minute before (typically 2)'],
  ])('%s of %j: "%s"', (name, overrides, sentence) => {
    expect(describeFeature(name, trade(overrides), context())).toBe(sentence);
  });

  it('names the account and venue with their activity', () => {
    const ctx: DayContext = { ...context(symbol({ trades: 100, venues: { XLON: 99, XPAR: 1 } })), accounts: { typicalTrades: 400, trades: { RARE: 2 }, untracked: 0 } };

    expect(describeFeature('account_rarity', trade({ account: 'RARE' }), ctx)).toBe("account RARE made 2 trades that day (a typical trade's account made 400)");
    expect(describeFeature('venue_rarity', trade({ venue: 'XPAR' }), ctx)).toBe("venue XPAR carried 1.0% of the symbol's trades that day");
  });
});

describe('DayContextBuilder.observe: the rolling level', () => {
  it(`is the median of the symbol's previous ${LEVEL_WINDOW} prices (fewer early on), null for its first`, () => {
    const builder = new DayContextBuilder();
    const t = at('2026-03-02T10:00:00Z');
    const levels = Array.from({ length: 40 }, (_, i) => builder.observe('A', t + i, 100 + i, 1).levelPrice);

    expect(levels[0]).toBeNull();
    expect(levels[1]).toBe(100);
    expect(levels[2]).toBe(100.5);
    // Trades 0..30 seen: the median of 100..130 is 115; at trade 39, the previous 31 are 108..138.
    expect(levels[31]).toBe(115);
    expect(levels[39]).toBe(123);
  });

  it('follows a price that drifts, and is not moved by a few wild prints', () => {
    const builder = new DayContextBuilder();
    const t = at('2026-03-02T10:00:00Z');
    for (let i = 0; i < 200; i++) builder.observe('A', t + i, 100 * 1.001 ** i, 1);
    for (let i = 0; i < 5; i++) builder.observe('A', t + 200 + i, 10_000, 1);

    const level = builder.observe('A', t + 300, 122, 1).levelPrice!;

    // The price drifted to ~122 (+22%); the level is close to where it drifted, not the day's median.
    expect(level).toBeGreaterThan(119);
    expect(level).toBeLessThan(122.5);
  });

  it("keeps the symbol's opening median (of its first trades), and shrinks thin symbols' scales towards the pooled one", () => {
    const builder = new DayContextBuilder();
    const t = at('2026-03-02T10:00:00Z');
    // A busy symbol with 1% moves, and a thin one with 3 identical trades (its own scale would hit the floor).
    for (let i = 0; i < 3000; i++) builder.observe('BUSY', t + i * 1000, 100 * (1 + 0.01 * Math.sin(i * 1.7)), 10 + (i % 5));
    for (let i = 0; i < 3; i++) builder.observe('THIN', t + i * 1000, 50, 10);

    const { BUSY, THIN } = builder.build().symbols;

    expect(THIN.openingPrice).toBe(50);
    expect(BUSY.openingPrice).toBeCloseTo(100, 0);
    // Thin: 3 trades against 30 pseudo-trades of the pooled scale: most of the way to it.
    expect(THIN.levelScale).toBeGreaterThan(0.5 * BUSY.levelScale);
    expect(BUSY.levelScale).toBeGreaterThan(0.001);
  });
});
