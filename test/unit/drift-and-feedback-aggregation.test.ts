import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIFT_THRESHOLD as STAGE_DEFAULT_DRIFT_THRESHOLD } from '../../lib/stage-config.js';
import { InvalidEnvironmentError, driftThresholdFromEnv } from '../../functions/environment.js';
import { runAlert } from '../../src/alerts/run-alerts.js';
import { feedbackExclusion } from '../../src/feedback/feedback-exclusion.js';
import { FeedbackIndex, parseFeedback } from '../../src/feedback/feedback-file.js';
import { loadFeedbackFromStore } from '../../src/feedback/feedback-store.js';
import { mergeBinCounts, psi, type BinCounts } from '../../src/model/drift.js';
import type { ChunkFeatureBins } from '../../src/pipeline/manifest.js';
import { ObjectNotFoundError, type ObjectStore } from '../../src/ports/object-store.js';
import { DEFAULT_DRIFT_THRESHOLD, MIN_DRIFT_ROWS, driftWarning, runDrift } from '../../src/steps/run-drift.js';
import type { RunSummary } from '../../src/steps/run-summary.js';
import { reportFields } from '../support/run-summary-fixture.js';

/** Two features, ten bins each, a tenth of training in every bin. */
const MODEL = {
  features: ['price_deviation', 'quantity_deviation'],
  baseline: { edges: [[1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9]], shares: [Array<number>(10).fill(0.1), Array<number>(10).fill(0.1)] },
};
const EVEN: BinCounts = { counts: Array<number>(10).fill(100), missing: 0 };
/** Everything in the top bin: as far from an even baseline as it gets. */
const SHIFTED: BinCounts = { counts: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1000], missing: 0 };

function chunk(_index: number, featureBins: BinCounts[], scored = featureBins[0]?.counts.reduce((a, b) => a + b, 0) ?? 0): ChunkFeatureBins {
  return { scored, featureBins };
}

