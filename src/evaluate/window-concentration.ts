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
        const hits = order.slice(0, k).filter((i) => inside[i]).length;
        return { k, inWindow: hits, share: hits / k, lift: hits / k / baseRate };
      }),
  };
}
