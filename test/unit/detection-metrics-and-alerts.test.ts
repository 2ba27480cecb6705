import { describe, expect, it } from 'vitest';
import { averagePrecision, detectionMetrics, rocAuc, type LabelledPrediction } from '../../src/evaluate/detection-metrics.js';
import { MAX_SUBJECT_LENGTH, asciiSubject, failureAlert, rejectionAlert, runAlert } from '../../src/alerts/run-alerts.js';
import { SchemaMismatchError } from '../../src/schema/trade-schema.js';
import type { RunSummary, TopAnomaly } from '../../src/steps/run-summary.js';
import { rng } from '../support/seeded-rng.js';
import { reportFields } from '../support/run-summary-fixture.js';


/** ROC-AUC by its definition: the share of (positive, negative) pairs ranked right, ties counting half. */
function pairwiseAuc(scores: number[], positive: boolean[]): number {
  let credit = 0;
  let pairs = 0;
  scores.forEach((sp, i) => {
    if (!positive[i]) return;
    scores.forEach((sn, j) => {
      if (positive[j]) return;
      pairs++;
      credit += sp > sn ? 1 : sp === sn ? 0.5 : 0;
    });
  });
  return credit / pairs;
}

/** scikit-learn's average precision: sum over distinct thresholds t (high to low) of (R_t - R_prev) * P_t. */
function sklearnAp(scores: number[], positive: boolean[]): number {
  const totalPos = positive.filter(Boolean).length;
  const thresholds = [...new Set(scores)].sort((a, b) => b - a);
  let ap = 0;
  let prevRecall = 0;
  for (const t of thresholds) {
    const flagged = scores.map((s, i) => [s >= t, positive[i]] as const).filter(([f]) => f);
    const tp = flagged.filter(([, p]) => p).length;
    const recall = tp / totalPos;
    ap += (recall - prevRecall) * (tp / flagged.length);
    prevRecall = recall;
  }
  return ap;
}

describe('rocAuc', () => {
  it('is 0.75 on scikit-learn\'s documented example', () => {
    // y = [0, 0, 1, 1], scores = [0.1, 0.4, 0.35, 0.8]: pairs (0.35>0.1), (0.35<0.4), (0.8>0.1), (0.8>0.4) -> 3/4
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBe(0.75);
  });

  it('gives a tie between a positive and a negative half credit', () => {
    // positives 0.5, 0.9; negatives 0.5, 0.2: (0.5=0.5) 0.5 + (0.5>0.2) 1 + 1 + 1 = 3.5 of 4
    expect(rocAuc([0.5, 0.5, 0.2, 0.9], [true, false, false, true])).toBe(0.875);
  });

  it('is 0.5 when every score is the same', () => {
    expect(rocAuc([0.3, 0.3, 0.3, 0.3, 0.3], [true, false, true, false, false])).toBe(0.5);
  });

  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [true, true, false, false])).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [true, true, false, false])).toBe(0);
  });

  it('is NaN without positives or without negatives', () => {
    expect(rocAuc([0.1, 0.2], [false, false])).toBeNaN();
    expect(rocAuc([0.1, 0.2], [true, true])).toBeNaN();
  });

  it('agrees with the pairwise definition on random data with many ties', () => {
    const random = rng(11);
    for (let trial = 0; trial < 20; trial++) {
      const n = 30 + trial;
      const scores = Array.from({ length: n }, () => Math.round(random() * 8) / 8);
      const positive = scores.map((s) => random() < 0.2 + s * 0.5);
      positive[0] = true;
      positive[1] = false;

      expect(rocAuc(scores, positive)).toBeCloseTo(pairwiseAuc(scores, positive), 12);
    }
  });
});

