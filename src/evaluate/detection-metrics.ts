/**
 * Detection quality against known labels: threshold metrics (precision, recall, F1, confusion
 * matrix), ranking metrics (ROC-AUC, average precision, precision at k) and recall per anomaly type.
 */
export interface LabelledPrediction {
  /** Ranking score: higher = more anomalous. */
  score: number;
  flagged: boolean;
  /** The true anomaly type, or null for a normal row. */
  label: string | null;
}

export interface DetectionMetrics {
  rows: number;
  positives: number;
  flagged: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number;
  averagePrecision: number;
  recallByType: Record<string, { total: number; found: number; recall: number }>;
  /**
   * Precision among the k highest scores. `rPrecision`: k = the number of positives (R-precision;
   * there precision and recall are equal). `at`: the configured ks, keyed by k ({ "10": 0.9 }).
   */
  precisionAtK: { rPrecision: number; at: Record<string, number> };
}

export interface DetectionMetricsOptions {
  /** The ks of `precisionAtK.at`; default DEFAULT_PRECISION_KS. */
  ks?: readonly number[];
}

/** The alert-list sizes an analyst would look at: the top 10 and the top 100. */
export const DEFAULT_PRECISION_KS: readonly number[] = [10, 100];

/** ROC-AUC as the Mann-Whitney U statistic, ties counted half. */
export function rocAuc(scores: number[], positive: boolean[]): number {
  const order = scores.map((s, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  let nPos = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (positive[order[k]]) {
      rankSumPos += avgRank;
      nPos++;
    }
    i = j + 1;
  }
  const nNeg = order.length - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Average precision (area under the precision-recall curve, step-wise as scikit-learn computes it). */
export function averagePrecision(scores: number[], positive: boolean[]): number {
  const order = scores.map((s, i) => i).sort((a, b) => scores[b] - scores[a]);
  const totalPos = positive.filter(Boolean).length;
  if (totalPos === 0) return Number.NaN;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let prevRecall = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    for (let k = i; k <= j; k++) positive[order[k]] ? tp++ : fp++;
    const recall = tp / totalPos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
    i = j + 1;
  }
  return ap;
}

/**
 * Share of positives among the k highest scores. Scores tied across the k-th place count with the
 * expected value of a random order among them (as ROC-AUC counts ties half), so the result does not
 * depend on the input order. NaN when k exceeds the number of rows; k must be an integer >= 1.
 */
export function precisionAtK(scores: ArrayLike<number>, positive: readonly boolean[], k: number): number {
  if (scores.length !== positive.length) throw new RangeError(`${scores.length} scores but ${positive.length} labels`);
  return precisionAtKOfOrder(descendingOrder(scores), scores, positive, k);
}

function descendingOrder(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
}

/** precisionAtK over row indices already sorted by descending score (one sort serves every k). */
function precisionAtKOfOrder(order: readonly number[], scores: ArrayLike<number>, positive: readonly boolean[], k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be an integer >= 1, got ${k}`);
  if (k > order.length) return Number.NaN;
  const kth = scores[order[k - 1]];
  let above = 0;
  let positivesAbove = 0;
  let tied = 0;
  let positivesTied = 0;
  for (let i = 0; i < order.length; i++) {
    const s = scores[order[i]];
    if (s > kth) {
      above++;
      if (positive[order[i]]) positivesAbove++;
    } else if (s === kth) {
      tied++;
      if (positive[order[i]]) positivesTied++;
    } else break;
  }
  return (positivesAbove + ((k - above) * positivesTied) / tied) / k;
}

/** All the metrics of one set of predictions; `options.ks` chooses the ks of precision at k. */
export function detectionMetrics(predictions: LabelledPrediction[], options: DetectionMetricsOptions = {}): DetectionMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  const byType: Record<string, { total: number; found: number; recall: number }> = {};
  for (const p of predictions) {
    const isPos = p.label !== null;
    if (isPos) {
      const t = (byType[p.label!] ??= { total: 0, found: 0, recall: 0 });
      t.total++;
      if (p.flagged) t.found++;
    }
    if (p.flagged && isPos) tp++;
    else if (p.flagged) fp++;
    else if (isPos) fn++;
    else tn++;
  }
  for (const t of Object.values(byType)) t.recall = t.found / t.total;
  const precision = tp + fp ? tp / (tp + fp) : Number.NaN;
  const recall = tp + fn ? tp / (tp + fn) : Number.NaN;
  const scores = predictions.map((p) => p.score);
  const positive = predictions.map((p) => p.label !== null);
  const ks = options.ks ?? DEFAULT_PRECISION_KS;
  const order = descendingOrder(scores);
  return {
    rows: predictions.length,
    positives: tp + fn,
    flagged: tp + fp,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    trueNegatives: tn,
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : Number.NaN,
    rocAuc: rocAuc(scores, positive),
    averagePrecision: averagePrecision(scores, positive),
    recallByType: Object.fromEntries(Object.entries(byType).sort(([a], [b]) => a.localeCompare(b))),
    precisionAtK: {
      rPrecision: tp + fn > 0 ? precisionAtKOfOrder(order, scores, positive, tp + fn) : Number.NaN,
      at: Object.fromEntries(ks.map((k) => [String(k), precisionAtKOfOrder(order, scores, positive, k)])),
    },
  };
}
