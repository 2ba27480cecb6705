import type { FeedbackLoadError } from '../feedback/feedback-store.js';
import type { RunDrift } from './run-drift.js';

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
   * CLEAR: no anomalies other than known false positives; otherwise HIGH or LOW by the stage's
   * severity levels (runSeverity in aggregate-step.ts).
   */
  severity: 'CLEAR' | 'LOW' | 'HIGH';
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
  result: string;
  summaryUri: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}
