import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { AllClearMode } from '../alerts/all-clear.js';
import { FEEDBACK_PREFIX } from '../feedback/feedback-store.js';
import type { AnomalyModel } from '../model/anomaly-model.js';
import { loadModelFromDir, ModelCache, readCurrentModelVersion, saveModelToStore } from '../model/model-store.js';
import { trainFromSources } from '../model/train-model.js';
import type { ChunkSummary, ExecutionInput } from '../pipeline/manifest.js';
import { fileStem } from '../pipeline/run-id.js';
import { EmptyFileError, UnreadableFileError } from '../pipeline/trade-file-scanner.js';
import type { TradeSchema } from '../schema/schema-settings.js';
import { SchemaMismatchError } from '../schema/trade-schema.js';
import { objectCreatedEvent } from '../pipeline/s3-event.js';
import type { Alert } from '../ports/alert-sink.js';
import { getJsonIfPresent, ObjectNotFoundError } from '../ports/object-store.js';
import { runSummaryKey } from '../steps/aggregate-step.js';
import { INCOMING_PREFIX, ingestS3Event, type IngestOutcome } from '../steps/ingest-step.js';
import type { RunSummary } from '../steps/run-summary.js';
import { countingReadsOf } from './counting-store.js';
import { EmbeddedS3 } from './embedded-s3.js';
import { LocalAlertSink } from './local-alert-sink.js';
import { executeLocally, type LocalStateMachineDeps } from './local-state-machine.js';
import { ScoreWorkerPool } from './worker-pool.js';

/**
 * `trade-anomaly run FILE`: the whole pipeline on one machine. Starts the embedded S3 server, makes
 * sure a model is promoted (the given one, the current one, or one fitted on the file itself),
 * uploads the file to incoming/, hands ingest a real S3 ObjectCreated event, performs the state
 * machine's steps, and copies the outputs into the output folder.
 */
export interface LocalRunOptions {
  file: string;
  /** How to read the file (default: the default schema). */
  schema?: TradeSchema;
  /** Overrides the model's anomaly threshold for this run (as a stage's anomalyThreshold does). */
  threshold?: number;
  /** PSI at or above which a feature's drift is warned about (as a stage's driftThreshold; default 0.25). */
  driftThreshold?: number;
  /** What a clean day publishes (as a stage's alerts.allClear): send, quiet (default) or none. */
  allClear?: AllClearMode;
  /**
   * Analysts' feedback files, uploaded under feedback/ (by their own names) before the run, as
   * analysts drop them in a stage's bucket. They stay there for later runs with the same state dir.
   */
  feedbackFiles?: string[];
  /** Output folder; default ./out/<runId>/. */
  outDir?: string;
  modelDir?: string;
  chunkRows?: number;
  /** Where the embedded S3 keeps its objects and the outbox; default ./.trade-anomaly. */
  stateDir?: string;
  concurrency?: number;
  stage?: string;
  onAlert?(alert: Alert): void;
  onProgress?(event: ProgressEvent): void;
  injectFault?: LocalStateMachineDeps['injectFault'];
}

export type ProgressEvent =
  | { step: 'model'; detail: string }
  | { step: 'upload'; bytes: number }
  | { step: 'feedback'; key: string }
  | { step: 'fit'; rows: number; bytes: number }
  | { step: 'read'; bytes: number; total: number }
  /** Ingest reads the file on one thread after all (see chunkInParts), and why. */
  | { step: 'one-pass'; reason: string }
  | { step: 'ingest'; outcome: IngestOutcome }
  | { step: 'score'; done: number; total: number; summary: ChunkSummary }
  | { step: 'aggregate'; summary: RunSummary };

export interface LocalRunResult {
  outcome: IngestOutcome;
  summary?: RunSummary;
  outDir?: string;
  /** Files written into outDir. */
  files: string[];
  alerts: Alert[];
}

export const DEFAULT_CHUNK_ROWS = 50_000;
export const DEFAULT_STATE_DIR = '.trade-anomaly';

