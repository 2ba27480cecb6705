import { describe, expect, it } from 'vitest';
import { checkTrade, type RawTrade } from '../../src/quality/trade-checks.js';
import { QUALITY_CODES, type QualityCode } from '../../src/quality/quality-issues.js';
import type { CanonicalField } from '../../src/schema/trade-schema.js';

const GOOD = {
  trade_id: 'T-1001',
  timestamp: '2026-03-02T14:30:01.250Z',
  symbol: 'ACME',
  side: 'BUY',
  quantity: '300',
  price: '101.25',
} as const;

function row(overrides: Partial<Record<CanonicalField, string | undefined>> = {}, extra: Partial<RawTrade> = {}): RawTrade {
  const fields: Partial<Record<CanonicalField, string>> = { ...GOOD };
  for (const [name, value] of Object.entries(overrides) as [CanonicalField, string | undefined][]) {
    if (value === undefined) delete fields[name];
    else fields[name] = value;
  }
  return { sourceRow: 7, fields, ...extra };
}

function codes(raw: RawTrade): string[] {
  return checkTrade(raw, []).issues.map((i) => `${i.code}${i.field ? `:${i.field}` : ''}`);
}

describe('checkTrade on a good row', () => {
  it('finds no issue and types every field', () => {
    const checked = checkTrade(row({ side: 'sell' }), []);

    expect(checked).toEqual({
      sourceRow: 7,
      tradeId: 'T-1001',
      timestampMs: Date.parse('2026-03-02T14:30:01.250Z'),
      symbol: 'ACME',
      side: 'SELL',
      quantity: 300,
      price: 101.25,
      notional: null,
      optional: {},
      issues: [],
      scorable: true,
    });
  });

  it('trims the trade id and the symbol', () => {
    const checked = checkTrade(row({ trade_id: '  T-9 ', symbol: ' ACME  ' }), []);

    expect(checked.tradeId).toBe('T-9');
    expect(checked.symbol).toBe('ACME');
  });

  it('carries the optional fields asked for, trimmed, with null for empty or absent ones', () => {
    const checked = checkTrade(row({ currency: ' USD ', venue: '' }), ['currency', 'venue', 'trader']);

    expect(checked.optional).toEqual({ currency: 'USD', venue: null, trader: null });
  });
});

