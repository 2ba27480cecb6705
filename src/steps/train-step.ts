import type { S3Event } from 'aws-lambda';
import { asciiSubject } from '../alerts/run-alerts.js';
import { kindOf, type AnomalyModel } from '../model/anomaly-model.js';
import type { ModelKind } from '../model/model-kind.js';
import { metadataKey, saveModelToStore } from '../model/model-store.js';
import { trainFromSources } from '../model/train-model.js';
import { feedbackExclusion } from '../feedback/feedback-exclusion.js';
import { loadFeedbackFromStore } from '../feedback/feedback-store.js';
import { fileNameOf } from '../pipeline/run-id.js';
import { createdObjects } from '../pipeline/s3-event.js';
import { EmptyFileError, UnreadableFileError } from '../pipeline/trade-file-scanner.js';
import type { Alert, AlertSink } from '../ports/alert-sink.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { TradeSchema } from '../schema/schema-settings.js';
import { SchemaMismatchError } from '../schema/trade-schema.js';

/**
 * Training in the bucket: a trade file dropped under training/ is read as ingest reads a day's file
 * (the stage's schema), a model is fitted on it and saved as a new version under models/ with its
 * metadata. It is NOT promoted: models/current.json moves only when someone runs `models promote`,
 * after reading the new version's metadata. The operator is told the version and the command.
 *
 * A redelivered event (S3 delivers at least once; Lambda retries) trains the same model again: the
 * model's creation time is the event's time, and training is seeded, so the version (time and
 * content hash) and its objects come out the same, and are simply written again.
 */
export const TRAINING_PREFIX = 'training/';

export interface TrainDeps {
  storeFor(bucket: string): ObjectStore;
  /** How the stage's files are read (default: the default schema). */
  schema?: TradeSchema;
  /** Told of each new version and of each file that could not be trained on (the ops topic in AWS). */
  alerts?: AlertSink;
  stage: string;
  /** The kind of model to fit (the stage's cdk.json algorithm); default the isolation forest. */
  algorithm?: ModelKind;
}

export type TrainOutcome =
  | {
      status: 'trained';
      /** s3://bucket/training/... */
      source: string;
      version: string;
      /** The model's kind (the stage's algorithm). */
      kind: ModelKind;
      /** models/<version>/model.json */
      key: string;
      metadataKey: string;
      rows: number;
      threshold: number;
      contamination: number;
      durationMs: number;
    }
  | { status: 'rejected'; source: string; reason: string }
  | { status: 'ignored'; key: string; reason: string };

/** A file no retry can train on: not trades, empty, or too few valid trades. Anything else is retried. */
function rejectionReason(e: unknown): string | undefined {
  if (e instanceof SchemaMismatchError || e instanceof EmptyFileError || e instanceof UnreadableFileError) return e.message;
  // trainFromSources: "training files hold N valid trade(s); at least 2 are needed".
  if (e instanceof RangeError) return e.message;
  return undefined;
}

/** The model, or why the file cannot be trained on. */
async function fit(store: ObjectStore, key: string, source: string, deps: TrainDeps, now: Date): Promise<AnomalyModel | { rejected: string }> {
  // Trades the analysts confirmed as anomalies stay out of training (a bad feedback file is left out
  // whole, as a run leaves it out of its alert).
  const feedback = await loadFeedbackFromStore(store);
  try {
    return await trainFromSources([{ name: source, open: () => store.getStream(key) }], {
      schema: deps.schema,
      now,
      exclude: feedbackExclusion(feedback.index),
      ...(deps.algorithm ? { algorithm: deps.algorithm } : {}),
    });
  } catch (e: unknown) {
    const reason = rejectionReason(e);
    if (reason === undefined) throw e;
    return { rejected: reason };
  }
}

/** Trains one model per object the event names under training/. */
export async function trainStep(event: S3Event, deps: TrainDeps): Promise<TrainOutcome[]> {
  const outcomes: TrainOutcome[] = [];
  for (const record of event.Records ?? []) {
    const [obj] = createdObjects({ Records: [record] });
    if (!obj) continue;
    const eventTime = new Date(record.eventTime);
    outcomes.push(await trainObject(obj, deps, Number.isNaN(eventTime.getTime()) ? new Date() : eventTime));
  }
  return outcomes;
}

export async function trainObject(obj: { bucket: string; key: string }, deps: TrainDeps, now = new Date()): Promise<TrainOutcome> {
  if (!obj.key.startsWith(TRAINING_PREFIX) || obj.key.endsWith('/')) {
    return { status: 'ignored', key: obj.key, reason: `only files under ${TRAINING_PREFIX} are trained on` };
  }
  const store = deps.storeFor(obj.bucket);
  const source = `s3://${obj.bucket}/${obj.key}`;
  const started = performance.now();
  const model = await fit(store, obj.key, source, deps, now);
  if ('rejected' in model) {
    await deps.alerts?.publish(trainingRejectedAlert(deps.stage, source, model.rejected));
    return { status: 'rejected', source, reason: model.rejected };
  }
  const key = await saveModelToStore(store, model, false);
  const outcome: TrainOutcome = {
    status: 'trained',
    source,
    version: model.version,
    kind: kindOf(model),
    key,
    metadataKey: metadataKey(model.version),
    rows: model.training.rows,
    threshold: model.threshold,
    contamination: model.contamination,
    durationMs: Math.round(performance.now() - started),
  };
  await deps.alerts?.publish(modelTrainedAlert(deps.stage, obj.bucket, outcome));
  return outcome;
}

/** The command that promotes a version of this bucket (what the operator runs next). */
export function promoteCommand(bucket: string, version: string): string {
  return `npx trade-anomaly models promote ${version} --bucket ${bucket}`;
}

export function modelTrainedAlert(stage: string, bucket: string, outcome: Extract<TrainOutcome, { status: 'trained' }>): Alert {
  return {
    subject: asciiSubject(`trade-anomaly ${stage}: model ${outcome.version} trained (not promoted)`),
    message: [
      `A new model version was trained on ${outcome.source} and saved; it is NOT in use yet.`,
      '',
      `  version       ${outcome.version}`,
      `  kind          ${outcome.kind}`,
      `  training rows ${outcome.rows}`,
      `  threshold     ${outcome.threshold.toFixed(4)} (flags ${(outcome.contamination * 100).toFixed(3)}% of training rows)`,
      `  model         s3://${bucket}/${outcome.key}`,
      `  metadata      s3://${bucket}/${outcome.metadataKey}`,
      '',
      'To compare it with the current model and use it for new runs:',
      `  npx trade-anomaly models list --bucket ${bucket}`,
      `  ${promoteCommand(bucket, outcome.version)}`,
    ].join('\n'),
    attributes: { stage, severity: 'INFO', kind: 'model-trained' },
  };
}

export function trainingRejectedAlert(stage: string, source: string, reason: string): Alert {
  const file = fileNameOf(source);
  return {
    subject: asciiSubject(`trade-anomaly ${stage}: training failed [REJECTED] ${file}`),
    message: [
      `No model was trained on ${source}: ${reason}`,
      '',
      'Check that the file is a trade file the stage can read (its schema), then upload it again under training/.',
    ].join('\n'),
    attributes: { stage, severity: 'REJECTED', kind: 'training-rejected', file },
  };
}
