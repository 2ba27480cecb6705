import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { algorithmFromEnv, InvalidEnvironmentError } from '../../functions/environment.js';
import { DEFAULT_MODEL_ALGORITHM, MODEL_ALGORITHMS, StageConfigError, loadStageConfig } from '../../lib/stage-config.js';
import { readLabels } from '../../src/evaluate/labels.js';
import {
  deserialiseModel,
  kindOf,
  learnedScores,
  ModelFormatError,
  scoreWithModel,
  serialiseModel,
  trainAnomalyModel,
  type AnomalyModel,
} from '../../src/model/anomaly-model.js';
import { candidateScores } from '../../src/model/candidate-models.js';
import { calibrateInPlace, calibrationOf } from '../../src/model/model-kind.js';
import { scoreIsolationForest } from '../../src/model/isolation-forest.js';
import { DEFAULT_MODEL_KIND, MODEL_KINDS, type ModelKind } from '../../src/model/model-kind.js';
import { loadModelFromStore, metadataOf } from '../../src/model/model-store.js';
import { trainModelOfKind } from '../../src/model/train-kind.js';
import { trainFromSources } from '../../src/model/train-model.js';
import { scoreFileInProcess } from '../../src/scoring/score-file.js';
import { trainObject } from '../../src/steps/train-step.js';
import type { Alert } from '../../src/ports/alert-sink.js';
import { MemoryObjectStore } from '../property/memory-object-store.js';
import { cdkJson } from '../infra/synth.js';
import { generateDays, tempDir, type GeneratedDays } from '../support/fixtures.js';
import { copyOf, correlatedRows, KIND_FEATURES } from '../support/model-kind-data.js';

const NOW = new Date('2026-03-02T10:00:00.000Z');
// Small candidates, so the whole file runs in seconds; the defaults are measured in bench/model-comparison.ts.
const SMALL = {
  features: KIND_FEATURES,
  now: NOW,
  forest: { trees: 50, seed: 13 },
  ocsvm: { sampleRows: 1000 },
  autoencoder: { hidden: [8, 2, 8], epochs: 5, batchSize: 128, learningRate: 0.01, sampleRows: 2000 },
};

describe('model kinds', () => {
  it('are the same list in the stage config (lib/) and the model (src/)', () => {
    expect([...MODEL_ALGORITHMS]).toEqual([...MODEL_KINDS]);
    expect(DEFAULT_MODEL_ALGORITHM).toBe(DEFAULT_MODEL_KIND);
    expect(DEFAULT_MODEL_KIND).toBe('isolation-forest');
  });

  it('loads a model saved before kinds (no kind field) as an isolation forest, scoring as before', () => {
    const model = trainAnomalyModel(correlatedRows(2000, 1), { ...SMALL });
    expect(model.kind).toBe('isolation-forest');
    const { kind: _kind, ...old } = JSON.parse(serialiseModel(model)) as Record<string, unknown>;
    const loaded = deserialiseModel(JSON.stringify(old), 'old/model.json');
    expect(kindOf(loaded)).toBe('isolation-forest');
    const rows = correlatedRows(300, 2);
    expect(scoreWithModel(loaded, copyOf(rows)).scores).toEqual(scoreWithModel(model, copyOf(rows)).scores);
  });

  it.each([
    ['an unknown kind', (d: Record<string, unknown>) => (d.kind = 'random-forest'), /unknown model kind random-forest/],
    ['an ocsvm model without its candidates', (d: Record<string, unknown>) => ((d.kind = 'ocsvm'), delete d.candidates), /a ocsvm model needs its candidates/],
    ['a forest model without its forest', (d: Record<string, unknown>) => delete d.forest, /forest is missing/],
  ])('refuses %s', (_what, change, message) => {
    const doc = JSON.parse(serialiseModel(trainAnomalyModel(correlatedRows(500, 3), { ...SMALL }))) as Record<string, unknown>;
    change(doc);
    expect(() => deserialiseModel(JSON.stringify(doc), 'm.json')).toThrow(ModelFormatError);
    expect(() => deserialiseModel(JSON.stringify(doc), 'm.json')).toThrow(message);
  });

  it('refuses an ensemble whose candidates are not the ensemble\'s', async () => {
    const ocsvm = await trainModelOfKind(correlatedRows(1500, 4), { ...SMALL, algorithm: 'ocsvm' });
    const doc = JSON.parse(serialiseModel(ocsvm)) as Record<string, unknown>;
    doc.kind = 'ensemble';
    doc.forest = (JSON.parse(serialiseModel(trainAnomalyModel(correlatedRows(500, 4), { ...SMALL }))) as Record<string, unknown>).forest;
    expect(() => deserialiseModel(JSON.stringify(doc), 'm.json')).toThrow(/holds ocsvm and autoencoder, not ocsvm/);
  });
});

