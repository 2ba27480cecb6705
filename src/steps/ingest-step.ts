import type { S3Event } from 'aws-lambda';
import { rejectionAlert } from '../alerts/run-alerts.js';
import { encodeRawChunk, type RawChunkRow } from '../chunks/chunk-format.js';
import { readCurrentModelVersion, ModelNotFoundError } from '../model/model-store.js';
import { inlineChunkList } from '../pipeline/chunk-list.js';
import { chunkKey, chunkListKeyOf, duplicatesKeyOf, manifestKeyOf, type ChunkRef, type ExecutionInput, type Manifest } from '../pipeline/manifest.js';
import { deriveRunId } from '../pipeline/run-id.js';
import { createdObjects, type CreatedObject } from '../pipeline/s3-event.js';
import { EmptyFileError, TradeFileScanner, UnreadableFileError } from '../pipeline/trade-file-scanner.js';
import { chunkInParts, type ChunkedFile, type PartReader } from '../pipeline/chunking-in-parts.js';
import { DEFAULT_SCHEMA, type TradeSchema } from '../schema/schema-settings.js';
import type { AlertSink } from '../ports/alert-sink.js';
import type { ExecutionStarter } from '../ports/execution-starter.js';
import { getJson, putJson, type ObjectStore } from '../ports/object-store.js';
import { SchemaMismatchError } from '../schema/trade-schema.js';

/**
 * Step 1, ingest: for each new object under incoming/, check its header, stream it into Arrow
 * chunks and the day's context under runs/<runId>/, write the manifest, start the run. A file that
 * cannot be read as trades is copied to rejected/ with an error report and alerted; the original
 * is never changed.
 */
export const INCOMING_PREFIX = 'incoming/';
export const REJECTED_PREFIX = 'rejected/';

export interface IngestDeps {
  storeFor(bucket: string): ObjectStore;
  /** How the stage's files are read (default: the default schema). */
  schema?: TradeSchema;
  alerts: AlertSink;
  executions: ExecutionStarter;
  stage: string;
  chunkRows: number;
  /** A stage-level threshold that overrides the model's (in (0, 1]); absent: the model's own. */
  threshold?: number;
  /**
   * Read the file's rows on other threads, in parts (the local run): see chunkInParts. A file that
   * cannot be read in parts is read in one pass, as always in Lambda.
   */
  parts?: { reader: PartReader; inFlight: number; partRows?: number; onOnePass?(reason: string): void };
}

export type IngestOutcome =
  | { status: 'started'; runId: string; rows: number; chunks: number; modelVersion: string }
  | { status: 'duplicate'; runId: string }
  | { status: 'rejected'; runId: string; reason: string; rejectedKey: string }
  | { status: 'ignored'; key: string; reason: string };

/** Files the pipeline can never read as trades; anything else that goes wrong is retried. */
function rejectionReason(e: unknown): string | undefined {
  if (e instanceof SchemaMismatchError || e instanceof EmptyFileError || e instanceof UnreadableFileError || e instanceof NoDataRowsError) return e.message;
  return undefined;
}

class NoDataRowsError extends Error {
  override readonly name = 'NoDataRowsError';
}

export async function ingestS3Event(event: S3Event, deps: IngestDeps): Promise<IngestOutcome[]> {
  const outcomes: IngestOutcome[] = [];
  for (const obj of createdObjects(event)) outcomes.push(await ingestObject(obj, deps));
  return outcomes;
}

