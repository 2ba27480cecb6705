import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MODEL_FEATURES,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  ModelFormatError,
  deserialiseModel,
  scoreWithModel,
  serialiseModel,
  trainAnomalyModel,
  type AnomalyModel,
} from '../../src/model/anomaly-model.js';
import { scoreIsolationForest, type FeatureMatrix } from '../../src/model/isolation-forest.js';
import { EXTREMENESS_FEATURES, FEATURE_COUNT, FEATURE_NAMES, compressFeature } from '../../src/features/trade-features.js';
import { rng } from '../support/seeded-rng.js';
import { CODE_VERSION } from '../../src/version.js';


/** rows x FEATURE_COUNT standard normal values (Box-Muller): ordinary trades' robust z-scores. */
function gaussianRows(rows: number, seed: number): Float64Array {
  const random = rng(seed);
  const values = new Float64Array(rows * FEATURE_COUNT);
  for (let i = 0; i < values.length; i++) values[i] = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return values;
}

function matrixOf(values: Float64Array | number[][]): FeatureMatrix {
  const flat = values instanceof Float64Array ? Float64Array.from(values) : Float64Array.from(values.flat());
  return { values: flat, rows: flat.length / FEATURE_COUNT, cols: FEATURE_COUNT };
}

/** Scores copies of the rows (scoreWithModel consumes its input). */
function score(model: AnomalyModel, rows: Float64Array | number[][]): Float64Array {
  return scoreWithModel(model, matrixOf(rows)).scores;
}

const TRAINING = gaussianRows(2000, 7);
const NOW = new Date('2026-03-02T10:00:00.000Z');
const FOREST = { trees: 60, sampleSize: 256, seed: 42 };

function train(options: Parameters<typeof trainAnomalyModel>[1] = {}): AnomalyModel {
  return trainAnomalyModel(matrixOf(TRAINING), { forest: FOREST, now: NOW, features: FEATURE_NAMES, ...options });
}

const model = train({ contamination: 0.01 });

/** A row at the training centre, with one feature moved `z` robust sigmas out. */
function rowOut(m: AnomalyModel, feature: number, z: number): number[] {
  const row = [...m.extremeness.center];
  row[feature] = m.extremeness.center[feature] + z * m.extremeness.scale[feature];
  return row;
}

