import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANOMALY_TYPES } from '../../src/generate/trading-day.js';
import { readLabels } from '../../src/evaluate/labels.js';
import { RunFailedError } from '../../src/local/local-state-machine.js';
import { CRASH_WORKER } from '../../src/local/worker-faults.js';
import { runLocal, type LocalRunResult } from '../../src/local/local-run.js';
import { saveModelToDir } from '../../src/model/model-store.js';
import type { RunSummary } from '../../src/steps/run-summary.js';
import { generateDays, tempDir, trainOn, type GeneratedDays } from '../support/fixtures.js';
import { readParquetColumns, readParquetRows } from '../support/parquet-reader.js';

/**
 * The whole flow as a user runs it: `run FILE` on a generated day, through the embedded S3, ingest,
 * chunks scored on worker threads, aggregate. Checked with an independent Parquet reader.
 */
const ROWS = 20_000;
const CHUNK_ROWS = 6_000;

/** What the alert must name for each injected type: the rule code or the model's reason. */
const ALERT_REASON_BY_TYPE: Record<(typeof ANOMALY_TYPES)[number], RegExp> = {
  fat_finger: /model:price_deviation|model:price_jump/,
  price_spike: /model:price_deviation|model:price_jump/,
  quantity_spike: /model:quantity_deviation/,
  off_hours: /model:time_rarity/,
  impossible_value: /NON_POSITIVE_VALUE/,
  missing_field: /MISSING_FIELD/,
  duplicate_trade: /DUPLICATE_TRADE_ID/,
};