describe('checkTrade: one rule per bad field', () => {
  it.each<[string, Partial<Record<CanonicalField, string | undefined>>, string[]]>([
    ['empty trade_id', { trade_id: '' }, ['MISSING_FIELD:trade_id']],
    ['blank trade_id', { trade_id: '   ' }, ['MISSING_FIELD:trade_id']],
    ['absent trade_id', { trade_id: undefined }, ['MISSING_FIELD:trade_id']],
    ['empty timestamp', { timestamp: '' }, ['MISSING_FIELD:timestamp']],
    ['empty symbol', { symbol: ' ' }, ['MISSING_FIELD:symbol']],
    ['empty side', { side: '' }, ['MISSING_FIELD:side']],
    ['empty quantity', { quantity: '' }, ['MISSING_FIELD:quantity']],
    ['empty price', { price: undefined }, ['MISSING_FIELD:price']],
    ['text price', { price: 'abc' }, ['UNPARSABLE_NUMBER:price']],
    ['price with a thousands separator', { price: '1,000.50' }, ['UNPARSABLE_NUMBER:price']],
    ['text quantity', { quantity: '12 lots' }, ['UNPARSABLE_NUMBER:quantity']],
    ['garbage timestamp', { timestamp: 'yesterday' }, ['UNPARSABLE_TIMESTAMP:timestamp']],
    ['impossible date', { timestamp: '2026-02-30T10:00:00Z' }, ['UNPARSABLE_TIMESTAMP:timestamp']],
    ['NaN price', { price: 'NaN' }, ['NON_FINITE_NUMBER:price']],
    ['infinite quantity', { quantity: 'Infinity' }, ['NON_FINITE_NUMBER:quantity']],
    ['overflowing price', { price: '1e309' }, ['NON_FINITE_NUMBER:price']],
    ['zero price', { price: '0' }, ['NON_POSITIVE_VALUE:price']],
    ['negative price', { price: '-101.25' }, ['NON_POSITIVE_VALUE:price']],
    ['zero quantity', { quantity: '0.0' }, ['NON_POSITIVE_VALUE:quantity']],
    ['negative quantity', { quantity: '-300' }, ['NON_POSITIVE_VALUE:quantity']],
    ['unknown side', { side: 'x' }, ['UNKNOWN_SIDE:side']],
    ['side spelled "hold"', { side: 'hold' }, ['UNKNOWN_SIDE:side']],
  ])('%s -> %j', (_case, overrides, expected) => {
    expect(codes(row(overrides))).toEqual(expected);
  });

  it('reports every problem of a row, not just the first', () => {
    expect(codes(row({ trade_id: '', timestamp: 'never', side: 'x', quantity: '-1', price: 'NaN' }, { csvIssue: 'row has 5 fields, expected 6' }))).toEqual([
      'MALFORMED_ROW',
      'MISSING_FIELD:trade_id',
      'UNPARSABLE_TIMESTAMP:timestamp',
      'UNKNOWN_SIDE:side',
      'NON_POSITIVE_VALUE:quantity',
      'NON_FINITE_NUMBER:price',
    ]);
  });

  it('reports a row with no fields at all as missing every required field', () => {
    expect(codes({ sourceRow: 1, fields: {} })).toEqual([
      'MISSING_FIELD:trade_id',
      'MISSING_FIELD:timestamp',
      'MISSING_FIELD:symbol',
      'MISSING_FIELD:side',
      'MISSING_FIELD:quantity',
      'MISSING_FIELD:price',
    ]);
  });

  // Regression: a side lookup in a plain object once resolved 'constructor' to Object.prototype's.
  it('flags the side "constructor" as UNKNOWN_SIDE and leaves side null', () => {
    const checked = checkTrade(row({ side: 'constructor' }), []);

    expect(checked.issues.map((i) => i.code)).toEqual(['UNKNOWN_SIDE']);
    expect(checked.side).toBeNull();
  });

  it('uses only codes from the published list', () => {
    const checked = checkTrade(row({ trade_id: '', timestamp: 'x', symbol: '', side: 'x', quantity: 'x', price: '0' }, { csvIssue: 'bad', duplicateOf: 1 }), []);

    for (const issue of checked.issues) expect(Object.keys(QUALITY_CODES)).toContain(issue.code);
  });
});

describe('checkTrade: whole-row rules', () => {
  it('flags a repeated trade_id and names the earlier row in the message', () => {
    const checked = checkTrade(row({}, { sourceRow: 12, duplicateOf: 3 }), []);

    expect(checked.issues).toHaveLength(1);
    expect(checked.issues[0]).toMatchObject({ code: 'DUPLICATE_TRADE_ID', field: 'trade_id' });
    expect(checked.issues[0].message).toContain("'T-1001'");
    expect(checked.issues[0].message).toMatch(/row 3\b/);
  });

  it('does not flag a duplicate when duplicateOf is absent', () => {
    expect(codes(row({}, { duplicateOf: undefined }))).toEqual([]);
  });

  it('flags a CSV-level problem as MALFORMED_ROW with its description', () => {
    const checked = checkTrade(row({}, { csvIssue: 'unterminated quote' }), []);

    expect(checked.issues).toEqual([{ code: 'MALFORMED_ROW', message: 'unterminated quote' }]);
  });
});

