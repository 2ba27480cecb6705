import { createHash } from 'node:crypto';
import { EXTREMENESS_FEATURES, FEATURE_NAMES, compressFeature, isFeatureName } from '../features/trade-features.js';
import { CODE_VERSION } from '../version.js';
import { candidateScores, parseCandidate, serialiseCandidate, type CandidateModel } from './candidate-models.js';
import { baselineBins } from './drift.js';
import {
  DEFAULT_FOREST_PARAMS,
  fitIsolationForest,
  scoreIsolationForest,
  type FeatureMatrix,
  type FlatForest,
  type IsolationForestParams,
} from './isolation-forest.js';
import { DEFAULT_MODEL_KIND, ENSEMBLE_CANDIDATES, isModelKind, MODEL_KINDS, ModelFormatError, type ModelKind } from './model-kind.js';
import { definedOnly } from '../defined-only.js';

export { ModelFormatError } from './model-kind.js';

/**
 * The production model: an isolation forest on the compressed, normalised features, joined with a
 * robust extremeness score, and the threshold above which a row is flagged.
 *
 * Why two parts: the forest learns what ordinary combinations of features look like, but it cannot
 * tell apart two rows that both lie beyond everything in its subsamples: a 700x quantity falls in
 * the same leaf as the largest ordinary block the trees saw, and scores no higher (measured on
 * generated days: quantity spikes scored 0.55-0.62 while ordinary 20x blocks scored 0.65). The
 * extremeness part, from the largest robust z-score of a row's features against the training
 * distribution, keeps growing with the distance, so such rows still stand out. The final score is
 * the larger of the two, both in [0, 1].
 *
 * The model names the columns it reads (`features`, a subset of the trade features chosen by
 * training or tuning) and stores everything it needs to be reproduced and audited: normalisation,
 * parameters, training rows and data hash, the code version, and each feature's training
 * distribution (deciles) as the baseline for drift.
 *
 * Serialised as one JSON document whose forest arrays are base64 typed arrays (compact, exact, and
 * loadable without a parser of our own).
 *
 * Other kinds (model-kind.ts: One-Class SVM, autoencoder, PCA, ensemble) keep all of this and replace
 * the forest's part by another learned part, stored under `candidates`; the score is still the larger
 * of the learned part and the extremeness part.
 */
export interface AnomalyModel {
  format: typeof MODEL_FORMAT;
  formatVersion: typeof MODEL_FORMAT_VERSION;
  /**
   * Which learned part judges combinations of features (model-kind.ts). Absent in models saved before
   * kinds existed: those are forests. Every kind keeps the extremeness part, the threshold and the rules.
   */
  kind?: ModelKind;
  /** Sortable and content-addressed: <UTC time>-<hash>. */
  version: string;
  createdAt: string;
  /** The columns the model reads, in order (trade models: names from FEATURE_NAMES). */
  features: string[];
  /** The features its extremeness part reads (a subset of `features`). */
  extremeFeatures: string[];
  /** How values are transformed before normalisation for the forest. */
  transform: 'compress' | 'none';
  /** Before the forest: x' = (transform(x) - center) / scale per feature. */
  normalisation: { center: number[]; scale: number[] };
  /**
   * Extremeness: z = |x - center| / scale per raw feature; s = z^2 / (z^2 + halfScoreZ^2) for the
   * largest z over `extremeFeatures`. halfScoreZ is set so that a row exactly `thresholdZ` robust
   * sigmas out scores exactly the threshold: beyond that distance a single feature flags a row alone.
   */
  extremeness: { center: number[]; scale: number[]; thresholdZ: number; halfScoreZ: number };
  /** The forest's parameters; its seed seeds every kind's training. */
  params: IsolationForestParams;
  /** Scores at or above this flag a trade. */
  threshold: number;
  /** Share of training rows at or above the threshold. */
  contamination: number;
  training: TrainingRecord;
  /** The code version that trained the model (src/version.ts). */
  codeVersion: string;
  /** Each feature's training distribution: decile cut points and shares, the baseline for drift (PSI). */
  baseline: { edges: number[][]; shares: number[][] };
  /** How the parameters were chosen, when `tune` chose them. */
  tuning?: Record<string, unknown>;
  /** Detection figures measured for this model (evaluate / tune), when there are some. */
  metrics?: Record<string, unknown>;
  /** The isolation forest: in `isolation-forest` and `ensemble` models. */
  forest?: FlatForest;
  /** The candidate detectors (One-Class SVM, autoencoder, PCA) of the other kinds, as stored numbers. */
  candidates?: CandidateModel[];
}

