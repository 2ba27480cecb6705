import {
  DEFAULT_FOREST_PARAMS,
  fitIsolationForest,
  scoreIsolationForest,
  type FeatureMatrix,
  type IsolationForestParams,
} from '../model/isolation-forest.js';
import { SeededRandom } from '../model/random.js';
import { definedOnly } from '../defined-only.js';

/**
 * Detectors under comparison: each fits on unlabelled rows and scores new rows, higher = more
 * anomalous (in [0, 1] where the method has a natural scale). A detector may consume the matrices it
 * is given (cross-validation hands each one its own copies).
 */
export interface Detector {
  name: string;
  /** One line: the method and its settings, for reports. */
  description: string;
  fit(train: FeatureMatrix, names: string[]): FittedDetector | Promise<FittedDetector>;
}

export interface FittedDetector {
  score(data: FeatureMatrix): Float64Array;
  /** Scores at or above this are flagged; absent when the detector only ranks. */
  threshold?: number;
}

export interface IsolationForestDetectorParams extends Partial<IsolationForestParams> {
  /** Flag scores at or above this (0.5 is the paper's and scikit-learn's "auto" cut); default: rank only. */
  threshold?: number;
}

/** The project's own isolation forest (src/model/isolation-forest.ts) on the raw columns. */
export function isolationForestDetector(params: IsolationForestDetectorParams = {}): Detector {
  const { threshold, ...overrides } = params;
  const forestParams: IsolationForestParams = { ...DEFAULT_FOREST_PARAMS, ...definedOnly(overrides) };
  return {
    name: 'isolation-forest',
    description: `own isolation forest: ${forestParams.trees} trees, ψ=${forestParams.sampleSize}, seed ${forestParams.seed}, raw columns${thresholdNote(threshold)}`,
    fit(train) {
      const forest = fitIsolationForest(train, forestParams);
      return withThreshold({ score: (data) => scoreIsolationForest(forest, data) }, threshold);
    },
  };
}

export interface MlIsolationForestDetectorParams {
  /** nEstimators; default 100 (the package's own default). */
  trees?: number;
  /**
   * Rows to train on, drawn once with `seed` (the package grows every tree on all the rows it is
   * given, which is slow on large sets); default: all training rows, as the package does.
   */
  sampleSize?: number;
  /** Seeds only the subsample: the package's trees use Math.random, so its scores vary run to run. */
  seed?: number;
  threshold?: number;
}

/** The npm package ml-isolation-forest, loaded on first fit so that only its users pay for it. */
export function mlIsolationForestDetector(params: MlIsolationForestDetectorParams = {}): Detector {
  const { trees = 100, sampleSize, seed = 42, threshold } = params;
  if (!Number.isInteger(trees) || trees < 1) throw new RangeError(`trees must be an integer >= 1, got ${trees}`);
  if (sampleSize !== undefined && !(Number.isInteger(sampleSize) && sampleSize >= 2)) {
    throw new RangeError(`sampleSize must be an integer >= 2, got ${sampleSize}`);
  }
  const sample = sampleSize === undefined ? 'all training rows' : `${sampleSize} rows drawn with seed ${seed}`;
  return {
    name: 'ml-isolation-forest',
    description: `npm ml-isolation-forest: ${trees} trees, each on ${sample}, unseeded trees${thresholdNote(threshold)}`,
    async fit(train) {
      const { IsolationForest } = await import('ml-isolation-forest');
      const model = new IsolationForest({ nEstimators: trees });
      const rows = toRowArrays(train);
      model.train(sampleSize === undefined || sampleSize >= rows.length ? rows : subsample(rows, sampleSize, seed));
      const cols = train.cols;
      return withThreshold(
        {
          score(data) {
            checkColumns(cols, data);
            return Float64Array.from(model.predict(toRowArrays(data)));
          },
        },
        threshold,
      );
    },
  };
}

/** A robust |z| of this size scores 0.5. */
const HALF_SCORE_Z = 5;
/** MAD and mean absolute deviation to the standard deviation, for normal data. */
const MAD_TO_SIGMA = 1.4826;
const MEAN_AD_TO_SIGMA = Math.sqrt(Math.PI / 2);

