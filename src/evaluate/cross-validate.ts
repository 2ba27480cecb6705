import { performance } from 'node:perf_hooks';
import type { FeatureMatrix } from '../model/isolation-forest.js';
import { detectionMetrics, type DetectionMetrics, type LabelledPrediction } from './detection-metrics.js';
import type { Detector } from './detectors.js';
import { stratifiedKFold, takeRows } from './folds.js';

/**
 * Stratified k-fold cross-validation of unsupervised detectors: each detector is fitted on the
 * training rows of a fold without their labels and scored on its test rows; every detector sees the
 * same folds.
 *
 * Which rows count as flagged (for precision, recall and F1): those scoring at or above the fitted
 * detector's threshold; for a detector without one (a pure ranker), those scoring at or above the N-th
 * highest test score, N = the positives in that test fold. The second is an oracle cut-off, chosen so
 * that rankers are compared at the same alert budget: there precision = recall = F1 = R-precision
 * (ties at the cut-off may flag a few more rows). Compare thresholded and ranking detectors on ROC-AUC
 * and PR-AUC, not on F1.
 */
export interface CrossValidateOptions {
  folds: number;
  seed: number;
  /** The ks of precision at k (see detectionMetrics); default its DEFAULT_PRECISION_KS. */
  ks?: readonly number[];
  /**
   * Fit on the normal rows of each training fold only (novelty detection: uses the labels to choose
   * the training rows, never shows them to the detector). Default false: fit on all training rows.
   */
  trainOnNormalOnly?: boolean;
  /** Called after each fold of each detector is fitted and scored (`done` of `total` = detectors x folds), for a progress display. */
  onFold?(done: number, total: number, detector: string): void;
}

export interface LabelledData {
  matrix: FeatureMatrix;
  /** null = normal, else the anomaly type; one per matrix row. */
  labels: readonly (string | null)[];
  /** Column names handed to Detector.fit; default f0, f1, ... */
  names?: string[];
}

export interface FoldResult {
  trainRows: number;
  metrics: DetectionMetrics;
  /** How `metrics.flagged` was decided. */
  flaggedBy: 'threshold' | 'top-positives';
  fitMs: number;
  scoreMs: number;
}

/** The headline metrics summarised over folds. */
export interface MetricSet {
  rocAuc: number;
  averagePrecision: number;
  precision: number;
  recall: number;
  f1: number;
  rPrecision: number;
}

export interface DetectorCvResult {
  name: string;
  description: string;
  folds: FoldResult[];
  /** Over the folds where the metric is defined (precision is NaN in a fold that flags nothing). */
  mean: MetricSet;
  /** Sample standard deviation over the folds (n - 1); 0 when only one fold has a value. */
  sd: MetricSet;
  fitMsMean: number;
  /** All test rows over all scoring time. */
  scoreRowsPerSec: number;
}

export interface CrossValidationResult {
  folds: number;
  seed: number;
  rows: number;
  positives: number;
  trainOnNormalOnly: boolean;
  detectors: DetectorCvResult[];
}

export class CrossValidationError extends Error {
  override readonly name = 'CrossValidationError';
}

const METRIC_KEYS = ['rocAuc', 'averagePrecision', 'precision', 'recall', 'f1', 'rPrecision'] as const;

/** Runs every detector over the same stratified folds, one after the other (timings are not shared). */
export async function crossValidate(data: LabelledData, detectors: readonly Detector[], options: CrossValidateOptions): Promise<CrossValidationResult> {
  const { matrix, labels } = data;
  if (labels.length !== matrix.rows) throw new CrossValidationError(`${labels.length} labels for ${matrix.rows} rows`);
  if (detectors.length === 0) throw new CrossValidationError('no detectors to compare');
  const duplicate = detectors.map((d) => d.name).find((name, i, all) => all.indexOf(name) !== i);
  if (duplicate !== undefined) throw new CrossValidationError(`two detectors are named '${duplicate}'`);
  const positive = labels.map((l) => l !== null);
  const positives = positive.filter(Boolean).length;
  // Without both classes in every test fold, ROC-AUC and PR-AUC are undefined there.
  if (positives < options.folds || matrix.rows - positives < options.folds) {
    throw new CrossValidationError(`${options.folds} folds need at least ${options.folds} anomalies and ${options.folds} normal rows, got ${positives} and ${matrix.rows - positives}`);
  }
  const folds = stratifiedKFold(positive, options.folds, options.seed);
  const names = data.names ?? Array.from({ length: matrix.cols }, (_, c) => `f${c}`);
  const trainOnNormalOnly = options.trainOnNormalOnly ?? false;

  const results: DetectorCvResult[] = [];
  let foldsDone = 0;
  for (const detector of detectors) {
    const foldResults: FoldResult[] = [];
    for (const fold of folds) {
      const trainIndices = trainOnNormalOnly ? fold.train.filter((i) => !positive[i]) : fold.train;
      // Fresh copies for each detector: a detector may consume its input.
      const train = takeRows(matrix, trainIndices);
      const test = takeRows(matrix, fold.test);
      const t0 = performance.now();
      const fitted = await detector.fit(train, [...names]);
      const t1 = performance.now();
      const scores = fitted.score(test);
      const t2 = performance.now();
      if (scores.length !== test.rows) throw new CrossValidationError(`${detector.name} returned ${scores.length} scores for ${test.rows} rows`);
      const testLabels = fold.test.map((i) => labels[i]);
      const cut = fitted.threshold ?? topScoreCut(scores, testLabels.filter((l) => l !== null).length);
      const predictions: LabelledPrediction[] = testLabels.map((label, r) => ({ score: scores[r], flagged: scores[r] >= cut, label }));
      foldResults.push({
        trainRows: train.rows,
        metrics: detectionMetrics(predictions, { ks: options.ks }),
        flaggedBy: fitted.threshold === undefined ? 'top-positives' : 'threshold',
        fitMs: t1 - t0,
        scoreMs: t2 - t1,
      });
      options.onFold?.(++foldsDone, detectors.length * folds.length, detector.name);
    }
    results.push(summarise(detector, foldResults));
  }
  return { folds: options.folds, seed: options.seed, rows: matrix.rows, positives, trainOnNormalOnly, detectors: results };
}

/** The n-th highest score (Infinity for n = 0: nothing flagged). */
function topScoreCut(scores: Float64Array, n: number): number {
  if (n === 0) return Infinity;
  const sorted = Float64Array.from(scores).sort();
  return sorted[sorted.length - n];
}

function summarise(detector: Detector, folds: FoldResult[]): DetectorCvResult {
  const valueOf = (f: FoldResult, key: (typeof METRIC_KEYS)[number]): number => (key === 'rPrecision' ? f.metrics.precisionAtK.rPrecision : f.metrics[key]);
  const mean = {} as MetricSet;
  const sd = {} as MetricSet;
  for (const key of METRIC_KEYS) {
    const xs = folds.map((f) => valueOf(f, key)).filter(Number.isFinite);
    mean[key] = meanOf(xs);
    sd[key] = sampleSd(xs);
  }
  const scoreMs = folds.reduce((a, f) => a + f.scoreMs, 0);
  const testRows = folds.reduce((a, f) => a + f.metrics.rows, 0);
  return {
    name: detector.name,
    description: detector.description,
    folds,
    mean,
    sd,
    fitMsMean: meanOf(folds.map((f) => f.fitMs)),
    scoreRowsPerSec: testRows / (scoreMs / 1000),
  };
}

function meanOf(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function sampleSd(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  if (xs.length === 1) return 0;
  const m = meanOf(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}