/** A model's kind; a model without one (saved before kinds) is a forest. */
export function kindOf(model: Pick<AnomalyModel, 'kind'>): ModelKind {
  return model.kind ?? DEFAULT_MODEL_KIND;
}

export interface TrainingRecord {
  sources: string[];
  rows: number;
  /** sha256 (first 16 hex) of the training feature matrix: the same data gives the same hash. */
  dataHash: string;
  /** Rows left out because analysts' feedback confirmed them as anomalies. */
  excludedByFeedback?: number;
}

export const MODEL_FORMAT = 'trade-anomaly/isolation-forest' as const;
export const MODEL_FORMAT_VERSION = 2 as const;

/**
 * The trade features a model reads unless training is told otherwise, chosen on generated days of
 * every scenario (docs/model.md, "Feature selection"): the activity features (gaps, bursts, accounts,
 * venues) added false alarms there without finding more (symbol_burst: 7 false alarms instead of 0
 * on a default 30,000-row day). They stay available to `tune` and `train --features`.
 */
export const DEFAULT_MODEL_FEATURES: readonly string[] = ['price_deviation', 'price_jump', 'quantity_deviation', 'notional_deviation', 'time_rarity'];

export interface TrainOptions {
  forest?: Partial<IsolationForestParams>;
  /** Expected share of anomalous rows; sets the threshold at that quantile of the training scores. */
  contamination?: number;
  /** The threshold never goes below this, so a clean training set does not flag ordinary noise. */
  minThreshold?: number;
  /** Robust sigmas from the training centre at which one feature alone flags a row. */
  thresholdZ?: number;
  /** Names of the data's columns, in order (default: the trade features of DEFAULT_MODEL_FEATURES). */
  features?: readonly string[];
  /** Which of them the extremeness part reads (default: the trade features of EXTREMENESS_FEATURES; all for other data). */
  extremeFeatures?: readonly string[];
  /** Default 'compress' (signed log, for z-like trade features). */
  transform?: 'compress' | 'none';
  sources?: string[];
  excludedByFeedback?: number;
  tuning?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  now?: Date;
}

export const DEFAULT_CONTAMINATION = 0.0001;
/** The smallest extremeness scale of a trade feature (see trainAnomalyModel). */
export const TRADE_FEATURE_UNIT = 1;
export const DEFAULT_MIN_THRESHOLD = 0.5;
/**
 * Robust sigmas from the training centre at which one feature alone flags a row. 4.5 rather than the
 * classical 5: on the generator's scenarios 5 missed a 144x quantity spike in a symbol whose sizes
 * spread widely (z 4.6), and 4.5 kept precision at 0.81-1.00 (docs/model.md).
 */
export const DEFAULT_THRESHOLD_Z = 4.5;
// Half the interquartile range of a normal distribution is 0.6745 sigma.
const IQR_TO_SIGMA = 1 / 1.349;
// The mean absolute deviation of a normal distribution is sigma x sqrt(2 / pi).
const MEAN_ABS_TO_SIGMA = Math.sqrt(Math.PI / 2);

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = Math.min(sorted.length - 1, Math.max(0, q * (sorted.length - 1)));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function identity(x: number): number {
  return x;
}

function transformOf(model: Pick<AnomalyModel, 'transform'>): (x: number) => number {
  return model.transform === 'none' ? identity : compressFeature;
}

/** Median and robust sigma (from the interquartile range) of each column. */
function robustColumns(data: FeatureMatrix, transform: (x: number) => number): { center: number[]; scale: number[] } {
  const center: number[] = [];
  const scale: number[] = [];
  const column = new Float64Array(data.rows);
  for (let c = 0; c < data.cols; c++) {
    for (let r = 0; r < data.rows; r++) column[r] = transform(data.values[r * data.cols + c]);
    column.sort();
    // The 0.5 quantile of a sorted column is its median (the mean of the middle two for even n).
    const median = quantile(column, 0.5);
    center.push(median);
    let sigma = (quantile(column, 0.75) - quantile(column, 0.25)) * IQR_TO_SIGMA;
    // A column mostly at one value (IQR 0) would make every other value infinitely far: fall back to
    // the mean absolute deviation from the median (x 1.2533, a normal's sigma from it).
    if (!(sigma > 0)) {
      let sum = 0;
      for (let r = 0; r < data.rows; r++) sum += Math.abs(column[r] - median);
      sigma = (sum / Math.max(data.rows, 1)) * MEAN_ABS_TO_SIGMA;
    }
    scale.push(Math.max(sigma, 1e-6));
  }
  return { center, scale };
}

