import { afterEach, describe, expect, it } from 'vitest';
import { tradingDayChunks } from '../../src/generate/trading-day.js';
import { ScoreWorkerPool, WorkerCrashedError } from '../../src/local/worker-pool.js';
import { CRASH_WORKER } from '../../src/local/worker-faults.js';
import { readChunkPart, type ChunkPartSpec } from '../../src/pipeline/chunk-part.js';
import { DEFAULT_SCHEMA } from '../../src/schema/schema-settings.js';
import { resolveColumns } from '../../src/schema/trade-schema.js';
import type { ScoreTaskInput } from '../../src/pipeline/manifest.js';

/**
 * The local run's thread pool: a part of a file read on a thread is what reading it here gives (its
 * bytes move to the thread), and a thread that dies fails every request, those waiting for a thread
 * included: none may hang.
 */
let pool: ScoreWorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

const task: ScoreTaskInput = { runId: 'r', bucket: 'b', manifestKey: 'runs/r/manifest.json', chunk: { index: 0, key: 'runs/r/chunks/00000.arrow', rows: 1, firstRow: 1 } };

describe('the local thread pool', () => {
  it('reads a part on a thread as it is read here, the bytes moved there', async () => {
    const csv = [...tradingDayChunks({ rows: 500, seed: 2, day: '2026-12-01', anomalyRate: 0.05 })].map((c) => c.csv).join('');
    const [header, ...lines] = csv.trimEnd().split('\n');
    const layout = resolveColumns('t.csv', header.split(','), DEFAULT_SCHEMA);
    const spec: ChunkPartSpec = { layout, width: header.split(',').length, schema: DEFAULT_SCHEMA, delimiter: ',', firstLine: 2, firstRow: 1, dataLines: lines.length, hashRepeats: true };
    const bytes = new TextEncoder().encode(`${lines.join('\n')}\n`);
    const here = await readChunkPart(bytes.slice(), spec);

    pool = new ScoreWorkerPool(1, 'http://127.0.0.1:1');
    const there = await pool.readPart(bytes, spec);
    expect(bytes.byteLength).toBe(0); // moved, not copied
    expect(there).toEqual(here);
    expect(here.readable && here.rows).toBe(500);
  });

  it('fails every request when a thread dies, those still waiting for a thread too', async () => {
    pool = new ScoreWorkerPool(1, 'http://127.0.0.1:1');
    const crashing = pool.score(task, CRASH_WORKER);
    const waiting = [pool.score(task), pool.score(task)];
    await expect(crashing).rejects.toBeInstanceOf(WorkerCrashedError);
    for (const w of waiting) await expect(w).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(pool.score(task)).rejects.toBeInstanceOf(WorkerCrashedError);
  });
});
