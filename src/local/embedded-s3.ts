import { mkdir } from 'node:fs/promises';
import type S3rver from 's3rver';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../adapters/aws-clients.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';

/**
 * The embedded S3-compatible server (s3rver) on loopback: the local run and the integration tests
 * speak the real S3 protocol to it, so the same storage code runs locally and in AWS. Objects persist
 * in `directory`, so the current model survives between runs.
 */
export const LOCAL_BUCKET = 'trade-anomaly-local';

type KoaMiddleware = (ctx: { headers: Record<string, string | string[] | undefined> }, next: () => Promise<void>) => Promise<void>;

/**
 * S3 URL-decodes the x-amz-copy-source header fully; s3rver uses decodeURI, which leaves %2B, %23,
 * %3F... encoded, so a key with '+' is not found. Re-encode the header so that s3rver's decodeURI
 * yields the real key: clients keep sending what S3 expects.
 */
function normaliseCopySource(server: S3rver): void {
  (server as unknown as { middleware: KoaMiddleware[] }).middleware.unshift(async (ctx, next) => {
    const source = ctx.headers['x-amz-copy-source'];
    if (typeof source === 'string') ctx.headers['x-amz-copy-source'] = encodeURI(decodeURIComponent(source));
    await next();
  });
}

export class EmbeddedS3 {
  private constructor(
    private readonly server: S3rver,
    readonly endpoint: string,
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  static async start(directory: string, bucket = LOCAL_BUCKET): Promise<EmbeddedS3> {
    await mkdir(directory, { recursive: true });
    // Loaded here, not with the module: commands that never start the server (generate, train,
    // explore...) do not pay its ~0.1 s of loading.
    const { default: S3rver } = await import('s3rver');
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
    normaliseCopySource(server);
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
