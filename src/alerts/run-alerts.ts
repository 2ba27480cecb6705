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
  const confirmed = a.feedback === 'confirmed' ? '  [confirmed by analysts]' : '';
  return `  row ${a.sourceRow}  ${a.tradeId ?? '?'}  ${a.symbol ?? '?'}  ${time}  ${a.side ?? '?'}  qty ${a.quantity ?? '?'} @ ${a.price ?? '?'}  score ${score}${confirmed}\n    why: ${a.reasons}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The analysts' feedback as it bears on this alert; nothing when there is none. */
function feedbackLines(summary: RunSummary): string[] {
  const { feedback } = summary;
  if (feedback.files.length === 0 && feedback.errors.length === 0) return [];
  const lines = ['', `Analysts' feedback (${plural(feedback.files.length, 'file', 'files')} under feedback/):`];
  if (feedback.falsePositivesSuppressed > 0) {
    lines.push(
      `  ${plural(feedback.falsePositivesSuppressed, 'flagged row is a known false positive', 'flagged rows are known false positives')}: left out of this alert and its severity (still flagged in the result)`,
    );
  }
  if (feedback.confirmed > 0) {
    lines.push(`  ${plural(feedback.confirmed, 'flagged row was confirmed as an anomaly', 'flagged rows were confirmed as anomalies')} by analysts`);
  }
  if (feedback.falsePositivesSuppressed === 0 && feedback.confirmed === 0 && feedback.files.length > 0) lines.push('  none of it concerns the rows flagged in this file');
  for (const e of feedback.errors) lines.push(`  could not read ${e.file}, its verdicts were not applied: ${e.message}`);
  return lines;
}

/** Drift warnings, or why drift was not judged; nothing on an ordinary day. */
function driftLines(summary: RunSummary): string[] {
  const { drift } = summary;
  if (drift.warnings.length === 0 && drift.note === undefined) return [];
  return [
    '',
    'Drift from the training data (does not change the severity):',
    ...drift.warnings.map((w) => `  ${w}`),
    ...(drift.note === undefined ? [] : [`  ${drift.note}`]),
  ];
}

export function runAlert(summary: RunSummary): Alert {
  const file = fileName(summary.input.key);
  // Known false positives are not news: the subject counts the rest, and names them apart.
  const suppressed = summary.feedback.falsePositivesSuppressed;
  const open = summary.anomalies - suppressed;
  const severity = open === 0 ? 'CLEAR' : summary.severity;
  const known = suppressed > 0 ? ` (+${plural(suppressed, 'known false positive', 'known false positives')})` : '';
  const subject = asciiSubject(`trade-anomaly ${summary.stage}: ${open} anomal${open === 1 ? 'y' : 'ies'}${known} [${severity}] in ${file}`);
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
    ...feedbackLines(summary),
    ...driftLines(summary),
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
