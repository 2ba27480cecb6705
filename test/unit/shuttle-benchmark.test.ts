/**
 * Correctness of our isolation forest against a public benchmark (not a timing test): on the ODDS
 * "shuttle" data, with scikit-learn's protocol (100 trees, 256 samples per tree, fit on all rows,
 * score all rows, mean of 5 seeds), its ROC-AUC and average precision must match scikit-learn 1.2.1's
 * published figures (../shared/data/README.md). The data is shared, outside the repository; CI always
 * has it.
 */
import { describe, expect, it } from 'vitest';
import { averagePrecision, rocAuc } from '../../src/evaluate/detection-metrics.js';
import { fitIsolationForest, scoreIsolationForest } from '../../src/model/isolation-forest.js';
import { loadShuttle, shuttleMissingReason, SHUTTLE_SKLEARN_REFERENCE } from '../../bench/shuttle.js';

const SEEDS = [0, 1, 2, 3, 4];
const missing = shuttleMissingReason();

describe('isolation forest on the shuttle benchmark', () => {
  if (missing !== null) {
    it.skip(`matches scikit-learn's ROC-AUC and average precision (skipped: ${missing})`, () => {});
    return;
  }

  it("matches scikit-learn's ROC-AUC (±0.005) and average precision (±0.01), mean of 5 seeds", () => {
    const data = loadShuttle();
    if (data === null) throw new Error('shuttle data disappeared while the test ran');
    expect(data.matrix.rows).toBe(49_097);
    expect(data.matrix.cols).toBe(9);
    expect(data.labels.filter(Boolean).length).toBe(3_511);

    const aucs: number[] = [];
    const aps: number[] = [];
    for (const seed of SEEDS) {
      const forest = fitIsolationForest(data.matrix, { trees: 100, sampleSize: 256, seed });
      const scores = Array.from(scoreIsolationForest(forest, data.matrix));
      aucs.push(rocAuc(scores, data.labels));
      aps.push(averagePrecision(scores, data.labels));
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const meanAuc = mean(aucs);
    const meanAp = mean(aps);

    expect(Math.abs(meanAuc - SHUTTLE_SKLEARN_REFERENCE.rocAuc), `ROC-AUC ${meanAuc.toFixed(4)} (per seed ${aucs.map((a) => a.toFixed(4)).join(', ')})`).toBeLessThanOrEqual(0.005);
    expect(Math.abs(meanAp - SHUTTLE_SKLEARN_REFERENCE.averagePrecision), `AP ${meanAp.toFixed(4)} (per seed ${aps.map((a) => a.toFixed(4)).join(', ')})`).toBeLessThanOrEqual(0.01);
  });
});