describe('runDrift', () => {
  it('reports time_rarity but never warns on it: it is relative to the day by construction', () => {
    const model = { ...MODEL, features: ['time_rarity', MODEL.features[1]] };

    const drift = runDrift([chunk(0, [SHIFTED, SHIFTED])], model, 0.25);

    expect(drift.features.map((f) => f.level)).toEqual(['significant', 'significant']);
    expect(drift.warnings).toHaveLength(1);
    expect(drift.warnings[0]).not.toContain('time_rarity');
  });

  it("sums the chunks' counts and compares each feature with its baseline, in the model's order", () => {
    const half = (b: BinCounts): BinCounts => ({ counts: b.counts.map((c) => c / 2), missing: 1 });
    const drift = runDrift([chunk(0, [half(EVEN), half(SHIFTED)]), chunk(1, [half(EVEN), half(SHIFTED)])], MODEL, 0.25);

    expect(drift.rows).toBe(1000);
    expect(drift.features).toEqual([
      { feature: 'price_deviation', psi: 0, level: 'none', missing: 2 },
      { feature: 'quantity_deviation', psi: psi(MODEL.baseline.shares[1], mergeBinCounts([SHIFTED]).counts), level: 'significant', missing: 2 },
    ]);
    expect(drift.warnings).toEqual([driftWarning('quantity_deviation', drift.features[1].psi!, 0.25)]);
    expect(drift.warnings[0]).toMatch(/^quantity_deviation has drifted from the training data \(PSI \d+\.\d\d ≥ 0\.25\): retrain or check the feed$/);
    expect(drift.note).toBeUndefined();
  });

  it('warns at the threshold itself, and not below it', () => {
    const value = psi(MODEL.baseline.shares[1], SHIFTED.counts);

    expect(runDrift([chunk(0, [EVEN, SHIFTED])], MODEL, value).warnings).toHaveLength(1);
    expect(runDrift([chunk(0, [EVEN, SHIFTED])], MODEL, value + 1e-9).warnings).toEqual([]);
  });

  it.each([
    [0.41, 0.25, '0.41'],
    [0.2531, 0.253, '0.253'],
    [0.25004, 0.25001, '0.25004'],
  ])('never shows a PSI that looks below the threshold it reached (%f at %f)', (value, threshold, shown) => {
    expect(driftWarning('time_rarity', value, threshold)).toContain(`(PSI ${shown} ≥ ${threshold})`);
  });

  it('says so, and measures nothing, when no row was scored', () => {
    const drift = runDrift([chunk(0, [{ counts: Array<number>(10).fill(0), missing: 0 }, { counts: Array<number>(10).fill(0), missing: 0 }], 0)], MODEL, 0.25);

    expect(drift).toEqual({ threshold: 0.25, rows: 0, features: [], warnings: [], note: expect.stringContaining('No rows were scored') });
  });

  it.each([
    ['without feature bins (a chunk scored by an older version)', { featureBins: undefined }],
    ['with bins for fewer features', { featureBins: [EVEN] }],
    ['with bins of another binning', { featureBins: [EVEN, { counts: [1000], missing: 0 }] }],
    ['with bins that are not counts', { featureBins: [EVEN, { counts: Array<number>(10).fill(-1), missing: 0 }] }],
  ])('does not fail the run for a chunk %s: it reports drift as not measured', (_case, change) => {
    const odd = { ...chunk(1, [EVEN, EVEN]), ...change } as unknown as ChunkFeatureBins;

    const drift = runDrift([chunk(0, [EVEN, SHIFTED]), odd], MODEL, 0.25);

    expect(drift.features).toEqual([]);
    expect(drift.warnings).toEqual([]);
    expect(drift.note).toMatch(/^Drift was not measured/);
  });

  it('leaves out a feature with no finite value on the day, and says which', () => {
    const drift = runDrift([chunk(0, [EVEN, { counts: Array<number>(10).fill(0), missing: 1000 }], 1000)], MODEL, 0.25);

    expect(drift.features[1]).toEqual({ feature: 'quantity_deviation', psi: null, level: null, missing: 1000 });
    expect(drift.warnings).toEqual([]);
    expect(drift.note).toContain('No values of quantity_deviation');
  });

  it(`shows the PSI but does not warn on fewer than ${MIN_DRIFT_ROWS} scored rows (too noisy to judge)`, () => {
    const few = { counts: [0, 0, 0, 0, 0, 0, 0, 0, 0, 50], missing: 0 };

    const drift = runDrift([chunk(0, [few, few])], MODEL, 0.25);

    expect(drift.features[1].level).toBe('significant');
    expect(drift.warnings).toEqual([]);
    expect(drift.note).toContain(`Only 50 rows were scored`);
  });

  it('has the same default as the stage config (lib/ cannot import it)', () => {
    expect(DEFAULT_DRIFT_THRESHOLD).toBe(0.25);
    expect(STAGE_DEFAULT_DRIFT_THRESHOLD).toBe(DEFAULT_DRIFT_THRESHOLD);
  });
});

describe('driftThresholdFromEnv', () => {
  it('reads DRIFT_THRESHOLD, and falls back when it is unset', () => {
    expect(driftThresholdFromEnv(0.25, { DRIFT_THRESHOLD: '0.4' })).toBe(0.4);
    expect(driftThresholdFromEnv(0.25, {})).toBe(0.25);
  });

  it.each(['0', '-1', '10.5', 'high'])('fails fast on %j, naming the variable', (value) => {
    expect(() => driftThresholdFromEnv(0.25, { DRIFT_THRESHOLD: value })).toThrow(InvalidEnvironmentError);
    expect(() => driftThresholdFromEnv(0.25, { DRIFT_THRESHOLD: value })).toThrow(/DRIFT_THRESHOLD/);
  });
});

/** An object store in memory, with a hook to fail reads. */
function memoryStore(objects: Record<string, string>, failGet?: (key: string) => Error | undefined): ObjectStore {
  const bytes = (key: string) => {
    const error = failGet?.(key);
    if (error) throw error;
    if (!(key in objects)) throw new ObjectNotFoundError('bucket', key);
    return new TextEncoder().encode(objects[key]);
  };
  return {
    bucket: 'bucket',
    get: async (key) => bytes(key),
    getStream: async (key) => (async function* () {
      yield bytes(key);
    })(),
    head: async (key) => (key in objects ? { etag: 'e', size: objects[key].length } : undefined),
    put: async (key, body) => {
      objects[key] = typeof body === 'string' ? body : new TextDecoder().decode(body);
    },
    copy: async (from, to) => {
      objects[to] = objects[from];
    },
    list: async (prefix) => Object.keys(objects).filter((k) => k.startsWith(prefix)).sort(),
  };
}

