import type { Alert } from '../ports/alert-sink.js';
import type { RunSummary, TopAnomaly } from '../steps/run-summary.js';

/**
 * The alerts people read: one per file (never one per chunk). Subjects stay within 99 ASCII
 * characters: SNS rejects subjects over 100 and anything outside ASCII printable characters.
 */
export const MAX_SUBJECT_LENGTH = 99;

export function asciiSubject(text: string): string {
  // Decompose, drop the accents (é -> e), then replace what is still not printable ASCII.
  const ascii = text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}

function fileName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

function formatAnomaly(a: TopAnomaly): string {
  const time = a.timestamp ?? '?';
  const score = a.score === null ? 'n/a' : a.score.toFixed(2);
  return `  row ${a.sourceRow}  ${a.tradeId ?? '?'}  ${a.symbol ?? '?'}  ${time}  ${a.side ?? '?'}  qty ${a.quantity ?? '?'} @ ${a.price ?? '?'}  score ${score}\n    why: ${a.reasons}`;
}

export function runAlert(summary: RunSummary): Alert {
  const file = fileName(summary.input.key);
  const severity = summary.anomalies === 0 ? 'CLEAR' : summary.severity;
  const subject = asciiSubject(
    `trade-anomaly ${summary.stage}: ${summary.anomalies} anomal${summary.anomalies === 1 ? 'y' : 'ies'} [${severity}] in ${file}`,
  );
  const reasons = Object.entries(summary.byReason)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `  ${code}: ${n}`);
  const lines = [
    `File: s3://${summary.input.bucket}/${summary.input.key}`,
    `Trading day: ${summary.day}   Run: ${summary.runId}`,
    `Rows: ${summary.rows}   scored by the model: ${summary.scored}   rows breaking data-quality rules: ${summary.badRows}`,
    `Anomalies: ${summary.anomalies} (${summary.modelAnomalies} from the model at threshold ${summary.threshold.toFixed(3)}, ${summary.badRows} from data-quality rules)`,
    '',
    'By reason:',
    ...(reasons.length ? reasons : ['  none']),
    '',
    `Top anomalies by model score (${summary.topAnomalies.length} shown):`,
    ...(summary.topAnomalies.length ? summary.topAnomalies.map(formatAnomaly) : ['  none']),
    '',
    `Examples of rows breaking data-quality rules (${summary.qualityExamples.length} shown):`,
    ...(summary.qualityExamples.length ? summary.qualityExamples.map(formatAnomaly) : ['  none']),
    '',
    `Model: ${summary.modelVersion}${summary.modelFittedOnInput ? ' (fitted on this file itself: no trained model was available)' : ''}`,
    `Result (Parquet): ${summary.result}`,
    `Summary: ${summary.summaryUri}`,
  ];
  return {
    subject,
    message: lines.join('\n'),
    attributes: { stage: summary.stage, severity, file },
  };
}

export function rejectionAlert(stage: string, bucket: string, key: string, reason: string, rejectedKey: string): Alert {
  const file = fileName(key);
  return {
    subject: asciiSubject(`trade-anomaly ${stage}: file rejected [REJECTED] ${file}`),
    message: [
      `The file s3://${bucket}/${key} was rejected and not scored.`,
      `Reason: ${reason}`,
      `A copy is at s3://${bucket}/${rejectedKey} with an error report beside it (${rejectedKey}.error.json).`,
      'The original is unchanged. Fix the file and upload it again.',
    ].join('\n'),
    attributes: { stage, severity: 'REJECTED', file },
  };
}

export function failureAlert(stage: string, runId: string, key: string, cause: string): Alert {
  const file = fileName(key);
  return {
    subject: asciiSubject(`trade-anomaly ${stage}: run failed [FAILED] ${file}`),
    message: [`Run ${runId} for ${key} failed; no result was published.`, `Cause: ${cause}`, 'The input file is unchanged; the run can be redriven.'].join('\n'),
    attributes: { stage, severity: 'FAILED', file },
  };
}
