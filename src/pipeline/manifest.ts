import type { BinCounts } from '../model/drift.js';
import type { TradeSchema } from '../schema/schema-settings.js';
import type { CanonicalField, ExtraColumn } from '../schema/trade-schema.js';

/**
 * runs/<runId>/manifest.json: what ingest produced and everything the later steps need. The state
 * machine's payloads carry only keys and counts; this file carries the rest.
 */
export interface ChunkRef {
  index: number;
  key: string;
  rows: number;
  /** source_row of the chunk's first row. */
  firstRow: number;
}

export interface Manifest {
  runId: string;
  stage: string;
  input: { bucket: string; key: string; etag: string; size: number };
  createdAt: string;
  /** Canonical fields present in the file, and its header as read. */
  present: CanonicalField[];
  header: string[];
  /** The file's other columns, carried into the result (raw chunks hold them as extra_<i>). */
  extra: ExtraColumn[];
  /** The schema the file was read with: every step reads rows the same way. */
  schema: TradeSchema;
  rows: number;
  chunkRows: number;
  chunks: ChunkRef[];
  contextKey: string;
  /**
   * Chunks with rows that repeat an earlier trade id or row: their marks are in
   * duplicatesKeyOf(runId, index). Repeats are known only after the whole file is read.
   */
  duplicateChunks: number[];
  /** The model every chunk of this run is scored with (pinned at ingest). */
  modelVersion: string;
  /** The stage's threshold, when it overrides the model's (pinned at ingest, so score and aggregate agree). */
  threshold?: number;
  /** Trading day of the file (UTC), used for the result's partition. */
  day: string;
}

/**
 * Input of the state machine execution (and of the local orchestrator). Small, far under 256 KiB:
 * the chunk list travels inline only while it is small (see inlineChunkList in chunk-list.ts);
 * otherwise the state machine's Distributed Map reads it from chunksKey.
 */
export interface ExecutionInput {
  runId: string;
  bucket: string;
  manifestKey: string;
  input: { bucket: string; key: string };
  /** The chunk list, present only when it is small enough for the inline Map; else read chunksKey. */
  chunks?: ChunkRef[];
  /** runs/<runId>/chunks.json: the chunk list as a JSON array, written for every run. */
  chunksKey: string;
  /** How many chunks the run has, inline or not. */
  chunkCount: number;
}

/** An execution input with its chunk list at hand (read from chunksKey when it was not inline). */
export type ExecutionWithChunks = ExecutionInput & { chunks: ChunkRef[] };

/** One Map iteration's input: the score step's event. */
export interface ScoreTaskInput {
  runId: string;
  bucket: string;
  manifestKey: string;
  chunk: ChunkRef;
}

/** What the score step returns to the state machine: small, whatever the chunk's size. */
export interface ChunkSummary {
  index: number;
  scoredKey: string;
  rows: number;
  badRows: number;
  scored: number;
  anomalies: number;
  byReason: Record<string, number>;
}

/**
 * runs/<runId>/scored/<index>.bins.json: per model feature (the model's order), the chunk's scored
 * rows counted in the model's baseline bins, summed over chunks by aggregate for the drift report.
 * Written beside the scored chunk rather than returned to the state machine: ~700 bytes a chunk
 * would halve how many chunks fit in the execution's 256 KiB state.
 */
export interface ChunkFeatureBins {
  scored: number;
  featureBins: BinCounts[];
  /**
   * The chunk's flagged rows per reason code (as ChunkSummary.byReason), so aggregate can count reasons
   * without the Map's results; absent in files written before it was added.
   */
  byReason?: Record<string, number>;
}

export function featureBinsKey(runId: string, index: number): string {
  return `runs/${runId}/scored/${String(index).padStart(5, '0')}.bins.json`;
}

/**
 * The aggregate step's event: the execution input plus, after the inline Map only, the Map's results.
 * After the Distributed Map they are not in the state (its results are discarded: they would not fit);
 * each chunk's counts are in S3 beside the scored chunk (ChunkFeatureBins.byReason).
 */
export interface AggregateTaskInput extends ExecutionInput {
  scored?: ChunkSummary[];
}

/** runs/<runId>/chunks.json: the run's chunk list (ChunkRef[]), the Distributed Map's items. */
export function chunkListKeyOf(runId: string): string {
  return `runs/${runId}/chunks.json`;
}

export function manifestKeyOf(runId: string): string {
  return `runs/${runId}/manifest.json`;
}

export function chunkKey(runId: string, index: number): string {
  return `runs/${runId}/chunks/${String(index).padStart(5, '0')}.arrow`;
}

export function scoredChunkKey(runId: string, index: number): string {
  return `runs/${runId}/scored/${String(index).padStart(5, '0')}.arrow`;
}

export function duplicatesKeyOf(runId: string, index: number): string {
  return `runs/${runId}/duplicates/${String(index).padStart(5, '0')}.json`;
}
