import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuplicateIndex } from '../../src/pipeline/duplicate-index.js';
import { DuplicateMarks, DuplicatePartitions } from '../../src/pipeline/duplicate-partitions.js';
import { TradeFileScanner, UnreadableFileError, requireText } from '../../src/pipeline/trade-file-scanner.js';
import { validateSchema, type TradeSchema } from '../../src/schema/schema-settings.js';
import type { RawChunkRow } from '../../src/chunks/chunk-format.js';
import { rng } from '../support/seeded-rng.js';

async function* chunksOf(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

/** The bytes in pieces of `size`, as a stream would deliver them. */
function split(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of source) parts.push(c);
  return Buffer.concat(parts);
}

/** Scans and then marks the repeats, which the scanner knows only once the whole file is read. */
async function scanAll(scanner: TradeFileScanner, chunks: Uint8Array[]): Promise<RawChunkRow[]> {
  const rows: RawChunkRow[] = [];
  for await (const batch of scanner.scan(chunksOf(...chunks))) rows.push(...batch);
  scanner.duplicateMarks().apply(rows);
  return rows;
}

function schemaOf(doc: Record<string, unknown>): TradeSchema {
  return validateSchema(doc, 'test.yaml');
}

describe('DuplicateIndex', () => {
  it('says nothing of a first occurrence', () => {
    const index = new DuplicateIndex();

    expect(index.check('T-1', 'T-1|ACME|100', 1)).toEqual({});
    expect(index.check('T-2', 'T-2|ACME|100', 2)).toEqual({});
  });

  it('finds a repeated key with the same content as the same key and the same row as the first', () => {
    const index = new DuplicateIndex();
    index.check('T-1', 'T-1|ACME|100', 1);
    index.check('T-2', 'T-2|ACME|101', 2);

    expect(index.check('T-1', 'T-1|ACME|100', 3)).toEqual({ sameKeyAs: 1, sameRowAs: 1 });
  });

  it('finds a repeated key with other content as the same key only', () => {
    const index = new DuplicateIndex();
    index.check('T-1', 'T-1|ACME|100', 1);

    expect(index.check('T-1', 'T-1|ACME|999', 2)).toEqual({ sameKeyAs: 1 });
  });

  it('always points back to the first row with the key', () => {
    const index = new DuplicateIndex();
    index.check('T-1', 'a', 5);
    index.check('T-1', 'b', 6);

    expect(index.check('T-1', 'b', 7)).toEqual({ sameKeyAs: 5 });
    expect(index.check('T-1', 'a', 8)).toEqual({ sameKeyAs: 5, sameRowAs: 5 });
  });

  it('without keys, finds rows with the same content as sameRowAs', () => {
    const index = new DuplicateIndex();

    expect(index.check(undefined, 'BTC|1614013209849|sell|4.2e-06|727', 1)).toEqual({});
    expect(index.check(undefined, 'BTC|1614013209849|sell|4.2e-06|728', 2)).toEqual({});
    expect(index.check(undefined, 'BTC|1614013209849|sell|4.2e-06|727', 3)).toEqual({ sameRowAs: 1 });
    expect(index.check(undefined, 'BTC|1614013209849|sell|4.2e-06|728', 4)).toEqual({ sameRowAs: 2 });
  });

  it('finds every earlier key after growing past thousands of entries', () => {
    const index = new DuplicateIndex();
    const startBytes = index.bytes;
    const n = 20_000;
    const reportedOnInsert: number[] = [];
    for (let row = 1; row <= n; row++) {
      const found = index.check(`T-${row}`, `T-${row}|X|${row}`, row);
      if (found.sameKeyAs !== undefined || found.sameRowAs !== undefined) reportedOnInsert.push(row);
    }

    expect(reportedOnInsert).toEqual([]);
    expect(index.bytes).toBeGreaterThan(startBytes);
    // 20,000 keys at most 70% full need at least 20,000 / 0.7 slots of 16 bytes.
    expect(index.bytes).toBeGreaterThanOrEqual((n / 0.7) * 16);
    const lost: number[] = [];
    for (let row = 1; row <= n; row++) {
      const found = index.check(`T-${row}`, `T-${row}|X|${row}`, n + row);
      if (found.sameKeyAs !== row || found.sameRowAs !== row) lost.push(row);
    }
    expect(lost).toEqual([]);
  });

  it('gives no false duplicate across 200,000 distinct random keys', () => {
    const random = rng(424242);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-';
    const seen = new Set<string>();
    const keys: string[] = [];
    while (keys.length < 200_000) {
      let key = '';
      const length = 4 + Math.floor(random() * 12);
      for (let i = 0; i < length; i++) key += alphabet[Math.floor(random() * alphabet.length)];
      if (!seen.has(key)) {
        seen.add(key);
        keys.push(key);
      }
    }
    const index = new DuplicateIndex();

    let falseDuplicates = 0;
    keys.forEach((key, i) => {
      const found = index.check(key, `${key}|row`, i + 1);
      if (found.sameKeyAs !== undefined || found.sameRowAs !== undefined) falseDuplicates++;
    });

    expect(falseDuplicates).toBe(0);
    // ...and each one is still there.
    expect(index.check(keys[0], `${keys[0]}|row`, 300_000)).toEqual({ sameKeyAs: 1, sameRowAs: 1 });
    expect(index.check(keys[199_999], 'other', 300_001)).toEqual({ sameKeyAs: 200_000 });
  });
});

