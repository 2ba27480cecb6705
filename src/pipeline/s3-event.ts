import type { S3Event } from 'aws-lambda';

/** The object an S3 ObjectCreated record names, with its key decoded. */
export interface CreatedObject {
  bucket: string;
  key: string;
  etag: string;
  size: number;
}

/**
 * S3 event keys are URL-encoded with spaces as '+' (a key 'daily trades é.csv' arrives as
 * 'daily+trades+%C3%A9.csv'); decode them before use.
 */
export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

export function createdObjects(event: S3Event): CreatedObject[] {
  return (event.Records ?? [])
    .filter((r) => r.eventName?.startsWith('ObjectCreated:'))
    .map((r) => ({
      bucket: r.s3.bucket.name,
      key: decodeS3Key(r.s3.object.key),
      etag: (r.s3.object.eTag ?? '').replaceAll('"', ''),
      size: r.s3.object.size ?? 0,
    }));
}

/**
 * Encodes a key the way S3 does in event notifications (the inverse of decodeS3Key): form-encoded
 * (application/x-www-form-urlencoded: only A-Z a-z 0-9 * - . _ kept, a space as '+'), folder slashes
 * kept. encodeURIComponent alone would leave ! ' ( ) ~ as they are, where S3 sends %21 %27 %28 %29 %7E
 * ('daily (2).csv' arrives as 'daily+%282%29.csv').
 */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/');
}

/** An S3 ObjectCreated:Put event for one object, shaped as S3 sends it (used by the local driver and tests). */
export function objectCreatedEvent(obj: CreatedObject, region = 'us-east-1'): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'local' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'local', 'x-amz-id-2': 'local' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'trade-anomaly-incoming',
          bucket: { name: obj.bucket, ownerIdentity: { principalId: 'local' }, arn: `arn:aws:s3:::${obj.bucket}` },
          object: { key: encodeS3Key(obj.key), size: obj.size, eTag: obj.etag, sequencer: '0' },
        },
      },
    ],
  };
}
