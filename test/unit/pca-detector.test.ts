import { describe, expect, it } from 'vitest';
import { deserialiseModel, scoreWithModel, serialiseModel } from '../../src/model/anomaly-model.js';
import { fitPca, pcaNovelty, symmetricEigen } from '../../src/model/pca-detector.js';
import { trainModelOfKind } from '../../src/model/train-kind.js';
import { rng } from '../support/seeded-rng.js';
import { BROKEN_PAIR, copyOf, correlatedRows, KIND_FEATURES, matrixOfRows, ORDINARY } from '../support/model-kind-data.js';

describe('symmetricEigen', () => {
  it('finds the eigenpairs of a symmetric matrix: A v = λ v, vectors orthonormal', () => {
    const a = Float64Array.of(4, 1, 2, 1, 3, 0, 2, 0, 5);
    const { values, vectors } = symmetricEigen(a, 3);
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 3; i++) {
        let av = 0;
        for (let j = 0; j < 3; j++) av += a[i * 3 + j] * vectors[j * 3 + k];
        expect(av).toBeCloseTo(values[k] * vectors[i * 3 + k], 10);
      }
      for (let m = 0; m < 3; m++) {
        let dot = 0;
        for (let i = 0; i < 3; i++) dot += vectors[i * 3 + k] * vectors[i * 3 + m];
        expect(dot).toBeCloseTo(k === m ? 1 : 0, 10);
      }
    }
    // The trace is the sum of the eigenvalues.
    expect(values.reduce((s, x) => s + x, 0)).toBeCloseTo(12, 10);
  });
});

describe('PCA reconstruction error', () => {
  it('keeps the direction of two correlated columns and scores distance off it', () => {
    const random = rng(5);
    const rows = 2000;
    const values = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      const t = random() * 10 - 5;
      values[r * 2] = t + (random() - 0.5) * 0.2;
      values[r * 2 + 1] = t + (random() - 0.5) * 0.2;
    }
    const model = fitPca({ values, rows, cols: 2 }, { varianceKept: 0.9, sampleRows: 10_000 }, 1);
    expect(model.components).toHaveLength(2);
    expect(Math.abs(model.components[0])).toBeCloseTo(Math.SQRT1_2, 2);
    expect(Math.abs(model.components[1])).toBeCloseTo(Math.SQRT1_2, 2);
    const novelty = pcaNovelty(model, { values: Float64Array.of(4, 4, 1, -1, 2, -2), rows: 3, cols: 2 });
    // Along the line: about nothing to explain; off it: the squared distance (2 and 8).
    expect(novelty[0]).toBeLessThan(0.01);
    expect(novelty[1]).toBeCloseTo(2, 1);
    expect(novelty[2]).toBeCloseTo(8, 1);
  });

  it('as a model kind: trains, round-trips through JSON, scores reproducibly in [0, 1]', async () => {
    const options = { algorithm: 'pca' as const, features: KIND_FEATURES, now: new Date('2026-03-02T10:00:00Z'), forest: { seed: 3 } };
    const model = await trainModelOfKind(correlatedRows(3000, 51), options);
    const again = await trainModelOfKind(correlatedRows(3000, 51), options);
    expect(again.version).toBe(model.version);
    expect(model.kind).toBe('pca');
    const loaded = deserialiseModel(serialiseModel(model), 'pca.json');
    const rows = correlatedRows(300, 52);
    const scores = scoreWithModel(model, copyOf(rows)).scores;
    expect(scoreWithModel(loaded, copyOf(rows)).scores).toEqual(scores);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    const { forestScores } = scoreWithModel(model, matrixOfRows([BROKEN_PAIR, ORDINARY]));
    expect(forestScores[0]).toBeGreaterThan(forestScores[1]);
  });
});
