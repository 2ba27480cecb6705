import { mkdir } from 'node:fs/promises';
import S3rver from 's3rver';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../adapters/aws-clients.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';

/**
 * The embedded S3-compatible server (s3rver) on loopback: the local run and the integration tests
 * speak the real S3 protocol to it, so the same storage code runs locally and in AWS. Objects persist
 * in `directory`, so the current model survives between runs.
 */
export const LOCAL_BUCKET = 'trade-anomaly-local';

export class EmbeddedS3 {
  private constructor(
    private readonly server: S3rver,
    readonly endpoint: string,
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  static async start(directory: string, bucket = LOCAL_BUCKET): Promise<EmbeddedS3> {
    await mkdir(directory, { recursive: true });
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
    const { port } = await server.run();
    const endpoint = `http://127.0.0.1:${port}`;
    return new EmbeddedS3(server, endpoint, createS3Client({ url: endpoint }), bucket);
  }

  store(): S3ObjectStore {
    return new S3ObjectStore(this.client, this.bucket);
  }

  async stop(): Promise<void> {
    this.client.destroy();
    // Keep-alive sockets would otherwise hold close() open.
    this.server.httpServer?.closeAllConnections();
    await this.server.close();
  }
}
