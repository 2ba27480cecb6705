import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ObjectNotFoundError, type ObjectInfo, type ObjectStore } from '../ports/object-store.js';

function isNotFound(e: unknown): boolean {
  return e instanceof NoSuchKey || e instanceof NotFound || (e instanceof Error && (e.name === 'NoSuchKey' || e.name === 'NotFound'));
}

/** ObjectStore over one S3 bucket (AWS or the embedded server, depending on the client). */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async get(key: string): Promise<Uint8Array> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) throw new ObjectNotFoundError(this.bucket, key);
      return await out.Body.transformToByteArray();
    } catch (e: unknown) {
      if (isNotFound(e)) throw new ObjectNotFoundError(this.bucket, key, { cause: e });
      throw e;
    }
  }

  async getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) throw new ObjectNotFoundError(this.bucket, key);
      return out.Body as AsyncIterable<Uint8Array>;
    } catch (e: unknown) {
      if (isNotFound(e)) throw new ObjectNotFoundError(this.bucket, key, { cause: e });
      throw e;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { etag: (out.ETag ?? '').replaceAll('"', ''), size: out.ContentLength ?? 0 };
    } catch (e: unknown) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async put(key: string, body: Uint8Array | string, contentType = 'application/octet-stream'): Promise<void> {
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType, ContentLength: length }));
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const source = `${this.bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`;
    await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: toKey, CopySource: source }));
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }
}
