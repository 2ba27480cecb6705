import { describe, expect, it } from 'vitest';
import { SchemaMismatchError, resolveColumns } from '../../src/schema/trade-schema.js';
import { DEFAULT_SCHEMA, validateSchema, type TradeSchema } from '../../src/schema/schema-settings.js';

function schemaOf(doc: Record<string, unknown>): TradeSchema {
  return validateSchema(doc, 'test.yaml');
}

/** The error resolveColumns throws, or a failure when it does not throw. */
function mismatch(run: () => unknown): SchemaMismatchError {
  try {
    run();
  } catch (e: unknown) {
    expect(e).toBeInstanceOf(SchemaMismatchError);
    return e as SchemaMismatchError;
  }
  throw new Error('expected a SchemaMismatchError');
}

const BINANCE = schemaOf({
  name: 'binance-like',
  columns: { symbol: 'symbol', timestamp: 'timestamp', side: 'side', price: 'price', quantity: 'amount', notional: 'btc_volume' },
  timestamp: { format: 'epoch_ms' },
});
const BINANCE_HEADER = ['symbol', 'timestamp', 'datetime', 'side', 'price', 'amount', 'btc_volume'];

describe('resolveColumns with the default names', () => {
  it('matches names case-insensitively, ignoring surrounding spaces, and keeps the header as read', () => {
    const header = [' Trade_ID ', 'TIMESTAMP', 'Symbol', ' side', 'Quantity ', 'PRICE', 'Venue'];

    const layout = resolveColumns('trades.csv', header);

    expect(layout.header).toEqual(header);
    expect(layout.index).toEqual({ trade_id: 0, timestamp: 1, symbol: 2, side: 3, quantity: 4, price: 5, venue: 6 });
    expect(layout.present).toEqual(['trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price', 'venue']);
    expect(layout.extra).toEqual([]);
  });

  it('finds the fields in any order and lists the present ones in canonical order', () => {
    const layout = resolveColumns('t.csv', ['price', 'notional', 'side', 'symbol', 'quantity', 'currency', 'timestamp', 'trade_id']);

    expect(layout.index).toEqual({ price: 0, notional: 1, side: 2, symbol: 3, quantity: 4, currency: 5, timestamp: 6, trade_id: 7 });
    expect(layout.present).toEqual(['trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price', 'currency', 'notional']);
  });

  it('gives the same layout for DEFAULT_SCHEMA (no mapping) as for no schema', () => {
    const header = ['trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price', 'desk'];

    expect(resolveColumns('t.csv', header, DEFAULT_SCHEMA)).toEqual(resolveColumns('t.csv', header));
  });

  it.each<[string[], string[]]>([
    [['trade_id', 'timestamp', 'symbol', 'side', 'quantity'], ['price']],
    [['timestamp', 'symbol', 'side', 'qty', 'px'], ['trade_id', 'quantity', 'price']],
    [[], ['trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price']],
  ])('names every missing required column: %j lacks %j', (header, missing) => {
    const error = mismatch(() => resolveColumns('trades.csv', header));

    expect(error.missing).toEqual(missing);
    expect(error.file).toBe('trades.csv');
    expect(error.header).toEqual(header);
    expect(error.message).toContain(`trades.csv: header is missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  });
});

describe('resolveColumns with a mapping by name', () => {
  it('maps a Binance-like header: amount is the quantity, btc_volume the notional, datetime an extra', () => {
    const layout = resolveColumns('BRDBTC.csv', BINANCE_HEADER, BINANCE);

    expect(layout.header).toEqual(BINANCE_HEADER);
    expect(layout.index).toEqual({ symbol: 0, timestamp: 1, side: 3, price: 4, quantity: 5, notional: 6 });
    expect(layout.present).toEqual(['timestamp', 'symbol', 'side', 'quantity', 'price', 'notional']);
    expect(layout.extra).toEqual([{ index: 2, source: 'datetime', name: 'datetime' }]);
  });

  it('matches mapped names case-insensitively', () => {
    const layout = resolveColumns('b.csv', ['Symbol', 'TIMESTAMP', 'datetime', ' Side ', 'Price', 'AMOUNT', 'btc_volume'], BINANCE);

    expect(layout.index).toEqual({ symbol: 0, timestamp: 1, side: 3, price: 4, quantity: 5, notional: 6 });
  });

  it('allows a mapping without trade_id', () => {
    const layout = resolveColumns('b.csv', BINANCE_HEADER, BINANCE);

    expect(layout.index.trade_id).toBeUndefined();
    expect(layout.present).not.toContain('trade_id');
  });

  it('renames an unmapped column named like a result column to source_<name>', () => {
    const schema = schemaOf({ columns: { trade_id: 'id', timestamp: 'time', symbol: 'ticker', side: 'dir', quantity: 'qty', price: 'px' } });

    const layout = resolveColumns('t.csv', ['id', 'time', 'ticker', 'dir', 'qty', 'px', 'price', 'score', 'Reasons', 'desk'], schema);

    expect(layout.extra).toEqual([
      { index: 6, source: 'price', name: 'source_price' },
      { index: 7, source: 'score', name: 'source_score' },
      { index: 8, source: 'Reasons', name: 'source_Reasons' },
      { index: 9, source: 'desk', name: 'desk' },
    ]);
  });

  it('names a column the header lacks in the SchemaMismatchError', () => {
    const error = mismatch(() => resolveColumns('b.csv', ['symbol', 'timestamp', 'datetime', 'side', 'price', 'qty', 'btc_volume'], BINANCE));

    expect(error.missing).toEqual(['amount (for quantity)']);
    expect(error.message).toContain('amount (for quantity)');
    expect(error.message).toContain('binance-like');
    expect(error.message).toContain('found: symbol, timestamp, datetime, side, price, qty, btc_volume');
  });

  it('names every column the header lacks, a field mapped to its own name by that name', () => {
    const error = mismatch(() => resolveColumns('b.csv', ['symbol', 'side', 'amount'], BINANCE));

    expect(error.missing).toEqual(expect.arrayContaining(['timestamp', 'price', 'btc_volume (for notional)']));
    expect(error.missing).toHaveLength(3);
  });

  it('takes a 1-based position in a file with a header, and refuses one beyond it', () => {
    const schema = schemaOf({ columns: { timestamp: 'ts', symbol: 'sym', side: 'dir', quantity: 'qty', price: 5 } });

    expect(resolveColumns('t.csv', ['ts', 'sym', 'dir', 'qty', 'anything'], schema).index.price).toBe(4);
    expect(mismatch(() => resolveColumns('t.csv', ['ts', 'sym', 'dir', 'qty'], schema)).missing).toEqual(['price (column 5)']);
  });
});

describe('resolveColumns: names of extra columns', () => {
  it.each<[string, string[], string[]]>([
    ['result column names get source_', ['score', 'is_anomaly', 'quality_issues', 'source_row'], ['source_score', 'source_is_anomaly', 'source_quality_issues', 'source_source_row']],
    ['a second canonical-named column is an extra', ['price', 'Quantity'], ['source_price', 'source_Quantity']],
    ['duplicates get _2, _3', ['note', 'Note', 'note'], ['note', 'Note_2', 'note_3']],
    ['a renamed column that repeats gets _2', ['score', 'SCORE'], ['source_score', 'source_SCORE_2']],
    ['a renamed column does not collide with an existing source_ column', ['source_score', 'score'], ['source_score', 'source_score_2']],
    ['an empty name is unnamed', ['', ' '], ['unnamed', 'unnamed_2']],
    ['names are trimmed', [' desk '], ['desk']],
  ])('%s', (_what, extras, names) => {
    const header = ['trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price', ...extras];

    const layout = resolveColumns('t.csv', header);

    expect(layout.extra.map((x) => x.name)).toEqual(names);
    expect(layout.extra.map((x) => x.source)).toEqual(extras);
    expect(layout.extra.map((x) => x.index)).toEqual(extras.map((_, i) => 6 + i));
  });
});

describe('resolveColumns without a header', () => {
  const HEADERLESS = schemaOf({ header: false, columns: { timestamp: 2, symbol: 3, side: 4, quantity: 5, price: 6 } });

  it('names the columns column_1..column_n and maps the positions', () => {
    const first = ['A-1', '2026-12-01T09:00:00Z', 'ACME', 'B', '100', '12.5', 'desk-7'];

    const layout = resolveColumns('raw.csv', first, HEADERLESS);

    expect(layout.header).toEqual(['column_1', 'column_2', 'column_3', 'column_4', 'column_5', 'column_6', 'column_7']);
    expect(layout.index).toEqual({ timestamp: 1, symbol: 2, side: 3, quantity: 4, price: 5 });
    expect(layout.present).toEqual(['timestamp', 'symbol', 'side', 'quantity', 'price']);
    expect(layout.extra).toEqual([
      { index: 0, source: 'column_1', name: 'column_1' },
      { index: 6, source: 'column_7', name: 'column_7' },
    ]);
  });

  it('refuses a position beyond the first row, naming the field, its position and the width', () => {
    const error = mismatch(() => resolveColumns('raw.csv', ['A-1', '2026-12-01T09:00:00Z', 'ACME', 'B', '100'], HEADERLESS));

    expect(error.missing).toEqual(['price (column 6)']);
    expect(error.header).toEqual(['column_1', 'column_2', 'column_3', 'column_4', 'column_5']);
    expect(error.message).toContain('raw.csv: the first row has 5 columns; the schema needs price (column 6)');
  });
});
