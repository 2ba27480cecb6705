import { parentPort, workerData } from 'node:worker_threads';
import { createS3Client } from '../adapters/aws-clients.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';
import { ModelCache } from '../model/model-store.js';
import type { ScoreTaskInput } from '../pipeline/manifest.js';
import { scoreChunk } from '../steps/score-step.js';
import { silenceSdkNodeVersionNotice } from './sdk-version-notice.js';
import { CRASH_WORKER } from './worker-faults.js';

/**
 * A worker thread of the local orchestrator: the score step, like one warm Lambda container (one S3
 * client, one model cache), taking chunks one at a time.
 */
export interface ScoreRequest {
  id: number;
  input: ScoreTaskInput;
  /** Test hook: fail this request with this message, or with CRASH_WORKER end the thread (fault injection). */
  failWith?: string;
}

silenceSdkNodeVersionNotice();
const { endpoint } = workerData as { endpoint: string };
const client = createS3Client({ url: endpoint });
const models = new ModelCache();
const storeFor = (bucket: string) => new S3ObjectStore(client, bucket);

parentPort!.on('message', (request: ScoreRequest) => {
  const run = async () => {
    if (request.failWith === CRASH_WORKER) process.exit(70);
    if (request.failWith) throw new Error(request.failWith);
    return scoreChunk(request.input, { storeFor, models });
  };
  run().then(
    (summary) => parentPort!.postMessage({ id: request.id, ok: true, summary }),
    (e: unknown) => parentPort!.postMessage({ id: request.id, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }),
  );
});