describe('loadFeedbackFromStore', () => {
  it('reads every CSV under feedback/ in key order: a later file overrides an earlier one', async () => {
    const store = memoryStore({
      'feedback/2026-11-01.csv': 'trade_id,verdict\nT-1,confirmed\nT-2,false_positive\n',
      'feedback/2026-11-02.CSV': 'trade_id,verdict\nT-1,false_positive\n',
      'feedback/notes.txt': 'not feedback',
      'feedback/sub/': '',
      'incoming/T-1.csv': 'trade_id,verdict\nT-2,confirmed\n',
    });

    const { index, files, errors } = await loadFeedbackFromStore(store);

    expect(files).toEqual(['feedback/2026-11-01.csv', 'feedback/2026-11-02.CSV']);
    expect(errors).toEqual([]);
    expect(index.verdictFor('incoming/day.csv', 'T-1', 1)?.verdict).toBe('false_positive');
    expect(index.verdictFor('incoming/day.csv', 'T-2', 2)?.verdict).toBe('false_positive');
  });

  it('leaves a bad file out whole and reports it, and still reads the others', async () => {
    const store = memoryStore({
      'feedback/a.csv': 'trade_id,verdict\nT-1,false_positive\n',
      'feedback/b.csv': 'trade_id,verdict\nT-2,confirmed\nT-3,perhaps\n',
      'feedback/c.csv': '',
      'feedback/gone.csv': 'trade_id,verdict\nT-4,fp\n',
    }, (key) => (key === 'feedback/gone.csv' ? new ObjectNotFoundError('bucket', key) : undefined));

    const { index, files, errors } = await loadFeedbackFromStore(store);

    expect(files).toEqual(['feedback/a.csv']);
    expect(errors).toEqual([
      { file: 'feedback/b.csv', message: "feedback/b.csv: line 3, field verdict: 'perhaps' is not a verdict (accepted: false_positive, fp, not_anomaly, not_an_anomaly, false_alarm, confirmed, true_positive, tp, anomaly; case, spaces and hyphens do not matter)" },
      { file: 'feedback/c.csv', message: 'feedback/c.csv: line 1: the file is empty: expected a header line' },
      { file: 'feedback/gone.csv', message: 'feedback/gone.csv was deleted while it was being read' },
    ]);
    // Nothing of the bad file is applied, not even its good line.
    expect(index.verdictFor('incoming/day.csv', 'T-2', 2)).toBeUndefined();
    expect(index.verdictFor('incoming/day.csv', 'T-1', 1)?.verdict).toBe('false_positive');
  });

  it('fails on anything that is not a bad file (S3 refusing): the run is retried, not alerted without the verdicts', async () => {
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    const store = memoryStore({ 'feedback/a.csv': 'trade_id,verdict\nT-1,fp\n' }, () => denied);

    await expect(loadFeedbackFromStore(store)).rejects.toBe(denied);
  });

  it('finds nothing in a bucket without feedback', async () => {
    const { index, files, errors } = await loadFeedbackFromStore(memoryStore({}));
    expect([index.size, files, errors]).toEqual([0, [], []]);
  });
});

describe('feedbackExclusion', () => {
  it('leaves out of training exactly the trades the analysts confirmed as anomalies', async () => {
    const entries = await parseFeedback(
      ['trade_id,source_row,file,verdict', 'T-1,,,confirmed', 'T-2,,,false_positive', ',7,day-1.csv,confirmed'].join('\n'),
      'feedback.csv',
    );
    const exclude = feedbackExclusion(new FeedbackIndex(entries));

    expect(exclude('data/day-1.csv', 'T-1', 1)).toBe(true);
    expect(exclude('data/day-1.csv', 'T-2', 2)).toBe(false);
    expect(exclude('data/day-1.csv', 'T-9', 7)).toBe(true);
    expect(exclude('data/day-2.csv', 'T-9', 7)).toBe(false);
    expect(exclude('data/day-1.csv', null, 8)).toBe(false);
  });
});

