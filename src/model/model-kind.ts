import type { FeatureMatrix } from './isolation-forest.js';

/**
 * The kinds of model the pipeline can train and score. Every kind shares the same frame (the
 * features, their normalisation, the extremeness part, the threshold, the drift baseline and the
 * data-quality rules); only the learned part that judges combinations of features differs:
 *
 * - `isolation-forest`: the production default (src/model/isolation-forest.ts);
 * - `ocsvm`: a One-Class SVM with an RBF kernel, trained with libsvm on a sample (one-class-svm.ts);
 * - `autoencoder`: a small dense autoencoder's reconstruction error (autoencoder.ts);
 * - `pca`: the reconstruction error off the principal subspace, a linear baseline (pca-detector.ts);
 * - `ensemble`: the mean of the forest's, the One-Class SVM's and the autoencoder's calibrated scores.
 *
 * Scoring needs none of the training libraries: each candidate is stored as plain numbers (support
 * vectors, weights, components) and scored by a small typed-array function, so the score Lambda
 * stays small. Training loads the libraries lazily (one-class-svm-training.ts, autoencoder-training.ts).
 */
export const MODEL_KINDS = ['isolation-forest', 'ocsvm', 'autoencoder', 'pca', 'ensemble'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** What a model file without a `kind` field is: every model saved before kinds existed is a forest. */
export const DEFAULT_MODEL_KIND: ModelKind = 'isolation-forest';

/** The candidates the ensemble averages with the forest. */
export const ENSEMBLE_CANDIDATES = ['ocsvm', 'autoencoder'] as const;

/** The kinds stored as a candidate detector (everything but the forest). */
export type CandidateKind = Exclude<ModelKind, 'isolation-forest' | 'ensemble'>;

export function isModelKind(value: unknown): value is ModelKind {
  return typeof value === 'string' && (MODEL_KINDS as readonly string[]).includes(value);
}

/** A model document that cannot be used; names the file and the defect. */
export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
}

/**
 * How a candidate's raw novelty (>= 0, higher = more unusual: a reconstruction error, a negative log
 * kernel density) becomes a score in [0, 1): s = a / (a + reference), reference = the median raw
 * novelty of the training rows. So the typical training row scores 0.5, like a forest's "auto" cut,
 * the score keeps growing with the novelty without ever reaching 1, and the threshold is then chosen
 * exactly as the forest's is (the (1 - contamination) quantile of the training scores, never below
 * 0.5), so every kind flags on the same scale.
 */
export interface Calibration {
  reference: number;
}

/** The smallest reference: a training set whose median row is reconstructed exactly still scales. */
const MIN_REFERENCE = 1e-12;

/** The reference is at least this share of the mean novelty: a median of (near) zero must not make every later residual score 1. */
const MIN_REFERENCE_OF_MEAN = 1e-6;

export function calibrationOf(raw: Float64Array): Calibration {
  const sorted = Float64Array.from(raw).sort();
  const n = sorted.length;
  const median = n === 0 ? 1 : n % 2 ? sorted[n >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  let sum = 0;
  for (const a of sorted) if (Number.isFinite(a) && a > 0) sum += a;
  const floor = Math.max(MIN_REFERENCE, n === 0 ? 0 : (sum / n) * MIN_REFERENCE_OF_MEAN);
  return { reference: Math.max(Number.isFinite(median) ? median : 1, floor) };
}

/**
 * Maps raw novelty to [0, 1] in place (see Calibration). An infinite novelty scores 1, and so does
 * one that could not be computed (NaN: a kernel or residual overflowed on a far row), which is
 * the most unusual kind of row, never the least.
 */
export function calibrateInPlace(raw: Float64Array, calibration: Calibration): Float64Array {
  const ref = calibration.reference;
  for (let i = 0; i < raw.length; i++) {
    const a = Number.isNaN(raw[i]) ? Infinity : raw[i] > 0 ? raw[i] : 0;
    raw[i] = a === Infinity ? 1 : a / (a + ref);
  }
  return raw;
}

/**
 * A candidate detector in a model: fitted on the normalised features, it scores normalised rows
 * with raw novelty, which its calibration maps to [0, 1].
 */
export interface CandidateScorer {
  /** Raw novelty of each row of a matrix of normalised features (higher = more unusual). */
  rawNovelty(data: FeatureMatrix): Float64Array;
}

/** Base64 of a typed array's bytes: compact and exact in a JSON document. */
export function encodeFloat64(values: Float64Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

export function decodeFloat64(text: unknown, field: string, where: string): Float64Array {
  if (typeof text !== 'string') throw new ModelFormatError(`${where}: ${field} is missing`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength % 8 !== 0) throw new ModelFormatError(`${where}: ${field} is not a whole array`);
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  const values = new Float64Array(copy);
  if (!values.every(Number.isFinite)) throw new ModelFormatError(`${where}: ${field} holds a value that is not a finite number`);
  return values;
}

export function positiveNumber(value: unknown, field: string, where: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new ModelFormatError(`${where}: ${field} must be a positive number`);
  return value;
}

export function calibrationFrom(value: unknown, where: string): Calibration {
  const c = value as Record<string, unknown> | null;
  if (typeof c !== 'object' || c === null) throw new ModelFormatError(`${where}: calibration is missing`);
  return { reference: positiveNumber(c.reference, 'calibration.reference', where) };
}

/** Seeded uniform sample of k rows (all rows when k >= rows), in their original order. */
export function sampleRows(data: FeatureMatrix, k: number, random: { nextInt(n: number): number }): FeatureMatrix {
  if (k >= data.rows) return { values: Float64Array.from(data.values.subarray(0, data.rows * data.cols)), rows: data.rows, cols: data.cols };
  // Floyd's algorithm: k distinct indices in O(k).
  const chosen = new Set<number>();
  for (let j = data.rows - k; j < data.rows; j++) {
    const t = random.nextInt(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  const rows = Int32Array.from(chosen).sort();
  const values = new Float64Array(k * data.cols);
  rows.forEach((r, i) => values.set(data.values.subarray(r * data.cols, (r + 1) * data.cols), i * data.cols));
  return { values, rows: k, cols: data.cols };
}
