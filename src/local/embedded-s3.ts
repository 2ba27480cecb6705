import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../adapters/aws-clients.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';

/**
 * The embedded S3-compatible server (s3rver) on loopback: the local run and the integration tests
 * speak the real S3 protocol to it, so the same storage code runs locally and in AWS. Objects persist
 * in `directory`, so the current model survives between runs.
 *
 * The server runs on its own worker thread (s3-server-thread.mjs): it hashes and writes every byte of
 * a run, work that on the main thread waited on ingest's scan and aggregate and held them up in turn.
 * Starting it costs what loading s3rver on the main thread did (~0.13 s; the built CLI bundles it).
 */
export const LOCAL_BUCKET = 'trade-anomaly-local';

export class EmbeddedS3ServerError extends Error {
  override readonly name = 'EmbeddedS3ServerError';
}

export class EmbeddedS3 {
  private constructor(
    private readonly server: Worker,
    readonly endpoint: string,
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  static async start(directory: string, bucket = LOCAL_BUCKET): Promise<EmbeddedS3> {
    const server = new Worker(new URL('./s3-server-thread.mjs', import.meta.url), { workerData: { directory, bucket } });
    const started = await new Promise<{ port: number }>((resolve, reject) => {
      server.once('message', resolve);
      server.once('error', (e) => reject(new EmbeddedS3ServerError(`the embedded S3 server did not start in ${directory}: ${e.message}`, { cause: e })));
      server.once('exit', (code) => reject(new EmbeddedS3ServerError(`the embedded S3 server stopped while starting in ${directory} (exit code ${code})`)));
    });
    const endpoint = `http://127.0.0.1:${started.port}`;
    return new EmbeddedS3(server, endpoint, createS3Client({ url: endpoint }), bucket);
  }

  store(): S3ObjectStore {
    return new S3ObjectStore(this.client, this.bucket);
  }

  async stop(): Promise<void> {
    this.client.destroy();
    const exited = once(this.server, 'exit');
    this.server.postMessage('stop');
    await exited;
  }
}
