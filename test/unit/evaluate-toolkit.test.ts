/**
 * The evaluation toolkit for model selection: numeric CSV input, stratified folds, precision at k,
 * detectors and their cross-validation, and the comparison table.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crossValidate, CrossValidationError, type CrossValidationResult } from '../../src/evaluate/cross-validate.js';
import { detectionMetrics, precisionAtK } from '../../src/evaluate/detection-metrics.js';
import {
  isolationForestDetector,
  mlIsolationForestDetector,
  robustZDetector,
  type Detector,
} from '../../src/evaluate/detectors.js';
import { stratifiedKFold, takeRows } from '../../src/evaluate/folds.js';
import { formatCvTable } from '../../src/evaluate/metrics-table.js';
import { NumericCsvError, parseLabel, readNumericCsv, type NumericCsvOptions } from '../../src/evaluate/numeric-csv.js';
import type { FeatureMatrix } from '../../src/model/isolation-forest.js';
import { loadShuttle, shuttleMissingReason, SHUTTLE_PATH } from '../../bench/shuttle.js';
import { rng } from '../support/seeded-rng.js';

const encoder = new TextEncoder();

/** The text as a byte stream, cut into chunks of `chunkSize` bytes. */
async function* bytes(text: string, chunkSize = 1 << 16): AsyncGenerator<Uint8Array> {
  const all = encoder.encode(text);
  for (let i = 0; i < all.length; i += chunkSize) yield all.subarray(i, i + chunkSize);
}

const readText = (text: string, options: NumericCsvOptions = {}) => readNumericCsv(bytes(text), { file: 'data.csv', ...options });

