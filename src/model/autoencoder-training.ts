import { autoencoderNovelty, type AutoencoderModel, type AutoencoderParams, type DenseLayer } from './autoencoder.js';
import type { FeatureMatrix } from './isolation-forest.js';
import { calibrationOf, sampleRows } from './model-kind.js';
import { SeededRandom } from './random.js';

/**
 * Trains the autoencoder with TensorFlow.js (tfjs-core + tfjs-layers on the pure-JavaScript CPU
 * backend: no native download, runs on Node 20 and in Lambda). It is imported here only, on first
 * use, so scoring (autoencoder.ts) never loads it.
 *
 * Reproducible for a seed: the sample, its order and every layer's initial weights come from the
 * seed, batches are taken in that order (no shuffling inside fit), and the CPU backend computes in a
 * fixed order, so the same data and seed give the same weights.
 */

type Tf = typeof import('@tensorflow/tfjs-core');
type Tfl = typeof import('@tensorflow/tfjs-layers');

let loaded: Promise<{ tf: Tf; tfl: Tfl }> | undefined;

async function loadTensorFlow(): Promise<{ tf: Tf; tfl: Tfl }> {
  loaded ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const tfl = await import('@tensorflow/tfjs-layers');
    // Production mode skips per-op debug checks; the CPU backend is the only one registered.
    tf.enableProdMode();
    await tf.setBackend('cpu');
    return { tf, tfl };
  })();
  return loaded;
}

/** The rows of a sample in a seeded random order (Fisher-Yates), as float32 for TensorFlow.js. */
function shuffledFloat32(data: FeatureMatrix, random: SeededRandom): Float32Array {
  const order = Int32Array.from({ length: data.rows }, (_, i) => i);
  for (let i = data.rows - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const out = new Float32Array(data.rows * data.cols);
  order.forEach((r, i) => {
    for (let c = 0; c < data.cols; c++) out[i * data.cols + c] = data.values[r * data.cols + c];
  });
  return out;
}

function buildNetwork(tfl: Tfl, cols: number, hidden: readonly number[], seed: number) {
  const model = tfl.sequential();
  const units = [...hidden, cols];
  units.forEach((u, i) => {
    model.add(
      tfl.layers.dense({
        ...(i === 0 ? { inputShape: [cols] } : {}),
        units: u,
        activation: i === units.length - 1 ? 'linear' : 'tanh',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + i }),
        biasInitializer: 'zeros',
      }),
    );
  });
  return model;
}

/**
 * Fits on a seeded sample of `params.sampleRows` rows of `data` (normalised features) and calibrates on
 * the reconstruction error of all of `data`'s rows (by our own forward pass, as scoring computes it).
 */
export async function fitAutoencoder(data: FeatureMatrix, params: AutoencoderParams, seed: number): Promise<AutoencoderModel> {
  if (data.rows < 2) throw new RangeError(`an autoencoder needs at least 2 training rows, got ${data.rows}`);
  if (params.hidden.length === 0 || !params.hidden.every((h) => Number.isInteger(h) && h >= 1)) throw new RangeError(`hidden layers must be positive integers, got ${params.hidden.join(', ')}`);
  if (!(Number.isInteger(params.epochs) && params.epochs >= 1)) throw new RangeError(`epochs must be an integer >= 1, got ${params.epochs}`);
  const { tf, tfl } = await loadTensorFlow();
  const random = new SeededRandom(seed);
  const sample = sampleRows(data, params.sampleRows, random);
  const network = buildNetwork(tfl, data.cols, params.hidden, seed);
  network.compile({ optimizer: tf.train.adam(params.learningRate), loss: 'meanSquaredError' });
  const x = tf.tensor2d(shuffledFloat32(sample, random), [sample.rows, data.cols]);
  try {
    await network.fit(x, x, { epochs: params.epochs, batchSize: params.batchSize, shuffle: false, verbose: 0 });
    const layers: DenseLayer[] = [];
    let inputs = data.cols;
    for (const layer of network.layers) {
      const [kernel, bias] = layer.getWeights();
      const units = bias.shape[0];
      const config = layer.getConfig() as { activation?: string };
      layers.push({
        inputs,
        units,
        activation: config.activation === 'tanh' ? 'tanh' : 'linear',
        kernel: Float64Array.from(kernel.dataSync()),
        bias: Float64Array.from(bias.dataSync()),
      });
      inputs = units;
    }
    const model: AutoencoderModel = {
      kind: 'autoencoder',
      hidden: [...params.hidden],
      epochs: params.epochs,
      sampleRows: sample.rows,
      seed,
      cols: data.cols,
      layers,
      calibration: { reference: 1 },
    };
    model.calibration = calibrationOf(autoencoderNovelty(model, data));
    return model;
  } finally {
    x.dispose();
    network.dispose();
  }
}

/**
 * TensorFlow.js's own reconstruction of `data` by a stored model's weights: what our forward pass
 * must equal (to float32 precision). For tests and benchmarks.
 */
export async function libraryReconstruction(model: AutoencoderModel, data: FeatureMatrix): Promise<Float64Array> {
  const { tf, tfl } = await loadTensorFlow();
  const network = buildNetwork(tfl, model.cols, model.hidden, model.seed);
  network.setWeights(model.layers.flatMap((l) => [tf.tensor2d(Float32Array.from(l.kernel), [l.inputs, l.units]), tf.tensor1d(Float32Array.from(l.bias))]));
  const x = tf.tensor2d(Float32Array.from(data.values.subarray(0, data.rows * data.cols)), [data.rows, data.cols]);
  try {
    const y = network.predict(x);
    const tensor = Array.isArray(y) ? y[0] : y;
    const out = Float64Array.from(tensor.dataSync());
    tensor.dispose();
    return out;
  } finally {
    x.dispose();
    network.dispose();
  }
}
