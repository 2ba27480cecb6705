import { describe, expect, it } from 'vitest';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { Table, TimeUnit, Type, makeVector, tableToIPC } from 'apache-arrow';
import { float64Vector, utf8Vector } from '../../src/chunks/arrow-columns.js';
import { checkFields, checkTrade } from '../../src/quality/trade-checks.js';
import { deriveRunId, fileStem, runPrefix } from '../../src/pipeline/run-id.js';
import { createdObjects, decodeS3Key, encodeS3Key, objectCreatedEvent } from '../../src/pipeline/s3-event.js';
import {
  decodeRawChunk,
  decodeScoredChunk,
  encodeRawChunk,
  encodeScoredChunk,
  optionalFieldsOf,
  scoredRowsToTable,
  type RawChunkRow,
  type ScoredRow,
} from '../../src/chunks/chunk-format.js';
import type { CanonicalField } from '../../src/schema/trade-schema.js';

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

describe('deriveRunId', () => {
  it('gives the same id for the same bucket, key and ETag (a redelivered event)', () => {
    expect(deriveRunId('trades-prod', 'incoming/2026-03-02.csv', 'abc123')).toBe(deriveRunId('trades-prod', 'incoming/2026-03-02.csv', 'abc123'));
  });

  it.each([
    ['a new version of the file (ETag)', ['trades-prod', 'incoming/day.csv', 'def456']],
    ['another key', ['trades-prod', 'incoming/day2.csv', 'abc123']],
    ['another bucket', ['trades-dev', 'incoming/day.csv', 'abc123']],
    ['the same name in another folder', ['trades-prod', 'archive/day.csv', 'abc123']],
  ])('gives a different id for %s', (_case, [bucket, key, etag]) => {
    expect(deriveRunId(bucket, key, etag)).not.toBe(deriveRunId('trades-prod', 'incoming/day.csv', 'abc123'));
  });

  it('ignores the quotes S3 puts around an ETag', () => {
    expect(deriveRunId('b', 'incoming/day.csv', '"abc123"')).toBe(deriveRunId('b', 'incoming/day.csv', 'abc123'));
  });

  it('starts with the file name readable, without folders and extension', () => {
    expect(deriveRunId('b', 'incoming/2026/trades-2026-03-02.csv', 'e')).toMatch(/^trades-2026-03-02-[0-9a-f]{16}$/);
  });

  it.each([
    ['spaces', 'incoming/daily trades 2026-03-02.csv'],
    ['non-ASCII', 'incoming/transactions-journalières-€.csv'],
    ['only non-ASCII', 'incoming/日本語.csv'],
    ['a very long name', `incoming/${'very-long-name_'.repeat(40)}.csv`],
    ['dots and brackets', 'incoming/desk.A (copy) [1].v2.csv.gz'],
    ['a trailing slash', 'incoming/'],
    ['an empty key', ''],
    ['emoji', 'incoming/🚀🚀.csv'],
  ])('is a valid execution name (<= 80 of [A-Za-z0-9-_]) for a key with %s', (_case, key) => {
    const id = deriveRunId('trades-prod', key, '"0123456789abcdef0123456789abcdef"');

    expect(id).toMatch(EXECUTION_NAME);
    expect(id).not.toMatch(/^-|--|-$/);
  });

  it('keeps different long names that share a 48-character start apart', () => {
    const start = 'x'.repeat(60);

    expect(deriveRunId('b', `${start}-a.csv`, 'e')).not.toBe(deriveRunId('b', `${start}-b.csv`, 'e'));
  });
});

describe('fileStem and runPrefix', () => {
  it.each([
    ['incoming/day.csv', 'day'],
    ['incoming/day.CSV', 'day'],
    ['incoming/day.csv.gz', 'day'],
    ['incoming/day.txt', 'day'],
    ['incoming/day.tsv', 'day'],
    ['incoming/day.gz', 'day'],
    ['day.parquet', 'day.parquet'],
    ['a/b/c/day.2026.csv', 'day.2026'],
  ])('fileStem(%j) = %j', (key, stem) => {
    expect(fileStem(key)).toBe(stem);
  });

  it('puts a run under runs/<runId>/', () => {
    expect(runPrefix('day-0123')).toBe('runs/day-0123/');
  });
});

