import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedS3 } from '../../src/local/embedded-s3.js';
import type { AnomalyModel } from '../../src/model/anomaly-model.js';
import { ModelCache, ModelNotFoundError, saveModelToStore } from '../../src/model/model-store.js';
import type { ExecutionInput, Manifest } from '../../src/pipeline/manifest.js';
import { objectCreatedEvent } from '../../src/pipeline/s3-event.js';
import type { Alert } from '../../src/ports/alert-sink.js';
import { getJson, type ObjectStore } from '../../src/ports/object-store.js';
import { aggregateRun } from '../../src/steps/aggregate-step.js';
import { ingestS3Event, type IngestDeps } from '../../src/steps/ingest-step.js';
import { scoreChunk } from '../../src/steps/score-step.js';
import { readParquetRows } from '../support/parquet-reader.js';
import { generateDays, tempDir, trainOn } from '../support/fixtures.js';

/**
 * The three steps against the embedded S3 server, driven as the state machine drives them, with
 * real S3 event payloads (keys URL-encoded as S3 encodes them).
 */
describe('pipeline steps through the embedded S3', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let s3: EmbeddedS3;
  let store: ObjectStore;
  let model: AnomalyModel;
  let dayCsv: Uint8Array;
  let dayRows: number;

  beforeAll(async () => {
    tmp = await tempDir('steps');
    const days = await generateDays(tmp.dir, { rows: 5000, seed: 11, day: '2026-11-18', historyDays: 1 });
    model = await trainOn(days.history.map((h) => h.path));
    dayCsv = new Uint8Array(await readFile(days.day.path));
    dayRows = days.day.rows;
    s3 = await EmbeddedS3.start(path.join(tmp.dir, 's3'));
    store = s3.store();
  });

  afterAll(async () => {
    await s3?.stop();
    await tmp?.cleanup();
  });

  function deps(alerts: Alert[], started: { name: string; input: ExecutionInput }[]): IngestDeps {
    return {
      storeFor: () => store,
      alerts: { publish: async (a) => void alerts.push(a) },
      executions: {
        async start(name, input) {
          if (started.some((s) => s.name === name)) return false;
          started.push({ name, input: input as ExecutionInput });
          return true;
        },
      },
      stage: 'test',
      chunkRows: 1500,
    };
  }

  async function upload(key: string, body: Uint8Array | string) {
    await store.put(key, body, 'text/csv');
    const head = (await store.head(key))!;
    return objectCreatedEvent({ bucket: store.bucket, key, etag: head.etag, size: head.size });
  }

  it('fails ingest with a named error when no model has been promoted', async () => {
    const event = await upload('incoming/before-model.csv', dayCsv);
    await expect(ingestS3Event(event, deps([], []))).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  it('chunks a file, pins the model, and runs score and aggregate into one Parquet result', async () => {
    await saveModelToStore(store, model, true);
    const key = 'incoming/daily trades é+1.csv';
    const event = await upload(key, dayCsv);
    expect(event.Records[0].s3.object.key).toBe('incoming/daily+trades+%C3%A9%2B1.csv');
    const alerts: Alert[] = [];
    const started: { name: string; input: ExecutionInput }[] = [];

    const [outcome] = await ingestS3Event(event, deps(alerts, started));

    expect(outcome).toMatchObject({ status: 'started', rows: dayRows, chunks: Math.ceil(dayRows / 1500), modelVersion: model.version });
    expect(started).toHaveLength(1);
    const input = started[0].input;
    expect(input.input.key).toBe(key);
    const manifest = await getJson<Manifest>(store, input.manifestKey);
    expect(manifest.chunks.map((c) => c.rows).reduce((a, b) => a + b)).toBe(dayRows);
    expect(manifest.day).toBe('2026-11-18');
    // The step payload stays small, whatever the file size.
    expect(JSON.stringify(input).length).toBeLessThan(4096);

    // The Map's iterations may finish in any order; the result must still follow the input.
    const models = new ModelCache();
    const scored = [];
    for (const chunk of [...input.chunks!].reverse()) {
      scored.push(await scoreChunk({ runId: input.runId, bucket: input.bucket, manifestKey: input.manifestKey, chunk }, { storeFor: () => store, models }));
    }

    // The Lambda handler is a thin driver of the same step: same event, same summary.
    process.env.S3_ENDPOINT = s3.endpoint;
    const { handler } = await import('../../functions/score.js');
    const lambdaContext = { functionName: 'score', functionVersion: '1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:score', memoryLimitInMB: '1769', awsRequestId: 'test', logGroupName: 'g', logStreamName: 's', getRemainingTimeInMillis: () => 60_000 };
    const first = input.chunks![0];
    const viaHandler = await handler({ runId: input.runId, bucket: input.bucket, manifestKey: input.manifestKey, chunk: first }, lambdaContext as never);
    expect(viaHandler).toEqual(scored.find((c) => c.index === first.index));
    const summary = await aggregateRun({ ...input, scored }, { storeFor: () => store, alerts: { publish: async (a) => void alerts.push(a) }, models, stage: 'test' });

    expect(summary.rows).toBe(dayRows);
    expect(summary.result).toBe(`s3://${store.bucket}/results/date=2026-11-18/daily trades é+1.parquet`);
    const rows = await readParquetRows(await store.get('results/date=2026-11-18/daily trades é+1.parquet'));
    expect(rows).toHaveLength(dayRows);
    expect(rows.map((r) => r.source_row)).toEqual(Array.from({ length: dayRows }, (_, i) => i + 1));
    expect(rows.filter((r) => r.is_anomaly)).toHaveLength(summary.anomalies);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].attributes.file).toBe('daily trades é+1.csv');
    // The input object is never changed.
    expect(await store.get(key)).toEqual(dayCsv);
  });

  it('treats a second delivery of the same object as the same run', async () => {
    const key = 'incoming/delivered-twice.csv';
    const event = await upload(key, dayCsv);
    const started: { name: string; input: ExecutionInput }[] = [];
    const first = await ingestS3Event(event, deps([], started));
    const second = await ingestS3Event(event, deps([], started));
    expect(first[0].status).toBe('started');
    expect(second[0]).toEqual({ status: 'duplicate', runId: started[0].name });
    expect(started).toHaveLength(1);
  });

  it('rejects a file whose header lacks required columns: copy, error report, alert, original unchanged', async () => {
    const body = 'trade_id,symbol,side,qty,px\nT1,ABC,BUY,10,1.5\n';
    const key = 'incoming/wrong header+v2.csv';
    const event = await upload(key, body);
    const alerts: Alert[] = [];
    const started: { name: string; input: ExecutionInput }[] = [];

    const [outcome] = await ingestS3Event(event, deps(alerts, started));

    expect(outcome.status).toBe('rejected');
    expect(started).toHaveLength(0);
    const report = await getJson<{ missingColumns: string[]; reason: string }>(store, 'rejected/wrong header+v2.csv.error.json');
    expect(report.missingColumns).toEqual(['timestamp', 'quantity', 'price']);
    expect(report.reason).toContain('timestamp, quantity, price');
    expect(new TextDecoder().decode(await store.get('rejected/wrong header+v2.csv'))).toBe(body);
    expect(new TextDecoder().decode(await store.get(key))).toBe(body);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].subject).toContain('rejected');
    expect(alerts[0].message).toContain('timestamp, quantity, price');
    expect(await store.list('results/date=')).not.toContain(expect.stringContaining('wrong header'));
  });

  it.each([
    ['an empty file', ''],
    ['a header with no rows', 'trade_id,timestamp,symbol,side,quantity,price\n'],
  ])('rejects %s with a reason', async (_name, body) => {
    const key = `incoming/empty-${body.length}.csv`;
    const alerts: Alert[] = [];
    const [outcome] = await ingestS3Event(await upload(key, body), deps(alerts, []));
    expect(outcome.status).toBe('rejected');
    expect(outcome.status === 'rejected' && outcome.reason).toMatch(/empty|no data rows/);
    expect(alerts).toHaveLength(1);
  });

  it('ignores objects outside incoming/', async () => {
    const [outcome] = await ingestS3Event(await upload('elsewhere/trades.csv', dayCsv), deps([], []));
    expect(outcome.status).toBe('ignored');
  });
});