describe('run FILE on the embedded default', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let days: GeneratedDays;
  let modelDir: string;
  let run: LocalRunResult;
  let rows: Record<string, unknown>[];
  let labels: Map<number, string>;
  const onePass: string[] = [];

  beforeAll(async () => {
    tmp = await tempDir('e2e');
    days = await generateDays(tmp.dir, { rows: ROWS, seed: 5, day: '2026-12-01', historyDays: 2 });
    modelDir = path.join(tmp.dir, 'model');
    await saveModelToDir(modelDir, await trainOn(days.history.map((h) => h.path)));
    run = await runLocal({
      file: days.day.path,
      modelDir,
      outDir: path.join(tmp.dir, 'out'),
      stateDir: path.join(tmp.dir, 'state'),
      chunkRows: CHUNK_ROWS,
      concurrency: 2,
      onProgress: (e) => void (e.step === 'one-pass' && onePass.push(e.reason)),
    });
    rows = await readParquetRows(path.join(tmp.dir, 'out', 'trades.parquet'));
    labels = await readLabels(days.day.labelsPath);
  });

  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('writes the Parquet result, summary.json, alert.json and the daily report into the output folder', () => {
    expect(run.outcome.status).toBe('started');
    expect(run.files.map((f) => path.basename(f)).sort()).toEqual(['alert.json', 'report.html', 'summary.json', 'trades.parquet']);
  });

  it("reads the file's rows on the score threads (a plain file is never read again in one pass)", () => {
    expect(onePass).toEqual([]);
  });

  it('reads a file whose record spans lines in one pass, says why, and keeps the record whole', async () => {
    const lines = (await readFile(days.day.path, 'utf8')).split('\n');
    const venue = lines[0].split(',').indexOf('venue');
    const fields = lines[7001].split(',');
    fields[venue] = '"X\nY"';
    lines[7001] = fields.join(',');
    const file = path.join(tmp.dir, 'spanning.csv');
    await writeFile(file, lines.join('\n'));
    const reasons: string[] = [];
    const spanning = await runLocal({
      file,
      modelDir,
      outDir: path.join(tmp.dir, 'out-spanning'),
      stateDir: path.join(tmp.dir, 'state-spanning'),
      chunkRows: CHUNK_ROWS,
      concurrency: 2,
      onProgress: (e) => void (e.step === 'one-pass' && reasons.push(e.reason)),
    });
    expect(spanning.summary?.rows).toBe(ROWS);
    expect(reasons).toEqual([expect.stringMatching(/records on \d+ lines/)]);
    const read = await readParquetRows(path.join(tmp.dir, 'out-spanning', 'spanning.parquet'));
    expect(read.find((r) => r.source_row === 7001)?.venue).toBe('X\nY');
  });

  it('keeps every input row, in input order, with its source_row', () => {
    expect(rows).toHaveLength(ROWS);
    expect(rows.map((r) => r.source_row)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
  });

  it('has the result columns of the contract, typed', async () => {
    const columns = await readParquetColumns(path.join(tmp.dir, 'out', 'trades.parquet'));
    expect(columns.map((c) => c.name)).toEqual([
      'source_row', 'trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price',
      'currency', 'account', 'venue', 'trader', 'score', 'is_anomaly', 'reasons', 'quality_issues',
    ]);
    const first = rows[0];
    expect(first.timestamp).toBeInstanceOf(Date);
    expect(typeof first.price).toBe('number');
    expect(typeof first.is_anomaly).toBe('boolean');
    for (const r of rows) {
      if (r.score !== null) expect(r.score as number).toBeGreaterThanOrEqual(0);
      if (r.score !== null) expect(r.score as number).toBeLessThanOrEqual(1);
    }
  });

  it('flags the injected anomalies of every type, each with a reason', () => {
    const foundByType = new Map<string, { found: number; total: number }>();
    for (const [row, type] of labels) {
      const r = rows[row - 1];
      const t = foundByType.get(type) ?? { found: 0, total: 0 };
      t.total++;
      if (r.is_anomaly) {
        t.found++;
        expect(r.reasons).not.toBe('');
      }
      foundByType.set(type, t);
    }
    expect([...foundByType.keys()].sort()).toEqual([...ANOMALY_TYPES].sort());
    for (const [type, t] of foundByType) expect(t.found / t.total, type).toBeGreaterThanOrEqual(0.8);
  });

  it('raises few false alarms', () => {
    const flagged = rows.filter((r) => r.is_anomaly);
    const falseAlarms = flagged.filter((r) => !labels.has(r.source_row as number));
    expect(falseAlarms.length / flagged.length).toBeLessThan(0.25);
  });

  it('sends one alert naming the reasons of every injected type, and agrees with the result on counts', async () => {
    expect(run.alerts).toHaveLength(1);
    const alert = JSON.parse(await readFile(path.join(tmp.dir, 'out', 'alert.json'), 'utf8')) as { subject: string; message: string };
    const summary = JSON.parse(await readFile(path.join(tmp.dir, 'out', 'summary.json'), 'utf8')) as RunSummary;
    for (const [type, pattern] of Object.entries(ALERT_REASON_BY_TYPE)) expect(alert.message, type).toMatch(pattern);
    expect(alert.subject.length).toBeLessThanOrEqual(99);
    expect(alert.subject).toContain(`${summary.anomalies} anomalies`);
    expect(summary.rows).toBe(ROWS);
    expect(summary.anomalies).toBe(rows.filter((r) => r.is_anomaly).length);
    expect(summary.badRows).toBe(rows.filter((r) => (r.quality_issues as string[]).length > 0).length);
    expect(summary.modelFittedOnInput).toBe(false);
  });

  it('retries a chunk that fails once and publishes the same result as a clean run', async () => {
    const clean = await readFile(path.join(tmp.dir, 'out', 'trades.parquet'));
    const retried = await runLocal({
      file: days.day.path,
      modelDir,
      outDir: path.join(tmp.dir, 'out-retried'),
      stateDir: path.join(tmp.dir, 'state-retried'),
      chunkRows: CHUNK_ROWS,
      injectFault: (chunk, attempt) => (chunk === 1 && attempt === 1 ? 'injected: transient failure' : undefined),
    });
    expect(retried.outcome.status).toBe('started');
    expect(await readFile(path.join(tmp.dir, 'out-retried', 'trades.parquet'))).toEqual(clean);
  });

  it('fails a run whose chunk keeps failing: a failure alert, no result', async () => {
    const stateDir = path.join(tmp.dir, 'state-failing');
    const outbox: string[] = [];
    await expect(
      runLocal({
        file: days.day.path,
        modelDir,
        outDir: path.join(tmp.dir, 'out-failing'),
        stateDir,
        chunkRows: CHUNK_ROWS,
        injectFault: (chunk) => (chunk === 2 ? 'injected: permanent failure' : undefined),
        onAlert: (a) => outbox.push(`${a.subject}\n${a.message}`),
      }),
    ).rejects.toBeInstanceOf(RunFailedError);
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatch(/run failed/);
    expect(outbox[0]).toContain('injected: permanent failure');
    const outboxFile = await readFile(path.join(stateDir, 'outbox.jsonl'), 'utf8');
    expect(outboxFile.trim().split('\n')).toHaveLength(1);
    await expect(readFile(path.join(tmp.dir, 'out-failing', 'trades.parquet'))).rejects.toThrow();
    // Aggregate starts on the chunks scored first (4 chunks, 2 threads) and stops at the failed one:
    // nothing reaches results/ or reports/ in the bucket.
    const stored = (await readdir(path.join(stateDir, 's3'), { recursive: true })).map(String);
    expect(stored.some((p) => p.includes(`runs${path.sep}`))).toBe(true);
    expect(stored.filter((p) => p.includes(`results${path.sep}`) || p.includes(`reports${path.sep}`))).toEqual([]);
  });

  it('fails a run cleanly when a score worker thread dies: a failure alert, no result, no hang', async () => {
    const outbox: string[] = [];
    await expect(
      runLocal({
        file: days.day.path,
        modelDir,
        outDir: path.join(tmp.dir, 'out-crashed'),
        stateDir: path.join(tmp.dir, 'state-crashed'),
        chunkRows: CHUNK_ROWS,
        injectFault: (chunk) => (chunk === 0 ? CRASH_WORKER : undefined),
        onAlert: (a) => outbox.push(`${a.subject}\n${a.message}`),
      }),
    ).rejects.toThrow(/score worker exited with code 70/);
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatch(/run failed/);
    await expect(readFile(path.join(tmp.dir, 'out-crashed', 'trades.parquet'))).rejects.toThrow();
  });

  it('fits a model on the file itself when none is available, and says so', async () => {
    const fitted = await runLocal({ file: days.day.path, outDir: path.join(tmp.dir, 'out-fitted'), stateDir: path.join(tmp.dir, 'state-fitted'), chunkRows: CHUNK_ROWS });
    expect(fitted.summary?.modelFittedOnInput).toBe(true);
    expect(fitted.alerts[0].message).toContain('fitted on this file itself');
  });
});
