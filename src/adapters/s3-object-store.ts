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
import { Readable } from 'node:stream';
import { ObjectNotFoundError, type ObjectInfo, type ObjectStore } from '../ports/object-store.js';

function isNotFound(e: unknown): boolean {
  return e instanceof NoSuchKey || e instanceof NotFound || (e instanceof Error && (e.name === 'NoSuchKey' || e.name === 'NotFound'));
}

/** What the SDK attaches to an error once its retries are spent (absent on some network errors). */
interface ResponseMetadata {
  httpStatusCode?: number;
  attempts?: number;
  totalRetryDelay?: number;
}

function metadataOf(e: unknown): ResponseMetadata {
  const m = typeof e === 'object' && e !== null ? (e as { $metadata?: unknown }).$metadata : undefined;
  return typeof m === 'object' && m !== null ? (m as ResponseMetadata) : {};
}

/**
 * An S3 request that failed for good, after the client's own retries (S3_RETRY in aws-clients.ts):
 * names the operation, the object and the attempts, so that a failure alert or a dead letter says
 * what could not be read or written, not only S3's terse "Please reduce your request rate.".
 * Missing objects are never this error: they are ObjectNotFoundError.
 */
export class S3RequestError extends Error {
  override readonly name = 'S3RequestError';
  /** The S3 error code (SlowDown, AccessDenied, InternalError...) or the network error's name. */
  readonly code: string;
  readonly httpStatus?: number;
  readonly attempts?: number;

  constructor(
    readonly operation: string,
    readonly bucket: string,
    readonly key: string,
    cause: unknown,
  ) {
    const { httpStatusCode, attempts } = metadataOf(cause);
    const code = cause instanceof Error ? cause.name : 'Error';
    const detail = cause instanceof Error ? cause.message : String(cause);
    const tries = attempts === undefined ? '' : ` after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
    super(`S3 ${operation} s3://${bucket}/${key} failed${tries}: ${code}${httpStatusCode ? ` (HTTP ${httpStatusCode})` : ''}: ${detail}`, { cause });
    this.code = code;
    this.httpStatus = httpStatusCode;
    this.attempts = attempts;
  }
}

/**
 * ObjectStore over one S3 bucket (AWS or the embedded server, depending on the client). Transient
 * errors and throttling are retried by the client; what still fails is an S3RequestError, except a
 * missing object (ObjectNotFoundError; undefined from head).
 */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  private async request<T>(operation: string, key: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (e: unknown) {
      if (e instanceof ObjectNotFoundError || e instanceof S3RequestError) throw e;
      if (isNotFound(e)) throw new ObjectNotFoundError(this.bucket, key, { cause: e });
      throw new S3RequestError(operation, this.bucket, key, e);
    }
  }

  get(key: string): Promise<Uint8Array> {
    return this.request('GetObject', key, async () => {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) throw new ObjectNotFoundError(this.bucket, key);
      return out.Body.transformToByteArray();
    });
  }

  /** The body as a stream. The request is retried; an error while the body streams is not (the reader has consumed part of it). */
  getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    return this.request('GetObject', key, async () => {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) throw new ObjectNotFoundError(this.bucket, key);
      return out.Body as AsyncIterable<Uint8Array>;
    });
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      return await this.request('HeadObject', key, async () => {
        const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
        return { etag: (out.ETag ?? '').replaceAll('"', ''), size: out.ContentLength ?? 0 };
      });
    } catch (e: unknown) {
      if (e instanceof ObjectNotFoundError) return undefined;
      throw e;
    }
  }

  async put(key: string, body: Uint8Array | string, contentType = 'application/octet-stream'): Promise<void> {
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    await this.request('PutObject', key, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType, ContentLength: length })),
    );
  }

  /**
   * A body of unknown length, e.g. a Parquet result written as it is encoded: one PutObject when it
   * fits in a part (5 MiB), else a multipart upload (parts sent as they fill, 4 at a time), which
   * makes the object visible only on completion and is aborted on a failure. (aggregate's result)
   */
  async putStream(key: string, body: AsyncIterable<Uint8Array>, contentType = 'application/octet-stream'): Promise<void> {
    // An error of the body's own (the producer failed) is rethrown as it is, not as an S3 error.
    let bodyError: { error: unknown } | undefined;
    const watched = async function* (): AsyncGenerator<Uint8Array> {
      try {
        yield* body;
      } catch (e: unknown) {
        bodyError = { error: e };
        throw e;
      }
    };
    // Loaded on first use: only aggregate streams an upload, and every handler's cold start would
    // otherwise pay for loading lib-storage (bench/bundle-benchmark.ts).
    const { Upload } = await import('@aws-sdk/lib-storage');
    try {
      await this.request('PutObject (multipart)', key, () =>
        new Upload({ client: this.client, params: { Bucket: this.bucket, Key: key, Body: Readable.from(watched()), ContentType: contentType } }).done(),
      );
    } catch (e: unknown) {
      throw bodyError ? bodyError.error : e;
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const source = `${this.bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`;
    await this.request(`CopyObject (to ${toKey})`, fromKey, () =>
      this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: toKey, CopySource: source })),
    );
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.request('ListObjectsV2', `${prefix}*`, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token })),
      );
      for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }
}
