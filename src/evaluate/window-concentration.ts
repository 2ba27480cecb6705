import { averagePrecision, rocAuc } from './detection-metrics.js';

/**
 * How a day's scores concentrate in a time window given as a weak label (an announced
 * pump-and-dump, an outage): the window's share of all scored trades (the base rate), its share among
 * the top-k scores, the lift (top-k share / base rate), and ROC-AUC and PR-AUC with "inside the
 * window" as the label. A lift of 1 means the scores ignore the window.
 */
export interface WindowConcentration {
  rows: number;
  inWindow: number;
  baseRate: number;
  rocAuc: number;
  averagePrecision: number;
  topK: { k: number; inWindow: number; share: number; lift: number }[];
}

export function windowConcentration(
  rows: readonly { timestampMs: number | null; score: number | null }[],
  window: { fromMs: number; toMs: number },
  ks: readonly number[] = [10, 100, 1000],
): WindowConcentration {
  const scored = rows.filter((r): r is { timestampMs: number; score: number } => r.score !== null && r.timestampMs !== null);
  const inside = scored.map((r) => r.timestampMs >= window.fromMs && r.timestampMs < window.toMs);
  const inWindow = inside.filter(Boolean).length;
  const baseRate = scored.length ? inWindow / scored.length : Number.NaN;
  const order = scored.map((_, i) => i).sort((a, b) => scored[b].score - scored[a].score || a - b);
  const scores = scored.map((r) => r.score);
  return {
    rows: scored.length,
    inWindow,
    baseRate,
    rocAuc: rocAuc(scores, inside),
    averagePrecision: averagePrecision(scores, inside),
    topK: ks
      .filter((k) => k <= scored.length)
      .map((k) => {
        const hits = topKHits(order, scores, inside, k);
        return { k, inWindow: hits, share: hits / k, lift: hits / k / baseRate };
      }),
  };
}

/**
 * Rows inside the window among the k highest scores. Rows tied with the k-th score share its
 * remaining places by expectation, so the figure does not depend on the rows' order.
 */
function topKHits(order: readonly number[], scores: readonly number[], inside: readonly boolean[], k: number): number {
  const cut = scores[order[k - 1]];
  let hits = 0;
  let above = 0;
  let tied = 0;
  let tiedHits = 0;
  for (const i of order) {
    if (scores[i] > cut) {
      above++;
      if (inside[i]) hits++;
    } else if (scores[i] === cut) {
      tied++;
      if (inside[i]) tiedHits++;
    } else break;
  }
  return hits + (tiedHits * (k - above)) / tied;
}
