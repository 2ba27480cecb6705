import { getJson, type ObjectStore } from '../ports/object-store.js';
import type { ChunkRef, ExecutionInput, ExecutionWithChunks } from './manifest.js';

/**
 * Where a run's chunk list travels. Every run writes it to S3 (runs/<runId>/chunks.json, a JSON array);
 * it also travels inline in the execution's state while it is small, and the state machine's Choice
 * then takes the inline Map. Otherwise the Distributed Map reads it from S3 (its ItemReader).
 *
 * Why these bounds:
 * - an inline Map runs at most 40 iterations at once, and each one adds ~6 events to the execution's
 *   history (25,000 at most); past 40 chunks a Distributed Map scores them all at once (up to the
 *   stage's distributedMapConcurrency), each chunk in a child execution of its own;
 * - a Standard execution's state is capped at 256 KiB, and the inline Map's results (one ChunkSummary a
 *   chunk) join the chunk list in it: the list alone must stay well below, 200 KiB.
 * lib/constructs/pipeline.ts repeats the 40 in the Choice (lib/ does not import runtime code; a test
 * checks that the two agree).
 */
export const INLINE_MAP_MAX_CHUNKS = 40;
export const INLINE_CHUNK_LIST_MAX_BYTES = 200 * 1024;

/** The chunk list in S3 is missing, not a list, or does not match the execution's chunk count. */
export class ChunkListError extends Error {
  override readonly name = 'ChunkListError';
}

/** true: the chunk list goes inline in the execution input (and the inline Map scores it). */
export function inlineChunkList(chunks: readonly ChunkRef[]): boolean {
  return chunks.length <= INLINE_MAP_MAX_CHUNKS && Buffer.byteLength(JSON.stringify(chunks)) <= INLINE_CHUNK_LIST_MAX_BYTES;
}

/**
 * The execution input with its chunk list: the inline one, or the one in S3 (as the Distributed Map's
 * ItemReader reads it), checked against the chunk count ingest recorded.
 */
export async function withChunkList(store: ObjectStore, input: ExecutionInput): Promise<ExecutionWithChunks> {
  if (input.chunks) return { ...input, chunks: input.chunks };
  const chunks = await getJson<unknown>(store, input.chunksKey);
  if (!Array.isArray(chunks)) throw new ChunkListError(`s3://${store.bucket}/${input.chunksKey} is not a JSON array of chunks`);
  if (chunks.length !== input.chunkCount) {
    throw new ChunkListError(`s3://${store.bucket}/${input.chunksKey} lists ${chunks.length} chunks, the execution input says ${input.chunkCount}`);
  }
  return { ...input, chunks: chunks as ChunkRef[] };
}