describe('S3 event keys', () => {
  it("decodes 'daily+trades+%C3%A9.csv' to 'daily trades é.csv'", () => {
    expect(decodeS3Key('daily+trades+%C3%A9.csv')).toBe('daily trades é.csv');
  });

  it('decodes an encoded plus sign as a plus, not a space', () => {
    expect(decodeS3Key('a%2Bb+c.csv')).toBe('a+b c.csv');
  });

  it.each([
    'incoming/daily trades.csv',
    'incoming/a+b.csv',
    'incoming/transactions journalières é.csv',
    'incoming/100% done.csv',
    'incoming/%20literal.csv',
    'incoming/日本語 ファイル.csv',
    "incoming/it's (final) *copy*!.csv",
    'incoming/a&b=c?d#e.csv',
    'incoming/🚀.csv',
  ])('round-trips %j through encodeS3Key / decodeS3Key', (key) => {
    expect(decodeS3Key(encodeS3Key(key))).toBe(key);
  });

  it('encodes spaces as + and keeps folder slashes, as S3 does', () => {
    expect(encodeS3Key('incoming/daily trades é.csv')).toBe('incoming/daily+trades+%C3%A9.csv');
    expect(encodeS3Key('a+b.csv')).toBe('a%2Bb.csv');
  });
});

describe('createdObjects', () => {
  function record(eventName: string, key: string, eTag?: string): S3EventRecord {
    const base = objectCreatedEvent({ bucket: 'trades-prod', key: 'x', etag: 'e', size: 10 }).Records[0];
    return { ...base, eventName: eventName as S3EventRecord['eventName'], s3: { ...base.s3, object: { ...base.s3.object, key, eTag: eTag as string } } };
  }

  it('lists the objects of ObjectCreated records with decoded keys and unquoted ETags', () => {
    const event: S3Event = {
      Records: [
        record('ObjectCreated:Put', 'incoming/daily+trades+%C3%A9.csv', '"abc"'),
        record('ObjectRemoved:Delete', 'incoming/old.csv', 'x'),
        record('ObjectCreated:CompleteMultipartUpload', 'incoming/big.csv', 'def-2'),
        record('ObjectRestore:Completed', 'incoming/restored.csv', 'y'),
      ],
    };

    expect(createdObjects(event)).toEqual([
      { bucket: 'trades-prod', key: 'incoming/daily trades é.csv', etag: 'abc', size: 10 },
      { bucket: 'trades-prod', key: 'incoming/big.csv', etag: 'def-2', size: 10 },
    ]);
  });

  it('gives no objects for an event without records', () => {
    expect(createdObjects({} as S3Event)).toEqual([]);
    expect(createdObjects({ Records: [] })).toEqual([]);
  });

  it('gives an empty ETag when the record has none', () => {
    expect(createdObjects({ Records: [record('ObjectCreated:Put', 'k.csv', undefined)] })[0].etag).toBe('');
  });
});

describe('objectCreatedEvent', () => {
  const obj = { bucket: 'trades-dev', key: 'incoming/daily trades é+1.csv', etag: 'abc', size: 1234 };

  it('shapes an ObjectCreated:Put record with the key encoded as S3 sends it', () => {
    const event = objectCreatedEvent(obj, 'eu-west-1');

    expect(event.Records).toHaveLength(1);
    const [r] = event.Records;
    expect(r.eventName).toBe('ObjectCreated:Put');
    expect(r.eventSource).toBe('aws:s3');
    expect(r.awsRegion).toBe('eu-west-1');
    expect(r.s3.bucket.name).toBe('trades-dev');
    expect(r.s3.bucket.arn).toBe('arn:aws:s3:::trades-dev');
    expect(r.s3.object.key).toBe('incoming/daily+trades+%C3%A9%2B1.csv');
    expect(r.s3.object.size).toBe(1234);
  });

  it('round-trips through createdObjects', () => {
    expect(createdObjects(objectCreatedEvent(obj))).toEqual([obj]);
  });
});

