// The embedded S3 server's thread (see embedded-s3.ts): s3rver on loopback, off the main thread, so
// hashing and storing the objects of a run (the file, its chunks, the result) does not wait on
// ingest's scan or aggregate, nor hold them up. Plain JavaScript: it runs as it is beside the sources
// (tsx), and bundled with s3rver into dist/ by the CLI build (scripts/build-cli.mjs).
import { mkdirSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import S3rver from 's3rver';

const { directory, bucket } = workerData;
mkdirSync(directory, { recursive: true });
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });

// S3 URL-decodes the x-amz-copy-source header fully; s3rver uses decodeURI, which leaves %2B, %23,
// %3F... encoded, so a key with '+' is not found. Re-encode the header so that s3rver's decodeURI
// yields the real key: clients keep sending what S3 expects.
server.middleware.unshift(async (ctx, next) => {
  const source = ctx.headers['x-amz-copy-source'];
  if (typeof source === 'string') ctx.headers['x-amz-copy-source'] = encodeURI(decodeURIComponent(source));
  await next();
});

const { port } = await server.run();
parentPort.postMessage({ port });
parentPort.once('message', async () => {
  // Keep-alive sockets would otherwise hold close() open.
  server.httpServer?.closeAllConnections();
  await server.close();
  parentPort.close();
});