/** rows x cols standard normals, with `outliers` rows pushed 8 sigma out in one random column. */
function plantedOutliers(rows: number, cols: number, outliers: number, seed: number): { matrix: FeatureMatrix; labels: (string | null)[] } {
  const random = rng(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const values = new Float64Array(rows * cols);
  for (let i = 0; i < values.length; i++) values[i] = gaussian();
  const labels: (string | null)[] = new Array(rows).fill(null);
  for (let r = 0; r < outliers; r++) {
    const row = Math.floor((r * rows) / outliers);
    const col = Math.floor(random() * cols);
    values[row * cols + col] = (random() < 0.5 ? -1 : 1) * (8 + random());
    labels[row] = 'planted';
  }
  return { matrix: { values, rows, cols }, labels };
}

describe('readNumericCsv', () => {
  it('reads features and labels, whatever the chunking', async () => {
    const text = 'f0,f1,label\n1,2.5,0\n-3,1e3,1\n4, 5 ,fat_finger\n';

    for (const chunkSize of [1, 3, 1 << 16]) {
      const table = await readNumericCsv(bytes(text, chunkSize));

      expect(table.names).toEqual(['f0', 'f1']);
      expect(table.matrix).toMatchObject({ rows: 3, cols: 2 });
      expect(Array.from(table.matrix.values)).toEqual([1, 2.5, -3, 1000, 4, 5]);
      expect(table.labels).toEqual([null, 'anomaly', 'fat_finger']);
    }
  });

  it.each([
    ['0', null],
    ['false', null],
    ['Normal', null],
    ['', null],
    ['0.0', null],
    ['1', 'anomaly'],
    ['TRUE', 'anomaly'],
    ['anomaly', 'anomaly'],
    ['1.0', 'anomaly'],
    [' spoofing ', 'spoofing'],
    ['2', '2'],
  ])('reads the label %j as %j', (text, expected) => {
    expect(parseLabel(text)).toBe(expected);
  });

  it.each(['label', 'Is_Anomaly', 'ANOMALY', 'y'])('finds the label column %s by default, in any case', async (name) => {
    const table = await readText(`a,${name},b\n1,1,2\n3,0,4\n`);

    expect(table.names).toEqual(['a', 'b']);
    expect(table.labels).toEqual(['anomaly', null]);
  });

  it('takes a named label column and chosen feature columns, in the order given', async () => {
    const table = await readText('a,b,c,truth\n1,2,3,1\n4,5,6,0\n', { labelColumn: 'truth', featureColumns: ['c', 'a'] });

    expect(table.names).toEqual(['c', 'a']);
    expect(Array.from(table.matrix.values)).toEqual([3, 1, 6, 4]);
    expect(table.labels).toEqual(['anomaly', null]);
  });

  it('reads a file by its path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'numeric-csv-'));
    try {
      const file = join(dir, 'small.csv');
      writeFileSync(file, 'x;label\r\n1.5;0\r\n2.5;1\r\n');

      const table = await readNumericCsv(file);

      expect(Array.from(table.matrix.values)).toEqual([1.5, 2.5]);
      expect(table.labels).toEqual([null, 'anomaly']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['a non-number', 'f0,f1,label\n1,2,0\n3,abc,0\n', {}, "data.csv: line 3, column f1: 'abc' is not a number"],
    ['an empty value', 'f0,f1,label\n1,,0\n', {}, "data.csv: line 2, column f1: '' is not a number"],
    ['an infinite value', 'f0,label\n\n1,0\nInfinity,1\n', {}, "data.csv: line 4, column f0: 'Infinity' is not a finite number"],
    ['a short row', 'f0,f1,label\n1,2,0\n1,0\n', {}, 'data.csv: line 3: 2 fields, the header has 3'],
    ['a stray quote', 'f0,label\n1"2,0\n', {}, 'data.csv: line 2: malformed CSV record (STRAY_QUOTE)'],
    ['no label column', 'f0,f1\n1,2\n', {}, 'data.csv: line 1 (header): no label column (looked for label, is_anomaly, anomaly, y, any case; columns found: f0, f1)'],
    ['an unknown label column', 'f0,label\n1,0\n', { labelColumn: 'truth' }, "data.csv: line 1 (header): no label column 'truth' (columns found: f0, label)"],
    ['an unknown feature column', 'f0,label\n1,0\n', { featureColumns: ['f9'] }, "data.csv: line 1 (header): no feature column 'f9' (columns found: f0, label)"],
    ['the label as a feature', 'f0,label\n1,0\n', { featureColumns: ['label'] }, "data.csv: line 1 (header): 'label' is the label column, it cannot also be a feature"],
    ['a repeated column', 'f0,f0,label\n1,2,0\n', {}, "data.csv: line 1 (header): column 'f0' appears twice (columns found: f0, f0, label)"],
    ['only a header', 'f0,label\n', {}, 'data.csv: no data rows after the header'],
    ['an empty file', '', {}, 'data.csv: empty file, expected a header line'],
  ])('rejects %s with the file, line and column', async (_, text, options, message) => {
    const read = readText(text, options);

    await expect(read).rejects.toThrow(NumericCsvError);
    await expect(read).rejects.toThrow(message);
  });

  it('names a file it cannot open', async () => {
    const read = readNumericCsv('/nonexistent/dir/missing.csv');

    await expect(read).rejects.toThrow(NumericCsvError);
    await expect(read).rejects.toThrow(/^\/nonexistent\/dir\/missing\.csv: cannot read: .*ENOENT/);
  });
});

describe('stratifiedKFold', () => {
  const positive = Array.from({ length: 103 }, (_, i) => i % 10 === 3); // 10 positives, 93 normals

  it('puts every row in exactly one test fold, and trains on all the others', () => {
    const folds = stratifiedKFold(positive, 4, 7);

    const tested = folds.flatMap((f) => f.test).sort((a, b) => a - b);
    expect(tested).toEqual(positive.map((_, i) => i));
    for (const fold of folds) {
      const test = new Set(fold.test);
      expect(fold.train.some((i) => test.has(i))).toBe(false);
      expect(fold.train.length + fold.test.length).toBe(positive.length);
    }
  });

  it('spreads the positives and the rows evenly: at most one apart between folds', () => {
    const folds = stratifiedKFold(positive, 4, 7);

    const positivesPerFold = folds.map((f) => f.test.filter((i) => positive[i]).length);
    const sizes = folds.map((f) => f.test.length);
    expect(positivesPerFold.reduce((a, b) => a + b)).toBe(10);
    expect(Math.max(...positivesPerFold) - Math.min(...positivesPerFold)).toBeLessThanOrEqual(1);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('gives the same folds for the same seed, and others for another seed', () => {
    expect(stratifiedKFold(positive, 5, 1)).toEqual(stratifiedKFold(positive, 5, 1));
    expect(stratifiedKFold(positive, 5, 2)).not.toEqual(stratifiedKFold(positive, 5, 1));
  });

  it.each([
    [1, 'folds must be an integer >= 2, got 1'],
    [0, 'folds must be an integer >= 2, got 0'],
    [2.5, 'folds must be an integer >= 2, got 2.5'],
    [104, '104 folds need at least 104 rows, got 103'],
  ])('rejects k = %s', (k, message) => {
    expect(() => stratifiedKFold(positive, k, 1)).toThrow(new RangeError(message));
  });

  it('takes the rows of a fold into a new matrix', () => {
    const m: FeatureMatrix = { values: Float64Array.from([1, 2, 3, 4, 5, 6]), rows: 3, cols: 2 };

    expect(takeRows(m, [2, 0])).toEqual({ values: Float64Array.from([5, 6, 1, 2]), rows: 2, cols: 2 });
  });
});

describe('precisionAtK', () => {
  const scores = [0.9, 0.8, 0.7, 0.6, 0.5];
  const positive = [true, false, true, false, false];

  it.each([
    [1, 1],
    [2, 1 / 2],
    [3, 2 / 3],
    [5, 2 / 5],
  ])('is the share of positives among the top %i', (k, expected) => {
    expect(precisionAtK(scores, positive, k)).toBeCloseTo(expected, 12);
  });

  it('counts rows tied across the cut-off by their expected share, whatever their order', () => {
    // Above the tie: one positive; tied at 0.5: one positive in three; one place left in the top 2.
    expect(precisionAtK([0.9, 0.5, 0.5, 0.5, 0.1], [true, true, false, false, true], 2)).toBeCloseTo((1 + 1 / 3) / 2, 12);
    expect(precisionAtK([0.5, 0.5, 0.9, 0.1, 0.5], [false, false, true, true, true], 2)).toBeCloseTo((1 + 1 / 3) / 2, 12);
  });

  it('is NaN for k beyond the rows and rejects k < 1', () => {
    expect(precisionAtK(scores, positive, 6)).toBeNaN();
    expect(() => precisionAtK(scores, positive, 0)).toThrow(RangeError);
  });

  it('is part of detectionMetrics: R-precision and the chosen ks', () => {
    const predictions = scores.map((score, i) => ({ score, flagged: false, label: positive[i] ? 'x' : null }));

    const m = detectionMetrics(predictions, { ks: [1, 3, 10] });

    expect(m.precisionAtK.rPrecision).toBeCloseTo(1 / 2, 12);
    expect(m.precisionAtK.at['1']).toBe(1);
    expect(m.precisionAtK.at['3']).toBeCloseTo(2 / 3, 12);
    expect(m.precisionAtK.at['10']).toBeNaN();
  });
});

describe('detectors', () => {
  const { matrix, labels } = plantedOutliers(400, 3, 10, 11);
  const positive = labels.map((l) => l !== null);
  const auc = (scores: Float64Array): number => detectionMetrics(Array.from(scores, (score, i) => ({ score, flagged: false, label: labels[i] }))).rocAuc;

  it.each([
    ['own isolation forest', isolationForestDetector({ trees: 50 })],
    ['ml-isolation-forest (loaded on first fit)', mlIsolationForestDetector({ trees: 50 })],
    ['robust z', robustZDetector()],
  ])('%s ranks planted outliers first, with scores in [0, 1]', async (_, detector) => {
    const fitted = await detector.fit(takeRows(matrix, positive.map((_, i) => i)), ['a', 'b', 'c']);
    const scores = fitted.score(matrix);

    expect(scores).toHaveLength(400);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(auc(scores)).toBeGreaterThan(0.95);
    expect(fitted.threshold).toBeUndefined();
  });

  it('robust z scores |z| = 5 at 0.5 and a value off a constant column at 1', async () => {
    // Column a: median 0, MAD 1 (so sigma 1.4826); column b is constant.
    const train: FeatureMatrix = { values: Float64Array.from([-1, 7, 0, 7, 1, 7]), rows: 3, cols: 2 };
    const fitted = await robustZDetector({ thresholdZ: 5 }).fit(train, ['a', 'b']);

    const scores = fitted.score({ values: Float64Array.from([5 * 1.4826, 7, 0, 7, 0, 8]), rows: 3, cols: 2 });

    expect(scores[0]).toBeCloseTo(0.5, 12);
    expect(scores[1]).toBe(0);
    expect(scores[2]).toBe(1);
    expect(fitted.threshold).toBeCloseTo(0.5, 12);
  });

  it('refuses data with another number of columns than it was fitted on', async () => {
    const fitted = await robustZDetector().fit(matrix, ['a', 'b', 'c']);

    expect(() => fitted.score({ values: new Float64Array(2), rows: 1, cols: 2 })).toThrow(RangeError);
  });
});

describe('crossValidate', () => {
  const data = plantedOutliers(600, 4, 30, 3);

  /** Records what each fit was given, and scores by the first column (a fixed rule, no learning). */
  function spyDetector(threshold?: number): Detector & { fits: { rows: number; names: string[] }[] } {
    const fits: { rows: number; names: string[] }[] = [];
    return {
      name: threshold === undefined ? 'spy' : 'spy-threshold',
      description: 'scores |first column|',
      fits,
      fit(train, names) {
        fits.push({ rows: train.rows, names });
        const score = (m: FeatureMatrix) => Float64Array.from({ length: m.rows }, (_, r) => Math.abs(m.values[r * m.cols]));
        return threshold === undefined ? { score } : { score, threshold };
      },
    };
  }

  it('ranks planted outliers near-perfectly with the own forest and robust z', async () => {
    const result = await crossValidate(data, [isolationForestDetector({ trees: 50 }), robustZDetector()], { folds: 5, seed: 1 });

    for (const d of result.detectors) {
      expect(d.folds).toHaveLength(5);
      expect(d.mean.rocAuc, d.name).toBeGreaterThan(0.95);
      expect(d.sd.rocAuc).toBeGreaterThanOrEqual(0);
      expect(d.fitMsMean).toBeGreaterThanOrEqual(0);
      expect(d.scoreRowsPerSec).toBeGreaterThan(0);
    }
  });

  it('tests every detector on the same folds, fitting on the training rows without labels', async () => {
    const a = spyDetector();
    const b = spyDetector(2);

    const result = await crossValidate({ ...data, names: ['p', 'q', 'r', 's'] }, [a, b], { folds: 3, seed: 9 });

    const testRows = (i: number) => result.detectors[i].folds.map((f) => [f.metrics.rows, f.metrics.positives]);
    expect(testRows(0)).toEqual(testRows(1));
    expect(a.fits.map((f) => f.rows)).toEqual(result.detectors[0].folds.map((f) => 600 - f.metrics.rows));
    expect(a.fits.every((f) => f.names.join() === 'p,q,r,s')).toBe(true);
  });

  it('flags at the fitted threshold, or else the top N test rows for N positives', async () => {
    const result = await crossValidate(data, [spyDetector(), spyDetector(2)], { folds: 3, seed: 9 });
    const [ranker, thresholded] = result.detectors;

    for (const f of ranker.folds) {
      expect(f.flaggedBy).toBe('top-positives');
      expect(f.metrics.flagged).toBe(f.metrics.positives); // continuous scores: no ties at the cut
    }
    const test = stratifiedKFold(data.labels.map((l) => l !== null), 3, 9);
    thresholded.folds.forEach((f, i) => {
      expect(f.flaggedBy).toBe('threshold');
      expect(f.metrics.flagged).toBe(test[i].test.filter((r) => Math.abs(data.matrix.values[r * 4]) >= 2).length);
    });
  });

  it('fits on the normal training rows only when asked', async () => {
    const spy = spyDetector();

    const result = await crossValidate(data, [spy], { folds: 3, seed: 9, trainOnNormalOnly: true });

    expect(result.trainOnNormalOnly).toBe(true);
    expect(spy.fits.map((f) => f.rows)).toEqual(result.detectors[0].folds.map((f) => 570 - (f.metrics.rows - f.metrics.positives)));
  });

  it.each([
    ['fewer anomalies than folds', { matrix: data.matrix, labels: data.labels.map((l, i) => (i < 2 ? 'x' : null)) }, '5 folds need at least 5 anomalies and 5 normal rows, got 2 and 598'],
    ['labels that do not match the rows', { matrix: data.matrix, labels: data.labels.slice(1) }, '599 labels for 600 rows'],
  ])('rejects %s', async (_, input, message) => {
    await expect(crossValidate(input, [robustZDetector()], { folds: 5, seed: 1 })).rejects.toThrow(new CrossValidationError(message));
  });

  it('rejects two detectors of the same name', async () => {
    await expect(crossValidate(data, [robustZDetector(), robustZDetector()], { folds: 3, seed: 1 })).rejects.toThrow("two detectors are named 'robust-z'");
  });
});

describe('formatCvTable', () => {
  it('lays out one row per detector, as fixed-width text and as Markdown', async () => {
    const result: CrossValidationResult = await crossValidate(plantedOutliers(300, 2, 15, 5), [isolationForestDetector({ trees: 20 }), robustZDetector()], { folds: 3, seed: 1 });

    const table = formatCvTable(result);

    const lines = table.text.split('\n');
    expect(lines[0]).toMatch(/^Detector\s+ROC-AUC\s+PR-AUC\s+Precision\s+Recall\s+F1\s+Fit ms\s+Rows\/s$/);
    expect(lines).toHaveLength(4);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[2]).toMatch(/^isolation-forest\s+\d\.\d{4} ± \d\.\d{4}\s+\d\.\d{4} ± \d\.\d{4}\s+\d\.\d{3}/);
    expect(lines[3]).toMatch(/^robust-z\s/);
    const md = table.markdown.split('\n');
    expect(md[0]).toBe('| Detector | ROC-AUC | PR-AUC | Precision | Recall | F1 | Fit ms | Rows/s |');
    expect(md[1]).toBe('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    expect(md.slice(2).map((l) => l.split(' | ')[0])).toEqual(['| isolation-forest', '| robust-z']);
    expect(table.caption).toContain('3-fold stratified cross-validation (seed 1), 300 rows, 15 anomalies');
  });
});

const missing = shuttleMissingReason();

describe.skipIf(missing !== null)(`cross-validation on the shuttle benchmark${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  it('reads the file as the bench loader does: 49,097 rows, 9 features, 3,511 anomalies', async () => {
    const table = await readNumericCsv(SHUTTLE_PATH);
    const bench = loadShuttle();

    expect(table.names).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8']);
    expect(table.matrix).toMatchObject({ rows: 49_097, cols: 9 });
    expect(table.labels.filter((l) => l !== null)).toHaveLength(3_511);
    // Index of the first difference, -1 when equal (a deep toEqual of 441k numbers takes seconds).
    const firstDifference = <T>(a: ArrayLike<T>, b: ArrayLike<T>): number => {
      if (a.length !== b.length) return Math.min(a.length, b.length);
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
      return -1;
    };
    expect(bench).not.toBeNull();
    expect(firstDifference(bench!.matrix.values, table.matrix.values)).toBe(-1);
    expect(firstDifference(bench!.labels, table.labels.map((l) => l !== null))).toBe(-1);
  });

  it('gives the own forest a CV ROC-AUC of at least 0.99 (3 folds, 50 trees)', async () => {
    const table = await readNumericCsv(SHUTTLE_PATH);

    const result = await crossValidate(table, [isolationForestDetector({ trees: 50 })], { folds: 3, seed: 1 });

    const forest = result.detectors[0];
    expect(forest.mean.rocAuc, `per fold ${forest.folds.map((f) => f.metrics.rocAuc.toFixed(4)).join(', ')}`).toBeGreaterThanOrEqual(0.99);
  });
});