describe('raw chunks', () => {
  const present: CanonicalField[] = ['trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price', 'venue'];
  /** Rows as the scan gives them: each with its own check. */
  const checked = (row: Omit<RawChunkRow, 'check'>): RawChunkRow => ({ ...row, check: checkFields(row) });
  const rows: RawChunkRow[] = [
    checked({
      sourceRow: 1,
      fields: { trade_id: 'T1', timestamp: '2026-03-02T10:00:00Z', symbol: 'ACME', side: 'BUY', quantity: '100', price: '10.5', venue: 'XLON' },
      extras: ['a', null],
      refPrice: null,
      levelPrice: null,
      levelSpanMs: null,
      gapMs: null,
      recentTrades: 0,
    }),
    checked({
      sourceRow: 2,
      fields: { trade_id: 'T1', timestamp: '2026-03-02T10:00:01Z', symbol: 'ACME', side: 'S', quantity: '', price: 'abc' },
      extras: ['', 'b, "c"'],
      refPrice: 10.5,
      levelPrice: 10.4,
      levelSpanMs: 2500,
      gapMs: 1000,
      recentTrades: 3,
    }),
    checked({
      sourceRow: 5,
      fields: { trade_id: 'T3', symbol: 'ÉTÉ "quoted", comma', venue: '' },
      csvIssue: 'row has 4 fields, expected 7',
      extras: [null, null],
      refPrice: 10.25,
      levelPrice: null,
      levelSpanMs: null,
      gapMs: 0,
      recentTrades: 12,
    }),
  ];
  /** What a raw chunk gives back: the parsed fields travel as the row's check, not as text. */
  const stored = (row: RawChunkRow): RawChunkRow => {
    const { timestamp: _t, side: _s, quantity: _q, price: _p, notional: _n, ...fields } = row.fields;
    return { ...row, fields };
  };

  it("round-trips rows: fields (absent, empty and odd text), extra columns, csvIssue, each row's check and the trade's sequence (reference price, gap, recent trades)", () => {
    const decoded = decodeRawChunk(encodeRawChunk(rows, present, 2), present, 2);

    expect(decoded).toEqual(rows.map(stored));
    expect(decoded[1].check).toEqual({
      timestampMs: Date.parse('2026-03-02T10:00:01Z'),
      side: 'SELL',
      quantity: null,
      price: null,
      notional: null,
      issues: [
        { code: 'MISSING_FIELD', field: 'quantity', message: 'quantity is missing' },
        { code: 'UNPARSABLE_NUMBER', field: 'price', message: "price 'abc' is not a number" },
      ],
    });
  });

  it('keeps an absent field absent and an empty one empty', () => {
    const [, second, third] = decodeRawChunk(encodeRawChunk(rows, present, 2), present, 2);

    expect('venue' in second.fields).toBe(false);
    expect(second.fields.trade_id).toBe('T1');
    expect(third.fields.venue).toBe('');
  });

  it('round-trips an empty chunk', () => {
    expect(decodeRawChunk(encodeRawChunk([], present), present)).toEqual([]);
  });

  it('refuses a row without its check, naming the row', () => {
    const { check: _check, ...unchecked } = rows[1];
    expect(() => encodeRawChunk([rows[0], unchecked], present, 2)).toThrow(/source row 2 has no check/);
  });

  it('gives every row the same checked trade as checking its text, and reads a chunk written before checks travelled (a run in flight across a deploy)', () => {
    const withDuplicate = rows.map((r, i) => (i === 1 ? { ...r, duplicateOf: 1 } : r));
    // The chunk an earlier version wrote: every field as text, no checked_ columns.
    const old = tableToIPC(
      new Table({
        source_row: makeVector(Int32Array.from(rows, (r) => r.sourceRow)),
        ...Object.fromEntries(present.map((f) => [f, utf8Vector(rows.map((r) => r.fields[f] ?? null))])),
        extra_0: utf8Vector(rows.map((r) => r.extras[0])),
        extra_1: utf8Vector(rows.map((r) => r.extras[1])),
        csv_issue: utf8Vector(rows.map((r) => r.csvIssue ?? null)),
        ref_price: float64Vector(rows.map((r) => r.refPrice)),
        level_price: float64Vector(rows.map((r) => r.levelPrice)),
        level_span_ms: float64Vector(rows.map((r) => r.levelSpanMs)),
        gap_ms: float64Vector(rows.map((r) => r.gapMs)),
        recent_trades: makeVector(Int32Array.from(rows, (r) => r.recentTrades)),
      }),
      'stream',
    );
    const fromOld = decodeRawChunk(old, present, 2);
    const fromNew = decodeRawChunk(encodeRawChunk(rows, present, 2), present, 2);
    expect(fromOld.every((r) => r.check === undefined)).toBe(true);

    const optional = optionalFieldsOf(present);
    const checkAll = (rs: RawChunkRow[]) => rs.map((r, i) => checkTrade(i === 1 ? { ...r, duplicateOf: 1 } : r, optional));
    const fromText = withDuplicate.map((r) => {
      const { check: _check, ...text } = r;
      return checkTrade(text, optional);
    });
    expect(checkAll(fromNew)).toEqual(fromText);
    expect(checkAll(fromOld)).toEqual(fromText);
    expect(fromText[1].issues.map((x) => x.code)).toEqual(['MISSING_FIELD', 'UNPARSABLE_NUMBER', 'DUPLICATE_TRADE_ID']);
  });
});

