import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTradingDay } from '../../src/generate/trading-day.js';
import { runLocal, type LocalRunResult } from '../../src/local/local-run.js';
import type { AnomalyModel } from '../../src/model/anomaly-model.js';
import { saveModelToDir } from '../../src/model/model-store.js';
import { ChunkListError, INLINE_CHUNK_LIST_MAX_BYTES, INLINE_MAP_MAX_CHUNKS, inlineChunkList, withChunkList } from '../../src/pipeline/chunk-list.js';
import { chunkListKeyOf, type ChunkRef, type ExecutionInput, type Manifest } from '../../src/pipeline/manifest.js';
import { getJson } from '../../src/ports/object-store.js';
import { generateDays, tempDir, trainOn } from '../support/fixtures.js';
import { readParquetRows } from '../support/parquet-reader.js';
import { PipelineHarness } from '../support/pipeline-harness.js';

/**
 * The switch from the inline Map to the Distributed Map, as the runtime sees it: ingest puts the chunk
 * list in the execution input only while it is short (at most 40 chunks, its JSON at most 200 KiB),
 * and always writes it to runs/<runId>/chunks.json, where the Distributed Map's ItemReader reads it;
 * the local orchestrator follows the same rule. (The state machine's side is in test/infra.)
 */
const ref = (index: number, key = `runs/trades-0123456789abcdef/chunks/${String(index).padStart(5, '0')}.arrow`): ChunkRef => ({
  index,
  key,
  rows: 100_000,
  firstRow: index * 100_000 + 1,
});

describe('which chunk lists travel inline', () => {
  it.each([
    { chunks: 1, inline: true },
    { chunks: INLINE_MAP_MAX_CHUNKS, inline: true },
    { chunks: INLINE_MAP_MAX_CHUNKS + 1, inline: false },
    { chunks: 1000, inline: false },
  ])('$chunks chunks of ordinary keys: inline $inline', ({ chunks, inline }) => {
    expect(inlineChunkList(Array.from({ length: chunks }, (_, i) => ref(i)))).toBe(inline);
  });

  it('keeps a list near the 256 KiB state limit out of the input, however few its chunks', () => {
    // 10 chunks whose keys make the list's JSON just over / just under 200 KiB.
    const keyOf = (bytes: number) => (i: number) => ref(i, `runs/${'x'.repeat(bytes)}/${i}`);
    const over = Array.from({ length: 10 }, (_, i) => keyOf(Math.ceil(INLINE_CHUNK_LIST_MAX_BYTES / 10))(i));
    const under = Array.from({ length: 10 }, (_, i) => keyOf(Math.floor(INLINE_CHUNK_LIST_MAX_BYTES / 10) - 200)(i));
    expect(Buffer.byteLength(JSON.stringify(over))).toBeGreaterThan(INLINE_CHUNK_LIST_MAX_BYTES);
    expect(Buffer.byteLength(JSON.stringify(under))).toBeLessThanOrEqual(INLINE_CHUNK_LIST_MAX_BYTES);
    expect(inlineChunkList(over)).toBe(false);
    expect(inlineChunkList(under)).toBe(true);
  });
});