function column(data: FeatureMatrix, c: number): Float64Array {
  const out = new Float64Array(data.rows);
  for (let r = 0; r < data.rows; r++) out[r] = data.values[r * data.cols + c];
  return out;
}

/** Per-row results of scoring. */
export interface ModelScores {
  scores: Float64Array;
  /**
   * The learned part of each score: the isolation forest's, the candidate's, or the ensemble's mean
   * (named for the forest, the part it was before kinds).
   */
  forestScores: Float64Array;
  /** |x - center| / scale of each raw feature against the training distribution, rows x cols. */
  z: Float64Array;
}

type ScoringParts = Pick<AnomalyModel, 'normalisation' | 'extremeness' | 'forest' | 'transform' | 'features' | 'extremeFeatures' | 'kind' | 'candidates'>;
type LearnedParts = Pick<AnomalyModel, 'forest' | 'kind' | 'candidates'>;

/**
 * The learned part's score of normalised rows, in [0, 1]: the forest's 2^(-E[h]/c(ψ)), a candidate's
 * calibrated novelty, or, for an ensemble, the mean of the forest's and each candidate's.
 */
export function learnedScores(model: LearnedParts, data: FeatureMatrix): Float64Array {
  const parts: Float64Array[] = [];
  if (model.forest) parts.push(scoreIsolationForest(model.forest, data));
  for (const candidate of model.candidates ?? []) parts.push(candidateScores(candidate, data));
  if (parts.length === 0) throw new RangeError(`a ${kindOf(model)} model holds no forest and no candidate detector`);
  if (parts.length === 1) return parts[0];
  const out = new Float64Array(data.rows);
  for (const part of parts) for (let r = 0; r < data.rows; r++) out[r] += part[r] / parts.length;
  return out;
}

/**
 * Scores rows of raw features (columns in the model's `features` order). Consumes `data`: its
 * values are transformed and normalised in place for the forest (path attribution reads them so).
 */
export function scoreWithModel(model: ScoringParts, data: FeatureMatrix): ModelScores {
  const { extreme, z } = extremenessInPlace(model, data);
  const forestScores = learnedScores(model, data);
  const scores = Float64Array.from(forestScores);
  for (let r = 0; r < data.rows; r++) if (extreme[r] > scores[r]) scores[r] = extreme[r];
  return { scores, forestScores, z };
}

/**
 * The extremeness score and robust |z| of each row, normalising `data` in place for the forest on
 * the way (one pass over the values).
 */
function extremenessInPlace(model: Omit<ScoringParts, 'forest'>, data: FeatureMatrix): { extreme: Float64Array; z: Float64Array } {
  const { rows, cols, values } = data;
  if (cols !== model.features.length) throw new RangeError(`the model reads ${model.features.length} feature columns, got ${cols}`);
  const z = new Float64Array(rows * cols);
  const extreme = new Float64Array(rows);
  const ex = model.extremeness;
  const { center, scale } = model.normalisation;
  const transform = transformOf(model);
  const isExtreme = model.features.map((f) => model.extremeFeatures.includes(f));
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let zmax = 0;
    for (let c = 0; c < cols; c++) {
      const zc = Math.abs(values[o + c] - ex.center[c]) / ex.scale[c];
      z[o + c] = zc;
      if (isExtreme[c] && zc > zmax) zmax = zc;
      values[o + c] = (transform(values[o + c]) - center[c]) / scale[c];
    }
    // 1 / (1 + (h / z)^2), the same as z^2 / (z^2 + h^2) without squaring z (which overflows past ~1e154).
    const ratio = ex.halfScoreZ / zmax;
    extreme[r] = zmax === 0 ? 0 : 1 / (1 + ratio * ratio);
  }
  return { extreme, z };
}

