import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { previousTradingDays, tradingDayChunks } from '../../src/generate/trading-day.js';
import { saveModelToStore } from '../../src/model/model-store.js';
import { trainFromSources } from '../../src/model/train-model.js';
import { readChunkPart, type ChunkPartSpec } from '../../src/pipeline/chunk-part.js';
import { chunkInParts, type PartReader } from '../../src/pipeline/chunking-in-parts.js';
import { DEFAULT_SCHEMA, parseSchemaText, type TradeSchema } from '../../src/schema/schema-settings.js';
import { ingestObject, type IngestDeps, type IngestOutcome } from '../../src/steps/ingest-step.js';
import { MemoryObjectStore } from '../property/memory-object-store.js';

/**
 * Ingest with the rows read in parts (the local run's threads) against ingest in one pass (Lambda's):
 * every object it writes (chunks, repeats, context, chunk list, manifest but its time) is the same,
 * byte for byte, on files that can be read in parts, and on files that cannot (which fall back to
 * the single pass, saying why). The parts are read in this thread here; the local run's threads run
 * the same readChunkPart.
 */

const KEY = 'incoming/trades-2026-12-01.csv';
let template: MemoryObjectStore;
let day: string;

const csvOf = (rows: number, seed: number, date: string) => [...tradingDayChunks({ rows, seed, day: date, anomalyRate: 0.03 })].map((c) => c.csv).join('');

beforeAll(async () => {
  const [history] = previousTradingDays('2026-12-01', 1);
  const historyBytes = new TextEncoder().encode(csvOf(1500, 3, history));
  const model = await trainFromSources([{ name: 'history.csv', open: async function* () { yield historyBytes; } }]);
  template = new MemoryObjectStore();
  await saveModelToStore(template, model, true);
  day = csvOf(1200, 4, '2026-12-01');
});

interface Ingested {
  outcome: IngestOutcome;
  objects: Map<string, Uint8Array>;
  onePass: string[];
  partsRead: number;
}

interface IngestOptions {
  chunkRows?: number;
  partRows?: number;
  piece?: number;
  schema?: IngestDeps['schema'];
  /** No model promoted in the bucket. */
  noModel?: boolean;
  /** How the parts are read (default: readChunkPart in this thread). */
  read?: PartReader['read'];
  /** A put that fails for keys matching this. */
  failPut?: RegExp;
}

async function ingest(body: Uint8Array | string, inParts: boolean, options: IngestOptions = {}): Promise<Ingested> {
  const store = new MemoryObjectStore(template.bucket);
  if (!options.noModel) for (const [k, v] of template.objects) store.objects.set(k, v);
  if (options.failPut) {
    const put = store.put.bind(store);
    const failing = options.failPut;
    store.put = async (key, value) => {
      if (failing.test(key)) throw new Error(`put ${key} failed`);
      return put(key, value);
    };
  }
  store.streamPiece = options.piece ?? 4096;
  await store.put(KEY, body);
  const head = (await store.head(KEY))!;
  const onePass: string[] = [];
  let partsRead = 0;
  const reader: PartReader = {
    read: async (bytes: Uint8Array, spec: ChunkPartSpec) => {
      partsRead++;
      return (options.read ?? readChunkPart)(bytes, spec);
    },
  };
  const outcome = await ingestObject(
    { bucket: store.bucket, key: KEY, etag: head.etag, size: head.size },
    {
      storeFor: () => store,
      alerts: { publish: async () => {} },
      executions: { start: async () => true },
      stage: 'test',
      chunkRows: options.chunkRows ?? 100,
      schema: options.schema,
      ...(inParts ? { parts: { reader, inFlight: 3, partRows: options.partRows ?? 30, onOnePass: (reason: string) => onePass.push(reason) } } : {}),
    },
  );
  const objects = new Map([...store.objects].filter(([k]) => !template.objects.has(k) && k !== KEY));
  return { outcome, objects, onePass, partsRead };
}

/** The manifest and a rejection report without their times; every other object as it is. */
function comparable(objects: Map<string, Uint8Array>): Record<string, string> {
  return Object.fromEntries(
    [...objects].map(([k, v]) => {
      if (!k.endsWith('/manifest.json') && !k.endsWith('.error.json')) return [k, Buffer.from(v).toString('base64')];
      const { createdAt: _createdAt, rejectedAt: _rejectedAt, ...rest } = JSON.parse(Buffer.from(v).toString('utf8')) as Record<string, unknown>;
      return [k, JSON.stringify(rest)];
    }),
  );
}

