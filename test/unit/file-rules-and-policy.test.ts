import { describe, expect, it } from 'vitest';
import { applyFileRules, fileRuleContext, tradingDayZone, type FileRuleContext } from '../../src/quality/file-rules.js';
import type { CheckedTrade } from '../../src/quality/trade-checks.js';
import { DEFAULT_SCHEMA, validateSchema, type TradeSchema } from '../../src/schema/schema-settings.js';
import { scoreRows, type FileShape } from '../../src/scoring/score-rows.js';
import { trainAnomalyModel } from '../../src/model/anomaly-model.js';
import { TIME_BIN_MINUTES, type DayContext } from '../../src/features/day-context.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/features/trade-features.js';
import type { RawChunkRow } from '../../src/chunks/chunk-format.js';
import type { CanonicalField } from '../../src/schema/trade-schema.js';
import { rng } from '../support/seeded-rng.js';

const at = (iso: string): number => Date.parse(iso);

function schemaOf(doc: Record<string, unknown>): TradeSchema {
  return validateSchema(doc, 'test.yaml');
}

function trade(overrides: Partial<CheckedTrade> = {}): CheckedTrade {
  return {
    sourceRow: 1,
    tradeId: 'T-1',
    timestampMs: at('2026-12-01T10:00:00Z'),
    symbol: 'ACME',
    side: 'BUY',
    quantity: 3,
    price: 10,
    notional: null,
    optional: {},
    issues: [],
    scorable: true,
    ...overrides,
  };
}

/** The codes applyFileRules adds to a fresh trade. */
function codesOf(overrides: Partial<CheckedTrade>, ctx: FileRuleContext): string[] {
  const t = trade(overrides);
  applyFileRules(t, ctx);
  return t.issues.map((i) => i.code);
}

function messagesOf(overrides: Partial<CheckedTrade>, ctx: FileRuleContext): string[] {
  const t = trade(overrides);
  applyFileRules(t, ctx);
  return t.issues.map((i) => i.message);
}

// 2026-12-01 is a Tuesday; 2026-12-05 a Saturday; 2026-12-25 a Friday; 2026-07-01 a Wednesday.
const PARIS_SESSION = { timeZone: 'Europe/Paris', open: '09:00', close: '17:30', holidays: ['2026-12-25'] };

describe('tradingDayZone and fileRuleContext', () => {
  it('counts the trading day in the session zone when there is a session', () => {
    const schema = schemaOf({ timestamp: { timeZone: 'America/New_York' }, quality: { session: PARIS_SESSION } });

    expect(tradingDayZone(schema)).toBe('Europe/Paris');
  });

  it('counts it in the timestamps zone otherwise', () => {
    expect(tradingDayZone(schemaOf({ timestamp: { timeZone: 'America/New_York' } }))).toBe('America/New_York');
    expect(tradingDayZone(DEFAULT_SCHEMA)).toBe('UTC');
  });

  it('gathers the day, its zone, the settings and the known symbols as a set', () => {
    const schema = schemaOf({ quality: { knownSymbols: ['ACME', 'GLOBX'] } });

    const ctx = fileRuleContext(schema, '2026-12-01');

    expect(ctx.day).toBe('2026-12-01');
    expect(ctx.dayZone).toBe('UTC');
    expect(ctx.settings).toBe(schema.quality);
    expect(ctx.knownSymbols).toEqual(new Set(['ACME', 'GLOBX']));
    expect(fileRuleContext(DEFAULT_SCHEMA, null).knownSymbols).toBeUndefined();
  });
});