/** sha256 of a matrix's values (first 16 hex digits). */
export function matrixHash(data: FeatureMatrix): string {
  const bytes = Buffer.from(data.values.buffer, data.values.byteOffset, data.rows * data.cols * 8);
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

function defaultExtremeFeatures(features: readonly string[]): string[] {
  const trade = features.every(isFeatureName);
  return trade ? features.filter((f) => (EXTREMENESS_FEATURES as readonly string[]).includes(f)) : [...features];
}

/**
 * What every kind's training shares, before its learned part is fitted: the features checked, the
 * extremeness and normalisation fitted, the drift baseline, the data hash, and `normalised`: the
 * training rows transformed and normalised (in place: the matrix handed in), which the learned part
 * is fitted on.
 */
export interface PreparedTraining {
  features: string[];
  extremeFeatures: string[];
  transform: 'compress' | 'none';
  dataHash: string;
  extremeColumns: { center: number[]; scale: number[] };
  normalisation: { center: number[]; scale: number[] };
  baseline: { edges: number[][]; shares: number[][] };
  /** A copy of the raw training rows (for the extremeness part's scores). */
  raw: Float64Array;
  normalised: FeatureMatrix;
}

/** The first half of training, shared by every kind. Consumes `data` (normalised in place). */
export function prepareTraining(data: FeatureMatrix, options: TrainOptions = {}): PreparedTraining {
  const features = [...(options.features ?? DEFAULT_MODEL_FEATURES)];
  if (data.cols !== features.length) throw new RangeError(`expected ${features.length} feature columns (${features.join(', ')}), got ${data.cols}`);
  if (new Set(features).size !== features.length) throw new RangeError(`feature names repeat: ${features.join(', ')}`);
  const extremeFeatures = [...(options.extremeFeatures ?? defaultExtremeFeatures(features))];
  const unknown = extremeFeatures.filter((f) => !features.includes(f));
  if (unknown.length) throw new RangeError(`extreme features ${unknown.join(', ')} are not among the features ${features.join(', ')}`);
  const transform = options.transform ?? 'compress';
  const dataHash = matrixHash(data);
  const extremeColumns = robustColumns(data, identity);
  // Trade features are robust z-scores or log ratios: their own unit is a sigma (or an e-fold). The
  // training spread never counts as narrower than that, so a day whose activity is concentrated
  // (most trades in a few hours) does not make ordinary quiet-hour trades extreme (measured: 4,822
  // false alarms on a two-level activity day without this floor).
  if (features.every(isFeatureName)) extremeColumns.scale = extremeColumns.scale.map((x) => Math.max(x, TRADE_FEATURE_UNIT));
  const normalisation = robustColumns(data, transformOf({ transform }));
  const baseline = { edges: [] as number[][], shares: [] as number[][] };
  for (let c = 0; c < data.cols; c++) {
    const bins = baselineBins(column(data, c));
    baseline.edges.push(bins.edges);
    baseline.shares.push(bins.shares);
  }
  const raw = Float64Array.from(data.values.subarray(0, data.rows * data.cols));
  const fn = transformOf({ transform });
  for (let i = 0; i < data.rows * data.cols; i++) {
    const c = i % data.cols;
    data.values[i] = (fn(data.values[i]) - normalisation.center[c]) / normalisation.scale[c];
  }
  return { features, extremeFeatures, transform, dataHash, extremeColumns, normalisation, baseline, raw, normalised: data };
}

/** The forest's parameters with the options' overrides (undefined ones ignored). */
export function forestParamsOf(options: TrainOptions): IsolationForestParams {
  return { ...DEFAULT_FOREST_PARAMS, ...definedOnly(options.forest) };
}

/** A fitted learned part: the forest, candidates, or both (an ensemble). */
export interface LearnedPart {
  kind: ModelKind;
  forest?: FlatForest;
  candidates?: CandidateModel[];
}

/**
 * The second half of training, shared by every kind: the threshold from the learned part's scores on
 * the training rows, the extremeness scale fitted to it, and the model document with its version.
 */
export function assembleModel(prep: PreparedTraining, learned: LearnedPart, options: TrainOptions = {}): AnomalyModel {
  const { features, extremeFeatures, transform, normalisation, normalised: data } = prep;
  // The threshold comes from the learned part's scores on the training rows; the extremeness scale is
  // then fitted to it, so both parts flag on the same number.
  const contamination = options.contamination ?? DEFAULT_CONTAMINATION;
  const forestScores = learnedScores(learned, data);
  const threshold = Math.max(quantile(Float64Array.from(forestScores).sort(), 1 - contamination), options.minThreshold ?? DEFAULT_MIN_THRESHOLD);
  const thresholdZ = options.thresholdZ ?? DEFAULT_THRESHOLD_Z;
  const extremeness = { ...prep.extremeColumns, thresholdZ, halfScoreZ: thresholdZ * Math.sqrt((1 - threshold) / threshold) };
  const { extreme } = extremenessInPlace({ normalisation, extremeness, transform, features, extremeFeatures }, { values: prep.raw, rows: data.rows, cols: data.cols });
  let above = 0;
  for (let r = 0; r < data.rows; r++) if (Math.max(forestScores[r], extreme[r]) >= threshold) above++;

  const createdAt = (options.now ?? new Date()).toISOString();
  const training: TrainingRecord = { sources: options.sources ?? [], rows: data.rows, dataHash: prep.dataHash };
  if (options.excludedByFeedback) training.excludedByFeedback = options.excludedByFeedback;
  const body: Omit<AnomalyModel, 'version'> = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    kind: learned.kind,
    createdAt,
    features,
    extremeFeatures,
    transform,
    normalisation,
    extremeness,
    params: forestParamsOf(options),
    threshold,
    contamination: above / Math.max(data.rows, 1),
    training,
    codeVersion: CODE_VERSION,
    baseline: prep.baseline,
  };
  if (options.tuning) body.tuning = options.tuning;
  if (options.metrics) body.metrics = options.metrics;
  if (learned.forest) body.forest = learned.forest;
  if (learned.candidates?.length) body.candidates = learned.candidates;
  const hash = createHash('sha256').update(serialiseModel({ ...body, version: '' })).digest('hex').slice(0, 10);
  const stamp = createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return { ...body, version: `${stamp}-${hash}` };
}

