import type { ObjectStore } from '../ports/object-store.js';
import { countBytes } from '../progress/count-bytes.js';

/**
 * The store as it is, except that reading `key` as a stream reports the bytes read so far: how far
 * ingest has got in the uploaded file, for the local run's progress, without ingest knowing.
 */
export function countingReadsOf(store: ObjectStore, key: string, onBytes: (bytesSoFar: number) => void): ObjectStore {
  return {
    get bucket() {
      return store.bucket;
    },
    get: (k) => store.get(k),
    getStream: async (k) => (k === key ? countBytes(await store.getStream(k), onBytes) : store.getStream(k)),
    head: (k) => store.head(k),
    put: (k, body, contentType) => store.put(k, body, contentType),
    ...(store.putStream ? { putStream: (k: string, body: AsyncIterable<Uint8Array>, contentType?: string) => store.putStream!(k, body, contentType) } : {}),
    copy: (from, to) => store.copy(from, to),
    list: (prefix) => store.list(prefix),
  };
}