describe('applyFileRules: OUTSIDE_TRADING_DAY', () => {
  const utcDay = fileRuleContext(DEFAULT_SCHEMA, '2026-12-01');

  it.each<[string, string[]]>([
    ['2026-12-01T00:00:00Z', []],
    ['2026-12-01T23:59:59.999Z', []],
    ['2026-12-02T00:00:00Z', ['OUTSIDE_TRADING_DAY']],
    ['2026-11-30T23:59:59Z', ['OUTSIDE_TRADING_DAY']],
  ])('with a UTC day of 2026-12-01, a trade at %s gives %j', (iso, codes) => {
    expect(codesOf({ timestampMs: at(iso) }, utcDay)).toEqual(codes);
  });

  it('says which date the trade fell on and which day the file is', () => {
    expect(messagesOf({ timestampMs: at('2026-12-02T08:00:00Z') }, utcDay)).toEqual([
      "timestamp 2026-12-02T08:00:00.000Z falls on 2026-12-02, not on the file's trading day 2026-12-01",
    ]);
  });

  it('counts dates in the timestamps zone when there is no session', () => {
    const ctx = fileRuleContext(schemaOf({ timestamp: { timeZone: 'America/New_York' } }), '2026-12-01');

    // 03:00Z on 2 December is 22:00 on 1 December in New York (EST, -05:00).
    expect(codesOf({ timestampMs: at('2026-12-02T03:00:00Z') }, ctx)).toEqual([]);
    // 05:00Z on 2 December is 00:00 on 2 December in New York.
    expect(codesOf({ timestampMs: at('2026-12-02T05:00:00Z') }, ctx)).toEqual(['OUTSIDE_TRADING_DAY']);
  });

  it('counts dates in the session zone over the timestamps zone', () => {
    const schema = schemaOf({
      timestamp: { timeZone: 'America/New_York' },
      quality: { session: { ...PARIS_SESSION, open: '00:00', close: '23:59' } },
    });
    const ctx = fileRuleContext(schema, '2026-12-01');

    // 23:30Z on 1 December is 00:30 on 2 December in Paris (CET, +01:00), 18:30 on 1 December in New York.
    expect(codesOf({ timestampMs: at('2026-12-01T23:30:00Z') }, ctx)).toEqual(['OUTSIDE_TRADING_DAY']);
    // 22:30Z is 23:30 in Paris: still 1 December.
    expect(codesOf({ timestampMs: at('2026-12-01T22:30:00Z') }, ctx)).toEqual([]);
  });

  it('does not apply when singleDay is false', () => {
    const ctx = fileRuleContext(schemaOf({ quality: { singleDay: false } }), '2026-12-01');

    expect(codesOf({ timestampMs: at('2026-12-09T10:00:00Z') }, ctx)).toEqual([]);
  });

  it('does not apply when the file has no day, nor to a row without a timestamp', () => {
    expect(codesOf({ timestampMs: at('2026-12-09T10:00:00Z') }, fileRuleContext(DEFAULT_SCHEMA, null))).toEqual([]);
    expect(codesOf({ timestampMs: null }, utcDay)).toEqual([]);
  });
});

describe('applyFileRules: OUTSIDE_SESSION', () => {
  const ctx = fileRuleContext(schemaOf({ quality: { session: PARIS_SESSION } }), null);

  it.each<[string, string, string[]]>([
    // Winter (CET, +01:00): the session 09:00-17:30 Paris is 08:00Z-16:30Z.
    ['08:59 Paris, before the open', '2026-12-01T07:59:00Z', ['OUTSIDE_SESSION']],
    ['09:00 Paris, the open', '2026-12-01T08:00:00Z', []],
    ['12:00 Paris', '2026-12-01T11:00:00Z', []],
    ['17:29:59 Paris, the last second', '2026-12-01T16:29:59Z', []],
    ['17:30 Paris, the close (exclusive)', '2026-12-01T16:30:00Z', ['OUTSIDE_SESSION']],
    ['22:00 Paris', '2026-12-01T21:00:00Z', ['OUTSIDE_SESSION']],
    // Summer (CEST, +02:00): the session is 07:00Z-15:30Z.
    ['09:00 Paris in summer', '2026-07-01T07:00:00Z', []],
    ['08:59 Paris in summer', '2026-07-01T06:59:00Z', ['OUTSIDE_SESSION']],
    ['17:30 Paris in summer', '2026-07-01T15:30:00Z', ['OUTSIDE_SESSION']],
    ['a Saturday at noon', '2026-12-05T11:00:00Z', ['OUTSIDE_SESSION']],
    ['a Sunday at noon', '2026-12-06T11:00:00Z', ['OUTSIDE_SESSION']],
    ['a holiday at noon', '2026-12-25T11:00:00Z', ['OUTSIDE_SESSION']],
    ['the day after the holiday is a Saturday', '2026-12-26T11:00:00Z', ['OUTSIDE_SESSION']],
  ])('%s (%s) gives %j', (_what, iso, codes) => {
    expect(codesOf({ timestampMs: at(iso) }, ctx)).toEqual(codes);
  });

  it('says why: a closed day, a holiday, or the hours', () => {
    expect(messagesOf({ timestampMs: at('2026-12-05T11:00:00Z') }, ctx)).toEqual(['traded at 2026-12-05 12:00 Europe/Paris, a day the market is closed']);
    expect(messagesOf({ timestampMs: at('2026-12-25T11:00:00Z') }, ctx)).toEqual(['traded at 2026-12-25 12:00 Europe/Paris, a holiday']);
    expect(messagesOf({ timestampMs: at('2026-12-01T16:30:00Z') }, ctx)).toEqual(['traded at 2026-12-01 17:30 Europe/Paris, outside the session 09:00-17:30']);
  });

  it('takes the weekday in the session zone: late Friday UTC can be Saturday in Tokyo', () => {
    const tokyo = fileRuleContext(schemaOf({ quality: { session: { timeZone: 'Asia/Tokyo', open: '00:00', close: '23:59' } } }), null);

    // Friday 4 December 16:00Z is Saturday 5 December 01:00 in Tokyo (+09:00).
    expect(codesOf({ timestampMs: at('2026-12-04T16:00:00Z') }, tokyo)).toEqual(['OUTSIDE_SESSION']);
    // Friday 4 December 14:00Z is Friday 23:00 in Tokyo.
    expect(codesOf({ timestampMs: at('2026-12-04T14:00:00Z') }, tokyo)).toEqual([]);
  });

  it('follows the weekdays the schema lists', () => {
    const weekend = fileRuleContext(schemaOf({ quality: { session: { ...PARIS_SESSION, weekdays: [6, 7] } } }), null);

    expect(codesOf({ timestampMs: at('2026-12-05T11:00:00Z') }, weekend)).toEqual([]);
    expect(codesOf({ timestampMs: at('2026-12-01T11:00:00Z') }, weekend)).toEqual(['OUTSIDE_SESSION']);
  });

  it('does not apply without a session', () => {
    expect(codesOf({ timestampMs: at('2026-12-05T03:00:00Z') }, fileRuleContext(DEFAULT_SCHEMA, null))).toEqual([]);
  });
});