describe('every kind', () => {
  const trained = new Map<ModelKind, AnomalyModel>();
  beforeAll(async () => {
    for (const kind of MODEL_KINDS) trained.set(kind, await trainModelOfKind(correlatedRows(3000, 5), { ...SMALL, algorithm: kind }));
  }, 60_000);

  it.each(MODEL_KINDS)('%s: records its kind, round-trips through JSON and scores the same, in [0, 1]', (kind) => {
    const model = trained.get(kind)!;
    const doc = JSON.parse(serialiseModel(model)) as Record<string, unknown>;
    expect(doc.kind).toBe(kind);
    expect('forest' in doc).toBe(kind === 'isolation-forest' || kind === 'ensemble');
    const loaded = deserialiseModel(JSON.stringify(doc), `${kind}/model.json`);
    const rows = correlatedRows(400, 6);
    const scored = scoreWithModel(model, copyOf(rows));
    expect(scoreWithModel(loaded, copyOf(rows)).scores).toEqual(scored.scores);
    expect(scored.scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    // The same threshold rule for every kind: the (1 - contamination) quantile, never below 0.5.
    expect(model.threshold).toBeGreaterThanOrEqual(0.5);
    expect(model.threshold).toBeLessThanOrEqual(1);
  });

  it.each(MODEL_KINDS)('%s: keeps the extremeness part, so a single far feature is flagged whatever the learned part says', (kind) => {
    const model = trained.get(kind)!;
    const far = KIND_FEATURES.map((f) => (f === 'price_deviation' ? 40 : 0));
    const scored = scoreWithModel(model, { values: Float64Array.from(far), rows: 1, cols: far.length });
    expect(scored.scores[0]).toBeGreaterThanOrEqual(model.threshold);
  });

  it("ensemble: its learned part is the mean of the forest's and each candidate's calibrated scores", () => {
    const model = trained.get('ensemble')!;
    expect(model.candidates!.map((c) => c.kind)).toEqual(['ocsvm', 'autoencoder']);
    const rows = correlatedRows(100, 7);
    const normalised = copyOf(rows);
    const { forestScores } = scoreWithModel(model, normalised);
    // scoreWithModel leaves the matrix normalised: score its parts on it.
    const parts = [scoreIsolationForest(model.forest!, normalised), ...model.candidates!.map((c) => candidateScores(c, normalised))];
    forestScores.forEach((s, r) => expect(s).toBeCloseTo((parts[0][r] + parts[1][r] + parts[2][r]) / 3, 12));
    expect(learnedScores(model, normalised)).toEqual(forestScores);
  });

  it('metadata keeps each candidate\'s settings and leaves its arrays out', () => {
    const meta = metadataOf(trained.get('ensemble')!);
    expect(meta.kind).toBe('ensemble');
    const candidates = meta.candidates as Record<string, unknown>[];
    expect(candidates.map((c) => c.kind)).toEqual(['ocsvm', 'autoencoder']);
    expect(candidates[0]).toMatchObject({ nu: 0.05, sampleRows: 1000 });
    expect(candidates[0]).not.toHaveProperty('supportVectors');
    expect(candidates[1]).not.toHaveProperty('layers');
    expect(meta).not.toHaveProperty('forest');
  });
});

describe('scoring a trade file with each kind', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let days: GeneratedDays;
  beforeAll(async () => {
    dir = await tempDir('model-kinds');
    days = await generateDays(dir.dir, { rows: 4000, seed: 3, day: '2026-12-01', historyDays: 1 });
  }, 60_000);
  afterAll(async () => dir?.cleanup());

  it.each(['ocsvm', 'pca'] as const)('%s: flags the rule-breaking rows and scores the rest, reasons without forest attribution', async (algorithm) => {
    const sources = days.history.map((h) => ({ name: h.path, open: () => createReadStream(h.path) }));
    const model = await trainFromSources(sources, { algorithm, forest: { seed: 2 }, ocsvm: { sampleRows: 1000 } });
    expect(model.kind).toBe(algorithm);
    const file = path.join(dir.dir, 'trades.csv');
    const scored = await scoreFileInProcess(createReadStream(file), file, model);
    expect(scored.scored).toBeGreaterThan(3900);
    const scores = scored.rows.flatMap((r) => (r.score === null ? [] : [r.score]));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    const labels = await readLabels(days.day.labelsPath);
    const flaggedRows = new Set(scored.rows.filter((r) => r.isAnomaly).map((r) => r.sourceRow));
    const found = [...labels.keys()].filter((row) => flaggedRows.has(row)).length;
    expect(found / labels.size).toBeGreaterThanOrEqual(0.8);
    const modelFlagged = scored.rows.filter((r) => r.isAnomaly && r.qualityIssues.length === 0);
    expect(modelFlagged.length).toBeGreaterThan(0);
    for (const r of modelFlagged) expect(r.reasons).not.toContain('isolated by');
  }, 60_000);

  it("the train step fits the stage's algorithm and says which kind in its alert", async () => {
    const store = new MemoryObjectStore('kinds-bucket');
    await store.put('training/day.csv', new Uint8Array(await readFile(days.history[0].path)));
    const alerts: Alert[] = [];
    const outcome = await trainObject({ bucket: store.bucket, key: 'training/day.csv' }, { storeFor: () => store, alerts: { publish: async (a) => void alerts.push(a) }, stage: 'test', algorithm: 'pca' }, NOW);
    expect(outcome).toMatchObject({ status: 'trained', kind: 'pca' });
    const version = (outcome as { version: string }).version;
    expect(kindOf(await loadModelFromStore(store, version))).toBe('pca');
    expect(alerts[0].message).toMatch(/kind {10}pca/);
  }, 60_000);
});