describe('ingest and the local orchestrator with many chunks, through the embedded S3', () => {
  const CHUNK_ROWS = 20;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let model: AnomalyModel;
  let modelDir: string;
  let dayFile: string;
  let harness: PipelineHarness;

  beforeAll(async () => {
    tmp = await tempDir('distributed-map');
    const days = await generateDays(tmp.dir, { rows: 2000, seed: 21, day: '2026-12-01', historyDays: 1 });
    model = await trainOn(days.history.map((h) => h.path));
    modelDir = path.join(tmp.dir, 'model');
    await saveModelToDir(modelDir, model);
    // 45 chunks of 20 rows; anomalies at 3% so the counts by reason have something to add up.
    dayFile = path.join(tmp.dir, 'many-chunks.csv');
    await writeTradingDay({ rows: 45 * CHUNK_ROWS, seed: 22, day: '2026-12-01', anomalyRate: 0.03 }, dayFile);
    harness = await PipelineHarness.start(tmp.dir, model);
  });

  afterAll(async () => {
    await harness?.stop();
    await tmp?.cleanup();
  });

  /** The header and the first `rows` data rows of the day file. */
  async function firstRows(rows: number): Promise<string> {
    const { readFile } = await import('node:fs/promises');
    return (await readFile(dayFile, 'utf8')).split('\n').slice(0, rows + 1).join('\n') + '\n';
  }

  it.each([
    { chunks: INLINE_MAP_MAX_CHUNKS, inline: true },
    { chunks: INLINE_MAP_MAX_CHUNKS + 1, inline: false },
  ])('ingest of $chunks chunks writes the list to S3 and puts it in the execution input: $inline', async ({ chunks, inline }) => {
    const run = await harness.run(`rows-${chunks}.csv`, await firstRows(chunks * CHUNK_ROWS), { chunkRows: CHUNK_ROWS });
    expect(run.outcome).toMatchObject({ status: 'started', chunks });
    expect(run.executionsStarted).toBe(1);
    const input = run.executionInputs[0]!;
    const manifest = await getJson<Manifest>(harness.store, input.manifestKey);
    expect(input.chunksKey).toBe(chunkListKeyOf(manifest.runId));
    expect(input.chunkCount).toBe(chunks);
    // The Distributed Map's items: a JSON array of the manifest's chunks, in order.
    expect(await getJson<ChunkRef[]>(harness.store, input.chunksKey)).toEqual(manifest.chunks);
    if (inline) expect(input.chunks).toEqual(manifest.chunks);
    else expect(input).not.toHaveProperty('chunks');
    // Either way the run completes: every row scored into the result.
    expect(run.summary?.rows).toBe(chunks * CHUNK_ROWS);
    expect(run.rows?.map((r) => r.source_row)).toEqual(Array.from({ length: chunks * CHUNK_ROWS }, (_, i) => i + 1));
  });

  it('refuses a chunk list in S3 that does not match the chunk count of the execution input', async () => {
    const run = await harness.run('rows-mismatch.csv', await firstRows(42 * CHUNK_ROWS), { chunkRows: CHUNK_ROWS });
    const input: ExecutionInput = { ...run.executionInputs[0]!, chunkCount: 43 };
    await expect(withChunkList(harness.store, input)).rejects.toThrow(ChunkListError);
    await expect(withChunkList(harness.store, input)).rejects.toThrow(/lists 42 chunks, the execution input says 43/);
  });

  describe('run FILE of 45 chunks (the Distributed Map path) against the same file in one chunk (the inline path)', () => {
    let many: LocalRunResult;
    let one: LocalRunResult;
    let chunksScored: number[];

    beforeAll(async () => {
      chunksScored = [];
      const common = { file: dayFile, modelDir, concurrency: 2 };
      many = await runLocal({
        ...common,
        chunkRows: CHUNK_ROWS,
        outDir: path.join(tmp.dir, 'out-many'),
        stateDir: path.join(tmp.dir, 'state-many'),
        onProgress: (e) => void (e.step === 'score' && chunksScored.push(e.summary.index)),
      });
      one = await runLocal({ ...common, chunkRows: 45 * CHUNK_ROWS, outDir: path.join(tmp.dir, 'out-one'), stateDir: path.join(tmp.dir, 'state-one') });
    });

    it('scores all 45 chunks from the list in S3 and aggregates them', () => {
      expect(many.outcome).toMatchObject({ status: 'started', chunks: 45 });
      expect(one.outcome).toMatchObject({ status: 'started', chunks: 1 });
      expect([...chunksScored].sort((a, b) => a - b)).toEqual(Array.from({ length: 45 }, (_, i) => i));
      expect(many.summary?.rows).toBe(45 * CHUNK_ROWS);
    });

    it('gives the same result and the same counts, reasons included, as the inline path', async () => {
      const [a, b] = [many.summary!, one.summary!];
      expect(a.anomalies).toBeGreaterThan(0);
      expect(Object.keys(a.byReason).length).toBeGreaterThan(0);
      expect({ rows: a.rows, badRows: a.badRows, anomalies: a.anomalies, byReason: a.byReason }).toEqual({
        rows: b.rows,
        badRows: b.badRows,
        anomalies: b.anomalies,
        byReason: b.byReason,
      });
      const pick = (rows: Record<string, unknown>[]) => rows.map((r) => [r.source_row, r.trade_id, r.score, r.is_anomaly, r.reasons]);
      const [rowsMany, rowsOne] = await Promise.all([
        readParquetRows(path.join(tmp.dir, 'out-many', 'many-chunks.parquet')),
        readParquetRows(path.join(tmp.dir, 'out-one', 'many-chunks.parquet')),
      ]);
      expect(rowsMany).toHaveLength(45 * CHUNK_ROWS);
      expect(pick(rowsMany)).toEqual(pick(rowsOne));
    });
  });
});
