import { createHash } from 'node:crypto';
import { ObjectNotFoundError, type ObjectInfo, type ObjectStore } from '../../src/ports/object-store.js';

/**
 * The ObjectStore port in memory, for properties that drive the steps hundreds of times (the
 * embedded S3 server would make each run cost milliseconds of HTTP). getStream yields an object in
 * pieces of `streamPiece` bytes, so a property can vary how the body arrives.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Uint8Array>();
  streamPiece = 64 * 1024;

  constructor(readonly bucket = 'property-bucket') {}

  async get(key: string): Promise<Uint8Array> {
    const body = this.objects.get(key);
    if (!body) throw new ObjectNotFoundError(this.bucket, key);
    return body.slice();
  }

  async getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    const body = await this.get(key);
    const piece = Math.max(1, this.streamPiece);
    return (async function* () {
      for (let i = 0; i < body.length; i += piece) yield body.subarray(i, i + piece);
    })();
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const body = this.objects.get(key);
    return body && { etag: createHash('md5').update(body).digest('hex'), size: body.length };
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    this.objects.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : body.slice());
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    this.objects.set(toKey, await this.get(fromKey));
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
