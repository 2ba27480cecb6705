/** Object storage as the pipeline sees it: one bucket, keys, bytes. S3 in AWS and in the embedded run. */
export interface ObjectInfo {
  etag: string;
  size: number;
}

export interface ObjectStore {
  readonly bucket: string;
  /** The object's bytes; throws ObjectNotFoundError when absent. */
  get(key: string): Promise<Uint8Array>;
  /** The object's bytes as a stream, for files too large to hold. */
  getStream(key: string): Promise<AsyncIterable<Uint8Array>>;
  /** Metadata, or undefined when the object does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  copy(fromKey: string, toKey: string): Promise<void>;
  /** Keys under a prefix, in lexical order. */
  list(prefix: string): Promise<string[]>;
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`s3://${bucket}/${key} does not exist`, options);
  }
}

/** Reads a JSON object written by the pipeline. */
export async function getJson<T>(store: ObjectStore, key: string): Promise<T> {
  const bytes = await store.get(key);
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
}

export async function putJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  await store.put(key, JSON.stringify(value, null, 2), 'application/json');
}
