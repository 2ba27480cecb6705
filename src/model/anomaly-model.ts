import { createHash } from 'node:crypto';
import { EXTREMENESS_FEATURES, FEATURE_COUNT, FEATURE_NAMES, compressFeature } from '../features/trade-features.js';
import {
  DEFAULT_FOREST_PARAMS,
  fitIsolationForest,
  scoreIsolationForest,
  type FeatureMatrix,
  type FlatForest,
  type IsolationForestParams,
} from './isolation-forest.js';

/**
 * The production model: an isolation forest on the compressed, normalised trade features, joined
 * with a robust extremeness score, and the threshold above which a trade is flagged.
 *
 * Why two parts: the forest learns what ordinary combinations of features look like, but it cannot
 * tell apart two rows that both lie beyond everything in its subsamples: a 700x quantity falls in
 * the same leaf as the largest ordinary block the trees saw, and scores no higher (measured on
 * generated days: quantity spikes scored 0.55-0.62 while ordinary 20x blocks scored 0.65). The
 * extremeness part, from the largest robust z-score of a row's features against the training
 * distribution, keeps growing with the distance, so such rows still stand out. The final score is
 * the larger of the two, both in [0, 1].
 *
 * Serialised as one JSON document whose forest arrays are base64 typed arrays (compact, exact, and
 * loadable without a parser of our own).
 */
export interface AnomalyModel {
  format: typeof MODEL_FORMAT;
  formatVersion: 1;
  /** Sortable and content-addressed: <UTC time>-<hash>. */
  version: string;
  createdAt: string;
  features: string[];
  /** Before the forest: x' = (compress(x) - center) / scale per feature. */
  normalisation: { center: number[]; scale: number[] };
  /**
   * Extremeness: z = |x - center| / scale per raw feature; s = z^2 / (z^2 + halfScoreZ^2) for the
   * largest z. halfScoreZ is set so that a row exactly `thresholdZ` robust sigmas out scores exactly
   * the threshold: beyond that distance a single feature flags a row on its own.
   */
  extremeness: { center: number[]; scale: number[]; thresholdZ: number; halfScoreZ: number };
  params: IsolationForestParams;
  /** Scores at or above this flag a trade. */
  threshold: number;
  /** Share of training rows at or above the threshold. */
  contamination: number;
  training: { sources: string[]; rows: number };
  forest: FlatForest;
}

export const MODEL_FORMAT = 'trade-anomaly/isolation-forest' as const;

export interface TrainOptions {
  forest?: Partial<IsolationForestParams>;
  /** Expected share of anomalous rows; sets the threshold at that quantile of the training scores. */
  contamination?: number;
  /** The threshold never goes below this, so a clean training set does not flag ordinary noise. */
  minThreshold?: number;
  /** Robust sigmas from the training centre at which one feature alone flags a row. */
  thresholdZ?: number;
  sources?: string[];
  now?: Date;
}

export const DEFAULT_CONTAMINATION = 0.0001;
export const DEFAULT_MIN_THRESHOLD = 0.5;
/** The classical outlier rule: a value more than 5 robust sigmas from the centre. */
export const DEFAULT_THRESHOLD_Z = 5;
// Half the interquartile range of a normal distribution is 0.6745 sigma.
const IQR_TO_SIGMA = 1 / 1.349;

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = Math.min(sorted.length - 1, Math.max(0, q * (sorted.length - 1)));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
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
    center.push(quantile(column, 0.5));
    scale.push(Math.max((quantile(column, 0.75) - quantile(column, 0.25)) * IQR_TO_SIGMA, 1e-6));
  }
  return { center, scale };
}

/** Per-row results of scoring: the score and each feature's robust z (the explanations use them). */
export interface ModelScores {
  scores: Float64Array;
  /** |x - center| / scale of each raw feature against the training distribution, rows x cols. */
  z: Float64Array;
}

/**
 * Scores rows of raw features. Consumes `data`: its values are compressed and normalised in place
 * for the forest.
 */
export function scoreWithModel(model: Pick<AnomalyModel, 'normalisation' | 'extremeness' | 'forest'>, data: FeatureMatrix): ModelScores {
  const { rows, cols, values } = data;
  const z = new Float64Array(rows * cols);
  const extreme = new Float64Array(rows);
  const ex = model.extremeness;
  const { center, scale } = model.normalisation;
  const half2 = ex.halfScoreZ * ex.halfScoreZ;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let zmax = 0;
    for (let c = 0; c < cols; c++) {
      const zc = Math.abs(values[o + c] - ex.center[c]) / ex.scale[c];
      z[o + c] = zc;
      if (EXTREMENESS_FEATURES[c] && zc > zmax) zmax = zc;
      values[o + c] = (compressFeature(values[o + c]) - center[c]) / scale[c];
    }
    extreme[r] = (zmax * zmax) / (zmax * zmax + half2);
  }
  const scores = scoreIsolationForest(model.forest, data);
  for (let r = 0; r < rows; r++) if (extreme[r] > scores[r]) scores[r] = extreme[r];
  return { scores, z };
}

