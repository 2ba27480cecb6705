/**
 * Training in the bucket: a file dropped under training/ becomes a new model version with its
 * metadata, never the current model. The domain step against the embedded S3, then the Lambda handler
 * (middy, Powertools) driving it with the ops topic faked.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeTradingDay } from '../../src/generate/trading-day.js';
import { EmbeddedS3 } from '../../src/local/embedded-s3.js';
import { listModels } from '../../src/model/model-registry.js';
import { CURRENT_MODEL_KEY, HISTORY_PREFIX, loadModelFromStore, metadataKey, modelKey, saveModelToStore } from '../../src/model/model-store.js';
import { objectCreatedEvent } from '../../src/pipeline/s3-event.js';
import type { Alert } from '../../src/ports/alert-sink.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import { trainStep, type TrainOutcome } from '../../src/steps/train-step.js';
import { tempDir, trainOn } from '../support/fixtures.js';

const published: Alert[] = [];

// The ops topic is the only part replaced: S3 is the embedded server.
vi.mock('../../functions/runtime.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../functions/runtime.js')>();
  return { ...actual, snsAlertSink: () => ({ publish: async (alert: Alert) => void published.push(alert) }) };
});

describe('training a model version from a file under training/', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let s3: EmbeddedS3;
  let store: ObjectStore;
  let dayCsv: Uint8Array;
  let currentBefore: Uint8Array;
  let promotedVersion: string;

  beforeAll(async () => {
    tmp = await tempDir('train');
    const day = await writeTradingDay({ rows: 3000, seed: 21, day: '2026-11-17', anomalyRate: 0.002 }, path.join(tmp.dir, 'day.csv'));
    dayCsv = new Uint8Array(await readFile(day.path));
    s3 = await EmbeddedS3.start(path.join(tmp.dir, 's3'));
    store = s3.store();
    // A model is already in use: training must leave it so.
    const inUse = await trainOn([day.path]);
    promotedVersion = inUse.version;
    await saveModelToStore(store, inUse, true);
    currentBefore = await store.get(CURRENT_MODEL_KEY);
    Object.assign(process.env, { S3_ENDPOINT: s3.endpoint, STAGE: 'test', OPS_TOPIC_ARN: 'arn:aws:sns:eu-west-2:123456789012:ops', POWERTOOLS_METRICS_DISABLED: 'false' });
  });

  afterAll(async () => {
    await s3?.stop();
    await tmp?.cleanup();
  });

  async function drop(key: string, body: Uint8Array | string, eventTime = '2026-12-01T06:30:00.000Z') {
    await store.put(key, body, 'text/csv');
    const head = (await store.head(key))!;
    const event = objectCreatedEvent({ bucket: store.bucket, key, etag: head.etag, size: head.size });
    event.Records[0].eventTime = eventTime;
    return event;
  }

  const deps = (alerts: Alert[]) => ({ storeFor: () => store, alerts: { publish: async (a: Alert) => void alerts.push(a) }, stage: 'test' });

  it('trains on the file, saves model.json and metadata.json, and does not promote the new version', async () => {
    const alerts: Alert[] = [];
    const historyBefore = await store.list(HISTORY_PREFIX);
    const event = await drop('training/2026-11 day.csv', dayCsv);

    const [outcome] = await trainStep(event, deps(alerts));

    expect(outcome).toMatchObject({ status: 'trained', source: `s3://${store.bucket}/training/2026-11 day.csv`, rows: expect.any(Number) });
    const trained = outcome as Extract<TrainOutcome, { status: 'trained' }>;
    // The model's time is the event's: a redelivered event makes the same version.
    expect(trained.version).toMatch(/^20261201T063000Z-[0-9a-f]+$/);
    expect(trained.key).toBe(modelKey(trained.version));
    expect(trained.metadataKey).toBe(metadataKey(trained.version));
    const model = await loadModelFromStore(store, trained.version);
    expect(model.training).toMatchObject({ sources: [trained.source], rows: trained.rows });
    expect(await store.head(trained.metadataKey)).toBeDefined();

    // Not promoted: the pointer's bytes and the history are as they were.
    expect(await store.get(CURRENT_MODEL_KEY)).toEqual(currentBefore);
    expect(await store.list(HISTORY_PREFIX)).toEqual(historyBefore);
    expect((await listModels(store)).map((m) => [m.version, m.current])).toEqual(
      expect.arrayContaining([
        [trained.version, false],
        [promotedVersion, true],
      ]),
    );

    // The operator is told the version and the command that promotes it.
    expect(alerts).toHaveLength(1);
    expect(alerts[0].subject).toBe(`trade-anomaly test: model ${trained.version} trained (not promoted)`);
    expect(alerts[0].message).toContain(`npx trade-anomaly models promote ${trained.version} --bucket ${store.bucket}`);
    expect(alerts[0].attributes).toEqual({ stage: 'test', severity: 'INFO', kind: 'model-trained' });

    // The same event again (S3 delivers at least once): the same version, nothing new.
    const [again] = await trainStep(event, deps([]));
    expect(again).toMatchObject({ status: 'trained', version: trained.version });
  });

  it("leaves out of training the trades analysts confirmed as anomalies in feedback/ files", async () => {
    const text = new TextDecoder().decode(dayCsv).split('\n');
    const ids = text.slice(1, 4).map((line) => line.split(',')[0]);
    await store.put('feedback/2026-11-18.csv', `trade_id,verdict,note\n${ids.map((id) => `${id},confirmed,wrong price`).join('\n')}\n`, 'text/csv');
    const [outcome] = await trainStep(await drop('training/with-feedback.csv', dayCsv, '2026-12-02T06:30:00.000Z'), deps([]));

    const trained = outcome as Extract<TrainOutcome, { status: 'trained' }>;
    const model = await loadModelFromStore(store, trained.version);
    expect(model.training.excludedByFeedback).toBe(3);
  });

  it.each([
    ['a file without the trade columns', 'training/not-trades.csv', 'id,when,what\n1,2,3\n', /header is missing required columns/],
    ['an empty file', 'training/empty.csv', '', /empty/i],
    ['a header with one trade', 'training/one-row.csv', 'trade_id,timestamp,symbol,side,quantity,price\nT1,2026-11-17T10:00:00Z,ABC,BUY,10,5.5\n', /at least 2 are needed/],
  ])('rejects %s with the reason on the ops topic, writing no model', async (_name, key, body, reason) => {
    const alerts: Alert[] = [];
    const modelsBefore = await store.list('models/');
    const [outcome] = await trainStep(await drop(key, body), deps(alerts));
    expect(outcome).toMatchObject({ status: 'rejected', source: `s3://${store.bucket}/${key}`, reason: expect.stringMatching(reason) });
    expect(await store.list('models/')).toEqual(modelsBefore);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].attributes).toMatchObject({ severity: 'REJECTED', kind: 'training-rejected' });
    expect(alerts[0].subject).toMatch(/^trade-anomaly test: training failed \[REJECTED\] /);
  });

  it('ignores objects outside training/ and folder markers', async () => {
    const outcomes = await trainStep(
      {
        Records: [
          ...(await drop('incoming/day.csv', dayCsv)).Records,
          ...(await drop('training/', '')).Records,
        ],
      },
      deps([]),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['ignored', 'ignored']);
  });

  describe('the Lambda handler', () => {
    const context = {
      functionName: 'train',
      functionVersion: '1',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-2:123456789012:function:train',
      memoryLimitInMB: '3008',
      awsRequestId: 'req-train',
      logGroupName: 'g',
      logStreamName: 's',
      getRemainingTimeInMillis: () => 900_000,
    } as unknown as Context;

    it('drives the same step: logs the version, publishes its metrics, tells the ops topic, promotes nothing', async () => {
      const { handler } = await import('../../functions/train.js');
      const event = await drop('training/via-handler.csv', dayCsv, '2026-12-02T06:30:00.000Z');
      const lines: string[] = [];
      const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
      let outcomes: TrainOutcome[];
      try {
        outcomes = (await handler(event, context)) as TrainOutcome[];
      } finally {
        write.mockRestore();
      }
      const records = lines.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

      const [outcome] = outcomes;
      expect(outcome).toMatchObject({ status: 'trained', version: expect.stringMatching(/^20261202T063000Z-/) });
      const { version } = outcome as Extract<TrainOutcome, { status: 'trained' }>;
      expect(records.find((r) => r.message === 'model trained (not promoted)')).toMatchObject({ version, stage: 'test', level: 'INFO' });
      const emf = records.filter((r) => '_aws' in r && !('ColdStart' in r));
      expect(emf).toHaveLength(1);
      expect(emf[0]).toMatchObject({ service: 'trade-anomaly', stage: 'test', ModelsTrained: 1, modelVersion: version });
      expect(published.map((a) => a.subject)).toEqual([`trade-anomaly test: model ${version} trained (not promoted)`]);
      expect(await store.get(CURRENT_MODEL_KEY)).toEqual(currentBefore);
    });
  });
});
