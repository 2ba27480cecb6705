import { Worker } from 'node:worker_threads';
import type { ChunkPart, ChunkPartSpec } from '../pipeline/chunk-part.js';
import type { ChunkSummary, ScoreTaskInput } from '../pipeline/manifest.js';
import type { WorkerRequest } from './score-worker.js';

/**
 * Set by the CLI build (scripts/build-cli.mjs) to the bundled worker beside the bundled CLI; absent
 * when the sources run through tsx, whose threads start from score-worker-entry.mjs.
 */
declare const __BUNDLED_SCORE_WORKER__: string | undefined;
const WORKER_MODULE =
  typeof __BUNDLED_SCORE_WORKER__ === 'string' ? new URL(__BUNDLED_SCORE_WORKER__, import.meta.url) : new URL('./score-worker-entry.mjs', import.meta.url);

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class WorkerCrashedError extends Error {
  override readonly name = 'WorkerCrashedError';
}

/**
 * Score steps on worker threads, one chunk at a time per worker; before them, the parts of the file
 * ingest reads side by side (readPart). A crashed worker fails its task and the pool.
 */
export class ScoreWorkerPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiting: { resolve: (w: Worker) => void; reject: (e: Error) => void }[] = [];
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (e: Error) => void; worker: Worker }>();
  private nextId = 0;
  private crashed?: Error;

  private readonly endpoint: Promise<string>;

  /**
   * @param endpoint the S3 endpoint the chunks are read from and written to; a promise lets the
   *   threads start loading while the embedded server itself starts.
   */
  constructor(size: number, endpoint: string | Promise<string>) {
    this.endpoint = Promise.resolve(endpoint);
    // A server that never starts fails the run where it is awaited, not here.
    this.endpoint.catch(() => undefined);
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_MODULE);
      worker.on('message', (reply: Reply) => this.settle(reply, worker));
      worker.on('error', (e) => this.fail(worker, new WorkerCrashedError(`score worker crashed: ${e.message}`, { cause: e })));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(worker, new WorkerCrashedError(`score worker exited with code ${code}`));
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  private settle(reply: Reply, worker: Worker): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    this.release(worker);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(new Error(reply.error));
  }

  private fail(worker: Worker, error: Error): void {
    this.crashed ??= error;
    // Requests waiting for a thread fail now: the crashed one will never be handed back.
    for (const waiter of this.waiting.splice(0)) waiter.reject(this.crashed);
    for (const [id, p] of this.pending) {
      if (p.worker === worker) {
        this.pending.delete(id);
        p.reject(error);
      }
    }
  }

  private release(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) next.resolve(worker);
    else this.idle.push(worker);
  }

  private acquire(): Promise<Worker> {
    const w = this.idle.pop();
    return w ? Promise.resolve(w) : new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  async score(input: ScoreTaskInput, failWith?: string): Promise<ChunkSummary> {
    const endpoint = await this.endpoint;
    return (await this.run({ kind: 'score', endpoint, input, failWith })) as ChunkSummary;
  }

  /** Reads one part of a file (readChunkPart) on a thread; the bytes move there (the buffer is detached here). */
  async readPart(bytes: Uint8Array, spec: ChunkPartSpec): Promise<ChunkPart> {
    return (await this.run({ kind: 'part', bytes, spec }, [bytes.buffer as ArrayBuffer])) as ChunkPart;
  }

  private async run(request: DistributiveOmit<WorkerRequest, 'id'>, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.crashed) throw this.crashed;
    const worker = await this.acquire();
    if (this.crashed) {
      // Handed on, so that every request still waiting for a thread fails too (none may hang).
      this.release(worker);
      throw this.crashed;
    }
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** The pool's threads. */
  get size(): number {
    return this.workers.length;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
