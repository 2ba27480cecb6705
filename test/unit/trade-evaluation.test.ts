import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { crossValidate } from '../../src/evaluate/cross-validate.js';
import type { Detector } from '../../src/evaluate/detectors.js';
import { LabelColumnError, readLabelledTrades } from '../../src/evaluate/labelled-trades.js';
import { RULE_COLUMN, SCORABLE_COLUMN, anomalyModelDetector, onTrades, tradeMatrix } from '../../src/evaluate/trade-detectors.js';
import { featureCandidates, tuneModel } from '../../src/evaluate/tuning.js';
import { FEATURE_NAMES } from '../../src/features/trade-features.js';
import { DEFAULT_MODEL_FEATURES } from '../../src/model/anomaly-model.js';
import type { FeatureMatrix } from '../../src/model/isolation-forest.js';

/**
 * Evaluation on trade files: labels from a column, the trade matrix's bookkeeping columns, detectors
 * that fit on clean rows only and rank broken rules first, and the tuning search.
 */

const HEADER = 'trade_id,timestamp,symbol,side,quantity,price,is_anomaly';

/** n ordinary trades of two symbols a minute apart, then the given extra lines. */
function tradeFile(n: number, extra: string[] = []): string {
  const lines = [HEADER];
  for (let i = 0; i < n; i++) {
    const sym = i % 2 ? 'AAA' : 'BBB';
    const ts = new Date(Date.parse('2026-12-01T09:00:00Z') + i * 15_000).toISOString();
    const price = (sym === 'AAA' ? 100 : 20) * (1 + 0.002 * Math.sin(i));
    lines.push(`T${i},${ts},${sym},BUY,${100 + (i % 7) * 10},${price.toFixed(3)},0`);
  }
  return [...lines, ...extra].join('\n') + '\n';
}

const bytes = (text: string) => Readable.from([Buffer.from(text)]);

describe('readLabelledTrades', () => {
  it('reads labels from a column of the file: 0/1, true/false or an anomaly type', async () => {
    const text = tradeFile(50, ['X1,2026-12-01T12:00:00Z,AAA,BUY,100,1000,fat_finger', 'X2,2026-12-01T12:01:00Z,AAA,BUY,100,,1']);

    const data = await readLabelledTrades(bytes(text), 'day.csv', { labelColumn: 'is_anomaly' });

    expect(data.rows).toBe(52);
    expect(data.labels.slice(0, 50).every((l) => l === null)).toBe(true);
    expect(data.labels.slice(50)).toEqual(['fat_finger', 'anomaly']);
    // The row without a price breaks a rule and cannot be scored; the fat finger can.
    expect([data.ruleFlagged[50], data.scorable[50]]).toEqual([0, 1]);
    expect([data.ruleFlagged[51], data.scorable[51]]).toEqual([1, 0]);
    expect(data.features.cols).toBe(FEATURE_NAMES.length);
  });

  it('reads labels from a label file by source row', async () => {
    const data = await readLabelledTrades(bytes(tradeFile(10)), 'day.csv', { labels: new Map([[3, 'price_spike']]) });

    expect(data.labels.filter((l) => l !== null)).toEqual(['price_spike']);
    expect(data.labels[2]).toBe('price_spike');
  });

  it('names the file and the columns it has when the label column is not there', async () => {
    const read = readLabelledTrades(bytes(tradeFile(5)), 'day.csv', { labelColumn: 'verdict' });

    await expect(read).rejects.toThrow(LabelColumnError);
    await expect(readLabelledTrades(bytes(tradeFile(5)), 'day.csv', { labelColumn: 'verdict' })).rejects.toThrow("day.csv: no column 'verdict' among the file's extra columns (found: is_anomaly)");
  });
});