describe('applyFileRules: INCONSISTENT_NOTIONAL and UNKNOWN_SYMBOL', () => {
  const ctx = fileRuleContext(DEFAULT_SCHEMA, null); // tolerance 0.001

  it.each<[number, string[]]>([
    // price 10 x quantity 3 = 30; the allowed gap is 0.001 x max(|notional|, 30).
    [30, []],
    [30.02, []],
    [29.975, []],
    [30.05, ['INCONSISTENT_NOTIONAL']],
    [29.95, ['INCONSISTENT_NOTIONAL']],
    [300, ['INCONSISTENT_NOTIONAL']],
    [-30, ['INCONSISTENT_NOTIONAL']],
  ])('notional %d against 10 x 3 gives %j', (notional, codes) => {
    expect(codesOf({ notional }, ctx)).toEqual(codes);
  });

  it('names the notional and price x quantity', () => {
    expect(messagesOf({ notional: 30.05 }, ctx)).toEqual(['notional 30.05 differs from price x quantity 30']);
  });

  it('follows the schema tolerance', () => {
    const loose = fileRuleContext(schemaOf({ quality: { notionalTolerance: 0.01 } }), null);

    expect(codesOf({ notional: 30.25 }, loose)).toEqual([]);
    expect(codesOf({ notional: 30.35 }, loose)).toEqual(['INCONSISTENT_NOTIONAL']);
  });

  it('does not apply without a notional, a price or a quantity', () => {
    expect(codesOf({ notional: null }, ctx)).toEqual([]);
    expect(codesOf({ notional: 99, price: null }, ctx)).toEqual([]);
    expect(codesOf({ notional: 99, quantity: null }, ctx)).toEqual([]);
  });

  it('flags a symbol missing from the reference list only when the schema gives one', () => {
    const listed = fileRuleContext(schemaOf({ quality: { knownSymbols: ['ACME', 'GLOBX'] } }), null);

    expect(codesOf({ symbol: 'XYZ' }, listed)).toEqual(['UNKNOWN_SYMBOL']);
    expect(messagesOf({ symbol: 'XYZ' }, listed)).toEqual(["symbol 'XYZ' is not in the reference list"]);
    expect(codesOf({ symbol: 'GLOBX' }, listed)).toEqual([]);
    expect(codesOf({ symbol: 'acme' }, listed)).toEqual(['UNKNOWN_SYMBOL']);
    expect(codesOf({ symbol: null }, listed)).toEqual([]);
    expect(codesOf({ symbol: 'XYZ' }, ctx)).toEqual([]);
  });

  it('keeps the issues a row already had', () => {
    const t = trade({ notional: 99, issues: [{ code: 'UNKNOWN_SIDE', field: 'side', message: 'side x' }] });

    applyFileRules(t, ctx);

    expect(t.issues.map((i) => i.code)).toEqual(['UNKNOWN_SIDE', 'INCONSISTENT_NOTIONAL']);
  });
});

