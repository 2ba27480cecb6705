import type { FeatureMatrix } from './isolation-forest.js';
import { calibrationFrom, decodeFloat64, encodeFloat64, ModelFormatError, positiveNumber, type Calibration, type CandidateScorer } from './model-kind.js';

/**
 * A One-Class SVM (Schölkopf et al. 2001) with an RBF kernel, as stored in a model and scored without
 * libsvm: decision(x) = Σ_i α_i exp(-γ |x - sv_i|²) - ρ, negative outside the learned support. The
 * training (libsvm through libsvm-js) is in one-class-svm-training.ts, loaded only to train.
 *
 * Raw novelty is -ln(Σ_i α_i K(x, sv_i) / Σ_i α_i), computed with log-sum-exp: it is a decreasing
 * function of the decision value (so it ranks rows exactly as libsvm's decision function does) that,
 * unlike the kernel sum, does not underflow to 0 for far rows; it grows with γ times the squared
 * distance to the nearest support vectors, so a far row keeps scoring higher than a near one.
 */
export interface OneClassSvmModel {
  kind: 'ocsvm';
  /** Upper bound on the share of training rows outside the support, lower bound on the share of support vectors. */
  nu: number;
  /** RBF kernel width: K(x, y) = exp(-γ |x - y|²), on the normalised features. */
  gamma: number;
  /** Rows the SVM was fitted on (a seeded sample of the training rows: fitting is quadratic). */
  sampleRows: number;
  seed: number;
  cols: number;
  /** Row-major, supportVectors.length / cols vectors. */
  supportVectors: Float64Array;
  /** α_i of each support vector (libsvm's sv_coef), each in (0, 1]. */
  coefficients: Float64Array;
  rho: number;
  calibration: Calibration;
}

export interface OneClassSvmParams {
  nu: number;
  /** Default 1 / the number of features (libsvm's default). */
  gamma?: number;
  /** Rows to fit on; default DEFAULT_OCSVM_SAMPLE_ROWS. */
  sampleRows: number;
}

/**
 * 2,000 rows. libsvm's fit grows about quadratically with the sample, and the support vectors it
 * keeps (at least ν n) are what every row is scored against, so a larger sample costs twice. Measured
 * on trade features (bench/model-comparison.ts svm-sample; 150,000 history rows, 50,000-row day, one
 * core): 1,000 / 2,000 / 4,000 / 8,000 / 16,000 rows fit in 0.18 / 0.20 / 0.31 / 0.92 / 3.4 s, keep
 * 60 / 112 / 212 / 413 / 811 support vectors, score 462k / 240k / 124k / 76k / 36k rows/s, and rank the
 * day's rows alike (ROC-AUC 0.870-0.874, PR-AUC 0.750-0.759). 2,000 scores faster than the forest with
 * the same ranking as 16,000.
 */
export const DEFAULT_OCSVM_SAMPLE_ROWS = 2000;
export const DEFAULT_OCSVM_NU = 0.05;
export const DEFAULT_OCSVM_PARAMS: OneClassSvmParams = { nu: DEFAULT_OCSVM_NU, sampleRows: DEFAULT_OCSVM_SAMPLE_ROWS };

export function supportVectorCount(model: Pick<OneClassSvmModel, 'coefficients'>): number {
  return model.coefficients.length;
}

/** Squared distances from one row (at `offset` in `values`) to every support vector, into `out`. */
function squaredDistances(model: OneClassSvmModel, values: ArrayLike<number>, offset: number, out: Float64Array): void {
  const { supportVectors: sv, cols } = model;
  const n = model.coefficients.length;
  for (let i = 0; i < n; i++) {
    let d2 = 0;
    const o = i * cols;
    for (let c = 0; c < cols; c++) {
      const d = values[offset + c] - sv[o + c];
      d2 += d * d;
    }
    out[i] = d2;
  }
}

/** libsvm's decision value of each row: Σ α_i K(x, sv_i) - ρ (>= 0 inside the support). */
export function oneClassSvmDecision(model: OneClassSvmModel, data: FeatureMatrix): Float64Array {
  checkCols(model, data);
  const n = model.coefficients.length;
  const d2 = new Float64Array(n);
  const out = new Float64Array(data.rows);
  for (let r = 0; r < data.rows; r++) {
    squaredDistances(model, data.values, r * data.cols, d2);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += model.coefficients[i] * Math.exp(-model.gamma * d2[i]);
    out[r] = sum - model.rho;
  }
  return out;
}

/** Raw novelty of each row: -ln(Σ α_i K(x, sv_i) / Σ α_i), by log-sum-exp (never infinite). */
export function oneClassSvmNovelty(model: OneClassSvmModel, data: FeatureMatrix): Float64Array {
  checkCols(model, data);
  const n = model.coefficients.length;
  const logAlpha = new Float64Array(n);
  let alphaSum = 0;
  for (let i = 0; i < n; i++) {
    logAlpha[i] = Math.log(model.coefficients[i]);
    alphaSum += model.coefficients[i];
  }
  const logAlphaSum = Math.log(alphaSum);
  const terms = new Float64Array(n);
  const out = new Float64Array(data.rows);
  for (let r = 0; r < data.rows; r++) {
    squaredDistances(model, data.values, r * data.cols, terms);
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      terms[i] = logAlpha[i] - model.gamma * terms[i];
      if (terms[i] > max) max = terms[i];
    }
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp(terms[i] - max);
    // A NaN feature makes every term NaN: the row gets NaN, as the forest's callers expect to leave it unscored.
    out[r] = Math.max(0, logAlphaSum - (max + Math.log(sum)));
  }
  return out;
}

export function oneClassSvmScorer(model: OneClassSvmModel): CandidateScorer {
  return { rawNovelty: (data) => oneClassSvmNovelty(model, data) };
}

function checkCols(model: OneClassSvmModel, data: FeatureMatrix): void {
  if (data.cols !== model.cols) throw new RangeError(`the One-Class SVM expects ${model.cols} features, the data has ${data.cols}`);
}

export function serialiseOneClassSvm(model: OneClassSvmModel): Record<string, unknown> {
  return { ...model, supportVectors: encodeFloat64(model.supportVectors), coefficients: encodeFloat64(model.coefficients) };
}

export function parseOneClassSvm(doc: Record<string, unknown>, cols: number, where: string): OneClassSvmModel {
  const at = `${where}: ocsvm`;
  const supportVectors = decodeFloat64(doc.supportVectors, 'supportVectors', at);
  const coefficients = decodeFloat64(doc.coefficients, 'coefficients', at);
  if (doc.cols !== cols) throw new ModelFormatError(`${at}: cols must be ${cols} (the model's features)`);
  if (coefficients.length === 0 || supportVectors.length !== coefficients.length * cols) throw new ModelFormatError(`${at}: support vectors and coefficients do not match`);
  if (!coefficients.every((a) => a > 0)) throw new ModelFormatError(`${at}: coefficients must be positive`);
  if (typeof doc.rho !== 'number' || !Number.isFinite(doc.rho)) throw new ModelFormatError(`${at}: rho must be a number`);
  return {
    kind: 'ocsvm',
    nu: positiveNumber(doc.nu, 'nu', at),
    gamma: positiveNumber(doc.gamma, 'gamma', at),
    sampleRows: positiveNumber(doc.sampleRows, 'sampleRows', at),
    seed: typeof doc.seed === 'number' ? doc.seed : 0,
    cols,
    supportVectors,
    coefficients,
    rho: doc.rho,
    calibration: calibrationFrom(doc.calibration, at),
  };
}
