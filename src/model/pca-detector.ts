import type { FeatureMatrix } from './isolation-forest.js';
import { calibrationFrom, calibrationOf, decodeFloat64, encodeFloat64, ModelFormatError, positiveNumber, sampleRows, type Calibration, type CandidateScorer } from './model-kind.js';
import { SeededRandom } from './random.js';

/**
 * PCA reconstruction error, a cheap linear baseline for the other candidates: the principal
 * components that hold `varianceKept` of the training variance span the ordinary rows; a row's raw
 * novelty is its squared distance from that subspace (what the components cannot explain). With a
 * handful of features the covariance matrix is tiny, so this is our own code (Jacobi eigenvalues)
 * rather than a library.
 */
export interface PcaModel {
  kind: 'pca';
  varianceKept: number;
  sampleRows: number;
  seed: number;
  cols: number;
  mean: Float64Array;
  /** components x cols, row-major: the kept principal directions (unit vectors). */
  components: Float64Array;
  calibration: Calibration;
}

export interface PcaParams {
  /** Keep the fewest components that explain at least this share of the variance (always fewer than the features). */
  varianceKept: number;
  sampleRows: number;
}

export const DEFAULT_PCA_PARAMS: PcaParams = { varianceKept: 0.9, sampleRows: 100_000 };

/** Eigenvalues and unit eigenvectors (columns of `vectors`, n x n row-major) of a symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: v };
}

/** Fits on a seeded sample of the rows (normalised features) and calibrates on all of them. */
export function fitPca(data: FeatureMatrix, params: PcaParams, seed: number): PcaModel {
  if (data.rows < 2) throw new RangeError(`PCA needs at least 2 training rows, got ${data.rows}`);
  if (!(params.varianceKept > 0 && params.varianceKept < 1)) throw new RangeError(`varianceKept must be in (0, 1), got ${params.varianceKept}`);
  const sample = sampleRows(data, params.sampleRows, new SeededRandom(seed));
  const { rows, cols, values } = sample;
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += values[r * cols + c] / rows;
  const cov = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const di = values[r * cols + i] - mean[i];
      for (let j = i; j < cols; j++) cov[i * cols + j] += (di * (values[r * cols + j] - mean[j])) / (rows - 1);
    }
  }
  for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) cov[i * cols + j] = cov[j * cols + i];
  const { values: eig, vectors } = symmetricEigen(cov, cols);
  const order = Array.from({ length: cols }, (_, i) => i).sort((x, y) => eig[y] - eig[x]);
  const total = eig.reduce((s, x) => s + Math.max(x, 0), 0);
  let kept = 0;
  let explained = 0;
  while (kept < cols - 1 && explained < params.varianceKept * total) explained += Math.max(eig[order[kept++]], 0);
  kept = Math.max(kept, 1);
  const components = new Float64Array(kept * cols);
  for (let k = 0; k < kept; k++) for (let c = 0; c < cols; c++) components[k * cols + c] = vectors[c * cols + order[k]];
  const model: PcaModel = { kind: 'pca', varianceKept: params.varianceKept, sampleRows: rows, seed, cols, mean, components, calibration: { reference: 1 } };
  model.calibration = calibrationOf(pcaNovelty(model, data));
  return model;
}

/** Squared distance of each row from the principal subspace through the training mean. */
export function pcaNovelty(model: PcaModel, data: FeatureMatrix): Float64Array {
  if (data.cols !== model.cols) throw new RangeError(`the PCA model expects ${model.cols} features, the data has ${data.cols}`);
  const { cols, mean, components } = model;
  const k = components.length / cols;
  const centred = new Float64Array(cols);
  const out = new Float64Array(data.rows);
  for (let r = 0; r < data.rows; r++) {
    let norm2 = 0;
    for (let c = 0; c < cols; c++) {
      centred[c] = data.values[r * cols + c] - mean[c];
      norm2 += centred[c] * centred[c];
    }
    let projected2 = 0;
    for (let j = 0; j < k; j++) {
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += centred[c] * components[j * cols + c];
      projected2 += dot * dot;
    }
    out[r] = Math.max(0, norm2 - projected2);
  }
  return out;
}

export function pcaScorer(model: PcaModel): CandidateScorer {
  return { rawNovelty: (data) => pcaNovelty(model, data) };
}

export function serialisePca(model: PcaModel): Record<string, unknown> {
  return { ...model, mean: encodeFloat64(model.mean), components: encodeFloat64(model.components) };
}

export function parsePca(doc: Record<string, unknown>, cols: number, where: string): PcaModel {
  const at = `${where}: pca`;
  if (doc.cols !== cols) throw new ModelFormatError(`${at}: cols must be ${cols} (the model's features)`);
  const mean = decodeFloat64(doc.mean, 'mean', at);
  const components = decodeFloat64(doc.components, 'components', at);
  if (mean.length !== cols || components.length === 0 || components.length % cols !== 0) throw new ModelFormatError(`${at}: mean and components do not match the features`);
  return {
    kind: 'pca',
    varianceKept: positiveNumber(doc.varianceKept, 'varianceKept', at),
    sampleRows: positiveNumber(doc.sampleRows, 'sampleRows', at),
    seed: typeof doc.seed === 'number' ? doc.seed : 0,
    cols,
    mean,
    components,
    calibration: calibrationFrom(doc.calibration, at),
  };
}