describe('trainAnomalyModel', () => {
  it('describes itself: format, the feature list, the forest parameters, its training rows, data hash and code version', () => {
    expect(model.format).toBe(MODEL_FORMAT);
    expect(model.formatVersion).toBe(MODEL_FORMAT_VERSION);
    expect(model.features).toEqual([...FEATURE_NAMES]);
    expect(model.extremeFeatures).toEqual([...EXTREMENESS_FEATURES]);
    expect(model.params).toEqual(FOREST);
    expect(model.training.rows).toBe(2000);
    expect(model.training.dataHash).toMatch(/^[0-9a-f]{16}$/);
    expect(model.codeVersion).toBe(CODE_VERSION);
    expect(model.forest!.featureCount).toBe(FEATURE_COUNT);
    expect(model.createdAt).toBe('2026-03-02T10:00:00.000Z');
    expect(model.version).toMatch(/^20260302T100000Z-[0-9a-f]{10}$/);
  });

  it('fits the extremeness centre and scale as each column\'s median and IQR-based sigma', () => {
    // Standard normal data: median ~ 0 and IQR / 1.349 ~ 1 (2000 rows: standard errors ~0.03).
    for (let c = 0; c < FEATURE_COUNT; c++) {
      expect(Math.abs(model.extremeness.center[c])).toBeLessThan(0.15);
      expect(model.extremeness.scale[c]).toBeGreaterThan(0.85);
      expect(model.extremeness.scale[c]).toBeLessThan(1.15);
    }
  });

  it.each([
    { contamination: 0.01, minThreshold: 0.5 },
    { contamination: 0.05, minThreshold: 0.3 },
    { contamination: 0.0001, minThreshold: 0.5 },
    { contamination: 0.01, minThreshold: 0.9 },
  ])('keeps the threshold within [minThreshold, 1] (contamination $contamination, minThreshold $minThreshold)', (options) => {
    const m = train(options);

    expect(m.threshold).toBeGreaterThanOrEqual(options.minThreshold);
    expect(m.threshold).toBeLessThanOrEqual(1);
  });

  it.each([
    { contamination: 0.01, minThreshold: 0.5 },
    { contamination: 0.2, minThreshold: 0.6 },
    { contamination: 0.0001, minThreshold: 0.5 },
  ])('reports as contamination the share of its training rows that score at or above the threshold ($contamination, floor $minThreshold)', (options) => {
    const m = options.contamination === 0.01 ? model : train(options);

    const scores = score(m, TRAINING);
    const flagged = scores.filter((s) => s >= m.threshold).length / scores.length;

    expect(m.contamination).toBeCloseTo(flagged, 12);
  });

  it('flags about the requested share of the training rows when the threshold is not floored', () => {
    const m = train({ contamination: 0.05, minThreshold: 0 });

    // The forest alone flags ~5% at its own 95th percentile; the extremeness part (5 sigmas) adds
    // next to nothing on Gaussian data.
    expect(m.contamination).toBeGreaterThanOrEqual(0.045);
    expect(m.contamination).toBeLessThan(0.06);
  });

  it('flags fewer training rows when the floor lifts the threshold above the requested quantile', () => {
    const floored = train({ contamination: 0.05, minThreshold: 0.95 });

    expect(floored.threshold).toBe(0.95);
    expect(floored.contamination).toBeLessThan(0.05);
  });

  it('sets the extremeness scale so a row exactly thresholdZ sigmas out scores the threshold', () => {
    const { thresholdZ, halfScoreZ } = model.extremeness;
    const z2 = thresholdZ * thresholdZ;

    expect(z2 / (z2 + halfScoreZ * halfScoreZ)).toBeCloseTo(model.threshold, 12);
  });

  it('honours a custom thresholdZ', () => {
    const m = train({ contamination: 0.01, thresholdZ: 8 });

    expect(m.extremeness.thresholdZ).toBe(8);
  });

  it('is reproducible: the same data, options and clock give the same version and forest', () => {
    const again = train({ contamination: 0.01 });

    expect(again.version).toBe(model.version);
    expect(again.forest!.split).toEqual(model.forest!.split);
  });

  it('refuses a matrix whose column count is not the feature count', () => {
    const wrong: FeatureMatrix = { values: new Float64Array(30), rows: 10, cols: 3 };

    expect(() => trainAnomalyModel(wrong)).toThrow(`expected ${DEFAULT_MODEL_FEATURES.length} feature columns (${DEFAULT_MODEL_FEATURES.join(', ')}), got 3`);
  });

  it('hashes its training data: the same rows give the same hash, one changed value another', () => {
    const changed = Float64Array.from(TRAINING);
    changed[17] += 1e-9;

    expect(train({ contamination: 0.01 }).training.dataHash).toBe(model.training.dataHash);
    expect(trainAnomalyModel(matrixOf(changed), { forest: FOREST, features: FEATURE_NAMES }).training.dataHash).not.toBe(model.training.dataHash);
  });

  it("keeps each feature's training deciles as the drift baseline", () => {
    expect(model.baseline.edges).toHaveLength(FEATURE_COUNT);
    for (let c = 0; c < FEATURE_COUNT; c++) {
      expect(model.baseline.shares[c].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      // Standard normal columns: the middle cut point sits near 0.
      const edges = model.baseline.edges[c];
      expect(Math.abs(edges[Math.floor(edges.length / 2)])).toBeLessThan(0.15);
    }
  });

  it('reads a subset of the features, and any named columns for other data', () => {
    const two = Float64Array.from({ length: 4000 }, (_, i) => TRAINING[Math.floor(i / 2) * FEATURE_COUNT + (i % 2)]);

    const subset = trainAnomalyModel({ values: Float64Array.from(two), rows: 2000, cols: 2 }, { features: ['price_deviation', 'price_jump'], forest: FOREST });
    const generic = trainAnomalyModel({ values: Float64Array.from(two), rows: 2000, cols: 2 }, { features: ['f0', 'f1'], transform: 'none', forest: FOREST });

    expect(subset.extremeFeatures).toEqual(['price_deviation']);
    expect(subset.forest!.featureCount).toBe(2);
    // Columns that are not trade features are all read by the extremeness part.
    expect(generic.extremeFeatures).toEqual(['f0', 'f1']);
    expect(generic.transform).toBe('none');
  });

  it('refuses repeated feature names and extreme features it does not read', () => {
    const m = { values: new Float64Array(20), rows: 10, cols: 2 };

    expect(() => trainAnomalyModel(m, { features: ['a', 'a'] })).toThrow('feature names repeat: a, a');
    expect(() => trainAnomalyModel(m, { features: ['a', 'b'], extremeFeatures: ['c'] })).toThrow('extreme features c are not among the features a, b');
  });
});

describe('scoreWithModel', () => {
  it('scores every row in [0, 1]', () => {
    const rows = [...Array.from(gaussianRows(200, 99)), ...rowOut(model, 0, 1e6), ...rowOut(model, 2, -1e6)];

    const scores = score(model, Float64Array.from(rows));

    expect(scores).toHaveLength(202);
    for (const s of scores) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it('scores a row at the centre of the training data below the threshold', () => {
    const [s] = score(model, [model.extremeness.center]);

    expect(s).toBeLessThan(model.threshold);
  });

  it.each([
    ['price_deviation', 0],
    ['quantity_deviation', 2],
    ['notional_deviation', 3],
    ['time_rarity', 4],
  ])('flags a row with %s 50 robust sigmas out, although the forest scores it like a 500-sigma one', (_name, feature) => {
    const far = rowOut(model, feature, 50);
    const farther = rowOut(model, feature, 500);
    const forestOnly = (row: number[]): number => {
      const normalised = row.map((x, c) => (compressFeature(x) - model.normalisation.center[c]) / model.normalisation.scale[c]);
      return scoreIsolationForest(model.forest!, { values: Float64Array.from(normalised), rows: 1, cols: FEATURE_COUNT })[0];
    };

    const [s50, s500] = score(model, [far, farther]);

    // Both lie beyond every training value: every split sends them the same way.
    expect(forestOnly(far)).toBe(forestOnly(farther));
    expect(s50).toBeGreaterThanOrEqual(model.threshold);
    expect(s500).toBeGreaterThan(s50);
  });

  it('flags a row exactly thresholdZ sigmas out on an extremeness feature', () => {
    const [atLimit] = score(model, [rowOut(model, 2, model.extremeness.thresholdZ)]);

    expect(atLimit).toBeGreaterThanOrEqual(model.threshold - 1e-12);
  });

  it('leaves price_jump to the forest: its score for a far jump is the forest\'s alone', () => {
    expect(EXTREMENESS_FEATURES).not.toContain('price_jump');
    const row = rowOut(model, 1, 50);
    const normalised = row.map((x, c) => (compressFeature(x) - model.normalisation.center[c]) / model.normalisation.scale[c]);

    const [s] = score(model, [row]);

    const forest = scoreIsolationForest(model.forest!, { values: Float64Array.from(normalised), rows: 1, cols: FEATURE_COUNT })[0];
    expect(s).toBeCloseTo(forest, 12);
  });

  it('returns each feature\'s robust z against the training distribution', () => {
    const row = rowOut(model, 2, 7);

    const { z } = scoreWithModel(model, matrixOf([row]));

    expect(z[0]).toBeCloseTo(0, 12);
    expect(z[2]).toBeCloseTo(7, 9);
  });
});

describe('serialiseModel / deserialiseModel', () => {
  it('round-trips to a model that scores exactly the same', () => {
    const probe = gaussianRows(300, 5);

    const copy = deserialiseModel(serialiseModel(model), 'memory');

    expect(Array.from(score(copy, probe))).toEqual(Array.from(score(model, probe)));
    expect(copy.threshold).toBe(model.threshold);
    expect(copy.version).toBe(model.version);
    expect(copy.forest!.leafPath).toEqual(model.forest!.leafPath);
    expect(copy.forest!.treeRoots).toEqual(model.forest!.treeRoots);
  });

  it('stores the forest arrays as typed arrays again', () => {
    const copy = deserialiseModel(serialiseModel(model), 'memory');

    expect(copy.forest!.feature).toBeInstanceOf(Int32Array);
    expect(copy.forest!.split).toBeInstanceOf(Float64Array);
  });

  function tampered(change: (doc: Record<string, unknown>) => void): string {
    const doc = JSON.parse(serialiseModel(model)) as Record<string, unknown>;
    change(doc);
    return JSON.stringify(doc);
  }

  it.each([
    ['not JSON', '{"format": "trade', /s3:\/\/models\/v1\/model\.json: not JSON/],
    ['another format', tampered((d) => (d.format = 'something-else')), /s3:\/\/models\/v1\/model\.json: not a trade-anomaly\/isolation-forest model \(format something-else\)/],
    ['an earlier format version', tampered((d) => (d.formatVersion = 1)), /s3:\/\/models\/v1\/model\.json: model format v1; this version reads v2 \(train a new model/],
    [
      'a feature this version does not compute',
      tampered((d) => (d.features = [...FEATURE_NAMES.slice(0, -1), 'moon_phase'])),
      /s3:\/\/models\/v1\/model\.json: model features moon_phase are not trade features/,
    ],
    ['a feature list that does not match its arrays', tampered((d) => (d.features = ['price_deviation', 'quantity_deviation'])), /s3:\/\/models\/v1\/model\.json: (extremeFeatures|normalisation)/],
    ['repeated features', tampered((d) => (d.features = FEATURE_NAMES.map(() => 'price_jump'))), /model features repeat/],
    ['no drift baseline', tampered((d) => delete d.baseline), /baseline is missing/],
  ])('rejects %s with a ModelFormatError naming the place', (_case, text, message) => {
    const load = (): AnomalyModel => deserialiseModel(text, 's3://models/v1/model.json');

    expect(load).toThrow(ModelFormatError);
    expect(load).toThrow(message);
  });

  // Regression: these once escaped as a TypeError or RangeError that did not name the model's place.
  it.each([
    ['JSON null', 'null'],
    ['a document without forest and features', JSON.stringify({ format: MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION })],
    ['a document without features', tampered((d) => delete d.features)],
  ])('rejects %s with a ModelFormatError naming the place', (_case, text) => {
    expect(() => deserialiseModel(text, 's3://models/v1/model.json')).toThrow(ModelFormatError);
    expect(() => deserialiseModel(text, 's3://models/v1/model.json')).toThrow(/s3:\/\/models\/v1\/model\.json/);
  });
});
