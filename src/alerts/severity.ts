/**
 * How bad a run is, and how bad each flagged row is: the levels a subscription filters on and the
 * alert counts by. Configurable per stage (cdk.json `severity`).
 *
 * A flagged row is HIGH when the model scores it at or above `highScore`, MEDIUM at or above
 * `mediumScore`, and LOW otherwise (a score just over the model's threshold, or a data-quality rule
 * broken by a row the model finds ordinary). A run takes the level of its worst row that is not a
 * known false positive, and is HIGH whatever its rows when more than `highBadRowShare` of them break
 * data-quality rules (the file itself is then suspect). CLEAR: nothing flagged but known false positives.
 *
 * Why these defaults: on the generated 150,000-trade demo day (threshold 0.683) the false positives
 * scored 0.683-0.700 (one 0.987) and the injected anomalies 0.74-1.0, so 0.7 separates borderline
 * flags from clear ones and 0.8 marks the strong outliers that deserve a look the same day.
 */
export const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH'] as const;
/** The level of one flagged row. */
export type Severity = (typeof SEVERITIES)[number];
/** The level of a run: a row level, or CLEAR. */
export type RunSeverity = 'CLEAR' | Severity;

export interface SeverityLevels {
  /** A model score this high (and at least the model's threshold) is a strong outlier: HIGH. */
  highScore: number;
  /** A model score this high (and at least the threshold), below highScore: MEDIUM. At most highScore. */
  mediumScore: number;
  /** Over this share of rows breaking rules, the file itself is suspect: the run is HIGH. */
  highBadRowShare: number;
}

export const DEFAULT_SEVERITY: SeverityLevels = { highScore: 0.8, mediumScore: 0.7, highBadRowShare: 0.01 };

/** Counts of flagged rows per level (known false positives left out). */
export type SeverityCounts = Record<Severity, number>;

export function emptySeverityCounts(): SeverityCounts {
  return { HIGH: 0, MEDIUM: 0, LOW: 0 };
}

/** The level of one flagged row by its model score (null: the model could not score it). */
export function rowSeverity(score: number | null, threshold: number, levels: SeverityLevels): Severity {
  if (score === null || score < threshold) return 'LOW';
  if (score >= levels.highScore) return 'HIGH';
  if (score >= levels.mediumScore) return 'MEDIUM';
  return 'LOW';
}

/**
 * HIGH for a suspect file or a strong outlier; CLEAR without anomalies; MEDIUM for a row at the
 * medium level; else LOW. The caller passes the rows that are not known false positives (analysts'
 * feedback): a day whose only anomalies are known false positives is CLEAR.
 *
 * The bad-row share is judged first: every row breaking a rule is flagged today, but a suspect file
 * must stay HIGH even for a caller (or a future rule policy) whose anomaly count leaves such rows out.
 */
export function runSeverity(
  run: { anomalies: number; maxScore: number; badRows: number; rows: number; threshold: number },
  levels: SeverityLevels,
): RunSeverity {
  const suspectFile = run.badRows > levels.highBadRowShare * run.rows;
  if (suspectFile) return 'HIGH';
  if (run.anomalies === 0) return 'CLEAR';
  return rowSeverity(run.maxScore, run.threshold, levels);
}

/** Why a problem with the levels: used by the environment parsing and the tests. */
export function severityLevelsProblem(levels: SeverityLevels): string | undefined {
  if (levels.mediumScore > levels.highScore) return `mediumScore (${levels.mediumScore}) must not be above highScore (${levels.highScore})`;
  return undefined;
}