describe('scoreRows: the cleaning policy', () => {
  // A small model on standard-normal features: an ordinary trade (all features 0) sits at its centre.
  const random = rng(2026);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const TRAINING_ROWS = 1000;
  const model = trainAnomalyModel(
    { values: Float64Array.from({ length: TRAINING_ROWS * FEATURE_COUNT }, gaussian), rows: TRAINING_ROWS, cols: FEATURE_COUNT },
    { forest: { trees: 30, sampleSize: 64, seed: 11 }, now: new Date('2026-12-01T00:00:00Z'), features: FEATURE_NAMES },
  );

  // Every quarter-hour bin equally busy, so time of day is never unusual.
  const BINS = (24 * 60) / TIME_BIN_MINUTES;
  const ctx: DayContext = {
    day: '2026-12-01',
    validRows: BINS * 10,
    timeBinMinutes: TIME_BIN_MINUTES,
    timeBins: new Array(BINS).fill(10),
    symbols: {
      ACME: {
        trades: 500,
        medianPrice: 100,
        logPriceScale: 0.01,
        medianQuantity: 250,
        logQuantityScale: 0.5,
        jumpScale: 0.002,
        levelScale: 0.01,
        levelSpanMs: 60_000,
        openingPrice: 100,
        openingSpanMs: 60_000,
        medianNotional: 25_000,
        logNotionalScale: 0.5,
        gapCenter: 1,
        gapScale: 0.5,
        burstCenter: 1,
        burstScale: 0.5,
      },
    },
  };

  const present: CanonicalField[] = ['trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price'];
  const shapeOf = (schema: TradeSchema): FileShape => ({ present, hasTradeIds: true, schema });

  function raw(sourceRow: number, fields: Partial<Record<CanonicalField, string>> = {}, extra: Partial<RawChunkRow> = {}): RawChunkRow {
    return {
      sourceRow,
      fields: { trade_id: `T-${sourceRow}`, timestamp: '2026-12-01T14:00:00Z', symbol: 'ACME', side: 'buy', quantity: '250', price: '100', ...fields },
      refPrice: null,
      levelPrice: null,
      levelSpanMs: null,
      gapMs: null,
      recentTrades: 0,
      extras: [],
      ...extra,
    };
  }

  it('scores an ordinary row without flagging it', () => {
    const batch = scoreRows([raw(1)], shapeOf(DEFAULT_SCHEMA), ctx, model);

    expect(batch.rows[0].score).not.toBeNull();
    expect(batch.rows[0].score!).toBeLessThan(model.threshold);
    expect(batch.rows[0]).toMatchObject({ sourceRow: 1, tradeId: 'T-1', quantity: 250, price: 100, side: 'BUY', isAnomaly: false, qualityIssues: [], reasons: '' });
    expect(batch).toMatchObject({ scored: 1, badRows: 0, anomalies: 0, byReason: {} });
  });

  it('by default flags a row with a missing quantity and does not score it', () => {
    const batch = scoreRows([raw(1), raw(2, { quantity: '' })], shapeOf(DEFAULT_SCHEMA), ctx, model);
    const row = batch.rows[1];

    expect(row.score).toBeNull();
    expect(row.isAnomaly).toBe(true);
    expect(row.qualityIssues).toEqual(['MISSING_FIELD']);
    expect(row.reasons).toBe('quantity is missing');
    expect(row.quantity).toBeNull();
    expect(batch).toMatchObject({ scored: 1, badRows: 1, anomalies: 1, byReason: { MISSING_FIELD: 1 } });
  });

  it("with MISSING_FIELD {flag_only, symbol_median} scores the row with the symbol's median quantity and says so", () => {
    const schema = schemaOf({ quality: { policy: { MISSING_FIELD: { action: 'flag_only', impute: 'symbol_median' } } } });

    const batch = scoreRows([raw(1, { quantity: '' })], shapeOf(schema), ctx, model);
    const row = batch.rows[0];

    expect(row.score).not.toBeNull();
    expect(row.isAnomaly).toBe(true);
    expect(row.qualityIssues).toEqual(['MISSING_FIELD']);
    expect(row.reasons).toContain('quantity is missing');
    expect(row.reasons).toContain("quantity imputed with the symbol's median 250");
    // The result keeps the file's value: imputation only feeds the model.
    expect(row.quantity).toBeNull();
    expect(batch.scored).toBe(1);
  });

  it('imputes a missing price with the median price the same way', () => {
    const schema = schemaOf({ quality: { policy: { MISSING_FIELD: { action: 'flag_only', impute: 'symbol_median' } } } });

    const row = scoreRows([raw(1, { price: ' ' })], shapeOf(schema), ctx, model).rows[0];

    expect(row.score).not.toBeNull();
    expect(row.reasons).toContain("price imputed with the symbol's median 100");
  });

  it('scores a row with an imputable quantity exactly as a row holding the median quantity', () => {
    const schema = schemaOf({ quality: { policy: { MISSING_FIELD: { action: 'flag_only', impute: 'symbol_median' } } } });

    const batch = scoreRows([raw(1, { quantity: '' }), raw(2, { quantity: '250' })], shapeOf(schema), ctx, model);

    expect(batch.rows[0].score).toBe(batch.rows[1].score);
  });

  it('cannot impute for a symbol the day does not know, nor a missing symbol', () => {
    const schema = schemaOf({ quality: { policy: { MISSING_FIELD: { action: 'flag_only', impute: 'symbol_median' } } } });

    const batch = scoreRows([raw(1, { symbol: 'NEWCO', quantity: '' }), raw(2, { symbol: '' })], shapeOf(schema), ctx, model);

    expect(batch.rows.map((r) => r.score)).toEqual([null, null]);
    expect(batch.scored).toBe(0);
  });

  it('produces no issue code for a rule set to ignore, and scores the row', () => {
    const flagged = scoreRows([raw(1, { side: 'X' })], shapeOf(DEFAULT_SCHEMA), ctx, model).rows[0];
    const ignored = scoreRows([raw(1, { side: 'X' })], shapeOf(schemaOf({ quality: { policy: { UNKNOWN_SIDE: { action: 'ignore' } } } })), ctx, model).rows[0];

    expect(flagged.qualityIssues).toEqual(['UNKNOWN_SIDE']);
    expect(flagged.score).not.toBeNull();
    expect(ignored.qualityIssues).toEqual([]);
    expect(ignored.reasons).not.toContain('side');
    expect(ignored.isAnomaly).toBe(false);
    expect(ignored.score).not.toBeNull();
  });

  it('ignores a file rule too: OUTSIDE_SESSION off leaves an off-hours trade unflagged', () => {
    const session = { timeZone: 'UTC', open: '09:00', close: '17:00' };
    const on = schemaOf({ quality: { session } });
    const off = schemaOf({ quality: { session, policy: { OUTSIDE_SESSION: { action: 'ignore' } } } });
    const late = raw(1, { timestamp: '2026-12-01T20:00:00Z' });

    expect(scoreRows([late], shapeOf(on), ctx, model).rows[0].qualityIssues).toEqual(['OUTSIDE_SESSION']);
    expect(scoreRows([late], shapeOf(off), ctx, model).rows[0].qualityIssues).toEqual([]);
  });

  it('flags a DUPLICATE_TRADE_ID row and still scores it (default policy score)', () => {
    const batch = scoreRows([raw(1), raw(2, { trade_id: 'T-1' }, { duplicateOf: 1 })], shapeOf(DEFAULT_SCHEMA), ctx, model);
    const row = batch.rows[1];

    expect(row.qualityIssues).toEqual(['DUPLICATE_TRADE_ID']);
    expect(row.isAnomaly).toBe(true);
    expect(row.score).not.toBeNull();
    expect(row.reasons).toBe("trade_id 'T-1' repeats row 1");
    expect(batch).toMatchObject({ scored: 2, badRows: 1, anomalies: 1, byReason: { DUPLICATE_TRADE_ID: 1 } });
  });

  it('keeps a DUPLICATE_TRADE_ID row out of the model when its policy is flag_only', () => {
    const schema = schemaOf({ quality: { policy: { DUPLICATE_TRADE_ID: { action: 'flag_only' } } } });

    const row = scoreRows([raw(2, { trade_id: 'T-1' }, { duplicateOf: 1 })], shapeOf(schema), ctx, model).rows[0];

    expect(row.qualityIssues).toEqual(['DUPLICATE_TRADE_ID']);
    expect(row.score).toBeNull();
  });

  it('does not ask for a trade id when the file has none', () => {
    const row = scoreRows([raw(1, { trade_id: '' })], { present: present.slice(1), hasTradeIds: false, schema: DEFAULT_SCHEMA }, ctx, model).rows[0];

    expect(row.qualityIssues).toEqual([]);
    expect(row.tradeId).toBeNull();
  });
});
