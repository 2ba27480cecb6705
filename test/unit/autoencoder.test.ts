import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scoreWithModel, serialiseModel } from '../../src/model/anomaly-model.js';
import { fitAutoencoder, libraryReconstruction } from '../../src/model/autoencoder-training.js';
import { autoencoderNovelty, reconstruct, type AutoencoderModel } from '../../src/model/autoencoder.js';
import { loadModelFromDir, saveModelToDir } from '../../src/model/model-store.js';
import { trainModelOfKind } from '../../src/model/train-kind.js';
import { BROKEN_PAIR, copyOf, correlatedRows, KIND_FEATURES, matrixOfRows, ORDINARY } from '../support/model-kind-data.js';

// Small enough to train in about a second; the defaults (DEFAULT_AUTOENCODER_PARAMS) are measured in bench/.
const PARAMS = { hidden: [8, 2, 8], epochs: 8, batchSize: 128, learningRate: 0.01, sampleRows: 2000 };
const NOW = new Date('2026-03-02T10:00:00.000Z');
const OPTIONS = { algorithm: 'autoencoder' as const, features: KIND_FEATURES, now: NOW, forest: { seed: 9 }, autoencoder: PARAMS };

describe('autoencoder: our forward pass against TensorFlow.js', () => {
  it('reconstructs every row as TensorFlow.js does with the same weights', async () => {
    const model = await fitAutoencoder(correlatedRows(2000, 31), PARAMS, 1);
    const rows = correlatedRows(300, 32);
    const ours = reconstruct(model, copyOf(rows));
    const library = await libraryReconstruction(model, copyOf(rows));
    expect(library).toHaveLength(ours.length);
    // TensorFlow.js computes in float32: agreement to its precision.
    const worst = ours.reduce((m, v, i) => Math.max(m, Math.abs(v - library[i])), 0);
    expect(worst).toBeLessThan(1e-4);
    // And the reconstruction is not trivial: it differs from the input.
    expect(ours.some((v, i) => Math.abs(v - rows.values[i]) > 1e-3)).toBe(true);
  });

  it('learns: the reconstruction error after training is well below the error of the untrained network', async () => {
    const rows = correlatedRows(2000, 33);
    const trained = await fitAutoencoder(copyOf(rows), PARAMS, 2);
    const untrained = await fitAutoencoder(copyOf(rows), { ...PARAMS, epochs: 1, learningRate: 1e-6 }, 2);
    const mean = (m: AutoencoderModel): number => autoencoderNovelty(m, copyOf(rows)).reduce((a, b) => a + b, 0) / rows.rows;
    expect(mean(trained)).toBeLessThan(0.7 * mean(untrained));
  });

  it('is reproducible: the same seed gives the same weights, another seed others', async () => {
    const rows = correlatedRows(1500, 34);
    const a = await fitAutoencoder(copyOf(rows), PARAMS, 7);
    const b = await fitAutoencoder(copyOf(rows), PARAMS, 7);
    const c = await fitAutoencoder(copyOf(rows), PARAMS, 8);
    expect(b.layers).toEqual(a.layers);
    expect(c.layers[0].kernel).not.toEqual(a.layers[0].kernel);
  });
});

describe('a model of kind autoencoder', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('trains, saves, loads and scores the same, in [0, 1], reproducibly', async () => {
    const model = await trainModelOfKind(correlatedRows(3000, 41), OPTIONS);
    const again = await trainModelOfKind(correlatedRows(3000, 41), OPTIONS);
    expect(again.version).toBe(model.version);
    expect(model.kind).toBe('autoencoder');
    expect(JSON.parse(serialiseModel(model)).candidates[0].layers).toHaveLength(4);
    expect(model.threshold).toBeGreaterThanOrEqual(0.5);

    const dir = await mkdtemp(path.join(tmpdir(), 'autoencoder-'));
    dirs.push(dir);
    await saveModelToDir(dir, model);
    const loaded = await loadModelFromDir(dir);
    const rows = correlatedRows(400, 42);
    const before = scoreWithModel(model, copyOf(rows));
    expect(scoreWithModel(loaded, copyOf(rows)).scores).toEqual(before.scores);
    expect(scoreWithModel(again, copyOf(rows)).scores).toEqual(before.scores);
    expect(before.scores.every((s) => s >= 0 && s <= 1)).toBe(true);
  });

  it("scores a row that breaks the features' pairing above an ordinary row", async () => {
    const model = await trainModelOfKind(correlatedRows(3000, 41), OPTIONS);
    const { forestScores } = scoreWithModel(model, matrixOfRows([BROKEN_PAIR, ORDINARY]));
    expect(forestScores[0]).toBeGreaterThan(forestScores[1]);
  });
});
