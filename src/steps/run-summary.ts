import type { RunSeverity, SeverityLevels } from '../alerts/severity.js';
import type { FeedbackLoadError } from '../feedback/feedback-store.js';
import type { RunBreakdown } from '../report/result-breakdown.js';
import type { RunDrift } from './run-drift.js';

/** Reason codes of the model's flags: `model:<feature>`; every other code is a data-quality rule's. */
export const MODEL_REASON_PREFIX = 'model:';

/* summary.json: what a run found, for people (the alert) and machines (tools, tests). */

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
  /** Set when analysts' feedback confirmed the trade as an anomaly. */
  feedback?: 'confirmed';
}

/** What the analysts' feedback files (feedback/ in the bucket) said about this run's flagged rows. */
export interface RunFeedback {
  /** Keys of the feedback files read, in the order applied (a later file overrides an earlier one). */
  files: string[];
  /**
   * Flagged rows the analysts marked as false positives: left out of the top anomalies, the quality
   * examples and the severity. They stay flagged in the Parquet result and in `anomalies`.
   */
  falsePositivesSuppressed: number;
  /** Flagged rows the analysts confirmed as anomalies. */
  confirmed: number;
  /** Feedback files that could not be read; their verdicts were not applied. */
  errors: FeedbackLoadError[];
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
  /**
   * What the alert and the severity are about: the flagged rows, the rows flagged by the model and the
   * rows breaking rules that are not known false positives (analysts' feedback).
   */
  open: { anomalies: number; modelAnomalies: number; badRows: number };
  /**
   * CLEAR: no anomalies other than known false positives; otherwise LOW, MEDIUM or HIGH by the
   * stage's severity levels (src/alerts/severity.ts).
   */
  severity: RunSeverity;
  /** The levels the severity was judged by (the stage's). */
  severityLevels: SeverityLevels;
  threshold: number;
  modelVersion: string;
  modelFittedOnInput: boolean;
  /** Flagged rows per reason code. */
  byReason: Record<string, number>;
  topAnomalies: TopAnomaly[];
  qualityExamples: TopAnomaly[];
  /** Each model feature's drift from the training data (PSI), with warnings; never changes the severity. */
  drift: RunDrift;
  feedback: RunFeedback;
  /** The day's figures behind the report's charts: score histogram, counts by severity, hour, symbol and rule. */
  breakdown: RunBreakdown;
  /** S3 URI of the Parquet result. */
  result: string;
  /** S3 URI of the day's report (report.html beside summary.json). */
  report: string;
  summaryUri: string;
  /** AWS console links to the result and the report; absent where the region is unknown (a local run). */
  consoleLinks?: { result: string; report: string };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}