describe('requireText', () => {
  it('passes UTF-8 text through unchanged, chunk by chunk', async () => {
    const text = Buffer.from('trade_id,symbol\nT-1,Société Générale\n');

    const out = await collect(requireText(chunksOf(...split(text, 7)), 'trades.csv'));

    expect(out.equals(text)).toBe(true);
  });

  it('rejects NUL bytes, naming the file', async () => {
    const bytes = Buffer.from('trade_id,symbol\nT-1,\0\0\0\n');

    await expect(collect(requireText(chunksOf(bytes), 'in/trades.csv'))).rejects.toThrow(UnreadableFileError);
    await expect(collect(requireText(chunksOf(bytes), 'in/trades.csv'))).rejects.toThrow(/^in\/trades\.csv: .*NUL/);
  });

  it.each([
    ['a UTF-16 LE byte-order mark (FF FE)', Buffer.from('\ufefftrade_id,symbol\n', 'utf16le')],
    ['a UTF-16 BE byte-order mark (FE FF)', Buffer.from([0xfe, 0xff, 0x00, 0x74, 0x00, 0x2c])],
  ])('rejects %s as UTF-16, naming the file', async (_what, bytes) => {
    expect(bytes[0] === 0xff || bytes[0] === 0xfe).toBe(true);

    await expect(collect(requireText(chunksOf(bytes), 'in/utf16.csv'))).rejects.toThrow(UnreadableFileError);
    await expect(collect(requireText(chunksOf(bytes), 'in/utf16.csv'))).rejects.toThrow(/^in\/utf16\.csv: .*UTF-16/);
  });

  it('rejects text that is mostly not UTF-8 (Latin-1 accents on every other byte)', async () => {
    const bytes = Buffer.from('aé'.repeat(500), 'latin1');

    await expect(collect(requireText(chunksOf(bytes), 'latin1.csv'))).rejects.toThrow(UnreadableFileError);
    await expect(collect(requireText(chunksOf(bytes), 'latin1.csv'))).rejects.toThrow(/^latin1\.csv: the file is not UTF-8 text/);
  });

  it('accepts UTF-8 with a few bad bytes', async () => {
    const bytes = Buffer.concat([Buffer.from('trade_id,symbol,desk\n'), Buffer.from('T-1,ACME,Z'), Buffer.from([0xe9]), Buffer.from('rich\n'.repeat(100))]);

    const out = await collect(requireText(chunksOf(bytes), 'few-bad.csv'));

    expect(out.equals(bytes)).toBe(true);
  });

  it('accepts a multi-byte character cut by the 4096-byte sniff boundary', async () => {
    // 4095 ASCII bytes, then "é" (C3 A9): the sniff sees only C3.
    const bytes = Buffer.concat([Buffer.from('x'.repeat(4095)), Buffer.from('é\n')]);

    const out = await collect(requireText(chunksOf(bytes), 'cut.csv'));

    expect(out.equals(bytes)).toBe(true);
  });

  it('does not count the cut character as a bad byte when the head is right at the 1-in-20 limit', async () => {
    // 3891 ASCII bytes and 204 lone 0xFF bytes fill 4095 bytes: 204 x 20 = 4080 <= 4095, just acceptable.
    // Byte 4096 is the first byte of "é" (C3 A9); counted as a bad character it would give
    // 205 x 20 = 4100 > 4096 and reject the file.
    const head = Buffer.alloc(4095, 'a');
    for (let i = 0; i < 204; i++) head[10 + i * 20] = 0xff;
    const bytes = Buffer.concat([head, Buffer.from('é and the rest\n')]);

    const out = await collect(requireText(chunksOf(bytes), 'edge.csv'));

    expect(out.equals(bytes)).toBe(true);
  });

  it('rejects one bad byte more than the 1-in-20 limit', async () => {
    const head = Buffer.alloc(4096, 'a');
    for (let i = 0; i < 205; i++) head[10 + i * 19] = 0xff;

    await expect(collect(requireText(chunksOf(head), 'edge.csv'))).rejects.toThrow(UnreadableFileError);
  });

  it('sniffs only the first 4 KiB, however the source splits them', async () => {
    const start = Buffer.from(`trade_id\n${'x'.repeat(4096)}\n`);
    const later = Buffer.from('aé'.repeat(500), 'latin1');

    const out = await collect(requireText(chunksOf(start.subarray(0, 3), start.subarray(3), later), 'later.csv'));

    expect(out.length).toBe(start.length + later.length);
  });

  it('sniffs across small chunks: non-UTF-8 text split into 1-byte chunks is still refused', async () => {
    const bytes = Buffer.from('aé'.repeat(500), 'latin1');

    await expect(collect(requireText(chunksOf(...Array.from(bytes, (b) => Buffer.from([b]))), 'split.csv'))).rejects.toThrow(UnreadableFileError);
  });
});