export async function ingestObject(obj: CreatedObject, deps: IngestDeps): Promise<IngestOutcome> {
  if (!obj.key.startsWith(INCOMING_PREFIX) || obj.key.endsWith('/')) {
    return { status: 'ignored', key: obj.key, reason: `only files under ${INCOMING_PREFIX} are processed` };
  }
  const store = deps.storeFor(obj.bucket);
  const runId = deriveRunId(obj.bucket, obj.key, obj.etag);
  const manifestKey = manifestKeyOf(runId);

  // A second delivery of the same object: the manifest is written last, so its presence means the
  // chunks are complete; start (or confirm) the execution and stop.
  if (await store.head(manifestKey)) {
    const manifest = await getJson<Manifest>(store, manifestKey);
    // A run ingested before chunk lists existed has none: the execution input points at one.
    if (!(await store.head(chunkListKeyOf(runId)))) await store.put(chunkListKeyOf(runId), JSON.stringify(manifest.chunks), 'application/json');
    const started = await deps.executions.start(runId, executionInput(manifest));
    return started ? startedOutcome(manifest) : { status: 'duplicate', runId };
  }

  const rejectedKey = REJECTED_PREFIX + obj.key.slice(INCOMING_PREFIX.length);
  const earlierRejection = await store.head(`${rejectedKey}.error.json`);
  if (earlierRejection && (await getJson<{ runId?: string }>(store, `${rejectedKey}.error.json`)).runId === runId) {
    return { status: 'duplicate', runId };
  }

  const file = `s3://${obj.bucket}/${obj.key}`;
  const chunks: ChunkRef[] = [];
  const writeChunk = async (index: number, bytes: Uint8Array, rows: number, firstRow: number): Promise<void> => {
    const key = chunkKey(runId, index);
    await store.put(key, bytes, 'application/vnd.apache.arrow.stream');
    chunks[index] = { index, key, rows, firstRow };
  };

  // The model is pinned once the header has passed: a file that cannot be read is rejected whether
  // or not a model exists, and a readable one is not chunked for nothing when none does.
  let modelVersion: string | undefined;
  const pinModel = async (): Promise<void> => {
    modelVersion ??= await requireCurrentModel(store);
  };
  let scanned: ScannedFile | undefined;
  try {
    if (deps.parts) {
      const schema = deps.schema ?? DEFAULT_SCHEMA;
      const source = await store.getStream(obj.key);
      const outcome = await chunkInParts({ file, schema, chunkRows: deps.chunkRows, source, parts: deps.parts.reader, inFlight: deps.parts.inFlight, partRows: deps.parts.partRows, beforeRows: pinModel, writeChunk });
      if (outcome.chunked) scanned = { ...outcome.file, schema };
      else {
        chunks.length = 0;
        deps.parts.onOnePass?.(outcome.reason);
      }
    }
    scanned ??= await scanInOnePass(file, await store.getStream(obj.key), deps, pinModel, writeChunk);
    if (scanned.rows === 0 || modelVersion === undefined) throw new NoDataRowsError(`${file}: the file has a header but no data rows`);
  } catch (e: unknown) {
    const reason = rejectionReason(e);
    if (reason === undefined) throw e;
    return reject(store, obj, runId, rejectedKey, reason, e as Error, deps);
  }

  const { layout, marks, context } = scanned;
  const duplicateChunks: number[] = [];
  for (const chunk of chunks) {
    const own = marks.slice(chunk.firstRow, chunk.firstRow + chunk.rows - 1);
    if (own.size === 0) continue;
    await putJson(store, duplicatesKeyOf(runId, chunk.index), own.toJSON());
    duplicateChunks.push(chunk.index);
  }
  const contextKey = `runs/${runId}/context.json`;
  await putJson(store, contextKey, context);
  // Before the manifest (written last, the mark of a complete ingest): the Distributed Map's items, and
  // what the local orchestrator reads when the list is too long to travel in the execution input.
  // Compact JSON: at 10,000 chunks it is ~1.5 MB, and the ItemReader reads it whole.
  await store.put(chunkListKeyOf(runId), JSON.stringify(chunks), 'application/json');
  const manifest: Manifest = {
    runId,
    stage: deps.stage,
    input: { bucket: obj.bucket, key: obj.key, etag: obj.etag, size: obj.size },
    createdAt: new Date().toISOString(),
    present: layout.present,
    header: layout.header,
    extra: layout.extra,
    schema: scanned.schema,
    rows: scanned.rows,
    chunkRows: deps.chunkRows,
    chunks,
    contextKey,
    duplicateChunks,
    modelVersion,
    ...(deps.threshold !== undefined ? { threshold: deps.threshold } : {}),
    day: context.day ?? new Date().toISOString().slice(0, 10),
  };
  await putJson(store, manifestKey, manifest);
  const started = await deps.executions.start(runId, executionInput(manifest));
  return started ? startedOutcome(manifest) : { status: 'duplicate', runId };
}

