import { decodeRawChunk, encodeScoredChunk } from '../chunks/chunk-format.js';
import type { DayContext } from '../features/day-context.js';
import type { ModelCache } from '../model/model-store.js';
import { DuplicateMarks } from '../pipeline/duplicate-partitions.js';
import { duplicatesKeyOf, featureBinsKey, scoredChunkKey, type ChunkFeatureBins, type ChunkSummary, type Manifest, type ScoreTaskInput } from '../pipeline/manifest.js';
import { getJson, putJson, type ObjectStore } from '../ports/object-store.js';
import { scoreRows } from '../scoring/score-rows.js';

/**
 * Step 2, score (one per chunk, in parallel): checks each row against the data-quality rules, builds
 * its features from the day's context, scores it with the run's pinned model and writes the scored
 * chunk. Returns only counts (rows, reasons, and the drift bins of each model feature), so the state
 * machine's payload stays small whatever the chunk size.
 */
export interface ScoreDeps {
  storeFor(bucket: string): ObjectStore;
  models: ModelCache;
}

export async function scoreChunk(input: ScoreTaskInput, deps: ScoreDeps): Promise<ChunkSummary> {
  const store = deps.storeFor(input.bucket);
  const manifest = await getJson<Manifest>(store, input.manifestKey);
  if (manifest.runId !== input.runId) throw new Error(`manifest ${input.manifestKey} belongs to run ${manifest.runId}, not ${input.runId}`);
  const [context, model, chunkBytes] = await Promise.all([
    getJson<DayContext>(store, manifest.contextKey),
    deps.models.get(store, manifest.modelVersion),
    store.get(input.chunk.key),
  ]);
  const rows = decodeRawChunk(chunkBytes, manifest.present, manifest.extra.length);
  if (manifest.duplicateChunks.includes(input.chunk.index)) {
    DuplicateMarks.fromJSON(await getJson(store, duplicatesKeyOf(input.runId, input.chunk.index))).apply(rows);
  }
  if (rows.length !== input.chunk.rows) {
    throw new Error(`chunk ${input.chunk.key} holds ${rows.length} rows, the manifest says ${input.chunk.rows}`);
  }
  const shape = { present: manifest.present, hasTradeIds: manifest.present.includes('trade_id'), schema: manifest.schema, threshold: manifest.threshold };
  const result = scoreRows(rows, shape, context, model);
  const scoredKey = scoredChunkKey(input.runId, input.chunk.index);
  const extraNames = manifest.extra.map((x) => x.name);
  await store.put(scoredKey, encodeScoredChunk(result.rows, manifest.present, extraNames), 'application/vnd.apache.arrow.stream');
  const bins: ChunkFeatureBins = { scored: result.scored, featureBins: result.featureBins, byReason: result.byReason };
  await putJson(store, featureBinsKey(input.runId, input.chunk.index), bins);
  return {
    index: input.chunk.index,
    scoredKey,
    rows: rows.length,
    badRows: result.badRows,
    scored: result.scored,
    anomalies: result.anomalies,
    byReason: result.byReason,
  };
}
