import type { FeatureMatrix } from './isolation-forest.js';
import { calibrationFrom, decodeFloat64, encodeFloat64, ModelFormatError, positiveNumber, type Calibration, type CandidateScorer } from './model-kind.js';

/**
 * A small dense autoencoder on the normalised features, as stored in a model and scored without
 * TensorFlow.js: each layer is y = act(x W + b), W stored row-major as TensorFlow.js keeps a dense
 * kernel ([inputs, units]). Raw novelty is the mean squared reconstruction error of a row: rows like
 * the training rows are reconstructed through the narrow middle layer, unusual combinations are not.
 * Training (TensorFlow.js layers on its pure-JS CPU backend) is in autoencoder-training.ts.
 */
export type Activation = 'tanh' | 'linear';

export interface DenseLayer {
  inputs: number;
  units: number;
  activation: Activation;
  /** inputs x units, row-major. */
  kernel: Float64Array;
  bias: Float64Array;
}

export interface AutoencoderModel {
  kind: 'autoencoder';
  /** Units of the hidden layers, e.g. [12, 3, 12]; the output layer has as many units as features. */
  hidden: number[];
  epochs: number;
  sampleRows: number;
  seed: number;
  cols: number;
  layers: DenseLayer[];
  calibration: Calibration;
}

export interface AutoencoderParams {
  hidden: number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Rows to fit on (a seeded sample); default DEFAULT_AUTOENCODER_PARAMS.sampleRows. */
  sampleRows: number;
}

/**
 * 10,000 rows, 20 epochs of batches of 256: the whole training of an autoencoder model on 150,000
 * history rows took 7 s on the 2-core machine (bench/model-comparison.ts history); the sample keeps
 * that bounded whatever the training set's size. A bottleneck of 3 for 5 features (the
 * default model's), so the network must learn how the features go together to reconstruct them.
 */
export const DEFAULT_AUTOENCODER_PARAMS: AutoencoderParams = { hidden: [12, 3, 12], epochs: 20, batchSize: 256, learningRate: 0.005, sampleRows: 10_000 };

/** Reconstruction of each row (rows x cols), by the stored layers. */
export function reconstruct(model: AutoencoderModel, data: FeatureMatrix): Float64Array {
  checkCols(model, data);
  const widest = Math.max(data.cols, ...model.layers.map((l) => l.units));
  let input = new Float64Array(widest);
  let output = new Float64Array(widest);
  const out = new Float64Array(data.rows * data.cols);
  for (let r = 0; r < data.rows; r++) {
    input.set(data.values.subarray(r * data.cols, (r + 1) * data.cols));
    for (const layer of model.layers) {
      denseForward(layer, input, output);
      const t = input;
      input = output;
      output = t;
    }
    out.set(input.subarray(0, data.cols), r * data.cols);
  }
  return out;
}

function denseForward(layer: DenseLayer, x: Float64Array, y: Float64Array): void {
  const { inputs, units, kernel, bias } = layer;
  for (let u = 0; u < units; u++) y[u] = bias[u];
  for (let i = 0; i < inputs; i++) {
    const xi = x[i];
    const o = i * units;
    for (let u = 0; u < units; u++) y[u] += xi * kernel[o + u];
  }
  if (layer.activation === 'tanh') for (let u = 0; u < units; u++) y[u] = Math.tanh(y[u]);
}

/** Mean squared reconstruction error of each row. */
export function autoencoderNovelty(model: AutoencoderModel, data: FeatureMatrix): Float64Array {
  const rec = reconstruct(model, data);
  const out = new Float64Array(data.rows);
  for (let r = 0; r < data.rows; r++) {
    let sum = 0;
    for (let c = 0; c < data.cols; c++) {
      const d = data.values[r * data.cols + c] - rec[r * data.cols + c];
      sum += d * d;
    }
    out[r] = sum / data.cols;
  }
  return out;
}

export function autoencoderScorer(model: AutoencoderModel): CandidateScorer {
  return { rawNovelty: (data) => autoencoderNovelty(model, data) };
}

function checkCols(model: AutoencoderModel, data: FeatureMatrix): void {
  if (data.cols !== model.cols) throw new RangeError(`the autoencoder expects ${model.cols} features, the data has ${data.cols}`);
}

export function serialiseAutoencoder(model: AutoencoderModel): Record<string, unknown> {
  return { ...model, layers: model.layers.map((l) => ({ ...l, kernel: encodeFloat64(l.kernel), bias: encodeFloat64(l.bias) })) };
}

export function parseAutoencoder(doc: Record<string, unknown>, cols: number, where: string): AutoencoderModel {
  const at = `${where}: autoencoder`;
  if (doc.cols !== cols) throw new ModelFormatError(`${at}: cols must be ${cols} (the model's features)`);
  if (!Array.isArray(doc.layers) || doc.layers.length === 0) throw new ModelFormatError(`${at}: layers are missing`);
  let inputs = cols;
  const layers: DenseLayer[] = doc.layers.map((raw: unknown, i: number) => {
    const l = (raw ?? {}) as Record<string, unknown>;
    const units = l.units;
    if (l.inputs !== inputs || typeof units !== 'number' || !Number.isInteger(units) || units < 1) throw new ModelFormatError(`${at}: layer ${i} has the wrong shape`);
    if (l.activation !== 'tanh' && l.activation !== 'linear') throw new ModelFormatError(`${at}: layer ${i}: activation must be tanh or linear`);
    const kernel = decodeFloat64(l.kernel, `layers[${i}].kernel`, at);
    const bias = decodeFloat64(l.bias, `layers[${i}].bias`, at);
    if (kernel.length !== inputs * units || bias.length !== units) throw new ModelFormatError(`${at}: layer ${i}'s weights do not match its shape`);
    inputs = units;
    return { inputs: l.inputs as number, units, activation: l.activation, kernel, bias };
  });
  if (inputs !== cols) throw new ModelFormatError(`${at}: the last layer must give back ${cols} features`);
  return {
    kind: 'autoencoder',
    hidden: Array.isArray(doc.hidden) ? doc.hidden.filter((h): h is number => typeof h === 'number') : layers.slice(0, -1).map((l) => l.units),
    epochs: positiveNumber(doc.epochs, 'epochs', at),
    sampleRows: positiveNumber(doc.sampleRows, 'sampleRows', at),
    seed: typeof doc.seed === 'number' ? doc.seed : 0,
    cols,
    layers,
    calibration: calibrationFrom(doc.calibration, at),
  };
}
