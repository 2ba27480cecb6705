import { availableParallelism } from 'node:os';
import type { AllClearMode } from '../alerts/all-clear.js';
import { failureAlert } from '../alerts/run-alerts.js';
import type { ModelCache } from '../model/model-store.js';
import { withChunkList } from '../pipeline/chunk-list.js';
import type { ChunkSummary, ExecutionInput } from '../pipeline/manifest.js';
import type { AlertSink } from '../ports/alert-sink.js';
import type { ObjectStore } from '../ports/object-store.js';
import { aggregateRun } from '../steps/aggregate-step.js';
import type { RunSummary } from '../steps/run-summary.js';
import { ScoreWorkerPool } from './worker-pool.js';

/**
 * The state machine's steps on one machine, as the CDK state machine defines them: a Map over the
 * chunks (bounded concurrency, retries with back-off) on worker threads, then aggregate (started on
 * this thread once a score thread would be idle, reading each chunk once it is scored); any failure
 * publishes the failure alert and fails the run. Like the state machine's Choice: with the chunk list
 * inline, the Map's results go to aggregate (`scored`); without it (a long list, the Distributed Map
 * in AWS), the list is read from S3 and aggregate reads each chunk's counts from S3 too.
 */
export interface RetryPolicy {
  maxAttempts: number;
  intervalMs: number;
  backoffRate: number;
}

export const LOCAL_RETRY: RetryPolicy = { maxAttempts: 3, intervalMs: 200, backoffRate: 2 };

export interface LocalStateMachineDeps {
  endpoint: string;
  storeFor(bucket: string): ObjectStore;
  alerts: AlertSink;
  models: ModelCache;
  stage: string;
  /** PSI at or above which aggregate warns of a feature's drift (default DEFAULT_DRIFT_THRESHOLD). */
  driftThreshold?: number;
  /** What a clean day publishes (as a stage's alerts.allClear; default DEFAULT_ALL_CLEAR). */
  allClear?: AllClearMode;
  concurrency?: number;
  /**
   * Workers started beforehand (local-run starts them while ingest reads the file, so their start-up,
   * ~1-2 s of module loading each, overlaps it). executeLocally closes the pool once the chunks are scored.
   */
  pool?: ScoreWorkerPool;
  retry?: RetryPolicy;
  onChunkDone?(summary: ChunkSummary, done: number, total: number): void;
  /** Test hook for fault injection: an error message to fail the given attempt of a chunk with. */
  injectFault?(chunkIndex: number, attempt: number): string | undefined;
}

export class RunFailedError extends Error {
  override readonly name = 'RunFailedError';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A promise with its settle functions, for a chunk's "scored" gate. */
function gate(): { promise: Promise<void>; open(): void; fail(e: unknown): void } {
  let open!: () => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  // Read only once aggregate reaches the chunk; a failure before then is reported by the Map.
  promise.catch(() => undefined);
  return { promise, open, fail };
}

export async function executeLocally(input: ExecutionInput, deps: LocalStateMachineDeps): Promise<RunSummary> {
  const retry = deps.retry ?? LOCAL_RETRY;
  const size = Math.max(1, Math.min(deps.concurrency ?? availableParallelism(), input.chunkCount));
  const pool = deps.pool ?? new ScoreWorkerPool(size, deps.endpoint);
  let done = 0;
  let aggregating: Promise<RunSummary> | undefined;
  try {
    const { chunks } = await withChunkList(deps.storeFor(input.bucket), input);
    const scoredGates = new Map(chunks.map((chunk) => [chunk.index, gate()]));
    // As the state machine's Choice: with the chunk list inline, the Map's results go to aggregate.
    // Aggregate reads them only after its last chunk, so they are all in by then.
    const scored: ChunkSummary[] = [];
    const aggregateInput = input.chunks ? { ...input, scored } : input;
    // Aggregate starts as soon as a score thread would be left idle (fewer chunks left than threads),
    // and works through the chunks already scored while the last ones finish.
    const startAggregate = () => {
      aggregating ??= aggregateRun(aggregateInput, {
        storeFor: deps.storeFor,
        alerts: deps.alerts,
        models: deps.models,
        stage: deps.stage,
        driftThreshold: deps.driftThreshold,
        allClear: deps.allClear,
        chunkScored: (index) => scoredGates.get(index)?.promise ?? Promise.resolve(),
      });
      // Awaited once the Map is done; an aggregate that fails before then must not count as unhandled.
      aggregating.catch(() => undefined);
    };
    await Promise.all(
      chunks.map(async (chunk) => {
        const task = { runId: input.runId, bucket: input.bucket, manifestKey: input.manifestKey, chunk };
        const scoredGate = scoredGates.get(chunk.index)!;
        for (let attempt = 1; ; attempt++) {
          try {
            const summary = await pool.score(task, deps.injectFault?.(chunk.index, attempt));
            scored.push(summary);
            scoredGate.open();
            deps.onChunkDone?.(summary, ++done, chunks.length);
            if (chunks.length - done < size) startAggregate();
            return summary;
          } catch (e: unknown) {
            if (attempt >= retry.maxAttempts || (e instanceof Error && e.name === 'WorkerCrashedError')) {
              scoredGate.fail(e);
              throw e;
            }
            await sleep(retry.intervalMs * retry.backoffRate ** (attempt - 1));
          }
        }
      }),
    );
    scored.sort((a, b) => a.index - b.index);
    await pool.close();
    startAggregate();
    return await aggregating!;
  } catch (e: unknown) {
    await pool.close();
    // An aggregate already under way stops at the failed chunk, before publishing anything; it is let
    // finish failing so that nothing of this run is still writing when the failure is reported.
    await aggregating?.catch(() => undefined);
    const cause = e instanceof Error ? e.message : String(e);
    await deps.alerts.publish(failureAlert(deps.stage, input.runId, input.input.key, cause));
    throw new RunFailedError(`run ${input.runId} failed: ${cause}`, { cause: e });
  }
}
