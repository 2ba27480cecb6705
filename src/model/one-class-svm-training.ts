import type { FeatureMatrix } from './isolation-forest.js';
import { calibrationOf, sampleRows } from './model-kind.js';
import { oneClassSvmNovelty, type OneClassSvmModel, type OneClassSvmParams } from './one-class-svm.js';
import { SeededRandom } from './random.js';

/**
 * Fits a One-Class SVM with libsvm (the npm package libsvm-js, an emscripten build of libsvm 3.x) and
 * keeps what scoring needs as plain numbers: the support vectors (taken from the training rows by
 * their indices, exact, rather than from libsvm's model text, which prints them to 8 digits), the
 * coefficients (printed to 17 digits) and ρ. libsvm is imported here only, on first use, so nothing
 * that scores loads it.
 */

/** What libsvm answered for some rows, for checking our own decision function against it. */
export interface OneClassSvmFit {
  model: OneClassSvmModel;
  /** libsvm's label (+1 inside, -1 outside) of each `probe` row, when a probe was given. */
  probeLabels?: number[];
  /** ρ as libsvm printed it (6 significant digits), before it is recomputed at full precision. */
  printedRho: number;
}

function rowsOf(data: FeatureMatrix): number[][] {
  const rows: number[][] = new Array(data.rows);
  for (let r = 0; r < data.rows; r++) rows[r] = Array.from(data.values.subarray(r * data.cols, (r + 1) * data.cols));
  return rows;
}

/** The coefficient of each support vector and ρ from libsvm's model text. */
function parseModelText(text: string): { coefficients: number[]; rho: number } {
  const lines = text.split('\n');
  const rhoLine = lines.find((l) => l.startsWith('rho '));
  const svAt = lines.indexOf('SV');
  if (!rhoLine || svAt < 0) throw new Error(`libsvm model text without rho or SV section: ${text.slice(0, 200)}`);
  const coefficients = lines
    .slice(svAt + 1)
    .filter((l) => l.trim() !== '')
    .map((l) => Number(l.trim().split(/\s+/)[0]));
  return { coefficients, rho: Number(rhoLine.slice(4)) };
}

/**
 * Fits on a seeded sample of `params.sampleRows` rows of `data` (normalised features). The model is
 * calibrated on the raw novelty of all of `data`'s rows.
 */
export async function fitOneClassSvm(data: FeatureMatrix, params: OneClassSvmParams, seed: number, probe?: FeatureMatrix): Promise<OneClassSvmFit> {
  if (data.rows < 2) throw new RangeError(`a One-Class SVM needs at least 2 training rows, got ${data.rows}`);
  if (!(params.nu > 0 && params.nu <= 1)) throw new RangeError(`nu must be in (0, 1], got ${params.nu}`);
  if (params.gamma !== undefined && !(params.gamma > 0)) throw new RangeError(`gamma must be > 0, got ${params.gamma}`);
  if (!(Number.isInteger(params.sampleRows) && params.sampleRows >= 2)) throw new RangeError(`sampleRows must be an integer >= 2, got ${params.sampleRows}`);
  const { default: SVM } = await import('libsvm-js/asm.js');
  const sample = sampleRows(data, params.sampleRows, new SeededRandom(seed));
  const gamma = params.gamma ?? 1 / data.cols;
  const svm = new SVM({ type: SVM.SVM_TYPES.ONE_CLASS, kernel: SVM.KERNEL_TYPES.RBF, nu: params.nu, gamma, quiet: true });
  try {
    const samples = rowsOf(sample);
    svm.train(samples, new Array<number>(samples.length).fill(1));
    const indices = svm.getSVIndices();
    const { coefficients, rho: printedRho } = parseModelText(svm.serializeModel());
    if (coefficients.length !== indices.length) throw new Error(`libsvm reported ${indices.length} support vectors and ${coefficients.length} coefficients`);
    const supportVectors = new Float64Array(indices.length * data.cols);
    indices.forEach((row, i) => supportVectors.set(sample.values.subarray(row * data.cols, (row + 1) * data.cols), i * data.cols));
    const model: OneClassSvmModel = {
      kind: 'ocsvm',
      nu: params.nu,
      gamma,
      sampleRows: sample.rows,
      seed,
      cols: data.cols,
      supportVectors,
      coefficients: Float64Array.from(coefficients),
      rho: preciseRho(supportVectors, Float64Array.from(coefficients), gamma, data.cols) ?? printedRho,
      calibration: { reference: 1 },
    };
    model.calibration = calibrationOf(oneClassSvmNovelty(model, data));
    const probeLabels = probe ? rowsOf(probe).map((row) => svm.predictOne(row)) : undefined;
    return { model, printedRho, ...(probeLabels ? { probeLabels } : {}) };
  } finally {
    svm.free();
  }
}

/**
 * ρ at full precision: libsvm sets it to the mean decision sum Σ_j α_j K(sv_i, sv_j) over the free
 * support vectors (0 < α_i < 1), where the sum equals ρ exactly; its model text prints only 6 digits.
 * Undefined when no vector is free (then libsvm's midpoint, as printed, stands).
 */
function preciseRho(sv: Float64Array, alpha: Float64Array, gamma: number, cols: number): number | undefined {
  const n = alpha.length;
  let sum = 0;
  let free = 0;
  for (let i = 0; i < n; i++) {
    if (!(alpha[i] > 1e-12 && alpha[i] < 1 - 1e-12)) continue;
    let g = 0;
    for (let j = 0; j < n; j++) {
      let d2 = 0;
      for (let c = 0; c < cols; c++) {
        const d = sv[i * cols + c] - sv[j * cols + c];
        d2 += d * d;
      }
      g += alpha[j] * Math.exp(-gamma * d2);
    }
    sum += g;
    free++;
  }
  return free ? sum / free : undefined;
}