describe('checkTrade: messages name the field and the value', () => {
  it.each<[Partial<Record<CanonicalField, string>>, QualityCode, string, string]>([
    [{ price: 'abc' }, 'UNPARSABLE_NUMBER', 'price', "'abc'"],
    [{ quantity: '1e309' }, 'NON_FINITE_NUMBER', 'quantity', "'1e309'"],
    [{ price: '-4.5' }, 'NON_POSITIVE_VALUE', 'price', "'-4.5'"],
    [{ timestamp: '2026-02-30' }, 'UNPARSABLE_TIMESTAMP', 'timestamp', "'2026-02-30'"],
    [{ side: 'hold' }, 'UNKNOWN_SIDE', 'side', "'hold'"],
  ])('%j -> %s message names %s and %s', (overrides, code, field, shown) => {
    const [issue] = checkTrade(row(overrides), []).issues;

    expect(issue.code).toBe(code);
    expect(issue.field).toBe(field);
    expect(issue.message).toContain(field);
    expect(issue.message).toContain(shown);
  });

  it('names the field of a missing value', () => {
    const [issue] = checkTrade(row({ symbol: '' }), []).issues;

    expect(issue.message).toContain('symbol');
  });

  it('cuts a very long value short in the message', () => {
    const long = 'x'.repeat(500);
    const [issue] = checkTrade(row({ price: long }), []).issues;

    expect(issue.message).toContain('x'.repeat(40));
    expect(issue.message).not.toContain('x'.repeat(41));
    expect(issue.message.length).toBeLessThan(100);
  });
});

describe('checkTrade: scorable', () => {
  it.each<[string, Partial<Record<CanonicalField, string>>, Partial<RawTrade>, boolean]>([
    ['a good row', {}, {}, true],
    ['a row with an unknown side (the model does not use side)', { side: '?' }, {}, true],
    ['a row without trade_id', { trade_id: '' }, {}, true],
    ['a duplicate', {}, { duplicateOf: 1 }, true],
    ['a row without symbol', { symbol: '' }, {}, false],
    ['a row with a bad timestamp', { timestamp: 'x' }, {}, false],
    ['a row with zero price', { price: '0' }, {}, false],
    ['a row with negative quantity', { quantity: '-3' }, {}, false],
    ['a row with an unparsable price', { price: 'abc' }, {}, false],
    ['a row with an infinite quantity', { quantity: 'inf' }, {}, false],
  ])('%s -> %s', (_case, overrides, extra, scorable) => {
    expect(checkTrade(row(overrides, extra), []).scorable).toBe(scorable);
  });

  it('keeps a non-positive value as parsed (so the result shows it), but unscorable', () => {
    const checked = checkTrade(row({ price: '-2' }), []);

    expect(checked.price).toBe(-2);
    expect(checked.scorable).toBe(false);
  });

  it('gives null for values that did not parse', () => {
    const checked = checkTrade(row({ timestamp: 'x', side: 'x', quantity: 'x', price: '' }), []);

    expect(checked).toMatchObject({ timestampMs: null, side: null, quantity: null, price: null });
  });
});

describe('checkTrade never throws', () => {
  it.each<[string, RawTrade]>([
    ['no fields', { sourceRow: 1, fields: {} }],
    ['control characters and NUL', { sourceRow: 2, fields: { ...GOOD, price: '\u0000', symbol: '\u0007\u001b' } }],
    ['unicode digits and emoji', { sourceRow: 3, fields: { ...GOOD, quantity: '١٢٣', price: '💰' } }],
    ['a 100 kB value', { sourceRow: 4, fields: { ...GOOD, trade_id: 'x'.repeat(100_000) } }],
    ['prototype-like names', { sourceRow: 5, fields: { ...GOOD, side: 'hasOwnProperty', price: '__proto__' } }],
    ['an empty csvIssue and duplicateOf 0', { sourceRow: 6, fields: { ...GOOD }, csvIssue: '', duplicateOf: 0 }],
  ])('on %s', (_case, raw) => {
    expect(() => checkTrade(raw, ['currency', 'account', 'venue', 'trader'])).not.toThrow();
  });
});