describe('TradeFileScanner', () => {
  const CSV = [
    'trade_id,timestamp,symbol,side,quantity,price,desk',
    'T-1,2026-12-01T09:00:00Z,ACME,buy,100,10.5,A',
    'T-2,2026-12-01T09:00:01Z,ACME,sell,200,10.6,B',
    'T-2,2026-12-01T09:00:01Z,ACME,sell,200,10.6,B',
    'T-3,2026-12-01T09:00:02Z,GLOBX,buy,50,99,A',
    '',
  ].join('\n');

  it('reads data rows numbered from 1, with the extra columns and the duplicates marked', async () => {
    const scanner = new TradeFileScanner('trades.csv');

    const rows = await scanAll(scanner, [Buffer.from(CSV)]);

    expect(rows.map((r) => r.sourceRow)).toEqual([1, 2, 3, 4]);
    expect(rows[0].fields).toEqual({ trade_id: 'T-1', timestamp: '2026-12-01T09:00:00Z', symbol: 'ACME', side: 'buy', quantity: '100', price: '10.5' });
    expect(rows.map((r) => r.extras)).toEqual([['A'], ['B'], ['B'], ['A']]);
    expect(rows[2].duplicateOf).toBe(2);
    expect(rows[2].duplicateRowOf).toBe(2);
    expect(rows[0].record).toBeUndefined();
    expect(scanner.rows).toBe(4);
  });

  it('keepRecords puts every field of the record on its row', async () => {
    const rows = await scanAll(new TradeFileScanner('trades.csv', { keepRecords: true }), [Buffer.from(CSV)]);

    expect(rows[0].record).toEqual(['T-1', '2026-12-01T09:00:00Z', 'ACME', 'buy', '100', '10.5', 'A']);
    expect(rows[3].record).toEqual(['T-3', '2026-12-01T09:00:02Z', 'GLOBX', 'buy', '50', '99', 'A']);
  });

  describe('with a schema without trade ids', () => {
    const header = 'symbol,timestamp,datetime,side,price,amount,btc_volume';
    const line = 'BRD/BTC,1614013209849,2021-02-22T17:00:09.849Z,sell,4.2e-06,727.0,0.0030534';
    const file = Buffer.from([header, line, line, ''].join('\n'));
    const columns = { symbol: 'symbol', timestamp: 'timestamp', side: 'side', price: 'price', quantity: 'amount', notional: 'btc_volume' };

    it('marks an identical row as a duplicate of the first by default', async () => {
      const scanner = new TradeFileScanner('b.csv', { schema: schemaOf({ columns, timestamp: { format: 'epoch_ms' } }) });

      const rows = await scanAll(scanner, [file]);

      expect(scanner.hasTradeIds).toBe(false);
      expect(rows[1].duplicateRowOf).toBe(1);
      expect(rows[1].duplicateOf).toBeUndefined();
    });

    it('leaves duplicateRowOf unset when the policy ignores DUPLICATE_ROW', async () => {
      const schema = schemaOf({ columns, timestamp: { format: 'epoch_ms' }, quality: { policy: { DUPLICATE_ROW: { action: 'ignore' } } } });

      const rows = await scanAll(new TradeFileScanner('b.csv', { schema }), [file]);

      expect(rows).toHaveLength(2);
      expect(rows[1].duplicateRowOf).toBeUndefined();
      expect(rows[1].duplicateOf).toBeUndefined();
      expect(rows[1].extras).toEqual(['2021-02-22T17:00:09.849Z']);
    });
  });

  it('leaves duplicateOf unset when the policy ignores DUPLICATE_TRADE_ID', async () => {
    const schema = schemaOf({ quality: { policy: { DUPLICATE_TRADE_ID: { action: 'ignore' } } } });

    const rows = await scanAll(new TradeFileScanner('trades.csv', { schema }), [Buffer.from(CSV)]);

    expect(rows[2].duplicateOf).toBeUndefined();
    expect(rows[2].duplicateRowOf).toBe(2);
  });

  it('with a headerless schema reads the first line as data row 1', async () => {
    const schema = schemaOf({ header: false, delimiter: ';', columns: { trade_id: 1, timestamp: 2, symbol: 3, side: 4, quantity: 5, price: 6 } });
    const text = 'A-1;2026-12-01T09:00:00Z;ACME;B;100;10.5\nA-2;2026-12-01T09:00:01Z;ACME;S;200;10.6\n';
    const scanner = new TradeFileScanner('raw.txt', { schema });

    const rows = await scanAll(scanner, [Buffer.from(text)]);

    expect(rows.map((r) => r.sourceRow)).toEqual([1, 2]);
    expect(rows[0].fields).toEqual({ trade_id: 'A-1', timestamp: '2026-12-01T09:00:00Z', symbol: 'ACME', side: 'B', quantity: '100', price: '10.5' });
    expect(scanner.layout?.header).toEqual(['column_1', 'column_2', 'column_3', 'column_4', 'column_5', 'column_6']);
    expect(scanner.dayContext().validRows).toBe(2);
  });

  it('reads gzip input as the same rows as the plain file, however the bytes are split', async () => {
    const plain = await scanAll(new TradeFileScanner('trades.csv'), [Buffer.from(CSV)]);
    const gz = gzipSync(Buffer.from(CSV));

    const whole = await scanAll(new TradeFileScanner('trades.csv.gz'), [gz]);
    const pieces = await scanAll(new TradeFileScanner('trades.csv.gz'), split(gz, 5));

    expect(gz[0]).toBe(0x1f);
    expect(whole).toEqual(plain);
    expect(pieces).toEqual(plain);
  });

  it('rejects a UTF-16 file with an UnreadableFileError naming it', async () => {
    const bytes = Buffer.from(`\ufeff${CSV}`, 'utf16le');

    await expect(scanAll(new TradeFileScanner('in/utf16.csv'), [bytes])).rejects.toThrow(UnreadableFileError);
    await expect(scanAll(new TradeFileScanner('in/utf16.csv'), [bytes])).rejects.toThrow(/in\/utf16\.csv/);
  });
});