async function expectSameAsOnePass(body: Uint8Array | string, options: IngestOptions = {}): Promise<Ingested> {
  const [one, parts] = [await ingest(body, false, options), await ingest(body, true, options)];
  expect(parts.outcome).toEqual(one.outcome);
  expect(Object.keys(comparable(parts.objects)).sort()).toEqual(Object.keys(comparable(one.objects)).sort());
  expect(comparable(parts.objects)).toEqual(comparable(one.objects));
  return parts;
}

/** The generated day with its lines changed by `edit` (line 0 is the header). */
function editLines(edit: (lines: string[]) => string[]): string {
  return edit(day.split('\n')).join('\n');
}

describe('ingest in parts gives what ingest in one pass gives', () => {
  it('a generated day (repeats across parts, bad rows), whatever the chunk size and how the bytes arrive', async () => {
    for (const [chunkRows, partRows, piece] of [
      [100, 30, 4096],
      [100, 100, 4096],
      [1, 10, 7],
      [37, 8, 100_000],
      [1200, 1200, 1000],
      [1200, 7, 1000],
      [5000, 10_000, 333],
    ]) {
      const parts = await expectSameAsOnePass(day, { chunkRows, partRows, piece });
      expect(parts.onePass).toEqual([]);
      // Parts of partRows rows, ending where each chunk ends.
      const perChunk = Math.ceil(Math.min(chunkRows, 1200) / partRows);
      expect(parts.partsRead).toBe(Math.floor(1200 / chunkRows) * perChunk + (1200 % chunkRows ? Math.ceil((1200 % chunkRows) / partRows) : 0));
    }
    const { objects } = await ingest(day, true);
    const manifest = JSON.parse(Buffer.from([...objects].find(([k]) => k.endsWith('manifest.json'))![1]).toString()) as { duplicateChunks: number[]; rows: number };
    expect(manifest.rows).toBe(1200);
    expect(manifest.duplicateChunks.length).toBeGreaterThan(0);
  });

  it.each([
    ['CRLF line ends', () => day.replaceAll('\n', '\r\n')],
    ['blank lines between rows, at a part boundary and at the end', () => editLines((l) => [...l.slice(0, 101), '', '', ...l.slice(101, 300), '\r', ...l.slice(300), '', ''])],
    ['no line end after the last row', () => day.trimEnd()],
    ['a last row cut short', () => day.trimEnd().slice(0, -25)],
    ['every field quoted, quotes and delimiters inside', () => editLines((l) => l.map((line, i) => (line && i % 7 === 3 ? line.split(',').map((f, j) => (j === 2 ? `"${f}, ""x"""` : `"${f}"`)).join(',') : line)))],
    ['rows with the wrong field count and stray quotes', () => editLines((l) => l.map((line, i) => (i % 50 === 5 ? `${line},extra` : i % 50 === 9 ? line.replace(',', ',ab"c') : line)))],
    ['non-ASCII text and a byte-order mark at the start', () => `\uFEFF${editLines((l) => l.map((line, i) => (i % 20 === 4 ? line.replace(/,([A-Z]+),/, ',ÉTÉ€😀,') : line)))}`],
    ['a header-only file', () => `${day.split('\n')[0]}\n`],
  ])('%s', async (_what, body) => {
    const parts = await expectSameAsOnePass(body());
    expect(parts.onePass).toEqual([]);
  });

  it.each([
    ['a quoted field across lines', () => editLines((l) => l.map((line, i) => (i === 150 ? line.replace(/,([A-Z]+),/, ',"A\nB",') : line))), /records on .* lines|UNTERMINATED/],
    ['a quote never closed', () => editLines((l) => l.map((line, i) => (i === 150 ? line.replace(/,([A-Z]+),/, ',"AB,') : line))), /UNTERMINATED_QUOTE/],
    ['lone CR line ends', () => day.replaceAll('\n', '\r'), /no LF ends the header/],
    ['CR CR LF line ends (a CRLF file converted twice)', () => day.replaceAll('\n', '\r\r\n'), /CR without an LF/],
    ['a header ending in CR CR LF', () => day.replace('\n', '\r\r\n'), /header line holds a CR/],
    ['a CR inside a quoted header field', () => editLines((l) => [`${l[0]},"no\rte"`, ...l.slice(1).map((line) => (line ? `${line},x` : line))]), /header line holds a CR/],
    ['a CR inside a quoted field', () => editLines((l) => l.map((line, i) => (i === 150 ? line.replace(/,([A-Z]+),/, ',"A\rB",') : line))), /CR without an LF/],
    ['a byte-order mark where a part starts', () => editLines((l) => l.map((line, i) => (i === 101 ? `\uFEFF${line}` : line))), /byte-order mark/],
    ['gzip', () => gzipSync(day), /gzip-compressed/],
    ['a header that does not fit the schema', () => `a,b,c\n1,2,3\n`, /./],
    ['an empty file', () => '', /empty/],
    ['binary bytes', () => new Uint8Array(5000).fill(0), /binary/],
  ])('%s: read in one pass, with its reason', async (_what, body, reason) => {
    const parts = await expectSameAsOnePass(body());
    expect(parts.onePass).toHaveLength(1);
    expect(parts.onePass[0]).toMatch(reason);
  });

  it('a file without a header (a schema that says so): in one pass', async () => {
    const schema = parseSchemaText('header: false\ncolumns: { trade_id: 1, timestamp: 2, symbol: 3, side: 4, quantity: 5, price: 6 }', 'headerless.yaml');
    const parts = await expectSameAsOnePass(day.split('\n').slice(1).join('\n'), { schema });
    expect(parts.onePass).toEqual(['the file has no header line']);
  });

  it('a file whose only lines after the header are CRs, with no model promoted: rejected as having no rows, as in one pass', async () => {
    const parts = await expectSameAsOnePass(`${day.split('\n')[0]}\n\r\r\n\r\r\n`, { noModel: true });
    expect(parts.outcome.status).toBe('rejected');
    expect(parts.onePass).toEqual([expect.stringMatching(/CR without an LF/)]);
  });
});