/** Fits the normalisation, the forest and the threshold on a matrix of raw features (consumed). */
export function trainAnomalyModel(data: FeatureMatrix, options: TrainOptions = {}): AnomalyModel {
  const prep = prepareTraining(data, options);
  const forest = fitIsolationForest(prep.normalised, forestParamsOf(options));
  return assembleModel(prep, { kind: 'isolation-forest', forest }, options);
}

type Typed = Int32Array | Float64Array;
function toBase64(a: Typed): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}
function fromBase64<T extends Typed>(text: string, Kind: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }): T {
  const bytes = Buffer.from(text, 'base64');
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return new Kind(copy);
}

export function serialiseModel(model: AnomalyModel): string {
  const { forest, candidates, ...rest } = model;
  return JSON.stringify({
    ...rest,
    ...(candidates ? { candidates: candidates.map(serialiseCandidate) } : {}),
    ...(forest ? { forest: forestDocument(forest) } : {}),
  });
}

function forestDocument(forest: FlatForest): Record<string, unknown> {
  return {
      featureCount: forest.featureCount,
      sampleSize: forest.sampleSize,
      treeRoots: toBase64(forest.treeRoots),
      feature: toBase64(forest.feature),
      split: toBase64(forest.split),
      left: toBase64(forest.left),
      leafPath: toBase64(forest.leafPath),
  };
}

function isNumberArray(v: unknown, length: number): v is number[] {
  return Array.isArray(v) && v.length === length && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

function typedField<T extends Typed>(forest: Record<string, unknown>, name: string, Kind: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }, where: string): T {
  const text = forest[name];
  if (typeof text !== 'string') throw new ModelFormatError(`${where}: forest.${name} is missing`);
  if (Buffer.byteLength(text, 'base64') % Kind.BYTES_PER_ELEMENT !== 0) throw new ModelFormatError(`${where}: forest.${name} is not a whole array`);
  return fromBase64(text, Kind);
}