describe('scored chunks', () => {
  const rows: ScoredRow[] = [
    {
      sourceRow: 1,
      tradeId: 'T1',
      timestampMs: Date.parse('2026-03-02T10:00:00.123Z'),
      symbol: 'ACME',
      side: 'BUY',
      quantity: 100,
      price: 10.5,
      notional: null,
      optional: { venue: 'XLON', currency: 'GBP' },
      extras: [],
      score: 0.42,
      isAnomaly: false,
      reasons: '',
      qualityIssues: [],
    },
    {
      sourceRow: 2,
      tradeId: null,
      timestampMs: null,
      symbol: null,
      side: null,
      quantity: null,
      price: -3,
      notional: null,
      optional: {},
      extras: [],
      score: null,
      isAnomaly: true,
      reasons: 'price -3 is not positive',
      qualityIssues: ['MISSING_FIELD', 'NON_POSITIVE_VALUE'],
    },
  ];
  // Present in an order other than canonical: the table must follow canonical order.
  const present: CanonicalField[] = ['trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price', 'venue', 'currency'];

  function columns(table: Table): string[] {
    return table.schema.fields.map((f) => f.name);
  }

  it('has the result columns in the contract order, optional fields in canonical order', () => {
    expect(columns(scoredRowsToTable(rows, present))).toEqual([
      'source_row',
      'trade_id',
      'timestamp',
      'symbol',
      'side',
      'quantity',
      'price',
      'currency',
      'venue',
      'score',
      'is_anomaly',
      'reasons',
      'quality_issues',
    ]);
  });

  it('has no optional columns when the file has none', () => {
    expect(columns(scoredRowsToTable(rows, ['trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price']))).not.toContain('venue');
  });

  it('types timestamp as a UTC millisecond timestamp and the numbers as doubles', () => {
    const table = decodeScoredChunk(encodeScoredChunk(rows, present));
    const type = (name: string) => table.schema.fields.find((f) => f.name === name)!.type;

    expect(type('timestamp').typeId).toBe(Type.Timestamp);
    expect(type('timestamp')).toMatchObject({ unit: TimeUnit.MILLISECOND, timezone: 'UTC' });
    for (const name of ['quantity', 'price', 'score']) expect(type(name).typeId).toBe(Type.Float);
    expect(type('is_anomaly').typeId).toBe(Type.Bool);
    expect(type('quality_issues').typeId).toBe(Type.List);
    expect(type('source_row').typeId).toBe(Type.Int);
  });

  it('round-trips the values through the IPC encoding, nulls included', () => {
    const table = decodeScoredChunk(encodeScoredChunk(rows, present));

    expect(table.numRows).toBe(2);
    const first = table.get(0)!.toJSON();
    expect(first).toMatchObject({
      source_row: 1,
      trade_id: 'T1',
      timestamp: Date.parse('2026-03-02T10:00:00.123Z'),
      symbol: 'ACME',
      side: 'BUY',
      quantity: 100,
      price: 10.5,
      currency: 'GBP',
      venue: 'XLON',
      score: 0.42,
      is_anomaly: false,
      reasons: '',
    });
    const second = table.get(1)!.toJSON();
    expect(second).toMatchObject({ source_row: 2, trade_id: null, timestamp: null, score: null, price: -3, is_anomaly: true, venue: null });
    expect(Array.from(table.getChild('quality_issues')!.get(1)!)).toEqual(['MISSING_FIELD', 'NON_POSITIVE_VALUE']);
    expect(Array.from(table.getChild('quality_issues')!.get(0)!)).toEqual([]);
  });
});

describe('optionalFieldsOf', () => {
  it('lists the optional fields present, in canonical order', () => {
    expect(optionalFieldsOf(['trader', 'price', 'currency', 'trade_id', 'venue'])).toEqual(['currency', 'venue', 'trader']);
  });
});
