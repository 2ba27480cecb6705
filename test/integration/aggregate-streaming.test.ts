import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeScoredChunk } from '../../src/chunks/chunk-format.js';
import { EmbeddedS3 } from '../../src/local/embedded-s3.js';
import { previousTradingDays, writeTradingDay } from '../../src/generate/trading-day.js';
import { ModelCache, saveModelToStore } from '../../src/model/model-store.js';
import { scoredChunkKey, type ChunkSummary, type ExecutionInput, type Manifest } from '../../src/pipeline/manifest.js';
import { objectCreatedEvent } from '../../src/pipeline/s3-event.js';
import type { Alert } from '../../src/ports/alert-sink.js';
import { getJson, type ObjectStore } from '../../src/ports/object-store.js';
import { tableToParquet } from '../../src/result/parquet-result.js';
import { aggregateRun, REPORTS_PREFIX, RESULTS_PREFIX, runSummaryKey, stagingKey } from '../../src/steps/aggregate-step.js';
import { ingestS3Event } from '../../src/steps/ingest-step.js';
import type { RunSummary } from '../../src/steps/run-summary.js';
import { scoreChunk } from '../../src/steps/score-step.js';
import { tempDir, trainOn } from '../support/fixtures.js';
import { readParquetColumns, readParquetRows } from '../support/parquet-reader.js';

/**
 * Aggregate streams the result (chunk by chunk into the Parquet writer, a multipart upload to a
 * staging key) and publishes it atomically (a copy to results/ once complete). Checked against the
 * whole-table writer it replaced, and with failures injected at each point of the publish.
 */
const DAY = '2026-11-24';
const LARGE_ROWS = 200_000;
const LARGE_CHUNK_ROWS = 10_000;
/** Row groups that end inside chunks, so the test covers groups spanning chunks (the default, 1,048,576, exceeds the file). */
const ROW_GROUP_ROWS = 64_000;
const SMALL_ROWS = 4_000;
const SMALL_CHUNK_ROWS = 1_000;

