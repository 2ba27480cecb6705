import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/pipeline/manifest.js';
import { deriveRunId, fileStem } from '../../src/pipeline/run-id.js';
import type { Alert } from '../../src/ports/alert-sink.js';
import { getJson } from '../../src/ports/object-store.js';
import type { QualityCode } from '../../src/quality/quality-issues.js';
import { ingestS3Event } from '../../src/steps/ingest-step.js';
import type { RunSummary } from '../../src/steps/run-summary.js';
import { generateDays, tempDir, trainOn } from '../support/fixtures.js';
import { readParquetRows } from '../support/parquet-reader.js';
import { PipelineHarness, type HarnessRun, type HarnessRunOptions } from '../support/pipeline-harness.js';

/**
 * The bad-input matrix (issue 6): every way a daily file arrives broken, dropped into the embedded
 * bucket under incoming/ and driven through ingest, score and aggregate as the Lambda handlers drive
 * them. For each file: the outcome (rejected with a reason naming the file, ignored, or processed
 * with each bad row flagged by rule code and a message naming its field and value), the input object
 * unchanged (bytes and ETag), one alert saying what happened, and no partial result. On every
 * processed file the Parquet, the summary and the alert agree on rows, anomalies and bad rows.
 * Then delivery: the same object twice is one run, one result, one alert; a new version is a new run.
 */
const HEADER = 'trade_id,timestamp,symbol,side,quantity,price';
const DAY = '2026-12-01';

interface Trade {
  id: string;
  ts: string;
  symbol: string;
  side: string;
  qty: string;
  price: string;
}

/** The n-th (1-based) ordinary trade of the day: two symbols, `stepMs` apart from 10:00 UTC. */
function trade(n: number, stepMs = 37_000): Trade {
  const symbol = n % 2 ? 'ACME' : 'BOLT';
  const price = (symbol === 'ACME' ? 101.25 : 9.5) * (1 + ((n % 5) - 2) / 1000);
  const at = new Date(Date.parse(`${DAY}T10:00:00Z`) + n * stepMs).toISOString();
  return { id: `T${n}`, ts: at, symbol, side: n % 3 ? 'BUY' : 'SELL', qty: String(100 + (n % 7) * 10), price: price.toFixed(3) };
}

const fieldsOf = (t: Trade): string[] => [t.id, t.ts, t.symbol, t.side, t.qty, t.price];

/**
 * `count` trade lines joined by `delimiter`; `edits` changes some (by 1-based data row): a partial
 * trade overrides fields, a string replaces the whole line.
 */
function lines(count: number, edits: Record<number, Partial<Trade> | string> = {}, delimiter = ','): string[] {
  return Array.from({ length: count }, (_, i) => {
    const edit = edits[i + 1];
    if (typeof edit === 'string') return edit;
    return fieldsOf({ ...trade(i + 1), ...edit }).join(delimiter);
  });
}

const csv = (all: string[], eol = '\n') => `${all.join(eol)}${eol}`;
const standard = (count: number, edits: Record<number, Partial<Trade> | string> = {}) => csv([HEADER, ...lines(count, edits)]);

