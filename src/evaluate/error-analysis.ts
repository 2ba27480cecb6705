/**
 * What the errors on a labelled day say about the detector: the false alarms counted by reason,
 * with a sample to read, and the planted anomalies it missed. Scored rows carry their rule codes but only the text of the model's reasons, so a model
 * reason is counted by the template of its leading sentence (numbers and identifiers blanked):
 * "quantity 4200 is 35x the symbol's typical 120" counts as "quantity # is # the symbol's typical #".
 * That reads the words of whatever features the model has, with no list of them to keep in step.
 */

/** The parts of a scored row the analysis reads. */
export interface ScoredRowView {
  sourceRow: number;
  timestampMs: number | null;
  symbol: string | null;
  price: number | null;
  quantity: number | null;
  score: number | null;
  isAnomaly: boolean;
  reasons: string;
  qualityIssues: string[];
}

export interface FalsePositiveSample {
  sourceRow: number;
  timestamp: string | null;
  symbol: string | null;
  price: number | null;
  quantity: number | null;
  score: number | null;
  reasons: string;
}

export interface FalsePositiveSummary {
  count: number;
  /** False alarms per rule code, and per `model: <template>` for rows flagged by the model alone; largest first. */
  byReason: Record<string, number>;
  /** Up to `samples` false alarms spread evenly over the file. */
  samples: FalsePositiveSample[];
}

/** A planted anomaly the detector did not flag. */
export interface MissedAnomaly extends FalsePositiveSample {
  type: string;
}

/** The leading model sentence of a reasons text, with numbers and identifiers blanked. */
export function reasonTemplate(reasons: string): string {
  const lead = reasons.split('; ')[0] ?? '';
  return lead
    .replace(/\s*\((?:score|isolated)[^)]*\)?.*$/, '')
    .replace(/\b[A-Z]{2,}[A-Z0-9]*\b/g, '<id>')
    .replace(/1\/\d[\d.,]*x?|-?\d[\d.,:]*(?:e[+-]?\d+)?(?:%|x| s\b| min\b| h\b)?/g, '#')
    .replace(/\b(?:above|below)\b/g, 'above/below')
    .replace(/\b(?:up|down)\b/g, 'up/down')
    .replace(/\btrades?\b/g, 'trade(s)')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The reason keys a false alarm counts under: its rule codes, else its model reason's template. */
function reasonKeys(row: ScoredRowView): string[] {
  return row.qualityIssues.length > 0 ? row.qualityIssues : [`model: ${reasonTemplate(row.reasons)}`];
}

/**
 * Counts and samples the flagged rows that carry no label.
 * @param labels source_row -> anomaly type of the planted anomalies
 * @param samples how many false alarms to keep for reading (evenly spaced, so not all from the open)
 */
export function falsePositiveSummary(rows: readonly ScoredRowView[], labels: ReadonlyMap<number, string>, samples = 10): FalsePositiveSummary {
  const falseAlarms = rows.filter((r) => r.isAnomaly && !labels.has(r.sourceRow));
  const counts = new Map<string, number>();
  for (const row of falseAlarms) for (const key of reasonKeys(row)) counts.set(key, (counts.get(key) ?? 0) + 1);
  const byReason = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  const step = falseAlarms.length / Math.max(1, Math.min(samples, falseAlarms.length));
  const picked = falseAlarms.length <= samples ? falseAlarms : Array.from({ length: samples }, (_, i) => falseAlarms[Math.floor(i * step)]);
  return { count: falseAlarms.length, byReason, samples: picked.map(sample) };
}

/** The labelled rows left unflagged (all of them: at the bars' recall there are few), in file order. */
export function missedAnomalies(rows: readonly ScoredRowView[], labels: ReadonlyMap<number, string>): MissedAnomaly[] {
  return rows.filter((r) => !r.isAnomaly && labels.has(r.sourceRow)).map((r) => ({ type: labels.get(r.sourceRow)!, ...sample(r) }));
}

function sample(r: ScoredRowView): FalsePositiveSample {
  return {
    sourceRow: r.sourceRow,
    timestamp: r.timestampMs === null ? null : new Date(r.timestampMs).toISOString(),
    symbol: r.symbol,
    price: r.price,
    quantity: r.quantity,
    score: r.score,
    reasons: r.reasons,
  };
}