/** A promise and the function that resolves it (Promise.withResolvers is Node 22's). */
function resolvable(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A store that fails chosen calls (each failure once) and passes everything else to `inner`. */
function failingStore(inner: ObjectStore, fail: { copy?: boolean; put?: (key: string) => boolean; get?: (key: string) => boolean }): ObjectStore {
  const injected = (what: string) => Object.assign(new Error(`injected: ${what} failed`), { name: 'InjectedFault' });
  const once = { copy: fail.copy ?? false, put: new Set<string>(), get: new Set<string>() };
  return {
    bucket: inner.bucket,
    get: async (key) => {
      if (fail.get?.(key) && !once.get.has(key)) {
        once.get.add(key);
        throw injected(`GetObject ${key}`);
      }
      return inner.get(key);
    },
    getStream: (key) => inner.getStream(key),
    head: (key) => inner.head(key),
    put: async (key, body, type) => {
      if (fail.put?.(key) && !once.put.has(key)) {
        once.put.add(key);
        throw injected(`PutObject ${key}`);
      }
      return inner.put(key, body, type);
    },
    ...(inner.putStream ? { putStream: inner.putStream.bind(inner) } : {}),
    copy: async (from, to) => {
      if (once.copy) {
        once.copy = false;
        throw injected(`CopyObject ${from} -> ${to}`);
      }
      return inner.copy(from, to);
    },
    list: (prefix) => inner.list(prefix),
  };
}

interface ScoredRun {
  execution: ExecutionInput;
  scored: ChunkSummary[];
  manifest: Manifest;
}

describe('aggregate: a streamed, atomically published result', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let s3: EmbeddedS3;
  let store: ObjectStore;
  let models: ModelCache;
  let largeCsv: Uint8Array;
  let smallCsv: Uint8Array;

  beforeAll(async () => {
    tmp = await tempDir('aggregate');
    const [history] = previousTradingDays(DAY, 1);
    const historyFile = path.join(tmp.dir, 'history.csv');
    await writeTradingDay({ rows: 30_000, seed: 21, day: history, anomalyRate: 0.002 }, historyFile);
    const model = await trainOn([historyFile]);
    await writeTradingDay({ rows: LARGE_ROWS, seed: 22, day: DAY, anomalyRate: 0.002 }, path.join(tmp.dir, 'large.csv'));
    await writeTradingDay({ rows: SMALL_ROWS, seed: 23, day: DAY, anomalyRate: 0.01 }, path.join(tmp.dir, 'small.csv'));
    largeCsv = new Uint8Array(await readFile(path.join(tmp.dir, 'large.csv')));
    smallCsv = new Uint8Array(await readFile(path.join(tmp.dir, 'small.csv')));
    s3 = await EmbeddedS3.start(path.join(tmp.dir, 's3'));
    store = s3.store();
    await saveModelToStore(store, model, true);
    models = new ModelCache();
  }, 300_000);

  afterAll(async () => {
    await s3?.stop();
    await tmp?.cleanup();
  });

  /** Ingest and score a file as the state machine would, up to (not including) aggregate. */
  async function scoreFile(name: string, body: Uint8Array, chunkRows: number): Promise<ScoredRun> {
    const key = `incoming/${name}`;
    await store.put(key, body, 'text/csv');
    const head = (await store.head(key))!;
    let execution: ExecutionInput | undefined;
    await ingestS3Event(objectCreatedEvent({ bucket: store.bucket, key, etag: head.etag, size: head.size }), {
      storeFor: () => store,
      alerts: { publish: async () => undefined },
      executions: { start: async (_name, input) => ((execution = input as ExecutionInput), true) },
      stage: 'test',
      chunkRows,
    });
    if (!execution) throw new Error(`${name} was not started`);
    const run = execution;
    const scored: ChunkSummary[] = [];
    for (const chunk of run.chunks!) {
      scored.push(await scoreChunk({ runId: run.runId, bucket: run.bucket, manifestKey: run.manifestKey, chunk }, { storeFor: () => store, models }));
    }
    return { execution: run, scored, manifest: await getJson<Manifest>(store, run.manifestKey) };
  }

  function aggregate(run: ScoredRun, on: ObjectStore, alerts: Alert[], rowGroupRows?: number): Promise<RunSummary> {
    return aggregateRun({ ...run.execution, scored: run.scored }, { storeFor: () => on, alerts: { publish: async (a) => void alerts.push(a) }, models, stage: 'test', rowGroupRows });
  }

  const keyOf = (uri: string) => uri.slice(`s3://${store.bucket}/`.length);
  const publishedUnder = async (prefix: string, stem: string) => (await store.list(prefix)).filter((k) => k.includes(stem));

  describe(`a ${LARGE_ROWS.toLocaleString('en-US')}-row file in chunks of ${LARGE_CHUNK_ROWS.toLocaleString('en-US')}`, () => {
    let run: ScoredRun;
    let summary: RunSummary;
    let streamed: Uint8Array;
    let wholeTable: Uint8Array;
    let failure: unknown;
    let failedLeft: { staged: unknown; results: string[]; reports: string[] };

    beforeAll(async () => {
      run = await scoreFile('large.csv', largeCsv, LARGE_CHUNK_ROWS);
      // First an aggregate that fails on reading the last scored chunk, after three row groups were
      // written out: nothing may be published, and the retry must not see any of it.
      const last = scoredChunkKey(run.manifest.runId, run.manifest.chunks.at(-1)!.index);
      failure = await aggregate(run, failingStore(store, { get: (key) => key === last }), [], ROW_GROUP_ROWS).catch((e: unknown) => e);
      failedLeft = {
        staged: await store.head(stagingKey(run.manifest.runId)),
        results: await publishedUnder(RESULTS_PREFIX, 'large'),
        reports: await publishedUnder(REPORTS_PREFIX, 'large'),
      };
      summary = await aggregate(run, store, [], ROW_GROUP_ROWS);
      streamed = await store.get(keyOf(summary.result));
      const tables = [];
      for (const chunk of run.manifest.chunks) tables.push(decodeScoredChunk(await store.get(scoredChunkKey(run.manifest.runId, chunk.index))));
      wholeTable = tableToParquet(tables[0].concat(...tables.slice(1)), ROW_GROUP_ROWS);
      // Ingest and score of 200,000 rows take ~25 s alone, several times that on a busy 2-core machine.
    }, 600_000);

    it('leaves nothing staged or published when the stream fails part-way', () => {
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(/injected: GetObject .*scored/);
      expect(failedLeft).toEqual({ staged: undefined, results: [], reports: [] });
    });

    it('is byte for byte the file the whole table written at once gives, row groups spanning chunks', async () => {
      expect(Buffer.from(streamed).equals(Buffer.from(wholeTable))).toBe(true);
      const file = streamed.buffer.slice(streamed.byteOffset, streamed.byteOffset + streamed.byteLength) as ArrayBuffer;
      const meta = parquetMetadata(file);
      expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([64_000, 64_000, 64_000, 8_000]);
      expect(Number(meta.num_rows)).toBe(LARGE_ROWS);
      expect(await store.get(stagingKey(run.manifest.runId))).toEqual(streamed);
    });

    it('has the same columns, types and rows, in input order, as the whole table written at once (read by hyparquet)', async () => {
      expect(await readParquetColumns(streamed)).toEqual(await readParquetColumns(wholeTable));
      const [a, b] = [await readParquetRows(streamed), await readParquetRows(wholeTable)];
      expect(a).toHaveLength(LARGE_ROWS);
      expect(b).toHaveLength(LARGE_ROWS);
      let firstDifference = -1;
      for (let i = 0; i < a.length && firstDifference < 0; i++) if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) firstDifference = i;
      expect(firstDifference, `row ${firstDifference + 1} differs`).toBe(-1);
      expect(a.map((r) => r.source_row)).toEqual(Array.from({ length: LARGE_ROWS }, (_, i) => i + 1));
    });

    it("counts the summary while streaming as a pass over the whole table does", async () => {
      const rows = await readParquetRows(wholeTable);
      const scoredRows = rows.filter((r) => r.score !== null);
      const byModel = scoredRows.filter((r) => (r.score as number) >= summary.threshold);
      expect(summary.rows).toBe(LARGE_ROWS);
      expect(summary.anomalies).toBe(rows.filter((r) => r.is_anomaly).length);
      expect(summary.badRows).toBe(rows.filter((r) => (r.quality_issues as string[]).length > 0).length);
      expect(summary.scored).toBe(scoredRows.length);
      expect(summary.modelAnomalies).toBe(byModel.length);
      expect(summary.anomalies).toBeGreaterThan(0);
      // The top anomalies: a stable sort of every model flag by score (ties in input order), first 10.
      const top = [...byModel].sort((x, y) => (y.score as number) - (x.score as number)).slice(0, 10);
      expect(summary.topAnomalies.map((t) => t.sourceRow)).toEqual(top.map((r) => r.source_row));
      const quality = rows.filter((r) => (r.quality_issues as string[]).length > 0).slice(0, 5);
      expect(summary.qualityExamples.map((q) => q.sourceRow)).toEqual(quality.map((r) => r.source_row));
    });
  });

  describe('S3ObjectStore.putStream (the staging write)', () => {
    const MiB = 1024 * 1024;
    async function* body(parts: number, failAfter?: number): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < parts; i++) {
        if (i === failAfter) throw new Error('injected: the producer failed');
        yield new Uint8Array(MiB).fill(i);
      }
    }

    it('uploads a body larger than a part (multipart) whole', async () => {
      await store.putStream!('runs/put-stream/whole.bin', body(12));
      const got = await store.get('runs/put-stream/whole.bin');
      expect(got.byteLength).toBe(12 * MiB);
      expect(got[11 * MiB]).toBe(11);
    });

    it("leaves no object when the body fails after several parts, and passes on the body's own error", async () => {
      await expect(store.putStream!('runs/put-stream/failed.bin', body(12, 11))).rejects.toThrow('injected: the producer failed');
      expect(await store.head('runs/put-stream/failed.bin')).toBeUndefined();
    });
  });

  describe('atomic publish', () => {
    let clean: Uint8Array;

    beforeAll(async () => {
      const run = await scoreFile('clean.csv', smallCsv, SMALL_CHUNK_ROWS);
      clean = await store.get(keyOf((await aggregate(run, store, [])).result));
    });

    it('leaves nothing under results/ or reports/ when the copy to results/ fails, and the retry publishes the same bytes as a clean run', async () => {
      const run = await scoreFile('copy-fails.csv', smallCsv, SMALL_CHUNK_ROWS);
      const alerts: Alert[] = [];

      await expect(aggregate(run, failingStore(store, { copy: true }), alerts)).rejects.toThrow(/injected: CopyObject/);

      expect(await publishedUnder(RESULTS_PREFIX, 'copy-fails')).toEqual([]);
      expect(await publishedUnder(REPORTS_PREFIX, 'copy-fails')).toEqual([]);
      expect(await store.head(runSummaryKey(run.manifest.runId))).toBeUndefined();
      expect(alerts).toEqual([]);
      // The complete file waits under runs/ (expires with the run's other working files).
      expect(await store.get(stagingKey(run.manifest.runId))).toEqual(clean);

      const summary = await aggregate(run, store, alerts);

      expect(await store.get(keyOf(summary.result))).toEqual(clean);
      expect(await publishedUnder(REPORTS_PREFIX, 'copy-fails')).toEqual([`${REPORTS_PREFIX}date=${DAY}/copy-fails/report.html`, `${REPORTS_PREFIX}date=${DAY}/copy-fails/summary.json`]);
      expect(alerts).toHaveLength(1);
    });

    it('publishes nothing when the stream fails before its end: no staged object, no result', async () => {
      const run = await scoreFile('stream-fails.csv', smallCsv, SMALL_CHUNK_ROWS);
      const third = scoredChunkKey(run.manifest.runId, 2);

      await expect(aggregate(run, failingStore(store, { get: (key) => key === third }), [])).rejects.toThrow(/injected: GetObject/);

      expect(await store.head(stagingKey(run.manifest.runId))).toBeUndefined();
      expect(await publishedUnder(RESULTS_PREFIX, 'stream-fails')).toEqual([]);
      expect(await publishedUnder(REPORTS_PREFIX, 'stream-fails')).toEqual([]);
      const summary = await aggregate(run, store, []);
      expect(await store.get(keyOf(summary.result))).toEqual(clean);
    });

    it("reads each chunk only once it is scored (the local run's early aggregate), to the same result", async () => {
      const run = await scoreFile('gated.csv', smallCsv, SMALL_CHUNK_ROWS);
      const chunks = run.manifest.chunks.map((c) => c.index);
      const opened = new Map(chunks.map((i) => [i, resolvable()]));
      const read: string[] = [];
      const firstRead = resolvable();
      const chunkKeys = new Set(chunks.map((i) => scoredChunkKey(run.manifest.runId, i)));
      const watching: ObjectStore = {
        ...failingStore(store, {}),
        get: async (key) => {
          if (chunkKeys.has(key)) {
            read.push(key);
            firstRead.resolve();
          }
          return store.get(key);
        },
      };
      const summary = aggregateRun(
        { ...run.execution, scored: run.scored },
        { storeFor: () => watching, alerts: { publish: async () => undefined }, models, stage: 'test', chunkScored: (i) => opened.get(i)!.promise },
      );
      opened.get(chunks[0])!.resolve();
      await firstRead.promise;
      // Give aggregate every chance to run ahead: it must still be waiting for the second chunk.
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(read).toEqual([scoredChunkKey(run.manifest.runId, chunks[0])]);
      expect(await publishedUnder(RESULTS_PREFIX, 'gated')).toEqual([]);

      for (const i of chunks.slice(1)) opened.get(i)!.resolve();
      const done = await summary;
      expect(read).toEqual(chunks.map((i) => scoredChunkKey(run.manifest.runId, i)));
      expect(await store.get(keyOf(done.result))).toEqual(clean);
    });

    it('publishes nothing when a chunk it waits for is never scored, and fails with that chunk\'s error', async () => {
      const run = await scoreFile('gate-fails.csv', smallCsv, SMALL_CHUNK_ROWS);
      const alerts: Alert[] = [];
      const failure = new Error('injected: chunk 2 failed for good');
      const chunkScored = (i: number) => (i === 2 ? Promise.reject(failure) : Promise.resolve());
      await expect(
        aggregateRun({ ...run.execution, scored: run.scored }, { storeFor: () => store, alerts: { publish: async (a) => void alerts.push(a) }, models, stage: 'test', chunkScored }),
      ).rejects.toBe(failure);
      expect(alerts).toEqual([]);
      expect(await publishedUnder(RESULTS_PREFIX, 'gate-fails')).toEqual([]);
      expect(await publishedUnder(REPORTS_PREFIX, 'gate-fails')).toEqual([]);
      expect(await store.head(stagingKey(run.manifest.runId))).toBeUndefined();
    });

    it('finishes on a rerun after the alert failed: the same result, the summary, one alert', async () => {
      const run = await scoreFile('alert-fails.csv', smallCsv, SMALL_CHUNK_ROWS);
      let attempts = 0;
      const alerts: Alert[] = [];
      const sink = {
        publish: async (a: Alert) => {
          if (++attempts === 1) throw new Error('injected: SNS Publish failed');
          alerts.push(a);
        },
      };
      const deps = { storeFor: () => store, alerts: sink, models, stage: 'test' };

      await expect(aggregateRun({ ...run.execution, scored: run.scored }, deps)).rejects.toThrow(/injected: SNS/);
      // The result is complete (published before the summary), the run is not marked done.
      expect(await store.head(runSummaryKey(run.manifest.runId))).toBeUndefined();

      const summary = await aggregateRun({ ...run.execution, scored: run.scored }, deps);

      expect(alerts).toHaveLength(1);
      expect(await store.get(keyOf(summary.result))).toEqual(clean);
      expect(await getJson<RunSummary>(store, runSummaryKey(run.manifest.runId))).toEqual(summary);
    });

    it('is idempotent once done: a rerun returns the summary without writing or alerting again', async () => {
      const run = await scoreFile('rerun.csv', smallCsv, SMALL_CHUNK_ROWS);
      const alerts: Alert[] = [];
      const first = await aggregate(run, store, alerts);
      const writes: string[] = [];
      const watching: ObjectStore = {
        ...failingStore(store, {}),
        put: async (key, body, type) => {
          writes.push(key);
          await store.put(key, body, type);
        },
        putStream: async (key, body, type) => {
          writes.push(key);
          await store.putStream!(key, body, type);
        },
        copy: async (from, to) => {
          writes.push(to);
          await store.copy(from, to);
        },
      };

      const again = await aggregate(run, watching, alerts);

      expect(again).toEqual(first);
      expect(writes).toEqual([]);
      expect(alerts).toHaveLength(1);
    });
  });
});
