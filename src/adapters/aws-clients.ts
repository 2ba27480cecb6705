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

export function createS3Client(endpoint?: S3Endpoint): S3Client {
  if (!endpoint) return new S3Client({ maxAttempts: 5 });
  return new S3Client({
    endpoint: endpoint.url,
    region: endpoint.region ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 5,
  });
}