describe('trade detectors', () => {
  /** A matrix: one feature, then rule_flagged and scorable. */
  function matrix(rows: [number, number, number][]): FeatureMatrix {
    return { values: Float64Array.from(rows.flat()), rows: rows.length, cols: 3 };
  }

  /** A detector that records what it was fitted on and scores the feature itself. */
  function recording(): { detector: Detector; fittedOn: number[][] } {
    const fittedOn: number[][] = [];
    return {
      fittedOn,
      detector: {
        name: 'probe',
        description: 'scores x / 10',
        fit(train) {
          fittedOn.push(Array.from(train.values));
          return { threshold: 0.5, score: (data) => Float64Array.from(data.values, (x) => x / 10) };
        },
      },
    };
  }

  it('fits on clean, scorable rows only, and never sees the bookkeeping columns', async () => {
    const probe = recording();
    const fitted = await onTrades(probe.detector, { withRules: false }).fit(matrix([[1, 0, 1], [2, 1, 1], [3, 0, 0], [4, 0, 1]]), ['x', RULE_COLUMN, SCORABLE_COLUMN]);

    expect(probe.fittedOn).toEqual([[1, 4]]);
    expect(fitted.threshold).toBe(0.5);
  });

  it('scores 0 where the model cannot score, and with rules ranks every rule-flagged row above every model score', async () => {
    const probe = recording();
    const plain = await onTrades(probe.detector, { withRules: false }).fit(matrix([[1, 0, 1]]), ['x', RULE_COLUMN, SCORABLE_COLUMN]);
    const joined = await onTrades(probe.detector, { withRules: true }).fit(matrix([[1, 0, 1]]), ['x', RULE_COLUMN, SCORABLE_COLUMN]);
    const test = matrix([[9, 0, 1], [2, 1, 1], [5, 1, 0], [3, 0, 0]]);

    expect(Array.from(plain.score(test))).toEqual([0.9, 0.2, 0, 0]);
    expect(Array.from(joined.score(test))).toEqual([0.9, 1.2, 1, 0]);
    expect(onTrades(probe.detector, { withRules: true }).name).toBe('probe+rules');
  });

  it('builds the trade matrix from chosen features plus the two bookkeeping columns', async () => {
    const data = await readLabelledTrades(bytes(tradeFile(20)), 'day.csv', { labelColumn: 'is_anomaly' });

    const m = tradeMatrix(data, ['quantity_deviation', 'price_deviation']);

    expect(m.names).toEqual(['quantity_deviation', 'price_deviation', RULE_COLUMN, SCORABLE_COLUMN]);
    expect(m.matrix.cols).toBe(4);
    const q = FEATURE_NAMES.indexOf('quantity_deviation');
    expect(m.matrix.values[4 * 3]).toBe(data.features.values[3 * FEATURE_NAMES.length + q]);
  });

  it('cross-validates the production model with the rules on a labelled file: fat fingers and broken rows rank first', async () => {
    const spikes = Array.from({ length: 6 }, (_, i) => `S${i},2026-12-01T10:0${i}:30Z,AAA,BUY,100,${1000 + i},fat_finger`);
    const broken = Array.from({ length: 6 }, (_, i) => `B${i},2026-12-01T10:0${i}:45Z,BBB,BUY,-5,20,impossible_value`);
    const data = await readLabelledTrades(bytes(tradeFile(600, [...spikes, ...broken])), 'day.csv', { labelColumn: 'is_anomaly' });

    const detectors = [onTrades(anomalyModelDetector({ forest: { trees: 30 } }), { withRules: true }), onTrades(anomalyModelDetector({ forest: { trees: 30 } }), { withRules: false })];
    const cv = await crossValidate(tradeMatrix(data, DEFAULT_MODEL_FEATURES), detectors, { folds: 3, seed: 1 });

    const [withRules, alone] = cv.detectors;
    expect(withRules.mean.averagePrecision).toBeGreaterThan(0.95);
    expect(withRules.mean.recall).toBe(1);
    // Without the rules, the model cannot score rows with a negative quantity at all.
    expect(alone.mean.recall).toBeLessThanOrEqual(0.5 + 1e-9);
  });
});

describe('tuning', () => {
  it('tries the default features, each other feature added, and each default feature removed', () => {
    const sets = featureCandidates(DEFAULT_MODEL_FEATURES);

    expect(sets[0]).toEqual([...DEFAULT_MODEL_FEATURES]);
    expect(sets).toHaveLength(1 + (FEATURE_NAMES.length - DEFAULT_MODEL_FEATURES.length) + DEFAULT_MODEL_FEATURES.length);
    for (const set of sets.slice(1)) expect(Math.abs(set.length - DEFAULT_MODEL_FEATURES.length)).toBe(1);
  });

  it('searches by cross-validated PR-AUC, records every trial and never picks worse than the default', async () => {
    const spikes = Array.from({ length: 6 }, (_, i) => `S${i},2026-12-01T10:0${i}:30Z,AAA,BUY,${100 * (i + 1) * 40},100,quantity_spike`);
    const data = await readLabelledTrades(bytes(tradeFile(600, spikes)), 'day.csv', { labelColumn: 'is_anomaly' });

    const result = await tuneModel(data, { folds: 3, trees: [30, 60], sampleSizes: [64], contaminations: [0.0001, 0.001], thresholdZs: [5] });

    // Stage 2: both forests are new (the default has 100 trees); stage 3: both thresholds are new
    // (the default thresholdZ is not in the grid given).
    expect(result.trials.length).toBe(featureCandidates(DEFAULT_MODEL_FEATURES).length + 2 + 2);
    expect(result.trials.map((t) => t.stage)).toContain('threshold');
    expect(result.best.mean.averagePrecision).toBeGreaterThanOrEqual(result.baseline.mean.averagePrecision);
    expect(result.chosen.features.every((f) => (FEATURE_NAMES as readonly string[]).includes(f))).toBe(true);
  });
});