async function ensureModel(s3: EmbeddedS3, options: LocalRunOptions, inputKey: string): Promise<string | undefined> {
  const store = s3.store();
  let model: AnomalyModel | undefined;
  if (options.modelDir) {
    model = await loadModelFromDir(options.modelDir);
    options.onProgress?.({ step: 'model', detail: `using model ${model.version} from ${options.modelDir}` });
  } else {
    const current = await readCurrentModelVersion(store);
    if (current) {
      options.onProgress?.({ step: 'model', detail: `using the current model ${current}` });
      return current;
    }
    options.onProgress?.({ step: 'model', detail: 'no model in the embedded bucket: fitting one on the file itself' });
    try {
      model = await trainFromSources([{ name: `s3://${s3.bucket}/${inputKey}`, open: () => createReadStream(options.file) }], {
        schema: options.schema,
        onProgress: (p) => options.onProgress?.({ step: 'fit', rows: p.rows, bytes: p.bytes }),
      });
    } catch (e: unknown) {
      // A file that cannot be read as trades is ingest's to reject, with its report and alert.
      if (e instanceof SchemaMismatchError || e instanceof EmptyFileError || e instanceof UnreadableFileError) return undefined;
      throw e;
    }
  }
  await saveModelToStore(store, model, true);
  return model.version;
}

/**
 * The most chunks a file of this size can make: rows are at least ~40 bytes of CSV (id, time, symbol,
 * side, quantity, price), a gzip file's ~8. An overestimate only starts a worker that waits.
 */
export function estimatedChunks(file: string, bytes: number, chunkRows: number): number {
  const minRowBytes = file.endsWith('.gz') ? 8 : 40;
  return Math.max(1, Math.ceil(bytes / minRowBytes / chunkRows));
}

/** S3's limit for one PutObject; a larger file goes up in parts. */
const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

/**
 * Drops the file into the embedded bucket, as a user's upload to S3 would. One streamed PutObject up
 * to S3's 5 GiB limit: multipart made the embedded server store every part and then copy them into
 * the object (150,000 rows: ~200 ms against ~70 ms, measured). Larger files go up in parts.
 */
async function uploadFile(s3: EmbeddedS3, key: string, file: string, size: number): Promise<void> {
  if (size <= MAX_SINGLE_PUT_BYTES) {
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: createReadStream(file), ContentLength: size }));
    return;
  }
  const { Upload } = await import('@aws-sdk/lib-storage');
  await new Upload({ client: s3.client, params: { Bucket: s3.bucket, Key: key, Body: createReadStream(file) } }).done();
}

