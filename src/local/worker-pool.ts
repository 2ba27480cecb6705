import { Worker } from 'node:worker_threads';
import type { ChunkSummary, ScoreTaskInput } from '../pipeline/manifest.js';
import type { ScoreRequest } from './score-worker.js';

/**
 * Set by the CLI build (scripts/build-cli.mjs) to the bundled worker beside the bundled CLI; absent
 * when the sources run through tsx, whose threads start from score-worker-entry.mjs.
 */
declare const __BUNDLED_SCORE_WORKER__: string | undefined;
const WORKER_MODULE =
  typeof __BUNDLED_SCORE_WORKER__ === 'string' ? new URL(__BUNDLED_SCORE_WORKER__, import.meta.url) : new URL('./score-worker-entry.mjs', import.meta.url);

type Reply = { id: number; ok: true; summary: ChunkSummary } | { id: number; ok: false; error: string };

export class WorkerCrashedError extends Error {
  override readonly name = 'WorkerCrashedError';
}

/** Score steps on worker threads; one chunk at a time per worker. A crashed worker fails its chunk and the pool. */
export class ScoreWorkerPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiting: ((w: Worker) => void)[] = [];
  private readonly pending = new Map<number, { resolve: (s: ChunkSummary) => void; reject: (e: Error) => void; worker: Worker }>();
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
    if (reply.ok) p.resolve(reply.summary);
    else p.reject(new Error(reply.error));
  }

  private fail(worker: Worker, error: Error): void {
    this.crashed ??= error;
    for (const [id, p] of this.pending) {
      if (p.worker === worker) {
        this.pending.delete(id);
        p.reject(error);
      }
    }
  }

  private release(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }

  private acquire(): Promise<Worker> {
    const w = this.idle.pop();
    return w ? Promise.resolve(w) : new Promise((resolve) => this.waiting.push(resolve));
  }

  async score(input: ScoreTaskInput, failWith?: string): Promise<ChunkSummary> {
    if (this.crashed) throw this.crashed;
    const endpoint = await this.endpoint;
    const worker = await this.acquire();
    if (this.crashed) throw this.crashed;
    const id = this.nextId++;
    return new Promise<ChunkSummary>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      const request: ScoreRequest = { id, endpoint, input, failWith };
      worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