/** Deterministic bytes that are no text at all (NUL bytes included). */
function garbage(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = 0x2545f491;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** A flagged row: its 1-based data row, the rule code it must carry, and what its reason must say. */
interface Flag {
  row: number;
  code: QualityCode;
  message: RegExp;
}

type Expected =
  | { outcome: 'rejected'; reason: RegExp }
  | { outcome: 'ignored' }
  | {
      outcome: 'processed';
      /** Data rows in the input: the Parquet must hold exactly these, in order. */
      rows: number;
      /** Every rule broken; rows not listed break none. */
      flags: Flag[];
      chunks?: number;
      /** What else this case must show. */
      check?: (run: HarnessRun) => void;
    };

interface MatrixCase {
  name: string;
  file: string;
  body: string | Uint8Array;
  options?: HarnessRunOptions;
  expected: Expected;
}

const flag = (row: number, code: QualityCode, message: RegExp): Flag => ({ row, code, message });

/** The text of a column for a data row of the result. */
const column = (run: HarnessRun, row: number, name: string): unknown => run.rows![row - 1][name];

const reference = standard(40);
const bigNote = 'x'.repeat(3 * 1024 * 1024);

const cases: MatrixCase[] = [
  // Files that cannot be read as trades: rejected, with the reason naming the file.
  { name: 'an empty file', file: 'empty.csv', body: '', expected: { outcome: 'rejected', reason: /the file is empty \(no header row\)/ } },
  { name: 'blank lines only', file: 'blank-lines.csv', body: '\n\r\n\n', expected: { outcome: 'rejected', reason: /the file is empty \(no header row\)/ } },
  { name: 'a byte-order mark only', file: 'bom-only.csv', body: '\ufeff', expected: { outcome: 'rejected', reason: /the file is empty/ } },
  { name: 'a header only', file: 'header-only.csv', body: `${HEADER}\n`, expected: { outcome: 'rejected', reason: /the file has a header but no data rows/ } },
  { name: 'a header and blank lines (CRLF)', file: 'header-blank-crlf.csv', body: `${HEADER}\r\n\r\n\r\n`, expected: { outcome: 'rejected', reason: /the file has a header but no data rows/ } },
  {
    name: 'a header missing a required column',
    file: 'no-price.csv',
    body: csv(['trade_id,timestamp,symbol,side,quantity', ...lines(5).map((l) => l.slice(0, l.lastIndexOf(',')))]),
    expected: { outcome: 'rejected', reason: /header is missing required column price \(found: trade_id, timestamp, symbol, side, quantity;/ },
  },
  {
    name: 'a misspelled column',
    file: 'misspelled.csv',
    body: csv(['trade_id,timestamp,symbol,side,quantty,price', ...lines(5)]),
    expected: { outcome: 'rejected', reason: /missing required column quantity \(found: .*quantty/ },
  },
  {
    name: 'wrong columns altogether',
    file: 'wrong-columns.csv',
    body: csv(['id,when,what,how,qty,px', ...lines(5)]),
    expected: { outcome: 'rejected', reason: /missing required columns trade_id, timestamp, symbol, side, quantity, price/ },
  },
  { name: 'binary garbage', file: 'garbage.csv', body: garbage(8192), expected: { outcome: 'rejected', reason: /the file is binary, not text/ } },
  {
    name: 'bytes that are not UTF-8 (no NUL)',
    file: 'latin-noise.csv',
    body: Uint8Array.from({ length: 2000 }, (_, i) => 0x80 + ((i * 7) % 0x80)),
    expected: { outcome: 'rejected', reason: /the file is not UTF-8 text/ },
  },
  {
    name: 'UTF-16 text without a byte-order mark',
    file: 'utf16-no-bom.csv',
    body: new Uint8Array(Buffer.from(reference, 'utf16le')),
    expected: { outcome: 'rejected', reason: /UTF-16/ },
  },
  {
    name: 'a corrupt gzip',
    file: 'corrupt.csv.gz',
    body: new Uint8Array(Buffer.concat([gzipSync(Buffer.from(standard(400))).subarray(0, 200), Buffer.from('not deflate data at all')])),
    expected: { outcome: 'rejected', reason: /the gzip data is corrupt or cut short/ },
  },
  {
    name: 'a gzip cut short',
    file: 'cut.csv.gz',
    body: new Uint8Array(gzipSync(Buffer.from(standard(400))).subarray(0, 300)),
    expected: { outcome: 'rejected', reason: /the gzip data is corrupt or cut short/ },
  },

  // Objects the pipeline does not process at all.
  { name: 'a key outside incoming/', file: 'elsewhere.csv', body: reference, options: { key: 'elsewhere/trades.csv' }, expected: { outcome: 'ignored' } },
  { name: 'a key that only starts like incoming', file: 'incoming.csv', body: reference, options: { key: 'incoming.csv' }, expected: { outcome: 'ignored' } },
  { name: 'a folder marker under incoming/', file: 'folder', body: '', options: { key: 'incoming/2026/' }, expected: { outcome: 'ignored' } },

  // Readable files: every row kept, the bad ones flagged.
  {
    name: 'extra columns, one named like a result column',
    file: 'extra-columns.csv',
    body: csv([`desk,${HEADER},score,note`, ...lines(12).map((l, i) => `D${i % 2},${l},${i / 10},"n ${i}"`)]),
    expected: {
      outcome: 'processed',
      rows: 12,
      flags: [],
      check: (run) => {
        expect(column(run, 3, 'desk')).toBe('D0');
        expect(column(run, 3, 'source_score')).toBe('0.2');
        expect(column(run, 3, 'note')).toBe('n 2');
        expect(column(run, 3, 'trade_id')).toBe('T3');
      },
    },
  },
  { name: 'semicolons', file: 'semicolons.csv', body: csv([HEADER.replaceAll(',', ';'), ...lines(20, {}, ';')]), expected: { outcome: 'processed', rows: 20, flags: [] } },
  { name: 'tabs', file: 'tabs.tsv', body: csv([HEADER.replaceAll(',', '\t'), ...lines(20, {}, '\t')]), expected: { outcome: 'processed', rows: 20, flags: [] } },
  {
    name: 'a UTF-8 byte-order mark',
    file: 'bom.csv',
    body: `\ufeff${standard(20)}`,
    expected: { outcome: 'processed', rows: 20, flags: [], check: (run) => expect(column(run, 1, 'trade_id')).toBe('T1') },
  },
  { name: 'CRLF line ends', file: 'crlf.csv', body: csv([HEADER, ...lines(20)], '\r\n'), expected: { outcome: 'processed', rows: 20, flags: [] } },
  { name: 'lone CR line ends', file: 'cr.csv', body: csv([HEADER, ...lines(20)], '\r'), expected: { outcome: 'processed', rows: 20, flags: [] } },
  {
    name: 'a BOM, CRLF, quoted and padded header names',
    file: 'excel-export.csv',
    body: `\ufeff${csv(['"Trade_ID ","TIMESTAMP"," Symbol",Side,Quantity ,Price', ...lines(20)], '\r\n')}`,
    expected: { outcome: 'processed', rows: 20, flags: [] },
  },
  {
    name: 'quoted fields with commas, quotes and newlines, then a short row',
    file: 'quoted.csv',
    body: csv([
      `${HEADER},note`,
      ...lines(10).map((l, i) => `${l},${i === 2 ? '"one, two\nthree ""3""\r\nfour"' : `"plain ${i}"`}`),
      'T11,2026-12-01T11:00:00Z,"ACME, Inc",BUY,100',
    ]),
    expected: {
      outcome: 'processed',
      rows: 11,
      // Header on line 1; row 3's note spans lines 4-6, so row 11 starts on line 14.
      flags: [flag(11, 'MALFORMED_ROW', /^line 14: the row has 5 fields, the header has 7/), flag(11, 'MISSING_FIELD', /price is missing/)],
      check: (run) => {
        expect(column(run, 3, 'note')).toBe('one, two\nthree "3"\r\nfour');
        expect(column(run, 11, 'symbol')).toBe('ACME, Inc');
      },
    },
  },
  {
    name: 'a few bytes that are not UTF-8 in one field',
    file: 'stray-bytes.csv',
    body: new Uint8Array(Buffer.concat([Buffer.from(`${HEADER},note\n`), ...lines(20).map((l, i) => Buffer.concat([Buffer.from(`${l},caf`), i === 4 ? Buffer.from([0xe9]) : Buffer.from('e'), Buffer.from('\n')]))])),
    expected: { outcome: 'processed', rows: 20, flags: [], check: (run) => expect(column(run, 5, 'note')).toBe('caf\ufffd') },
  },
  {
    name: 'a truncated last line',
    file: 'truncated.csv',
    body: `${standard(40)}T41,2026-12-01T11:00:00Z,ACME,BU`,
    expected: {
      outcome: 'processed',
      rows: 41,
      flags: [flag(41, 'MALFORMED_ROW', /^line 42: the last line of the file is cut short/), flag(41, 'UNKNOWN_SIDE', /side 'BU'/), flag(41, 'MISSING_FIELD', /quantity is missing/), flag(41, 'MISSING_FIELD', /price is missing/)],
    },
  },
  {
    name: 'a single enormous line (3 MiB in one field)',
    file: 'enormous-line.csv',
    body: csv([`${HEADER},note`, ...lines(30).map((l, i) => `${l},${i === 14 ? bigNote : 'ok'}`)]),
    expected: {
      outcome: 'processed',
      rows: 30,
      flags: [flag(15, 'MALFORMED_ROW', /^line 16: the row is larger than the size limit and was cut/)],
      check: (run) => {
        expect((column(run, 15, 'note') as string).length).toBeLessThanOrEqual(1024 * 1024);
        expect(column(run, 15, 'trade_id')).toBe('T15');
        expect(column(run, 16, 'trade_id')).toBe('T16');
        expect(column(run, 16, 'note')).toBe('ok');
      },
    },
  },
  {
    name: 'a thousands separator, quoted and unquoted',
    file: 'thousands.csv',
    body: standard(20, { 4: { price: '"1,000.50"' }, 9: { qty: '1,000.50' } }),
    expected: {
      outcome: 'processed',
      rows: 20,
      flags: [flag(4, 'UNPARSABLE_NUMBER', /price '1,000.50' is not a number/), flag(9, 'MALFORMED_ROW', /^line 10: the row has 7 fields, the header has 6/)],
    },
  },
  {
    name: 'NaN, Infinity, -Infinity and 1e309',
    file: 'non-finite.csv',
    body: standard(20, { 2: { price: 'NaN' }, 5: { qty: 'Infinity' }, 7: { price: '-Infinity' }, 11: { price: '1e309' } }),
    expected: {
      outcome: 'processed',
      rows: 20,
      flags: [
        flag(2, 'NON_FINITE_NUMBER', /price 'NaN' is not a finite number/),
        flag(5, 'NON_FINITE_NUMBER', /quantity 'Infinity' is not a finite number/),
        flag(7, 'NON_FINITE_NUMBER', /price '-Infinity' is not a finite number/),
        flag(11, 'NON_FINITE_NUMBER', /price '1e309' is not a finite number/),
      ],
    },
  },
  {
    name: 'negative and zero values',
    file: 'non-positive.csv',
    body: standard(20, { 3: { price: '-101.2' }, 6: { qty: '0' }, 8: { price: '-0' }, 12: { qty: '-5' }, 14: { price: '0.000' } }),
    expected: {
      outcome: 'processed',
      rows: 20,
      flags: [
        flag(3, 'NON_POSITIVE_VALUE', /price '-101.2' is not positive/),
        flag(6, 'NON_POSITIVE_VALUE', /quantity '0' is not positive/),
        flag(8, 'NON_POSITIVE_VALUE', /price '-0' is not positive/),
        flag(12, 'NON_POSITIVE_VALUE', /quantity '-5' is not positive/),
        flag(14, 'NON_POSITIVE_VALUE', /price '0.000' is not positive/),
      ],
    },
  },
  {
    name: 'every timestamp form the default schema accepts',
    file: 'timestamps-valid.csv',
    body: standard(20, {
      1: { ts: '2026-12-01T10:00:01Z' },
      2: { ts: '2026-12-01T10:00:02.123z' },
      3: { ts: '2026-12-01T11:00:03+01:00' },
      4: { ts: '2026-12-01T05:00:04-05:00' },
      5: { ts: '2026-12-01T15:30:05+0530' },
      6: { ts: '2026-12-01T10:00:06' },
      7: { ts: '2026-12-01 10:00:07.5' },
      8: { ts: String(Date.parse('2026-12-01T10:00:08Z')) },
      9: { ts: String(Date.parse('2026-12-01T10:00:09Z') / 1000) },
      10: { ts: '2026-12-01T10:00:10.123456789Z' },
      11: { ts: '2026-12-01T10:00Z' },
    }),
    expected: {
      outcome: 'processed',
      rows: 20,
      flags: [],
      check: (run) => {
        const iso = (row: number) => (column(run, row, 'timestamp') as Date).toISOString();
        expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(iso)).toEqual([
          '2026-12-01T10:00:01.000Z',
          '2026-12-01T10:00:02.123Z',
          '2026-12-01T10:00:03.000Z',
          '2026-12-01T10:00:04.000Z',
          '2026-12-01T10:00:05.000Z',
          '2026-12-01T10:00:06.000Z',
          '2026-12-01T10:00:07.500Z',
          '2026-12-01T10:00:08.000Z',
          '2026-12-01T10:00:09.000Z',
          '2026-12-01T10:00:10.123Z',
          '2026-12-01T10:00:00.000Z',
        ]);
      },
    },
  },
  {
    name: 'invalid timestamps of every form',
    file: 'timestamps-invalid.csv',
    body: standard(24, {
      1: { ts: '2026-12-01T25:00:00Z' },
      2: { ts: '2026-13-01T10:00:00Z' },
      3: { ts: '2026-02-30T10:00:00Z' },
      4: { ts: '2026-12-01T10:00:60Z' },
      5: { ts: '2026-12-01T10:00:00+15:00' },
      6: { ts: '2026-12-01' },
      7: { ts: '01/12/2026 10:00:00' },
      8: { ts: 'yesterday' },
      9: { ts: '12345678' },
      10: { ts: '12345678901234567' },
      11: { ts: '1.7645e12' },
      12: { ts: '' },
      13: { ts: String(Date.parse('2026-12-02T10:00:00Z')) },
      14: { ts: String(Date.parse('2026-11-30T23:59:59Z') / 1000) },
    }),
    expected: {
      outcome: 'processed',
      rows: 24,
      flags: [
        flag(1, 'UNPARSABLE_TIMESTAMP', /timestamp '2026-12-01T25:00:00Z' is not a recognised date-time/),
        flag(2, 'UNPARSABLE_TIMESTAMP', /timestamp '2026-13-01T10:00:00Z'/),
        flag(3, 'UNPARSABLE_TIMESTAMP', /timestamp '2026-02-30T10:00:00Z'/),
        flag(4, 'UNPARSABLE_TIMESTAMP', /timestamp '2026-12-01T10:00:60Z'/),
        flag(5, 'UNPARSABLE_TIMESTAMP', /timestamp '2026-12-01T10:00:00\+15:00'/),
        flag(6, 'UNPARSABLE_TIMESTAMP', /timestamp '2026-12-01' is not/),
        flag(7, 'UNPARSABLE_TIMESTAMP', /timestamp '01\/12\/2026 10:00:00'/),
        flag(8, 'UNPARSABLE_TIMESTAMP', /timestamp 'yesterday'/),
        flag(9, 'UNPARSABLE_TIMESTAMP', /timestamp '12345678'/),
        flag(10, 'UNPARSABLE_TIMESTAMP', /timestamp '12345678901234567'/),
        flag(11, 'UNPARSABLE_TIMESTAMP', /timestamp '1.7645e12'/),
        flag(12, 'MISSING_FIELD', /timestamp is missing/),
        flag(13, 'OUTSIDE_TRADING_DAY', /timestamp 2026-12-02T10:00:00.000Z falls on 2026-12-02, not on the file's trading day 2026-12-01/),
        flag(14, 'OUTSIDE_TRADING_DAY', /falls on 2026-11-30, not on the file's trading day 2026-12-01/),
      ],
    },
  },
  {
    name: 'duplicate trade ids and an exact duplicate row',
    file: 'duplicates.csv',
    body: standard(24, {
      21: fieldsOf({ ...trade(21), id: 'T7' }).join(','),
      22: fieldsOf(trade(10)).join(','),
      23: fieldsOf({ ...trade(23), id: ' T3 ' }).join(','),
    }),
    expected: {
      outcome: 'processed',
      rows: 24,
      flags: [
        flag(21, 'DUPLICATE_TRADE_ID', /trade_id 'T7' repeats row 7/),
        flag(22, 'DUPLICATE_TRADE_ID', /trade_id 'T10' repeats row 10/),
        flag(22, 'DUPLICATE_ROW', /the row repeats row 10 exactly/),
        flag(23, 'DUPLICATE_TRADE_ID', /trade_id 'T3' repeats row 3/),
      ],
    },
  },
  {
    name: 'duplicate trade ids across chunks',
    file: 'duplicates-across-chunks.csv',
    body: standard(25, { 25: fieldsOf({ ...trade(25), id: 'T2' }).join(',') }),
    options: { chunkRows: 7 },
    expected: { outcome: 'processed', rows: 25, chunks: 4, flags: [flag(25, 'DUPLICATE_TRADE_ID', /trade_id 'T2' repeats row 2/)] },
  },
  {
    name: 'missing values and an unknown side',
    file: 'missing.csv',
    body: standard(20, { 2: { id: '' }, 4: { symbol: ' ' }, 6: { side: '' }, 8: { qty: '' }, 10: { side: 'HOLD' } }),
    expected: {
      outcome: 'processed',
      rows: 20,
      flags: [
        flag(2, 'MISSING_FIELD', /trade_id is missing/),
        flag(4, 'MISSING_FIELD', /symbol is missing/),
        flag(6, 'MISSING_FIELD', /side is missing/),
        flag(8, 'MISSING_FIELD', /quantity is missing/),
        flag(10, 'UNKNOWN_SIDE', /side 'HOLD' is neither buy nor sell/),
      ],
    },
  },
  {
    name: 'rows with too few and too many fields, and a stray quote',
    file: 'ragged.csv',
    body: standard(20, { 5: 'T5,2026-12-01T10:03:05Z,ACME,BUY,100', 9: `${fieldsOf(trade(9)).join(',')},extra`, 12: 'T12,2026-12-01T10:07:24Z,AC"ME,BUY,100,101.2' }),
    expected: {
      outcome: 'processed',
      rows: 20,
      flags: [
        flag(5, 'MALFORMED_ROW', /^line 6: the row has 5 fields, the header has 6/),
        flag(5, 'MISSING_FIELD', /price is missing/),
        flag(9, 'MALFORMED_ROW', /^line 10: the row has 7 fields, the header has 6/),
        flag(12, 'MALFORMED_ROW', /^line 13: a quote character stands inside an unquoted field/),
      ],
    },
  },
  {
    name: 'blank lines between rows and padded values',
    file: 'blank-and-padded.csv',
    body: csv([HEADER, ...lines(10, { 3: { qty: ' 120 ', side: ' sell ', symbol: ' ACME ' } }), '', '', ...lines(10).map((l) => l.replace(/^T/, 'U')), 'only-one-field']),
    expected: {
      outcome: 'processed',
      rows: 21,
      flags: [flag(21, 'MALFORMED_ROW', /^line 24: the row has 1 field, the header has 6/), flag(21, 'MISSING_FIELD', /timestamp is missing/), flag(21, 'MISSING_FIELD', /symbol is missing/), flag(21, 'MISSING_FIELD', /side is missing/), flag(21, 'MISSING_FIELD', /quantity is missing/), flag(21, 'MISSING_FIELD', /price is missing/)],
      check: (run) => {
        expect(column(run, 3, 'symbol')).toBe('ACME');
        expect(column(run, 3, 'side')).toBe('SELL');
        expect(column(run, 3, 'quantity')).toBe(120);
        expect(column(run, 11, 'trade_id')).toBe('U1');
      },
    },
  },
  {
    name: 'rows written with another delimiter than the header',
    file: 'mixed-delimiters.csv',
    body: csv([HEADER, ...lines(5, {}, ';')]),
    expected: {
      outcome: 'processed',
      rows: 5,
      flags: [1, 2, 3, 4, 5].flatMap((row) => [
        flag(row, 'MALFORMED_ROW', new RegExp(`^line ${row + 1}: the row has 1 field, the header has 6`)),
        ...(['timestamp', 'symbol', 'side', 'quantity', 'price'] as const).map((f) => flag(row, 'MISSING_FIELD', new RegExp(`${f} is missing`))),
      ]),
    },
  },
  {
    name: 'a delimiter at the end of every line',
    file: 'trailing-delimiter.csv',
    body: csv([`${HEADER},`, ...lines(12).map((l) => `${l},`)]),
    expected: { outcome: 'processed', rows: 12, flags: [], check: (run) => expect(column(run, 1, 'unnamed')).toBe('') },
  },
  {
    name: 'a column named twice',
    file: 'twice.csv',
    body: csv([`${HEADER},PRICE`, ...lines(12).map((l) => `${l},999`)]),
    expected: {
      outcome: 'processed',
      rows: 12,
      flags: [],
      check: (run) => {
        expect(column(run, 2, 'price')).toBe(Number(trade(2).price));
        expect(column(run, 2, 'source_PRICE')).toBe('999');
      },
    },
  },
  {
    name: 'a file cut inside a quoted field',
    file: 'cut-in-quotes.csv',
    body: `${csv([`${HEADER},note`, ...lines(10).map((l) => `${l},"fine"`)])}${fieldsOf(trade(11)).join(',')},"cut in the mid`,
    expected: { outcome: 'processed', rows: 11, flags: [flag(11, 'MALFORMED_ROW', /^line 12: a quoted field is never closed/)] },
  },
  {
    name: 'an unterminated quote in the middle of the file',
    file: 'open-quote.csv',
    body: standard(20, { 8: 'T8,2026-12-01T10:04:56Z,"ACME,BUY,100,101.2' }),
    expected: {
      outcome: 'processed',
      rows: 20,
      flags: [
        flag(8, 'MALFORMED_ROW', /^line 9: a quoted field is never closed/),
        ...(['side', 'quantity', 'price'] as const).map((f) => flag(8, 'MISSING_FIELD', new RegExp(`${f} is missing`))),
      ],
      check: (run) => {
        expect(column(run, 8, 'symbol')).toBe('ACME,BUY,100,101.2');
        expect(column(run, 9, 'trade_id')).toBe('T9');
      },
    },
  },
  {
    name: 'two stray quotes lines apart',
    file: 'two-stray-quotes.csv',
    body: standard(20, { 4: 'T4,2026-12-01T10:02:28Z,"ACME,BUY,100,101.2', 9: 'T9,2026-12-01T10:05:33Z,ACME,BUY,"100",101.2"' }),
    expected: {
      outcome: 'processed',
      rows: 20,
      flags: [
        flag(4, 'MALFORMED_ROW', /^line 5: a quoted field is never closed/),
        ...(['side', 'quantity', 'price'] as const).map((f) => flag(4, 'MISSING_FIELD', new RegExp(`${f} is missing`))),
        flag(9, 'MALFORMED_ROW', /^line 10: a quote character stands inside an unquoted field/),
        flag(9, 'UNPARSABLE_NUMBER', /price '101.2"' is not a number/),
      ],
    },
  },
  {
    name: 'an unclosed quote in a file over 1 MiB',
    file: 'open-quote-big.csv',
    // 6,000 rows of ~250 bytes: the quote would run past the reader's 1 MiB record limit.
    body: csv([
      `${HEADER},note`,
      ...Array.from({ length: 6000 }, (_, i) => (i === 7 ? 'T8,2026-12-01T10:00:40Z,"ACME,BUY,100,101.2,x' : `${fieldsOf(trade(i + 1, 5000)).join(',')},${'n'.repeat(190)}`)),
    ]),
    options: { chunkRows: 2500 },
    expected: {
      outcome: 'processed',
      rows: 6000,
      chunks: 3,
      flags: [
        flag(8, 'MALFORMED_ROW', /^line 9: a quoted field is never closed/),
        ...(['side', 'quantity', 'price'] as const).map((f) => flag(8, 'MISSING_FIELD', new RegExp(`${f} is missing`))),
      ],
      check: (run) => expect(column(run, 6000, 'trade_id')).toBe('T6000'),
    },
  },
  {
    name: 'a key with spaces, parentheses, a plus and non-ASCII characters',
    file: 'daily trades (2) é+1.csv',
    body: standard(20),
    expected: {
      outcome: 'processed',
      rows: 20,
      flags: [],
      check: (run) => {
        // S3 sends keys form-encoded: spaces as '+', everything else outside [A-Za-z0-9*._-] as %XX.
        expect(run.event.Records[0].s3.object.key).toBe('incoming/daily+trades+%282%29+%C3%A9%2B1.csv');
        expect(run.summary!.input.key).toBe('incoming/daily trades (2) é+1.csv');
        expect(run.summary!.result).toMatch(/\/results\/date=2026-12-01\/daily trades \(2\) é\+1\.parquet$/);
      },
    },
  },
  {
    name: 'a gzip file with a bad row',
    file: 'zipped.csv.gz',
    body: new Uint8Array(gzipSync(Buffer.from(standard(20, { 6: { price: 'abc' } })))),
    expected: { outcome: 'processed', rows: 20, flags: [flag(6, 'UNPARSABLE_NUMBER', /price 'abc' is not a number/)] },
  },
  {
    name: 'one row more than a chunk',
    file: 'chunk-plus-one.csv',
    body: standard(41),
    options: { chunkRows: 40 },
    expected: {
      outcome: 'processed',
      rows: 41,
      chunks: 2,
      flags: [],
      check: (run) => expect(run.rows!.map((r) => r.trade_id)).toEqual(Array.from({ length: 41 }, (_, i) => `T${i + 1}`)),
    },
  },
];

describe('bad input, repeated deliveries and consistency, through the three steps on the embedded S3', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let harness: PipelineHarness;

  beforeAll(async () => {
    tmp = await tempDir('bad-input');
    const days = await generateDays(tmp.dir, { rows: 3000, seed: 21, day: '2026-11-30', historyDays: 0 });
    harness = await PipelineHarness.start(tmp.dir, await trainOn([days.day.path]));
  });

  afterAll(async () => {
    await harness?.stop();
    await tmp?.cleanup();
  });

  /** Keys of the results and reports written for a file name (any day). */
  async function publishedFor(key: string): Promise<{ results: string[]; reports: string[] }> {
    const stem = fileStem(key);
    const results = (await harness.store.list('results/')).filter((k) => k.endsWith(`/${stem}.parquet`));
    const reports = (await harness.store.list('reports/')).filter((k) => k.includes(`/${stem}/`));
    return { results, reports };
  }

  describe('the bad-input matrix', () => {
    it('has at least 25 cases', () => {
      expect(cases.length).toBeGreaterThanOrEqual(25);
    });

    it.each(cases)('$name', async ({ file, body, options, expected }) => {
      const run = await harness.run(file, body, options);
      const bucket = harness.store.bucket;
      const fileName = run.key.slice(run.key.lastIndexOf('/') + 1);

      // The input object is never changed: same bytes, same ETag.
      expect(Buffer.from(run.inputAfter).equals(Buffer.from(body))).toBe(true);
      expect(run.etagAfter).toBe(run.etag);
      // The step is handed the key as S3 sends it, URL-encoded, and decodes it back.
      expect(decodeURIComponent(run.event.Records[0].s3.object.key.replaceAll('+', ' '))).toBe(run.key);

      if (expected.outcome === 'ignored') {
        expect(run.outcome).toEqual({ status: 'ignored', key: run.key, reason: 'only files under incoming/ are processed' });
        expect(run.alerts).toEqual([]);
        expect(await harness.store.list(`runs/${deriveRunId(bucket, run.key, run.etag)}/`)).toEqual([]);
        expect(await harness.store.head(`rejected/${run.key.slice(run.key.indexOf('/') + 1)}`)).toBeUndefined();
        expect(await publishedFor(run.key)).toEqual({ results: [], reports: [] });
        return;
      }

      if (expected.outcome === 'rejected') {
        expect(run.outcome.status).toBe('rejected');
        if (run.outcome.status !== 'rejected') return;
        expect(run.outcome.reason).toMatch(expected.reason);
        expect(run.outcome.reason).toContain(`s3://${bucket}/${run.key}`);
        // A copy and an error report under rejected/, and one alert giving the reason.
        expect(run.outcome.rejectedKey).toBe(`rejected/${fileName}`);
        expect(Buffer.from(await harness.store.get(run.outcome.rejectedKey)).equals(Buffer.from(body))).toBe(true);
        const report = await getJson<{ runId: string; reason: string; etag: string }>(harness.store, `${run.outcome.rejectedKey}.error.json`);
        expect(report).toMatchObject({ runId: run.outcome.runId, reason: run.outcome.reason, etag: run.etag });
        expect(run.alerts).toHaveLength(1);
        expect(run.alerts[0].attributes).toMatchObject({ severity: 'REJECTED', file: fileName });
        expect(run.alerts[0].subject).toContain('[REJECTED]');
        expect(run.alerts[0].message).toContain(`Reason: ${run.outcome.reason}`);
        // No run, no partial result.
        expect(run.executionsStarted).toBe(0);
        expect(await harness.store.head(`runs/${run.outcome.runId}/manifest.json`)).toBeUndefined();
        expect(await publishedFor(run.key)).toEqual({ results: [], reports: [] });
        return;
      }

      expect(run.outcome.status).toBe('started');
      if (run.outcome.status !== 'started') return;
      expect(run.executionsStarted).toBe(1);
      if (expected.chunks !== undefined) expect(run.outcome.chunks).toBe(expected.chunks);
      const rows = run.rows!;
      const summary = run.summary!;

      // Every data row, once, in input order.
      expect(rows).toHaveLength(expected.rows);
      expect(rows.map((r) => r.source_row)).toEqual(Array.from({ length: expected.rows }, (_, i) => i + 1));
      const manifest = await getJson<Manifest>(harness.store, `runs/${run.outcome.runId}/manifest.json`);
      expect(manifest.rows).toBe(expected.rows);
      expect(manifest.chunks.reduce((n, c) => n + c.rows, 0)).toBe(expected.rows);

      // Each bad row carries exactly the rules it broke, each with a message naming field and value.
      const issuesOf = (r: Record<string, unknown>) => r.quality_issues as string[];
      for (const r of rows) {
        const row = r.source_row as number;
        const want = [...new Set(expected.flags.filter((f) => f.row === row).map((f) => f.code))].sort();
        expect([...issuesOf(r)].sort(), `quality_issues of row ${row}`).toEqual(want);
        if (want.length) expect(r.is_anomaly, `is_anomaly of row ${row}`).toBe(true);
      }
      for (const f of expected.flags) expect(rows[f.row - 1].reasons, `reasons of row ${f.row}`).toMatch(f.message);

      // The summary, the Parquet and the alert agree.
      const anomalies = rows.filter((r) => r.is_anomaly).length;
      const badRows = rows.filter((r) => issuesOf(r).length > 0).length;
      expect(summary).toMatchObject({ rows: expected.rows, anomalies, badRows, scored: rows.filter((r) => r.score !== null).length });
      expect(summary.modelAnomalies).toBe(rows.filter((r) => r.score !== null && (r.score as number) >= summary.threshold).length);
      for (const code of new Set(expected.flags.map((f) => f.code))) {
        expect(summary.byReason[code], `byReason.${code}`).toBe(rows.filter((r) => issuesOf(r).includes(code)).length);
      }
      expect(run.alerts).toHaveLength(1);
      const [alert] = run.alerts;
      expect(alert.attributes.file).toBe(fileName);
      expect(alert.subject).toContain(`: ${anomalies} anomal`);
      expect(alert.message).toContain(`Rows: ${expected.rows}   scored by the model: ${summary.scored}   rows breaking data-quality rules: ${badRows}`);
      expect(alert.message).toContain(`Anomalies: ${anomalies} (`);
      for (const code of new Set(expected.flags.map((f) => f.code))) expect(alert.message).toContain(`  ${code}: ${summary.byReason[code]}`);
      if (expected.flags.length) {
        // The first bad row is among the alert's examples, with its row number and why.
        const first = expected.flags.reduce((a, b) => (b.row < a.row ? b : a));
        expect(alert.message).toContain(`  row ${first.row}  `);
        expect(alert.message).toMatch(first.message.source.startsWith('^') ? new RegExp(first.message.source.slice(1)) : first.message);
      } else {
        expect(alert.message).toContain('Examples of rows breaking data-quality rules (0 shown)');
      }
      expect(alert.message).toContain(`Result (Parquet): ${summary.result}`);

      // Exactly one result and one report for the file, and the report is the summary.
      const published = await publishedFor(run.key);
      expect(published.results).toEqual([summary.result.slice(`s3://${bucket}/`.length)]);
      expect(published.reports).toEqual([summary.report, summary.summaryUri].map((uri) => uri.slice(`s3://${bucket}/`.length)));
      expect(await getJson<RunSummary>(harness.store, published.reports[1])).toEqual(JSON.parse(JSON.stringify(summary)));
      expect(await harness.store.head(`rejected/${fileName}`)).toBeUndefined();

      expected.check?.(run);
    });
  });

  describe('repeated deliveries and new versions', () => {
    /** The run ids with anything under runs/ for a file name. */
    async function runIdsFor(file: string): Promise<string[]> {
      const stem = fileStem(file);
      const ids = (await harness.store.list('runs/')).map((k) => k.split('/')[1]).filter((id) => id.startsWith(`${stem}-`) && /^[0-9a-f]{16}$/.test(id.slice(stem.length + 1)));
      return [...new Set(ids)];
    }

    it('gives one run, one result and one alert for the same event delivered twice', async () => {
      const run = await harness.run('delivered-twice.csv', standard(20), { deliveries: 2 });

      expect(run.outcomes.map((o) => o.status)).toEqual(['started', 'duplicate']);
      expect(run.outcomes[1]).toEqual({ status: 'duplicate', runId: run.outcome.status === 'started' ? run.outcome.runId : '' });
      expect(run.executionsStarted).toBe(1);
      expect(run.alerts).toHaveLength(1);
      expect(run.alerts[0].attributes.severity).not.toBe('REJECTED');
      expect(await runIdsFor('delivered-twice.csv')).toHaveLength(1);
      expect((await publishedFor(run.key)).results).toHaveLength(1);
      expect(run.rows).toHaveLength(20);
    });

    it('gives one rejection and one alert for a bad file delivered twice', async () => {
      const run = await harness.run('rejected-twice.csv', `${HEADER}\n`, { deliveries: 2 });

      expect(run.outcomes.map((o) => o.status)).toEqual(['rejected', 'duplicate']);
      expect(run.alerts).toHaveLength(1);
      expect(run.alerts[0].attributes.severity).toBe('REJECTED');
      expect(run.executionsStarted).toBe(0);
      expect(await publishedFor(run.key)).toEqual({ results: [], reports: [] });
    });

    it('treats the same bytes uploaded again (same ETag) as the same run: no second run, no second alert', async () => {
      const body = standard(20);
      const first = await harness.run('uploaded-twice.csv', body);
      const second = await harness.run('uploaded-twice.csv', body);

      expect(second.etag).toBe(first.etag);
      expect(first.outcome.status).toBe('started');
      expect(second.outcomes).toEqual([{ status: 'duplicate', runId: first.outcome.status === 'started' ? first.outcome.runId : '' }]);
      expect(second.executionsStarted).toBe(0);
      expect(first.alerts).toHaveLength(1);
      expect(second.alerts).toEqual([]);
      expect((await publishedFor(first.key)).results).toHaveLength(1);
    });

    it('reaches the same run when the event encodes the key differently (slashes as %2F)', async () => {
      const run = await harness.run('encoded-slashes.csv', standard(20));
      expect(run.outcome.status).toBe('started');
      const event = structuredClone(run.event);
      event.Records[0].s3.object.key = run.event.Records[0].s3.object.key.replaceAll('/', '%2F');
      const alerts: Alert[] = [];
      const started: string[] = [];

      const [outcome] = await ingestS3Event(event, {
        storeFor: () => harness.store,
        alerts: { publish: async (a) => void alerts.push(a) },
        // The run exists: Step Functions refuses its name a second time.
        executions: { start: async (name) => (started.push(name), false) },
        stage: 'test',
        chunkRows: 1000,
      });

      expect(outcome).toEqual({ status: 'duplicate', runId: run.outcome.status === 'started' ? run.outcome.runId : '' });
      expect(started).toEqual([outcome.status === 'duplicate' ? outcome.runId : '']);
      expect(alerts).toEqual([]);
    });

    it('runs a new version of the same key (new bytes, new ETag) again and replaces its result', async () => {
      const first = await harness.run('versioned.csv', standard(20));
      const second = await harness.run('versioned.csv', standard(25, { 22: { price: 'abc' } }));

      expect(second.etag).not.toBe(first.etag);
      expect(first.outcome.status).toBe('started');
      expect(second.outcome.status).toBe('started');
      if (first.outcome.status !== 'started' || second.outcome.status !== 'started') return;
      expect(second.outcome.runId).not.toBe(first.outcome.runId);
      expect(second.executionsStarted).toBe(1);
      expect(first.alerts).toHaveLength(1);
      expect(second.alerts).toHaveLength(1);
      expect(second.alerts[0].message).toContain(`Run: ${second.outcome.runId}`);
      expect(second.alerts[0].message).toContain('UNPARSABLE_NUMBER: 1');
      expect((await runIdsFor('versioned.csv')).sort()).toEqual([first.outcome.runId, second.outcome.runId].sort());

      // One result for the day and file name: the new version's.
      const published = await publishedFor(second.key);
      expect(published.results).toEqual([`results/date=${DAY}/versioned.parquet`]);
      expect(await readParquetRows(await harness.store.get(published.results[0]))).toHaveLength(25);
      expect((await getJson<RunSummary>(harness.store, published.reports.find((k) => k.endsWith('/summary.json'))!)).runId).toBe(second.outcome.runId);
    });

    it('processes a rejected file once a fixed version replaces it', async () => {
      const bad = await harness.run('fixed-later.csv', `${HEADER}\n`);
      const fixed = await harness.run('fixed-later.csv', standard(20));

      expect(bad.outcome.status).toBe('rejected');
      expect(fixed.outcome.status).toBe('started');
      expect(fixed.alerts).toHaveLength(1);
      expect(fixed.alerts[0].attributes.severity).not.toBe('REJECTED');
      expect(fixed.rows).toHaveLength(20);
      expect((await publishedFor(fixed.key)).results).toHaveLength(1);
    });

    it('rejects a bad new version of a processed file, with its own alert', async () => {
      const good = await harness.run('broken-later.csv', standard(20));
      const broken = await harness.run('broken-later.csv', garbage(4096));

      expect(good.outcome.status).toBe('started');
      expect(broken.outcome.status).toBe('rejected');
      expect(broken.alerts).toHaveLength(1);
      expect(broken.alerts[0].attributes.severity).toBe('REJECTED');
      expect(broken.executionsStarted).toBe(0);
      expect(Buffer.from(await harness.store.get('rejected/broken-later.csv')).equals(Buffer.from(garbage(4096)))).toBe(true);
    });
  });
});