describe('choosing the kind for a stage', () => {
  const withDev = (change: (dev: Record<string, unknown>) => void) => {
    const stages = structuredClone(cdkJson.context.stages) as Record<string, Record<string, unknown>>;
    change(stages.dev);
    return stages;
  };

  it('defaults to the isolation forest and accepts every kind', () => {
    expect(loadStageConfig(withDev((dev) => delete dev.algorithm), 'dev').algorithm).toBe('isolation-forest');
    for (const kind of MODEL_KINDS) expect(loadStageConfig(withDev((dev) => (dev.algorithm = kind)), 'dev').algorithm).toBe(kind);
  });

  it('refuses an unknown algorithm, naming the stage, the field and the choices', () => {
    const attempt = () => loadStageConfig(withDev((dev) => (dev.algorithm = 'svm')), 'dev');
    expect(attempt).toThrow(StageConfigError);
    expect(attempt).toThrow(/stage "dev"[\s\S]*algorithm must be one of isolation-forest, ocsvm, autoencoder, pca, ensemble/);
  });

  it('reaches the train function as MODEL_ALGORITHM, checked at cold start', () => {
    expect(algorithmFromEnv({})).toBe('isolation-forest');
    expect(algorithmFromEnv({ MODEL_ALGORITHM: 'autoencoder' })).toBe('autoencoder');
    expect(() => algorithmFromEnv({ MODEL_ALGORITHM: 'svm' })).toThrow(InvalidEnvironmentError);
  });
});

describe('calibration of a candidate\'s novelty', () => {
  it('scores a novelty that could not be computed (NaN) as the most unusual, never the least', () => {
    const scores = calibrateInPlace(Float64Array.from([Number.NaN, Infinity, 0, 1, -3]), { reference: 1 });
    expect(Array.from(scores)).toEqual([1, 1, 0, 0.5, 0]);
  });

  it('keeps its scale when most training rows have zero novelty: a tiny residual does not score 1', () => {
    const calibration = calibrationOf(Float64Array.from([0, 0, 0, 1]));
    expect(calibration.reference).toBeGreaterThan(1e-9);
    expect(calibrateInPlace(Float64Array.from([1e-8]), calibration)[0]).toBeLessThan(0.1);
  });
});
