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
  /**
   * Writes an object from a stream of bytes of unknown length (S3: a multipart upload once past one
   * part), so a large body is never held whole. A failure part-way leaves no object at the key. Optional:
   * putStreamed() gives a store without it (an in-memory test double) the bytes whole.
   */
  putStream?(key: string, body: AsyncIterable<Uint8Array>, contentType?: string): Promise<void>;
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

/** The JSON document at `key`, or undefined when there is no such object (any other failure throws). */
export async function getJsonIfPresent<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  try {
    return await getJson<T>(store, key);
  } catch (e: unknown) {
    if (e instanceof ObjectNotFoundError) return undefined;
    throw e;
  }
}

export async function putJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  await store.put(key, JSON.stringify(value, null, 2), 'application/json');
}

/** Writes a stream of bytes to `key`: streamed where the store can, else collected and put whole. */
export async function putStreamed(store: ObjectStore, key: string, body: AsyncIterable<Uint8Array>, contentType?: string): Promise<void> {
  if (store.putStream) return store.putStream(key, body, contentType);
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  await store.put(key, Buffer.concat(parts), contentType);
}