/** Fits the normalisation, the forest and the threshold on a matrix of raw trade features (consumed). */
export function trainAnomalyModel(data: FeatureMatrix, options: TrainOptions = {}): AnomalyModel {
  if (data.cols !== FEATURE_COUNT) throw new RangeError(`expected ${FEATURE_COUNT} feature columns, got ${data.cols}`);
  const extremeColumns = robustColumns(data, (x) => x);
  const normalisation = robustColumns(data, compressFeature);
  const raw = Float64Array.from(data.values);
  for (let i = 0; i < data.values.length; i++) {
    data.values[i] = (compressFeature(data.values[i]) - normalisation.center[i % data.cols]) / normalisation.scale[i % data.cols];
  }
  const overrides = Object.fromEntries(Object.entries(options.forest ?? {}).filter(([, v]) => v !== undefined));
  const params: IsolationForestParams = { ...DEFAULT_FOREST_PARAMS, ...overrides };
  const forest = fitIsolationForest(data, params);

  // The threshold comes from the forest's scores on the training rows; the extremeness scale is then
  // fitted to it, so both parts flag on the same number.
  const contamination = options.contamination ?? DEFAULT_CONTAMINATION;
  const forestScores = scoreIsolationForest(forest, data).sort();
  const threshold = Math.max(quantile(forestScores, 1 - contamination), options.minThreshold ?? DEFAULT_MIN_THRESHOLD);
  const thresholdZ = options.thresholdZ ?? DEFAULT_THRESHOLD_Z;
  const extremeness = { ...extremeColumns, thresholdZ, halfScoreZ: thresholdZ * Math.sqrt((1 - threshold) / threshold) };
  const scores = scoreWithModel({ normalisation, extremeness, forest }, { values: raw, rows: data.rows, cols: data.cols }).scores;
  let above = 0;
  for (const s of scores) if (s >= threshold) above++;

  const createdAt = (options.now ?? new Date()).toISOString();
  const body = {
    format: MODEL_FORMAT,
    formatVersion: 1 as const,
    createdAt,
    features: [...FEATURE_NAMES],
    normalisation,
    extremeness,
    params,
    threshold,
    contamination: above / Math.max(scores.length, 1),
    training: { sources: options.sources ?? [], rows: data.rows },
    forest,
  };
  const hash = createHash('sha256').update(serialiseModel({ ...body, version: '' })).digest('hex').slice(0, 10);
  const stamp = createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return { ...body, version: `${stamp}-${hash}` };
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
  const { forest, ...rest } = model;
  return JSON.stringify({
    ...rest,
    forest: {
      featureCount: forest.featureCount,
      sampleSize: forest.sampleSize,
      treeRoots: toBase64(forest.treeRoots),
      feature: toBase64(forest.feature),
      split: toBase64(forest.split),
      left: toBase64(forest.left),
      leafPath: toBase64(forest.leafPath),
    },
  });
}

export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
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
  if (d.format !== MODEL_FORMAT || d.formatVersion !== 1) {
    throw new ModelFormatError(`${where}: not a ${MODEL_FORMAT} v1 model (format ${String(d.format)} v${String(d.formatVersion)})`);
  }
  const expected = [...FEATURE_NAMES].join(',');
  if (!Array.isArray(d.features) || d.features.join(',') !== expected) {
    throw new ModelFormatError(`${where}: model features ${Array.isArray(d.features) ? d.features.join(',') : 'missing'} do not match this version's ${expected}`);
  }
  const n = FEATURE_COUNT;
  const norm = d.normalisation as Record<string, unknown> | undefined;
  const ex = d.extremeness as Record<string, unknown> | undefined;
  if (!norm || !isNumberArray(norm.center, n) || !isNumberArray(norm.scale, n)) throw new ModelFormatError(`${where}: normalisation is missing or malformed`);
  if (!ex || !isNumberArray(ex.center, n) || !isNumberArray(ex.scale, n) || typeof ex.halfScoreZ !== 'number') {
    throw new ModelFormatError(`${where}: extremeness is missing or malformed`);
  }
  if (typeof d.threshold !== 'number' || !(d.threshold > 0 && d.threshold <= 1)) throw new ModelFormatError(`${where}: threshold must be in (0, 1]`);
  const f = d.forest;
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
  return { ...(d as unknown as AnomalyModel), forest };
}
