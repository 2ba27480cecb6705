import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deserialiseModel, scoreWithModel, serialiseModel } from '../../src/model/anomaly-model.js';
import { loadModelFromDir, saveModelToDir } from '../../src/model/model-store.js';
import { fitOneClassSvm } from '../../src/model/one-class-svm-training.js';
import { oneClassSvmDecision, oneClassSvmNovelty, type OneClassSvmModel } from '../../src/model/one-class-svm.js';
import { trainModelOfKind } from '../../src/model/train-kind.js';
import { BROKEN_PAIR, copyOf, correlatedRows, KIND_FEATURES, matrixOfRows, ORDINARY } from '../support/model-kind-data.js';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const OPTIONS = { algorithm: 'ocsvm' as const, features: KIND_FEATURES, now: NOW, forest: { seed: 5 }, ocsvm: { sampleRows: 1500 } };

describe('One-Class SVM: our decision function against libsvm', () => {
  const training = correlatedRows(2000, 11);
  // Wider than the training rows, so that many probes fall outside the support.
  const probe = correlatedRows(600, 12);
  for (let i = 0; i < probe.values.length; i++) probe.values[i] *= 1.6;

  it('agrees with libsvm on which side of the support every probe row lies', async () => {
    const fit = await fitOneClassSvm(copyOf(training), { nu: 0.05, sampleRows: 1500 }, 3, copyOf(probe));
    const decision = oneClassSvmDecision(fit.model, copyOf(probe));
    const ours = Array.from(decision, (d) => (d >= 0 ? 1 : -1));
    expect(fit.probeLabels).toHaveLength(probe.rows);
    // Both sides occur, so agreement is not trivial.
    expect(new Set(fit.probeLabels)).toEqual(new Set([1, -1]));
    const disagreements = ours.flatMap((label, i) => (label === fit.probeLabels![i] ? [] : [{ i, decision: decision[i] }]));
    // A row may only disagree where the decision is within rounding of the boundary.
    expect(disagreements.filter((d) => Math.abs(d.decision) > 1e-9)).toEqual([]);
  });

  it('recomputes rho at full precision: it matches the 6 digits libsvm prints', async () => {
    const fit = await fitOneClassSvm(copyOf(training), { nu: 0.1, sampleRows: 1000 }, 4);
    expect(fit.model.rho).toBeCloseTo(fit.printedRho, 4);
    expect(Math.abs(fit.model.rho - fit.printedRho) / fit.printedRho).toBeLessThan(1e-5);
  });

  it('keeps at least nu x sample rows as support vectors, with coefficients in (0, 1]', async () => {
    const fit = await fitOneClassSvm(copyOf(training), { nu: 0.1, sampleRows: 1000 }, 4);
    expect(fit.model.coefficients.length).toBeGreaterThanOrEqual(100);
    expect(fit.model.coefficients.every((a) => a > 0 && a <= 1 + 1e-12)).toBe(true);
    expect(fit.model.supportVectors.length).toBe(fit.model.coefficients.length * training.cols);
  });

  it('ranks rows by novelty exactly as by the decision value (reversed)', async () => {
    const { model } = await fitOneClassSvm(copyOf(training), { nu: 0.05, sampleRows: 1500 }, 3);
    const decision = oneClassSvmDecision(model, copyOf(probe));
    const novelty = oneClassSvmNovelty(model, copyOf(probe));
    const byDecision = Array.from(decision.keys()).sort((a, b) => decision[b] - decision[a]);
    const byNovelty = Array.from(novelty.keys()).sort((a, b) => novelty[a] - novelty[b]);
    expect(byNovelty).toEqual(byDecision);
  });

  it('keeps growing with the distance where the kernel sum underflows', () => {
    const model: OneClassSvmModel = {
      kind: 'ocsvm', nu: 0.5, gamma: 1, sampleRows: 2, seed: 0, cols: 1,
      supportVectors: Float64Array.of(0, 1), coefficients: Float64Array.of(0.5, 0.5), rho: 0.3, calibration: { reference: 1 },
    };
    const novelty = oneClassSvmNovelty(model, { values: Float64Array.of(0.5, 40, 80), rows: 3, cols: 1 });
    expect(oneClassSvmDecision(model, { values: Float64Array.of(40), rows: 1, cols: 1 })[0]).toBe(-0.3);
    expect(Number.isFinite(novelty[2])).toBe(true);
    expect(novelty[0]).toBeLessThan(novelty[1]);
    expect(novelty[1]).toBeLessThan(novelty[2]);
  });

  it('refuses parameters libsvm would misread', async () => {
    await expect(fitOneClassSvm(copyOf(training), { nu: 0, sampleRows: 100 }, 1)).rejects.toThrow(/nu/);
    await expect(fitOneClassSvm(copyOf(training), { nu: 0.1, gamma: -1, sampleRows: 100 }, 1)).rejects.toThrow(/gamma/);
  });
});

describe('a model of kind ocsvm', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('trains, saves, loads and scores the same, in [0, 1], with the forest\'s threshold rule', async () => {
    const model = await trainModelOfKind(correlatedRows(3000, 21), OPTIONS);
    expect(model.kind).toBe('ocsvm');
    expect(model.forest).toBeUndefined();
    expect(model.candidates?.map((c) => c.kind)).toEqual(['ocsvm']);
    expect(model.threshold).toBeGreaterThanOrEqual(0.5);
    expect(model.threshold).toBeLessThan(1);

    const dir = await mkdtemp(path.join(tmpdir(), 'ocsvm-'));
    dirs.push(dir);
    await saveModelToDir(dir, model);
    const loaded = await loadModelFromDir(dir);
    const rows = correlatedRows(500, 22);
    const before = scoreWithModel(model, copyOf(rows));
    const after = scoreWithModel(loaded, copyOf(rows));
    expect(after.scores).toEqual(before.scores);
    expect(before.scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(before.forestScores.every((s) => s >= 0 && s < 1)).toBe(true);
    expect(JSON.parse(serialiseModel(model)).kind).toBe('ocsvm');
  });

  it('gives the same model and scores for the same seed, and another for another seed', async () => {
    const a = await trainModelOfKind(correlatedRows(3000, 21), OPTIONS);
    const b = await trainModelOfKind(correlatedRows(3000, 21), OPTIONS);
    const c = await trainModelOfKind(correlatedRows(3000, 21), { ...OPTIONS, forest: { seed: 6 } });
    expect(serialiseModel(b)).toBe(serialiseModel(a));
    expect(b.version).toBe(a.version);
    expect(c.version).not.toBe(a.version);
    const rows = correlatedRows(200, 23);
    expect(scoreWithModel(b, copyOf(rows)).scores).toEqual(scoreWithModel(a, copyOf(rows)).scores);
  });

  it('scores a row that breaks the features\' pairing above an ordinary row', async () => {
    const model = await trainModelOfKind(correlatedRows(3000, 21), OPTIONS);
    const { forestScores } = scoreWithModel(model, matrixOfRows([BROKEN_PAIR, ORDINARY]));
    expect(forestScores[0]).toBeGreaterThan(forestScores[1]);
    expect(forestScores[0]).toBeGreaterThan(model.threshold);
  });

  it('refuses a document whose support vectors do not match its coefficients', async () => {
    const model = await trainModelOfKind(correlatedRows(1000, 21), OPTIONS);
    const doc = JSON.parse(serialiseModel(model));
    doc.candidates[0].coefficients = Buffer.from(new Float64Array(3).fill(0.5).buffer).toString('base64');
    expect(() => deserialiseModel(JSON.stringify(doc), 'm.json')).toThrow(/support vectors and coefficients do not match/);
  });
});