describe('averagePrecision', () => {
  it('is 0.8333 on scikit-learn\'s documented example', () => {
    // Thresholds 0.8: R .5 P 1 -> .5; 0.4: R .5 -> 0; 0.35: R 1 P 2/3 -> 1/3; 0.1: R 1 -> 0. Total 5/6.
    expect(averagePrecision([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBeCloseTo(5 / 6, 12);
  });

  it('treats tied scores as one threshold', () => {
    // 0.9: R .5 P 1 -> .5; 0.5 (one positive, one negative): R 1 P 2/3 -> 1/3; 0.2: 0. Total 5/6.
    expect(averagePrecision([0.5, 0.5, 0.2, 0.9], [true, false, false, true])).toBeCloseTo(5 / 6, 12);
  });

  it('is the positive share when every score ties', () => {
    expect(averagePrecision([1, 1, 1, 1], [true, false, false, false])).toBeCloseTo(0.25, 12);
  });

  it('is 1 for a perfect ranking', () => {
    expect(averagePrecision([0.9, 0.8, 0.2, 0.1], [true, true, false, false])).toBe(1);
  });

  it('is NaN without positives', () => {
    expect(averagePrecision([0.1, 0.2], [false, false])).toBeNaN();
  });

  it('agrees with scikit-learn\'s definition on random data with ties', () => {
    const random = rng(5);
    for (let trial = 0; trial < 20; trial++) {
      const n = 25 + trial;
      const scores = Array.from({ length: n }, () => Math.round(random() * 10) / 10);
      const positive = scores.map((s) => random() < 0.1 + s * 0.4);
      positive[0] = true;

      expect(averagePrecision(scores, positive)).toBeCloseTo(sklearnAp(scores, positive), 12);
    }
  });
});

describe('detectionMetrics', () => {
  const predictions: LabelledPrediction[] = [
    { score: 0.95, flagged: true, label: 'fat_finger' },
    { score: 0.9, flagged: true, label: 'fat_finger' },
    { score: 0.4, flagged: false, label: 'fat_finger' },
    { score: 0.85, flagged: true, label: 'odd_hour' },
    { score: 0.8, flagged: true, label: null },
    { score: 0.3, flagged: false, label: null },
    { score: 0.2, flagged: false, label: null },
    { score: 0.1, flagged: false, label: null },
    { score: 0.5, flagged: false, label: 'duplicate' },
  ];

  it('counts the confusion matrix', () => {
    const m = detectionMetrics(predictions);

    expect(m).toMatchObject({
      rows: 9,
      positives: 5,
      flagged: 4,
      truePositives: 3,
      falsePositives: 1,
      falseNegatives: 2,
      trueNegatives: 3,
    });
  });

  it('derives precision, recall and F1 from the counts', () => {
    const m = detectionMetrics(predictions);

    expect(m.precision).toBeCloseTo(3 / 4, 12);
    expect(m.recall).toBeCloseTo(3 / 5, 12);
    expect(m.f1).toBeCloseTo((2 * 0.75 * 0.6) / (0.75 + 0.6), 12);
  });

  it('gives recall per anomaly type, types in alphabetical order', () => {
    const m = detectionMetrics(predictions);

    expect(m.recallByType).toEqual({
      duplicate: { total: 1, found: 0, recall: 0 },
      fat_finger: { total: 3, found: 2, recall: 2 / 3 },
      odd_hour: { total: 1, found: 1, recall: 1 },
    });
    expect(Object.keys(m.recallByType)).toEqual(['duplicate', 'fat_finger', 'odd_hour']);
  });

  it('ranks by score for ROC-AUC and average precision, whatever was flagged', () => {
    const m = detectionMetrics(predictions);
    const scores = predictions.map((p) => p.score);
    const positive = predictions.map((p) => p.label !== null);

    expect(m.rocAuc).toBeCloseTo(pairwiseAuc(scores, positive), 12);
    expect(m.averagePrecision).toBeCloseTo(sklearnAp(scores, positive), 12);
  });

  it('gives NaN precision when nothing is flagged and NaN recall without positives', () => {
    const nothingFlagged = detectionMetrics([
      { score: 0.1, flagged: false, label: 'x' },
      { score: 0.2, flagged: false, label: null },
    ]);
    const noPositives = detectionMetrics([{ score: 0.1, flagged: true, label: null }]);

    expect(nothingFlagged.precision).toBeNaN();
    expect(nothingFlagged.recall).toBe(0);
    expect(noPositives.recall).toBeNaN();
    expect(noPositives.precision).toBe(0);
  });
});

const ANOMALY: TopAnomaly = {
  sourceRow: 42,
  tradeId: 'T-42',
  symbol: 'ACME',
  timestamp: '2026-03-02T10:05:00.000Z',
  side: 'BUY',
  quantity: 300,
  price: 1012.5,
  score: 0.912,
  reasons: "price 1012.5 is 10x the symbol's median 101.25",
  qualityIssues: [],
};

function summary(overrides: Partial<RunSummary> = {}): RunSummary {
  const base = {
    runId: 'trades-2026-03-02-0123456789abcdef',
    stage: 'prod',
    input: { bucket: 'trades-prod', key: 'incoming/trades-2026-03-02.csv' },
    day: '2026-03-02',
    rows: 150_000,
    badRows: 12,
    scored: 149_990,
    anomalies: 30,
    modelAnomalies: 18,
    severity: 'HIGH',
    threshold: 0.6,
    modelVersion: '20260301T000000Z-abcdef0123',
    modelFittedOnInput: false,
    byReason: { MODEL: 18, MISSING_FIELD: 7, NON_POSITIVE_VALUE: 5 },
    topAnomalies: [ANOMALY],
    qualityExamples: [],
    drift: { threshold: 0.25, rows: 149_990, features: [], warnings: [] },
    feedback: { files: [], falsePositivesSuppressed: 0, confirmed: 0, errors: [] },
    result: 's3://trades-prod/results/date=2026-03-02/trades-2026-03-02.parquet',
    summaryUri: 's3://trades-prod/runs/trades-2026-03-02-0123456789abcdef/summary.json',
    startedAt: '2026-03-02T18:00:00.000Z',
    finishedAt: '2026-03-02T18:00:40.000Z',
    durationMs: 40_000,
    ...overrides,
  } satisfies Partial<RunSummary>;
  return { ...reportFields(base), ...base } as RunSummary;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

describe('asciiSubject', () => {
  it('leaves a short ASCII subject as it is', () => {
    expect(asciiSubject('trade-anomaly prod: 3 anomalies [LOW] in day.csv')).toBe('trade-anomaly prod: 3 anomalies [LOW] in day.csv');
  });

  it.each([
    ['a long file name', `trade-anomaly prod: 3 anomalies [LOW] in ${'x'.repeat(300)}.csv`],
    ['non-ASCII letters', 'trade-anomaly prod: 3 anomalies in transactions-journalières-été.csv'],
    ['CJK and emoji', `trade-anomaly prod: 日本語のファイル 🚀 ${'取引'.repeat(80)}`],
    ['characters that expand under NFKD', 'ﷺ'.repeat(20)],
    ['control characters', 'line one\nline two\ttab\u0000nul'],
  ])('is at most 99 printable ASCII characters for %s', (_case, text) => {
    const subject = asciiSubject(text);

    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(MAX_SUBJECT_LENGTH).toBe(99);
    expect(subject).toMatch(PRINTABLE_ASCII);
  });

  it('marks a cut subject with an ellipsis and keeps its start', () => {
    const subject = asciiSubject(`start ${'y'.repeat(200)}`);

    expect(subject).toHaveLength(99);
    expect(subject.startsWith('start yyy')).toBe(true);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('keeps the base letter of an accented character', () => {
    expect(asciiSubject('é')).toMatch(/^e/);
  });
});

describe('runAlert', () => {
  it('says CLEAR for a run that found no anomalies, the severity its summary has (see alert-severity-agreement.test.ts)', () => {
    const alert = runAlert(summary({ anomalies: 0, modelAnomalies: 0, badRows: 0, byReason: {}, topAnomalies: [], severity: 'CLEAR' }));

    expect(alert.subject).toBe('trade-anomaly prod: 0 anomalies [CLEAR] in trades-2026-03-02.csv');
    expect(alert.attributes.severity).toBe('CLEAR');
    expect(alert.message).toContain('By reason:\n  none');
  });

  it('names the stage, count, severity and file in the subject', () => {
    const alert = runAlert(summary());

    expect(alert.subject).toBe('trade-anomaly prod: 30 anomalies [HIGH] in trades-2026-03-02.csv');
  });

  it('says "anomaly" for exactly one', () => {
    expect(runAlert(summary({ anomalies: 1, severity: 'LOW' })).subject).toContain('1 anomaly [LOW]');
  });

  it('carries stage, severity and file name as attributes for subscription filters', () => {
    expect(runAlert(summary({ stage: 'staging', severity: 'LOW' })).attributes).toEqual({
      stage: 'staging',
      severity: 'LOW',
      file: 'trades-2026-03-02.csv',
    });
  });

  it('tells where the file, result and summary are, and which run and model', () => {
    const { message } = runAlert(summary());

    expect(message).toContain('s3://trades-prod/incoming/trades-2026-03-02.csv');
    expect(message).toContain('s3://trades-prod/results/date=2026-03-02/trades-2026-03-02.parquet');
    expect(message).toContain('summary.json');
    expect(message).toContain('trades-2026-03-02-0123456789abcdef');
    expect(message).toContain('20260301T000000Z-abcdef0123');
    expect(message).not.toContain('fitted on this file itself');
  });

  it('lists the worst trades with their reasons, and the counts by reason, largest first', () => {
    const { message } = runAlert(summary());

    expect(message).toContain('row 42');
    expect(message).toContain('T-42');
    expect(message).toContain('score 0.91');
    expect(message).toContain("why: price 1012.5 is 10x the symbol's median 101.25");
    expect(message.indexOf('MODEL: 18')).toBeLessThan(message.indexOf('MISSING_FIELD: 7'));
    expect(message.indexOf('MISSING_FIELD: 7')).toBeLessThan(message.indexOf('NON_POSITIVE_VALUE: 5'));
  });

  it('says when the model was fitted on the input itself', () => {
    expect(runAlert(summary({ modelFittedOnInput: true })).message).toContain('fitted on this file itself');
  });

  it('keeps the subject short and ASCII for a long non-ASCII file name, with the full name in the message', () => {
    const key = `incoming/${'journée-de-négociation-'.repeat(8)}.csv`;

    const alert = runAlert(summary({ input: { bucket: 'trades-prod', key } }));

    expect(alert.subject.length).toBeLessThanOrEqual(99);
    expect(alert.subject).toMatch(PRINTABLE_ASCII);
    expect(alert.message).toContain(key);
  });
});

describe('rejectionAlert and failureAlert', () => {
  it('explains a rejection: the reason, where the copy is, and that the original is unchanged', () => {
    const alert = rejectionAlert('prod', 'trades-prod', 'incoming/day.csv', 'header is missing required column price', 'rejected/day.csv');

    expect(alert.subject).toBe('trade-anomaly prod: file rejected [REJECTED] day.csv');
    expect(alert.message).toContain('s3://trades-prod/incoming/day.csv');
    expect(alert.message).toContain('Reason: header is missing required column price');
    expect(alert.message).toContain('s3://trades-prod/rejected/day.csv');
    expect(alert.message).toContain('rejected/day.csv.error.json');
    expect(alert.attributes).toEqual({ stage: 'prod', severity: 'REJECTED', file: 'day.csv' });
  });

  it('explains a failure: the run id, the cause, and that the input is unchanged', () => {
    const alert = failureAlert('dev', 'day-0123456789abcdef', 'incoming/day.csv', 'score step timed out on chunk 7');

    expect(alert.subject).toBe('trade-anomaly dev: run failed [FAILED] day.csv');
    expect(alert.message).toContain('day-0123456789abcdef');
    expect(alert.message).toContain('Cause: score step timed out on chunk 7');
    expect(alert.message).toContain('unchanged');
    expect(alert.attributes).toEqual({ stage: 'dev', severity: 'FAILED', file: 'day.csv' });
  });

  it('quotes at most 2,000 characters of a huge reason or cause (a JSON export read as a header), so it stays far under SNS limits', () => {
    const header = Array.from({ length: 30_000 }, (_, i) => `"field_${i}":${i}`);
    const reason = new SchemaMismatchError('s3://b/incoming/trades.csv', ['price'], header).message;
    expect(reason).toContain('and 29950 more');
    expect(reason.length).toBeLessThan(5_000);
    const huge = 'x'.repeat(1_000_000);
    for (const alert of [rejectionAlert('prod', 'b', 'incoming/trades.csv', huge, 'rejected/trades.csv'), failureAlert('prod', 'run', 'incoming/trades.csv', huge)]) {
      expect(alert.message.length).toBeLessThan(3_000);
      expect(alert.message).toContain('xxxx…');
    }
  });

  it.each([
    ['rejection', () => rejectionAlert('prod', 'b', `incoming/${'é'.repeat(200)}.csv`, 'empty file', 'rejected/x.csv')],
    ['failure', () => failureAlert('prod', 'run', `incoming/${'日'.repeat(200)}.csv`, 'boom')],
  ])('keeps the %s subject within 99 printable ASCII characters', (_case, make) => {
    const { subject } = make();

    expect(subject.length).toBeLessThanOrEqual(99);
    expect(subject).toMatch(PRINTABLE_ASCII);
  });
});
