import path from 'node:path';
import { EmbeddedS3 } from '../../src/local/embedded-s3.js';
import type { AnomalyModel } from '../../src/model/anomaly-model.js';
import { ModelCache, saveModelToStore } from '../../src/model/model-store.js';
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

export interface HarnessRun {
  outcome: IngestOutcome;
  alerts: Alert[];
  summary?: RunSummary;
  /** The Parquet result's rows, read with hyparquet. */
  rows?: Record<string, unknown>[];
  /** The input object as it is after the run. */
  inputAfter: Uint8Array;
}

/**
 * The three steps in-process against one embedded S3 server, as the state machine drives them:
 * upload a body under incoming/, deliver its S3 event, score every chunk, aggregate.
 */
export class PipelineHarness {
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

  async run(name: string, body: Uint8Array | string, options: { schema?: TradeSchema; chunkRows?: number; threshold?: number; driftThreshold?: number } = {}): Promise<HarnessRun> {
    const key = `incoming/${name}`;
    await this.store.put(key, body);
    const head = (await this.store.head(key))!;
    const alerts: Alert[] = [];
    const sink = { publish: async (a: Alert) => void alerts.push(a) };
    let execution: ExecutionInput | undefined;
    const [outcome] = await ingestS3Event(objectCreatedEvent({ bucket: this.store.bucket, key, etag: head.etag, size: head.size }), {
      storeFor: () => this.store,
      alerts: sink,
      executions: { start: async (_n, input) => ((execution = input as ExecutionInput), true) },
      stage: 'test',
      chunkRows: options.chunkRows ?? 1000,
      schema: options.schema,
      threshold: options.threshold,
    });
    const result: HarnessRun = { outcome, alerts, inputAfter: await this.store.get(key) };
    if (outcome.status !== 'started' || !execution) return result;
    const models = new ModelCache();
    const scored = [];
    for (const chunk of execution.chunks) {
      scored.push(await scoreChunk({ runId: execution.runId, bucket: execution.bucket, manifestKey: execution.manifestKey, chunk }, { storeFor: () => this.store, models }));
    }
    result.summary = await aggregateRun({ ...execution, scored }, { storeFor: () => this.store, alerts: sink, models, stage: 'test', driftThreshold: options.driftThreshold });
    result.rows = await readParquetRows(await this.store.get(result.summary.result.slice(`s3://${this.store.bucket}/`.length)));
    return result;
  }

  stop(): Promise<void> {
    return this.s3.stop();
  }
}