describe('DuplicatePartitions and DuplicateMarks', () => {
  it('finds repeats far apart across partitions, in row order, and removes its files', () => {
    const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'dup-test-'));
    const parts = new DuplicatePartitions(true, tmpRoot);
    for (let row = 1; row <= 50_000; row++) parts.add(`T${row}`, `T${row},x`, row);
    parts.add('T7', 'T7,x', 50_001); // an exact copy of row 7
    parts.add('T9', 'T9,changed', 50_002); // the same id, other content
    const marks = parts.finish();
    expect(Array.from(marks.rows)).toEqual([50_001, 50_002]);
    expect(Array.from(marks.sameKeyAs)).toEqual([7, 9]);
    expect(Array.from(marks.sameRowAs)).toEqual([7, 0]);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  it('finds the same repeats when the partitions go to disk part-way (past its memory budget), and removes its files', () => {
    const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'dup-test-'));
    const inMemory = new DuplicatePartitions(true, tmpRoot);
    const spilling = new DuplicatePartitions(true, tmpRoot, 3_000);
    // Every 193rd row (after the first 5,000) is an exact copy of the row 5,000 before; every 97th
    // repeats that row's id with other content.
    const copyOf = (row: number) => (row > 5_000 && row % 193 === 0 ? row - 5_000 : row);
    const id = (row: number) => (row > 5_000 && row % 97 === 0 ? `T${row - 5_000}` : `T${copyOf(row)}`);
    let folders = 0;
    for (let row = 1; row <= 300_000; row++) {
      const content = copyOf(row) !== row ? `T${copyOf(row)},${copyOf(row)}` : `${id(row)},${row}`;
      inMemory.add(id(row), content, row);
      spilling.add(id(row), content, row);
      if (row === 290_000) folders = readdirSync(tmpRoot).length;
    }
    // The spilling one has made its folder of partition files by then; the other never makes one.
    expect(folders).toBe(1);
    const a = inMemory.finish();
    const b = spilling.finish();
    expect(a.size).toBeGreaterThan(4_000);
    expect(Array.from(a.sameRowAs).filter((r) => r > 0).length).toBeGreaterThan(1_000);
    expect({ rows: Array.from(b.rows), key: Array.from(b.sameKeyAs), row: Array.from(b.sameRowAs) }).toEqual({ rows: Array.from(a.rows), key: Array.from(a.sameKeyAs), row: Array.from(a.sameRowAs) });
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  it('without keys finds rows repeated by content', () => {
    const parts = new DuplicatePartitions(false);
    parts.add('', 'a,b', 1);
    parts.add('', 'a,c', 2);
    parts.add('', 'a,b', 3);
    const marks = parts.finish();
    expect(Array.from(marks.rows)).toEqual([3]);
    expect(Array.from(marks.sameRowAs)).toEqual([1]);
    expect(Array.from(marks.sameKeyAs)).toEqual([0]);
  });

  it('slices by row range, applies to a contiguous range of rows, and survives JSON', () => {
    const marks = new DuplicateMarks(Int32Array.from([3, 10, 12]), Int32Array.from([1, 0, 2]), Int32Array.from([1, 4, 0]));
    const slice = DuplicateMarks.fromJSON(JSON.parse(JSON.stringify(marks.slice(10, 20).toJSON())));
    expect(Array.from(slice.rows)).toEqual([10, 12]);
    const rows = Array.from({ length: 11 }, (_, i) => ({ sourceRow: 10 + i }) as { sourceRow: number; duplicateOf?: number; duplicateRowOf?: number });
    slice.apply(rows);
    expect(rows[0]).toEqual({ sourceRow: 10, duplicateRowOf: 4 });
    expect(rows[2]).toEqual({ sourceRow: 12, duplicateOf: 2 });
    expect(rows.filter((r) => r.duplicateOf !== undefined || r.duplicateRowOf !== undefined)).toHaveLength(2);
  });

  it('discards its files when a scan fails', () => {
    const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'dup-test-'));
    const parts = new DuplicatePartitions(true, tmpRoot, 1_000);
    for (let row = 1; row <= 300_000; row++) parts.add(`T${row}`, `T${row}`, row);
    expect(readdirSync(tmpRoot)).toHaveLength(1);
    parts.discard();
    expect(readdirSync(tmpRoot)).toEqual([]);
  });
});
