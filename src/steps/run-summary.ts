/** summary.json: what a run found, for people (the alert) and machines (tools, tests). */
export interface TopAnomaly {
  sourceRow: number;
  tradeId: string | null;
  symbol: string | null;
  timestamp: string | null;
  side: string | null;
  quantity: number | null;
  price: number | null;
  score: number | null;
  reasons: string;
  qualityIssues: string[];
}

export interface RunSummary {
  runId: string;
  stage: string;
  input: { bucket: string; key: string };
  day: string;
  rows: number;
  /** Rows that broke at least one data-quality rule. */
  badRows: number;
  /** Rows the model scored. */
  scored: number;
  /** Rows flagged: a rule broken, or a model score at or above the threshold. */
  anomalies: number;
  /** Rows flagged by the model's score. */
  modelAnomalies: number;
  /** CLEAR: no anomalies; otherwise HIGH or LOW by the stage's severity levels (runSeverity in aggregate-step.ts). */
  severity: 'CLEAR' | 'LOW' | 'HIGH';
  threshold: number;
  modelVersion: string;
  modelFittedOnInput: boolean;
  /** Flagged rows per reason code. */
  byReason: Record<string, number>;
  topAnomalies: TopAnomaly[];
  qualityExamples: TopAnomaly[];
  result: string;
  summaryUri: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}
