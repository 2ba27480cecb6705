import { parentPort } from 'node:worker_threads';
import { createS3Client } from '../adapters/aws-clients.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';
import { ModelCache } from '../model/model-store.js';
import { readChunkPart, transferablesOf, type ChunkPartSpec } from '../pipeline/chunk-part.js';
import type { ScoreTaskInput } from '../pipeline/manifest.js';
import { scoreChunk } from '../steps/score-step.js';
import { silenceSdkNodeVersionNotice } from './sdk-version-notice.js';
import { CRASH_WORKER } from './worker-faults.js';

/**
 * A worker thread of the local orchestrator: the score step, like one warm Lambda container (one S3
 * client, one model cache), taking chunks one at a time; and, while ingest reads the file, the parts
 * of it read side by side (readChunkPart).
 */
export type WorkerRequest = ScoreRequest | PartRequest;

export interface PartRequest {
  kind: 'part';
  id: number;
  bytes: Uint8Array;
  spec: ChunkPartSpec;
}

export interface ScoreRequest {
  kind: 'score';
  id: number;
  /** The S3 endpoint (the embedded server's): the same for every request of a pool. */
  endpoint: string;
  input: ScoreTaskInput;
  /** Test hook: fail this request with this message, or with CRASH_WORKER end the thread (fault injection). */
  failWith?: string;
}

silenceSdkNodeVersionNotice();
const models = new ModelCache();
let client: { endpoint: string; s3: ReturnType<typeof createS3Client> } | undefined;

/** One S3 client per thread, made on the first request (the thread starts before the server has a port). */
function storeFor(endpoint: string): (bucket: string) => S3ObjectStore {
  if (client?.endpoint !== endpoint) {
    client?.s3.destroy();
    client = { endpoint, s3: createS3Client({ url: endpoint }) };
  }
  const s3 = client.s3;
  return (bucket: string) => new S3ObjectStore(s3, bucket);
}

parentPort!.on('message', (request: WorkerRequest) => {
  if (request.kind === 'part') {
    readChunkPart(request.bytes, request.spec).then(
      (part) => parentPort!.postMessage({ id: request.id, ok: true, value: part }, transferablesOf(part)),
      (e: unknown) => parentPort!.postMessage({ id: request.id, ok: false, error: errorText(e) }),
    );
    return;
  }
  const run = async () => {
    if (request.failWith === CRASH_WORKER) process.exit(70);
    if (request.failWith) throw new Error(request.failWith);
    return scoreChunk(request.input, { storeFor: storeFor(request.endpoint), models });
  };
  run().then(
    (summary) => parentPort!.postMessage({ id: request.id, ok: true, value: summary }),
    (e: unknown) => parentPort!.postMessage({ id: request.id, ok: false, error: errorText(e) }),
  );
});

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
