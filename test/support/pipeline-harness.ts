import path from 'node:path';
import type { S3Event } from 'aws-lambda';
import { EmbeddedS3 } from '../../src/local/embedded-s3.js';
import type { AllClearMode } from '../../src/alerts/all-clear.js';
import type { AnomalyModel } from '../../src/model/anomaly-model.js';
import { ModelCache, saveModelToStore } from '../../src/model/model-store.js';
import { withChunkList } from '../../src/pipeline/chunk-list.js';
import type { ExecutionInput } from '../../src/pipeline/manifest.js';
import { objectCreatedEvent } from '../../src/pipeline/s3-event.js';
import type { Alert } from '../../src/ports/alert-sink.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import type { TradeSchema } from '../../src/schema/schema-settings.js';
import { aggregateRun } from '../../src/steps/aggregate-step.js';
import { ingestS3Event, type IngestOutcome } from '../../src/steps/ingest-step.js';
import type { RunSummary } from '../../src/steps/run-summary.js';
import { scoreChunk } from '../../src/steps/score-step.js';
import { readParquetRows } from './parquet-reader.js';

export interface HarnessRunOptions {
  schema?: TradeSchema;
  chunkRows?: number;
  threshold?: number;
  driftThreshold?: number;
  /** What a clean day publishes. Default `send`: the full alert for every run, which the tests check line by line. */
  allClear?: AllClearMode;
  /** The object's whole key (default `incoming/<name>`), e.g. one outside incoming/. */
  key?: string;
  /** How many times S3 delivers the object's event (it delivers at least once). Default 1. */
  deliveries?: number;
}

export interface HarnessRun {
  /** The first delivery's outcome. */
  outcome: IngestOutcome;
  /** Every delivery's outcome, in order. */
  outcomes: IngestOutcome[];
  /** Every alert published: ingest's (a rejection) and aggregate's (the run's). */
  alerts: Alert[];
  summary?: RunSummary;
  /** The Parquet result's rows, read with hyparquet. */
  rows?: Record<string, unknown>[];
  /** The input object as it is after the run. */
  inputAfter: Uint8Array;
  /** The object's key, as uploaded (decoded). */
  key: string;
  /** The S3 event delivered, shaped as S3 sends it (its key URL-encoded). */
  event: S3Event;
  /** The object's ETag when uploaded, and after the run (undefined if it were gone). */
  etag: string;
  etagAfter?: string;
  /** Executions started by the deliveries (a name already started is not started again). */
  executionsStarted: number;
  /** The input of each execution started, as ingest handed it over. */
  executionInputs: ExecutionInput[];
}

/**
 * The three steps in-process against one embedded S3 server, as the state machine drives them:
 * upload a body under incoming/, deliver its S3 event (URL-encoded as S3 sends it; once, or as many
 * times as S3 may), and for each execution started, score every chunk and aggregate. Execution names
 * are remembered for the harness's life, as Step Functions remembers them.
 */
export class PipelineHarness {
  /** Execution names started so far: like Step Functions, a name is started once. */
  private readonly executionNames = new Set<string>();

  private constructor(
    readonly s3: EmbeddedS3,
    readonly store: ObjectStore,
  ) {}

  static async start(dir: string, model: AnomalyModel): Promise<PipelineHarness> {
    const s3 = await EmbeddedS3.start(path.join(dir, 's3'));
    const store = s3.store();
    await saveModelToStore(store, model, true);
    return new PipelineHarness(s3, store);
  }

  async run(name: string, body: Uint8Array | string, options: HarnessRunOptions = {}): Promise<HarnessRun> {
    const key = options.key ?? `incoming/${name}`;
    await this.store.put(key, body);
    const head = (await this.store.head(key))!;
    const alerts: Alert[] = [];
    const sink = { publish: async (a: Alert) => void alerts.push(a) };
    const event = objectCreatedEvent({ bucket: this.store.bucket, key, etag: head.etag, size: head.size });
    const outcomes: IngestOutcome[] = [];
    const executions: ExecutionInput[] = [];
    for (let delivery = 0; delivery < (options.deliveries ?? 1); delivery++) {
      const [outcome] = await ingestS3Event(event, {
        storeFor: () => this.store,
        alerts: sink,
        executions: {
          start: async (executionName, input) => {
            if (this.executionNames.has(executionName)) return false;
            this.executionNames.add(executionName);
            executions.push(input as ExecutionInput);
            return true;
          },
        },
        stage: 'test',
        chunkRows: options.chunkRows ?? 1000,
        schema: options.schema,
        threshold: options.threshold,
      });
      outcomes.push(outcome);
    }
    // Each execution started runs as the state machine runs it: every chunk scored, then aggregate.
    let summary: RunSummary | undefined;
    let rows: Record<string, unknown>[] | undefined;
    for (const execution of executions) {
      const models = new ModelCache();
      const scored = [];
      // The chunk list as the state machine gets it: inline, or (a long list) from S3.
      for (const chunk of (await withChunkList(this.store, execution)).chunks) {
        scored.push(await scoreChunk({ runId: execution.runId, bucket: execution.bucket, manifestKey: execution.manifestKey, chunk }, { storeFor: () => this.store, models }));
      }
      summary = await aggregateRun({ ...execution, scored }, { storeFor: () => this.store, alerts: sink, models, stage: 'test', driftThreshold: options.driftThreshold, allClear: options.allClear ?? 'send' });
      rows = await readParquetRows(await this.store.get(summary.result.slice(`s3://${this.store.bucket}/`.length)));
    }
    const result: HarnessRun = {
      outcome: outcomes[0],
      outcomes,
      alerts,
      ...(summary ? { summary, rows } : {}),
      inputAfter: await this.store.get(key),
      key,
      event,
      etag: head.etag,
      etagAfter: (await this.store.head(key))?.etag,
      executionsStarted: executions.length,
      executionInputs: executions,
    };
    return result;
  }

  stop(): Promise<void> {
    return this.s3.stop();
  }
}