describe('ingest in parts when something fails', () => {
  it('fails with the error of a part that cannot be read (a thread that died), whatever is still in flight', async () => {
    let calls = 0;
    const read: PartReader['read'] = async (bytes, spec) => {
      if (++calls === 2) throw new Error('worker exited with code 70');
      return readChunkPart(bytes, spec);
    };
    await expect(ingest(day, true, { read })).rejects.toThrow('worker exited with code 70');
  });

  it('fails with the error of a chunk that cannot be written, even one written while the next parts are read', async () => {
    await expect(ingest(day, true, { failPut: /chunks\/00001/ })).rejects.toThrow(/put .*chunks\/00001.arrow failed/);
    await expect(ingest(day, true, { failPut: /chunks\/00011/ })).rejects.toThrow(/put .*chunks\/00011.arrow failed/);
  });

  it('stops reading the file when it gives up on parts, however early', async () => {
    const cases: [string, Uint8Array, TradeSchema][] = [
      ['gzip', gzipSync(day), DEFAULT_SCHEMA],
      ['binary', new Uint8Array(5000), DEFAULT_SCHEMA],
      ['no header', new TextEncoder().encode(day), { ...DEFAULT_SCHEMA, header: false }],
      ['a record across lines', new TextEncoder().encode(day.replace(/,([A-Z]+),/, ',"A\nB",')), DEFAULT_SCHEMA],
    ];
    for (const [what, bytes, schema] of cases) {
      let closed = false;
      const source: AsyncIterable<Uint8Array> = {
        [Symbol.asyncIterator]() {
          let at = 0;
          return {
            next: async () => (at < bytes.length ? { done: false, value: bytes.subarray(at, (at += 1000)) } : { done: true, value: undefined }),
            return: async () => ((closed = true), { done: true, value: undefined }),
          };
        },
      };
      const outcome = await chunkInParts({ file: what, schema, chunkRows: 100, source, parts: { read: readChunkPart }, inFlight: 2, beforeRows: async () => {}, writeChunk: async () => {} });
      expect(outcome.chunked, what).toBe(false);
      expect(closed, what).toBe(true);
    }
  });
});