const BASE = {
  runId: 'day-0123456789abcdef',
  stage: 'prod',
  input: { bucket: 'b', key: 'incoming/day.csv' },
  day: '2026-03-02',
  rows: 1000,
  badRows: 0,
  scored: 1000,
  anomalies: 3,
  modelAnomalies: 3,
  severity: 'LOW',
  threshold: 0.6,
  modelVersion: 'v1',
  modelFittedOnInput: false,
  byReason: { 'model:price_deviation': 3 },
  topAnomalies: [
    { sourceRow: 4, tradeId: 'T-4', symbol: 'ACME', timestamp: null, side: 'BUY', quantity: 1, price: 2, score: 0.8, reasons: 'price', qualityIssues: [], feedback: 'confirmed' },
  ],
  qualityExamples: [],
  drift: { threshold: 0.25, rows: 1000, features: [], warnings: [] },
  feedback: { files: [], falsePositivesSuppressed: 0, confirmed: 0, errors: [] },
  result: 's3://b/results/date=2026-03-02/day.parquet',
  summaryUri: 's3://b/reports/date=2026-03-02/day/summary.json',
  startedAt: '2026-03-02T18:00:00.000Z',
  finishedAt: '2026-03-02T18:00:40.000Z',
  durationMs: 40_000,
} satisfies Omit<RunSummary, keyof ReturnType<typeof reportFields>>;
const SUMMARY: RunSummary = { ...BASE, ...reportFields(BASE) };

describe('runAlert with drift and feedback', () => {
  it('says nothing of drift or feedback on an ordinary day without feedback files', () => {
    const { message } = runAlert({ ...SUMMARY, topAnomalies: [] });
    expect(message).not.toContain('Drift');
    expect(message).not.toContain('feedback');
  });

  it('carries the drift warnings and note in its body, and keeps the severity', () => {
    const warning = driftWarning('quantity_deviation', 0.41, 0.25);
    const alert = runAlert({ ...SUMMARY, drift: { ...SUMMARY.drift, warnings: [warning], note: 'No values of venue_rarity on this day.' } });

    expect(alert.message).toContain(`Drift from the training data (does not change the severity):\n  ${warning}\n  No values of venue_rarity on this day.`);
    expect(alert.attributes.severity).toBe('LOW');
    expect(alert.subject).toBe('trade-anomaly prod: 3 anomalies [LOW] in day.csv');
  });

  it('counts known false positives apart in the subject, and is CLEAR when they are all there is', () => {
    const feedback = { files: ['feedback/a.csv'], falsePositivesSuppressed: 2, confirmed: 1, errors: [] };
    expect(runAlert({ ...SUMMARY, feedback }).subject).toBe('trade-anomaly prod: 1 anomaly (+2 known false positives) [LOW] in day.csv');

    const cleared = runAlert({ ...SUMMARY, severity: 'CLEAR', feedback: { ...feedback, falsePositivesSuppressed: 3, confirmed: 0 } });
    expect(cleared.subject).toBe('trade-anomaly prod: 0 anomalies (+3 known false positives) [CLEAR] in day.csv');
    expect(cleared.attributes.severity).toBe('CLEAR');
    expect(cleared.message).toContain('3 flagged rows are known false positives: left out of this alert and its severity (still flagged in the result)');
  });

  it('marks confirmed trades and names each feedback file it could not read', () => {
    const { message } = runAlert({
      ...SUMMARY,
      feedback: { files: ['feedback/a.csv'], falsePositivesSuppressed: 0, confirmed: 1, errors: [{ file: 'feedback/b.csv', message: 'feedback/b.csv: line 3, field verdict: ...' }] },
    });

    expect(message).toContain("Analysts' feedback (1 file under feedback/):");
    expect(message).toContain('1 flagged row was confirmed as an anomaly by analysts');
    expect(message).toContain('score 0.80  [confirmed by analysts]');
    expect(message).toContain('could not read feedback/b.csv, its verdicts were not applied: feedback/b.csv: line 3');
  });
});