export interface RobustZDetectorParams {
  /** Flag rows whose largest robust |z| reaches this; default: rank only. */
  thresholdZ?: number;
}

/**
 * Per column, the median and MAD of the training rows; a row scores z²/(z²+25) for its largest
 * robust |z| = |x - median| / (1.4826 MAD), so |z| = 5 scores 0.5. A column whose MAD is 0 (over half
 * its values equal) uses the mean absolute deviation from the median instead (·1.2533); a column
 * constant in training puts any other value infinitely far (score 1).
 */
export function robustZDetector(params: RobustZDetectorParams = {}): Detector {
  const { thresholdZ } = params;
  const threshold = thresholdZ === undefined ? undefined : zToScore(thresholdZ);
  return {
    name: 'robust-z',
    description: `largest robust |z| per row (median, 1.4826·MAD per column), z²/(z²+${HALF_SCORE_Z * HALF_SCORE_Z})${thresholdZ === undefined ? '' : `, flags |z| ≥ ${thresholdZ}`}`,
    fit(train) {
      const { center, scale } = robustColumns(train);
      return withThreshold(
        {
          score(data) {
            checkColumns(train.cols, data);
            const out = new Float64Array(data.rows);
            for (let r = 0; r < data.rows; r++) {
              let zmax = 0;
              for (let c = 0; c < data.cols; c++) {
                const d = Math.abs(data.values[r * data.cols + c] - center[c]);
                const z = scale[c] > 0 ? d / scale[c] : d > 0 ? Infinity : 0;
                if (z > zmax) zmax = z;
              }
              out[r] = zToScore(zmax);
            }
            return out;
          },
        },
        threshold,
      );
    },
  };
}

function zToScore(z: number): number {
  return z === Infinity ? 1 : (z * z) / (z * z + HALF_SCORE_Z * HALF_SCORE_Z);
}

function robustColumns(data: FeatureMatrix): { center: Float64Array; scale: Float64Array } {
  if (data.rows < 1) throw new RangeError('robust z needs at least 1 training row');
  const center = new Float64Array(data.cols);
  const scale = new Float64Array(data.cols);
  const column = new Float64Array(data.rows);
  for (let c = 0; c < data.cols; c++) {
    for (let r = 0; r < data.rows; r++) column[r] = data.values[r * data.cols + c];
    const median = sortedMedian(column.sort());
    let meanAd = 0;
    for (let r = 0; r < data.rows; r++) {
      column[r] = Math.abs(column[r] - median);
      meanAd += column[r];
    }
    const mad = sortedMedian(column.sort());
    center[c] = median;
    scale[c] = mad > 0 ? mad * MAD_TO_SIGMA : (meanAd / data.rows) * MEAN_AD_TO_SIGMA;
  }
  return { center, scale };
}

function sortedMedian(sorted: Float64Array): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

function checkColumns(expected: number, data: FeatureMatrix): void {
  if (data.cols !== expected) throw new RangeError(`the detector was fitted on ${expected} columns, the data has ${data.cols}`);
}

function toRowArrays(m: FeatureMatrix): number[][] {
  const rows: number[][] = new Array(m.rows);
  for (let r = 0; r < m.rows; r++) rows[r] = Array.from(m.values.subarray(r * m.cols, (r + 1) * m.cols));
  return rows;
}

/** k of the rows, drawn without replacement (partial Fisher-Yates on a copy). */
function subsample<T>(rows: readonly T[], k: number, seed: number): T[] {
  const random = new SeededRandom(seed);
  const pool = [...rows];
  for (let i = 0; i < k; i++) {
    const j = i + random.nextInt(pool.length - i);
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
  }
  return pool.slice(0, k);
}

function withThreshold(fitted: FittedDetector, threshold: number | undefined): FittedDetector {
  return threshold === undefined ? fitted : { ...fitted, threshold };
}

function thresholdNote(threshold: number | undefined): string {
  return threshold === undefined ? '' : `, flags score ≥ ${threshold}`;
}