export async function runLocal(options: LocalRunOptions): Promise<LocalRunResult> {
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const stage = options.stage ?? 'local';
  const info = await stat(options.file);
  const key = INCOMING_PREFIX + path.basename(options.file);
  const starting = EmbeddedS3.start(path.join(stateDir, 's3'));
  const alerts = new LocalAlertSink(path.join(stateDir, 'outbox.jsonl'), options.onAlert);
  // The score workers start now, while the S3 server starts and the file is uploaded and ingested:
  // as many as the cores, but no more than the file's chunks could use (estimated from its size).
  const workers = Math.min(options.concurrency ?? availableParallelism(), estimatedChunks(options.file, info.size, options.chunkRows ?? DEFAULT_CHUNK_ROWS));
  let pool: ScoreWorkerPool | undefined;
  let s3: EmbeddedS3;
  try {
    pool = new ScoreWorkerPool(
      Math.max(1, workers),
      starting.then((server) => server.endpoint),
    );
    s3 = await starting;
  } catch (e: unknown) {
    // Neither the threads nor a server that did start may keep the process alive.
    await pool?.close();
    await starting.then(
      (server) => server.stop(),
      () => undefined,
    );
    throw e;
  }
  try {
    await ensureModel(s3, options, key);
    const store = s3.store();
    for (const file of options.feedbackFiles ?? []) {
      const feedbackKey = FEEDBACK_PREFIX + path.basename(file);
      await store.put(feedbackKey, await readFile(file), 'text/csv');
      options.onProgress?.({ step: 'feedback', key: feedbackKey });
    }

    await uploadFile(s3, key, options.file, info.size);
    options.onProgress?.({ step: 'upload', bytes: info.size });
    const head = await store.head(key);
    if (!head) throw new ObjectNotFoundError(s3.bucket, key);

    const models = new ModelCache();
    const storeFor = () => store;
    let execution: ExecutionInput | undefined;
    const [outcome] = await ingestS3Event(objectCreatedEvent({ bucket: s3.bucket, key, etag: head.etag, size: head.size }), {
      storeFor: options.onProgress ? () => countingReadsOf(store, key, (bytes) => options.onProgress?.({ step: 'read', bytes, total: head.size })) : storeFor,
      schema: options.schema,
      threshold: options.threshold,
      alerts,
      stage,
      chunkRows: options.chunkRows ?? DEFAULT_CHUNK_ROWS,
      // The score threads read the file's rows while ingest runs (they have no chunk yet); one thread
      // (one core, --concurrency 1 or a one-chunk file) leaves the file to the single pass.
      parts:
        pool.size > 1
          ? { reader: { read: (bytes, spec) => pool!.readPart(bytes, spec) }, inFlight: 2 * pool.size, onOnePass: (reason) => options.onProgress?.({ step: 'one-pass', reason }) }
          : undefined,
      executions: {
        // Like a Standard state machine's execution names: a run that already finished is not run again.
        async start(name, input) {
          if (await store.head(runSummaryKey(name))) return false;
          execution = input as ExecutionInput;
          return true;
        },
      },
    });
    options.onProgress?.({ step: 'ingest', outcome });
    if (outcome.status !== 'started') await pool.close();

    let summary: RunSummary | undefined;
    if (outcome.status === 'started' && execution) {
      summary = await executeLocally(execution, {
        endpoint: s3.endpoint,
        storeFor,
        alerts,
        models,
        stage,
        driftThreshold: options.driftThreshold,
        allClear: options.allClear,
        concurrency: options.concurrency,
        pool,
        injectFault: options.injectFault,
        onChunkDone: (s, done, total) => options.onProgress?.({ step: 'score', done, total, summary: s }),
      });
      options.onProgress?.({ step: 'aggregate', summary });
    } else if (outcome.status === 'duplicate') {
      summary = await getJsonIfPresent<RunSummary>(store, runSummaryKey(outcome.runId));
    }

    if (outcome.status === 'ignored') return { outcome, files: [], alerts: alerts.published };
    const outDir = options.outDir ?? path.join('out', outcome.runId);
    await mkdir(outDir, { recursive: true });
    const files: string[] = [];
    const write = async (name: string, body: Uint8Array | string) => {
      const file = path.join(outDir, name);
      await writeFile(file, body);
      files.push(file);
    };
    if (summary) {
      const resultKey = summary.result.slice(`s3://${s3.bucket}/`.length);
      // Streamed to disk: the result of a 10-million-row file is hundreds of MB.
      const resultFile = path.join(outDir, `${fileStem(options.file)}.parquet`);
      await pipeline(Readable.from(await store.getStream(resultKey)), createWriteStream(resultFile));
      files.push(resultFile);
      await write('summary.json', JSON.stringify(summary, null, 2));
      // The day's report (absent from summaries written before it existed).
      if (summary.report) await write('report.html', await store.get(summary.report.slice(`s3://${s3.bucket}/`.length)));
    }
    if (outcome.status === 'rejected') {
      await write('rejection.json', await store.get(`${outcome.rejectedKey}.error.json`));
    }
    const alert = alerts.published.at(-1);
    if (alert) await write('alert.json', JSON.stringify(alert, null, 2));
    return { outcome, summary, outDir, files, alerts: alerts.published };
  } finally {
    await pool.close();
    await s3.stop();
  }
}
