/**
 * Detection quality against known labels: threshold metrics (precision, recall, F1, confusion
 * matrix), ranking metrics (ROC-AUC, average precision) and recall per anomaly type.
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
}

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

export function detectionMetrics(predictions: LabelledPrediction[]): DetectionMetrics {
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
  };
}
