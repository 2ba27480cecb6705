/**
 * The three pipeline handlers as Lambda runs them (middy, Powertools logger and metrics), driven as
 * the state machine drives them against the embedded S3, with SNS and Step Functions faked: each one
 * publishes its metrics in one embedded-metric-format record, and aggregate applies the stage's
 * severity levels from its environment.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EmbeddedS3 } from '../../src/local/embedded-s3.js';
import { saveModelToStore } from '../../src/model/model-store.js';
import type { AggregateTaskInput, ChunkSummary, ExecutionInput } from '../../src/pipeline/manifest.js';
import { objectCreatedEvent } from '../../src/pipeline/s3-event.js';
import type { Alert } from '../../src/ports/alert-sink.js';
import type { IngestOutcome } from '../../src/steps/ingest-step.js';
import { generateDays, tempDir, trainOn } from '../support/fixtures.js';

const published: Alert[] = [];
const started: ExecutionInput[] = [];

// The handlers' SNS and Step Functions clients are the only parts replaced: S3 is the embedded server.
vi.mock('../../functions/runtime.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../functions/runtime.js')>();
  return {
    ...actual,
    snsAlertSink: () => ({ publish: async (alert: Alert) => void published.push(alert) }),
    sfnExecutionStarter: () => ({ start: async (_name: string, input: unknown) => (started.push(input as ExecutionInput), true) }),
  };
});

const context = (name: string) =>
  ({
    functionName: name,
    functionVersion: '1',
    invokedFunctionArn: `arn:aws:lambda:eu-west-2:123456789012:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: `req-${name}`,
    logGroupName: 'g',
    logStreamName: 's',
    getRemainingTimeInMillis: () => 60_000,
  }) as unknown as Context;

type Emf = Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } };

/** Runs a handler, returning its result and the metric records (EMF) it printed, cold-start record aside. */
async function invoke<T>(run: () => Promise<T>): Promise<{ result: T; emf: Emf[]; logs: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const result = await run();
    const records = lines.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const emf = records.filter((r) => '_aws' in r && !('ColdStart' in r)) as Emf[];
    return { result, emf, logs: records.filter((r) => !('_aws' in r)) };
  } finally {
    write.mockRestore();
  }
}

describe('the Lambda handlers', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let s3: EmbeddedS3;
  let dayCsv: Uint8Array;
  let modelVersion: string;

  beforeAll(async () => {
    tmp = await tempDir('handlers');
    const days = await generateDays(tmp.dir, { rows: 3000, seed: 5, day: '2026-11-18', historyDays: 1 });
    const model = await trainOn(days.history.map((h) => h.path));
    modelVersion = model.version;
    dayCsv = new Uint8Array(await readFile(days.day.path));
    s3 = await EmbeddedS3.start(path.join(tmp.dir, 's3'));
    await saveModelToStore(s3.store(), model, true);
    Object.assign(process.env, {
      S3_ENDPOINT: s3.endpoint,
      STAGE: 'test',
      TOPIC_ARN: 'arn:aws:sns:eu-west-2:123456789012:alerts',
      STATE_MACHINE_ARN: 'arn:aws:states:eu-west-2:123456789012:stateMachine:pipeline',
      CHUNK_ROWS: '1000',
      // Metrics are under test here, whatever another test's setup says.
      POWERTOOLS_METRICS_DISABLED: 'false',
      // Set so high that no run is HIGH: the stage's levels, not the defaults, decide.
      SEVERITY_HIGH_SCORE: '1',
      SEVERITY_MEDIUM_SCORE: '1',
      SEVERITY_HIGH_BAD_ROW_SHARE: '1',
    });
  });

  afterAll(async () => {
    await s3?.stop();
    await tmp?.cleanup();
  });

  it('ingest, score and aggregate each publish their metrics with the stage dimension and log with the runId', async () => {
    const store = s3.store();
    const key = 'incoming/trades.csv';
    await store.put(key, dayCsv);
    const head = (await store.head(key))!;
    const { handler: ingest } = await import('../../functions/ingest.js');
    const { handler: score } = await import('../../functions/score.js');
    const { handler: aggregate } = await import('../../functions/aggregate.js');

    const ingested = await invoke(() => ingest(objectCreatedEvent({ bucket: store.bucket, key, etag: head.etag, size: head.size }), context('ingest')) as Promise<IngestOutcome[]>);
    const [outcome] = ingested.result;
    expect(outcome).toMatchObject({ status: 'started', rows: 3000, chunks: 3, modelVersion });
    expect(ingested.emf).toHaveLength(1);
    expect(ingested.emf[0]).toMatchObject({ service: 'trade-anomaly', stage: 'test', FilesStarted: 1, IngestedRows: 3000, IngestedChunks: 3 });
    expect(ingested.emf[0]!._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'TradeAnomaly', Dimensions: [['service', 'stage']] });
    expect(ingested.logs.find((l) => l.message === 'ingest outcome')).toMatchObject({ runId: started[0]!.runId, stage: 'test', level: 'INFO' });

    const input = started[0]!;
    const scored: ChunkSummary[] = [];
    // Three chunks: the list is inline (see inlineChunkList).
    for (const chunk of input.chunks!) {
      const run = await invoke(() => score({ runId: input.runId, bucket: input.bucket, manifestKey: input.manifestKey, chunk }, context('score')) as Promise<ChunkSummary>);
      scored.push(run.result);
      expect(run.emf).toHaveLength(1);
      expect(run.emf[0]).toMatchObject({ stage: 'test', ChunkRows: chunk.rows, ChunkBadRows: run.result.badRows, ChunkAnomalies: run.result.anomalies });
      expect(run.emf[0]!.ChunkDurationMs).toBeGreaterThan(0);
      expect(run.logs.find((l) => l.message === 'chunk scored')).toMatchObject({ runId: input.runId, chunk: chunk.index });
    }

    const aggregated = await invoke(() => aggregate({ ...input, scored } satisfies AggregateTaskInput, context('aggregate')) as Promise<{ anomalies: number; rows: number }>);
    const anomalies = scored.reduce((n, c) => n + c.anomalies, 0);
    expect(aggregated.result).toMatchObject({ runId: input.runId, rows: 3000, anomalies });
    expect(aggregated.emf).toHaveLength(1);
    expect(aggregated.emf[0]).toMatchObject({
      stage: 'test',
      RunRows: 3000,
      RunAnomalies: anomalies,
      RunBadRows: scored.reduce((n, c) => n + c.badRows, 0),
      // Metadata, not dimensions: searchable in the log record, no metric series per version.
      modelVersion,
      runId: input.runId,
    });
    expect(aggregated.emf[0]!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', 'stage']]);
    expect(anomalies).toBeGreaterThan(0);
    // The stage's severity levels (1 and 1) make any run with anomalies LOW: the environment, not the defaults, decides.
    expect(aggregated.emf[0]!.severity).toBe('LOW');
    expect(published).toHaveLength(1);
    expect(published[0]!.attributes.severity).toBe('LOW');
  });
});
