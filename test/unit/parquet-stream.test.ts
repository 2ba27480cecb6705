import { parquetMetadata } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { decodeScoredChunk, encodeScoredChunk, type ScoredRow } from '../../src/chunks/chunk-format.js';
import { ParquetFooterError, readParquetFooter } from '../../src/result/parquet-footer.js';
import { tableToParquet } from '../../src/result/parquet-result.js';
import { ParquetStream, ParquetStreamError } from '../../src/result/parquet-stream.js';
import type { CanonicalField } from '../../src/schema/trade-schema.js';
import { readParquetColumns, readParquetRows } from '../support/parquet-reader.js';

const PRESENT: CanonicalField[] = ['trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price'];

function rows(n: number, first: number): ScoredRow[] {
  return Array.from({ length: n }, (_, i) => ({
    sourceRow: first + i,
    tradeId: `T${first + i}`,
    timestampMs: Date.UTC(2026, 11, 1, 9) + i * 1000,
    symbol: `S${i % 7}`,
    side: i % 2 ? 'BUY' : 'SELL',
    quantity: 100 + i,
    price: i % 13 === 0 ? null : 10 + i / 8,
    notional: null,
    optional: {},
    extras: [],
    score: i % 9 === 0 ? null : (i % 100) / 100,
    isAnomaly: i % 50 === 0,
    reasons: i % 50 === 0 ? 'model:price_deviation' : '',
    qualityIssues: i % 13 === 0 ? ['MISSING_FIELD'] : [],
  }));
}

async function* parts(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  for await (const b of stream) out.push(b);
  return Buffer.concat(out);
}

const arrayBufferOf = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

describe('ParquetStream', () => {
  const chunks = [encodeScoredChunk(rows(300, 1), PRESENT), encodeScoredChunk(rows(300, 301), PRESENT), encodeScoredChunk(rows(120, 601), PRESENT)];

  it('writes each part as a row group, with the columns, types and rows of the whole table written at once', async () => {
    const stream = new ParquetStream(parts(...chunks), { maxRowGroupRows: 300 });
    const streamed = await collect(stream);
    const tables = chunks.map(decodeScoredChunk);
    const whole = tableToParquet(tables[0].concat(...tables.slice(1)));

    expect(parquetMetadata(arrayBufferOf(streamed)).row_groups.map((g) => Number(g.num_rows))).toEqual([300, 300, 120]);
    expect(stream.totals).toEqual({ rows: 720, rowGroups: 3, bytes: streamed.byteLength });
    expect(await readParquetColumns(streamed)).toEqual(await readParquetColumns(whole));
    expect(await readParquetRows(streamed)).toEqual(await readParquetRows(whole));
  });

  it('fills row groups across parts, byte for byte as the whole-table writer does', async () => {
    const streamed = await collect(new ParquetStream(parts(...chunks), { maxRowGroupRows: 250 }));
    const tables = chunks.map(decodeScoredChunk);
    const whole = tableToParquet(tables[0].concat(...tables.slice(1)), 250);
    expect(parquetMetadata(arrayBufferOf(streamed)).row_groups.map((g) => Number(g.num_rows))).toEqual([250, 250, 220]);
    expect(Buffer.from(streamed).equals(Buffer.from(whole))).toBe(true);
  });

  it('gives the same bytes for the same parts', async () => {
    const a = await collect(new ParquetStream(parts(...chunks), { maxRowGroupRows: 300 }));
    const b = await collect(new ParquetStream(parts(...chunks), { maxRowGroupRows: 300 }));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('refuses a part whose schema differs from the first, before the writer sees it', async () => {
    const withVenue = encodeScoredChunk(rows(10, 301), [...PRESENT, 'venue']);
    await expect(collect(new ParquetStream(parts(chunks[0], withVenue), { maxRowGroupRows: 300 }))).rejects.toThrow(ParquetStreamError);
  });

  it('passes on an error of the parts instead of closing a file short', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield chunks[0];
      throw new Error('chunk 1 could not be read');
    }
    const seen: Uint8Array[] = [];
    const stream = new ParquetStream(failing(), { maxRowGroupRows: 300 });
    await expect(
      (async () => {
        for await (const b of stream) seen.push(b);
      })(),
    ).rejects.toThrow('chunk 1 could not be read');
    expect(stream.totals).toBeUndefined();
    // Whatever was passed on is not a readable file: it has no footer.
    expect(() => readParquetFooter(Buffer.concat(seen))).toThrow(ParquetFooterError);
  });

  it('refuses to write a file without rows', async () => {
    await expect(collect(new ParquetStream(parts(), { maxRowGroupRows: 300 }))).rejects.toThrow(/no part had any rows/);
  });
});

describe('readParquetFooter', () => {
  it('reads the row and row group counts any reader sees', () => {
    const tables = [decodeScoredChunk(encodeScoredChunk(rows(250, 1), PRESENT))];
    const bytes = tableToParquet(tables[0], 100);
    const meta = parquetMetadata(arrayBufferOf(bytes));
    const footer = readParquetFooter(bytes);
    expect([footer.numRows, footer.rowGroups]).toEqual([Number(meta.num_rows), meta.row_groups.length]);
    expect(footer.rowGroups).toBe(3);
  });

  it('says so when the bytes do not end with a whole footer', () => {
    const bytes = tableToParquet(decodeScoredChunk(encodeScoredChunk(rows(10, 1), PRESENT)));
    expect(() => readParquetFooter(bytes.subarray(0, bytes.length - 1))).toThrow(ParquetFooterError);
    expect(() => readParquetFooter(bytes.subarray(bytes.length - 20))).toThrow(/more than the/);
  });
});