/** Parses and checks a model document; every defect is a ModelFormatError naming `where`. */
export function deserialiseModel(text: string, where: string): AnomalyModel {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e: unknown) {
    throw new ModelFormatError(`${where}: not JSON`, { cause: e });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ModelFormatError(`${where}: not a model document`);
  const d = doc as Record<string, unknown>;
  if (d.format !== MODEL_FORMAT) throw new ModelFormatError(`${where}: not a ${MODEL_FORMAT} model (format ${String(d.format)})`);
  if (d.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new ModelFormatError(`${where}: model format v${String(d.formatVersion)}; this version reads v${MODEL_FORMAT_VERSION} (train a new model: trade-anomaly train)`);
  }
  const features = d.features;
  if (!Array.isArray(features) || features.length === 0 || !features.every((f): f is string => typeof f === 'string')) {
    throw new ModelFormatError(`${where}: features are missing or malformed`);
  }
  const unknown = features.filter((f) => !isFeatureName(f));
  if (unknown.length) throw new ModelFormatError(`${where}: model features ${unknown.join(', ')} are not trade features this version computes (${FEATURE_NAMES.join(', ')})`);
  if (new Set(features).size !== features.length) throw new ModelFormatError(`${where}: model features repeat: ${features.join(', ')}`);
  const extreme = d.extremeFeatures;
  if (!Array.isArray(extreme) || !extreme.every((f) => typeof f === 'string' && features.includes(f))) {
    throw new ModelFormatError(`${where}: extremeFeatures must be a subset of the features`);
  }
  if (d.transform !== 'compress' && d.transform !== 'none') throw new ModelFormatError(`${where}: transform must be compress or none`);
  const n = features.length;
  const norm = d.normalisation as Record<string, unknown> | undefined;
  const ex = d.extremeness as Record<string, unknown> | undefined;
  if (!norm || !isNumberArray(norm.center, n) || !isNumberArray(norm.scale, n)) throw new ModelFormatError(`${where}: normalisation is missing or malformed`);
  if (!ex || !isNumberArray(ex.center, n) || !isNumberArray(ex.scale, n) || typeof ex.halfScoreZ !== 'number') {
    throw new ModelFormatError(`${where}: extremeness is missing or malformed`);
  }
  const baseline = d.baseline as Record<string, unknown> | undefined;
  if (!baseline || !Array.isArray(baseline.edges) || !Array.isArray(baseline.shares) || baseline.edges.length !== n || baseline.shares.length !== n) {
    throw new ModelFormatError(`${where}: baseline is missing or malformed`);
  }
  if (typeof d.threshold !== 'number' || !(d.threshold > 0 && d.threshold <= 1)) throw new ModelFormatError(`${where}: threshold must be in (0, 1]`);
  if (d.kind !== undefined && !isModelKind(d.kind)) throw new ModelFormatError(`${where}: unknown model kind ${String(d.kind)} (this version scores ${MODEL_KINDS.join(', ')})`);
  const kind = kindOf({ kind: d.kind as ModelKind | undefined });
  const candidates = parseCandidates(d.candidates, kind, n, where);
  const forest = kind === 'isolation-forest' || kind === 'ensemble' ? parseForest(d.forest, n, where) : undefined;
  const { forest: _forest, candidates: _candidates, ...rest } = d;
  return { ...(rest as unknown as AnomalyModel), kind, ...(forest ? { forest } : {}), ...(candidates.length ? { candidates } : {}) };
}

/** The candidates a kind needs: none for a forest, one of its kind, or the ensemble's. */
function parseCandidates(value: unknown, kind: ModelKind, cols: number, where: string): CandidateModel[] {
  if (kind === 'isolation-forest') return [];
  if (!Array.isArray(value) || value.length === 0) throw new ModelFormatError(`${where}: a ${kind} model needs its candidates`);
  const candidates = value.map((c) => parseCandidate(c, cols, where));
  const expected: readonly string[] = kind === 'ensemble' ? ENSEMBLE_CANDIDATES : [kind];
  const kinds = candidates.map((c) => c.kind);
  if (kinds.length !== expected.length || kinds.some((k, i) => k !== expected[i])) {
    throw new ModelFormatError(`${where}: a ${kind} model holds ${expected.join(' and ')}, not ${kinds.join(', ')}`);
  }
  return candidates;
}

function parseForest(f: unknown, n: number, where: string): FlatForest {
  if (typeof f !== 'object' || f === null) throw new ModelFormatError(`${where}: forest is missing`);
  const fr = f as Record<string, unknown>;
  const forest: FlatForest = {
    featureCount: Number(fr.featureCount),
    sampleSize: Number(fr.sampleSize),
    treeRoots: typedField(fr, 'treeRoots', Int32Array, where),
    feature: typedField(fr, 'feature', Int32Array, where),
    split: typedField(fr, 'split', Float64Array, where),
    left: typedField(fr, 'left', Int32Array, where),
    leafPath: typedField(fr, 'leafPath', Float64Array, where),
  };
  const nodes = forest.feature.length;
  if (forest.featureCount !== n || !(forest.sampleSize >= 2) || forest.treeRoots.length === 0 || [forest.split, forest.left, forest.leafPath].some((a) => a.length !== nodes)) {
    throw new ModelFormatError(`${where}: forest arrays are inconsistent`);
  }
  return forest;
}