/** What ingest's pass over a file gives, in one pass or in parts. */
interface ScannedFile extends ChunkedFile {
  schema: TradeSchema;
}

/** The file in one pass on this thread, as in Lambda: rows in batches, cut into chunks of deps.chunkRows. */
async function scanInOnePass(
  file: string,
  source: AsyncIterable<Uint8Array>,
  deps: IngestDeps,
  beforeRows: () => Promise<void>,
  writeChunk: (index: number, bytes: Uint8Array, rows: number, firstRow: number) => Promise<void>,
): Promise<ScannedFile> {
  const scanner = new TradeFileScanner(file, { schema: deps.schema });
  let written = 0;
  let pending: RawChunkRow[] = [];
  const flush = async (): Promise<void> => {
    await writeChunk(written++, encodeRawChunk(pending, scanner.layout!.present, scanner.layout!.extra.length), pending.length, pending[0].sourceRow);
    pending = [];
  };
  for await (const batch of scanner.scan(source)) {
    await beforeRows();
    for (const row of batch) {
      pending.push(row);
      if (pending.length >= deps.chunkRows) await flush();
    }
  }
  if (pending.length) await flush();
  return { layout: scanner.layout!, rows: scanner.rows, marks: scanner.duplicateMarks(), context: scanner.dayContext(), schema: scanner.schema };
}

async function requireCurrentModel(store: ObjectStore): Promise<string> {
  const version = await readCurrentModelVersion(store);
  if (!version) {
    throw new ModelNotFoundError(`no model is promoted in s3://${store.bucket}/models/current.json: train and promote one (trade-anomaly train FILE --out s3://${store.bucket}/models --promote)`);
  }
  return version;
}

function startedOutcome(m: Manifest): IngestOutcome {
  return { status: 'started', runId: m.runId, rows: m.rows, chunks: m.chunks.length, modelVersion: m.modelVersion };
}

/**
 * The execution's input: keys and counts, and the chunk list only while it is small (inlineChunkList);
 * a longer list stays in S3 (chunksKey), where the Distributed Map reads it, and out of the 256 KiB state.
 */
export function executionInput(m: Manifest): ExecutionInput {
  return {
    runId: m.runId,
    bucket: m.input.bucket,
    manifestKey: manifestKeyOf(m.runId),
    input: { bucket: m.input.bucket, key: m.input.key },
    ...(inlineChunkList(m.chunks) ? { chunks: m.chunks } : {}),
    chunksKey: chunkListKeyOf(m.runId),
    chunkCount: m.chunks.length,
  };
}

async function reject(
  store: ObjectStore,
  obj: CreatedObject,
  runId: string,
  rejectedKey: string,
  reason: string,
  error: Error,
  deps: IngestDeps,
): Promise<IngestOutcome> {
  await store.copy(obj.key, rejectedKey);
  // The alert before the error report: the report's presence makes a retry a duplicate, so a publish
  // that failed after it was written would never be retried (a retry may alert twice instead: better).
  await deps.alerts.publish(rejectionAlert(deps.stage, obj.bucket, obj.key, reason, rejectedKey));
  await putJson(store, `${rejectedKey}.error.json`, {
    runId,
    file: `s3://${obj.bucket}/${obj.key}`,
    etag: obj.etag,
    error: error.name,
    reason,
    ...(error instanceof SchemaMismatchError ? { missingColumns: error.missing, header: error.header } : {}),
    rejectedAt: new Date().toISOString(),
  });
  return { status: 'rejected', runId, reason, rejectedKey };
}
