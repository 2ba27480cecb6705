import { S3Client } from '@aws-sdk/client-s3';

/**
 * How SDK clients reach S3: AWS itself (no endpoint) or the embedded S3-compatible server.
 * The embedded server needs path-style addressing, any static credentials, and checksums only when
 * required (streamed PutObject bodies are otherwise stored corrupt, see NOTES-stack).
 */
export interface S3Endpoint {
  url: string;
  region?: string;
}

/**
 * How every S3 client retries a failed request, in AWS and against the embedded server alike
 * (docs/reliability.md, "S3 requests").
 *
 * - `standard` mode: exponential back-off with full jitter, on throttling (503 SlowDown and the other
 *   throttling codes; base 1 s) and transient errors (500/502/503/504, timeouts, connection resets;
 *   base 50 ms), capped at 20 s a wait, with a per-client retry budget (500 tokens; a throttling
 *   retry costs 5, another 14, a success refunds) so that a lasting outage stops being retried
 *   instead of multiplying the load. Not `adaptive`: its client-side rate limiter slows *every*
 *   later request of the client after one throttle, whatever the key, and sees only its own
 *   requests; our clients are one per Lambda container or worker thread, each making a handful of
 *   requests, while S3 throttles per prefix and our parallelism is across containers (the Map's
 *   `mapConcurrency` is the knob for that). AWS also still documents adaptive mode as experimental.
 * - 5 attempts (1 + 4 retries): the throttling waits are at most 1 + 2 + 4 + 8 = 15 s (7.5 s on
 *   average), long enough to ride out S3 scaling a new `runs/<runId>/` prefix, short against the
 *   functions' timeouts; then the invocation fails and the outer retry takes over with its own
 *   spacing (Step Functions for score, Lambda's asynchronous retries for ingest and train). The
 *   SDK's default of 3 gives up after at most 3 s.
 *
 * Both are set in code, not left to the SDK's defaults, so that AWS_MAX_ATTEMPTS / AWS_RETRY_MODE or
 * a `retry_mode` in ~/.aws/config (the CLI runs on laptops) cannot change what the docs promise.
 */
export const S3_RETRY = { retryMode: 'standard', maxAttempts: 5 } as const;

export function createS3Client(endpoint?: S3Endpoint): S3Client {
  if (!endpoint) return new S3Client({ ...S3_RETRY });
  return new S3Client({
    endpoint: endpoint.url,
    region: endpoint.region ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...S3_RETRY,
  });
}
