import { fileNameOf } from '../pipeline/run-id.js';
import type { Alert } from '../ports/alert-sink.js';
import type { RunSummary, TopAnomaly } from '../steps/run-summary.js';
import type { AllClearMode } from './all-clear.js';
import { rowSeverity, SEVERITIES, type SeverityLevels } from './severity.js';
import { ALERT_MAX_BYTES, publishBytes } from './sns-message.js';

/**
 * The alerts people read: one per file (never one per chunk). Subjects stay within 99 ASCII
 * characters: SNS rejects subjects over 100 and anything outside ASCII printable characters. A run's
 * alert always fits SNS's 256 KiB (subject, both forms of the message and the attributes): the lists
 * of anomalies are cut to fit, saying how many were left out.
 */
export const MAX_SUBJECT_LENGTH = 99;
/** The machine form's format tag: a subscriber checks it before reading the fields. */
export const RUN_ALERT_FORMAT = 'trade-anomaly/run-alert/1';
/** Longest text kept of one value from the file (a reason, a trade id): a crafted file cannot bloat the alert. */
const MAX_FIELD_CHARS = 600;
/** Feedback-file errors listed (the rest are counted). */
const MAX_FEEDBACK_ERRORS = 10;

export function asciiSubject(text: string): string {
  // Decompose, drop the accents (é -> e), then replace what is still not printable ASCII.
  const ascii = text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}

function clip(text: string, max = MAX_FIELD_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function clipOrNull(text: string | null): string | null {
  return text === null ? null : clip(text, 120);
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function share(part: number, whole: number): string {
  if (!(whole > 0)) return '0%';
  const pct = (part / whole) * 100;
  return pct === 0 || pct >= 0.1 ? `${pct.toFixed(1)}%` : pct < 0.01 ? '<0.01%' : `${pct.toFixed(2)}%`;
}

/** The severity of a listed row, by the levels the run was judged with. */
function severityOf(a: TopAnomaly, summary: RunSummary): string {
  return rowSeverity(a.score, summary.threshold, summary.severityLevels);
}

function formatAnomaly(a: TopAnomaly, summary: RunSummary): string {
  const time = a.timestamp ?? '?';
  const score = a.score === null ? 'n/a' : a.score.toFixed(2);
  const confirmed = a.feedback === 'confirmed' ? '  [confirmed by analysts]' : '';
  const id = clipOrNull(a.tradeId) ?? '?';
  const symbol = clipOrNull(a.symbol) ?? '?';
  return (
    `  ${severityOf(a, summary).padEnd(6)} row ${a.sourceRow}  ${id}  ${symbol}  ${time}  ${clipOrNull(a.side) ?? '?'}  qty ${a.quantity ?? '?'} @ ${a.price ?? '?'}  score ${score}${confirmed}\n` +
    `    why: ${clip(a.reasons)}`
  );
}

/** The stage's levels in words, so a reader knows what HIGH means here. */
export function levelsText(levels: SeverityLevels): string {
  return `HIGH: a model score >= ${levels.highScore} or more than ${share(levels.highBadRowShare, 1)} of rows breaking rules; MEDIUM: a score >= ${levels.mediumScore}; LOW: any other flag`;
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
  for (const e of feedback.errors.slice(0, MAX_FEEDBACK_ERRORS)) lines.push(`  could not read ${clip(e.file, 300)}, its verdicts were not applied: ${clip(e.message, 300)}`);
  if (feedback.errors.length > MAX_FEEDBACK_ERRORS) lines.push(`  and ${feedback.errors.length - MAX_FEEDBACK_ERRORS} more feedback files could not be read (see the summary)`);
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

/** Where the outputs are: S3 URIs, and console links where the region is known. */
function whereLines(summary: RunSummary): string[] {
  const links = summary.consoleLinks;
  return [
    `Model: ${summary.modelVersion}${summary.modelFittedOnInput ? ' (fitted on this file itself: no trained model was available)' : ''}`,
    `Result (Parquet): ${summary.result}`,
    ...(links ? [`  in the console: ${links.result}`] : []),
    `Report: ${summary.report}`,
    ...(links ? [`  in the console: ${links.report}`] : []),
    `Summary: ${summary.summaryUri}`,
  ];
}

/*
 * Subject, attributes and both forms show the run's severity as summary.json has it. It already leaves
 * known false positives out (runSeverity judges the open rows), so the alert never judges again: a
 * second rule here could only disagree with the summary, e.g. turn a file HIGH by its share of bad
 * rows into a CLEAR (and so a quiet or no) alert.
 */
function subjectOf(summary: RunSummary): string {
  const file = fileNameOf(summary.input.key);
  // Known false positives are not news: the subject counts the rest, and names them apart.
  const suppressed = summary.feedback.falsePositivesSuppressed;
  const open = summary.anomalies - suppressed;
  const known = suppressed > 0 ? ` (+${plural(suppressed, 'known false positive', 'known false positives')})` : '';
  return asciiSubject(`trade-anomaly ${summary.stage}: ${open} anomal${open === 1 ? 'y' : 'ies'}${known} [${summary.severity}] in ${file}`);
}

function attributesOf(summary: RunSummary): Record<string, string> {
  // Attribute values must be non-empty for SNS; a file name never is (keys end in a name).
  return { stage: summary.stage, severity: summary.severity, file: fileNameOf(summary.input.key) || summary.input.key };
}

function machineAnomaly(a: TopAnomaly, summary: RunSummary): Record<string, unknown> {
  return {
    sourceRow: a.sourceRow,
    tradeId: clipOrNull(a.tradeId),
    symbol: clipOrNull(a.symbol),
    timestamp: a.timestamp,
    side: clipOrNull(a.side),
    price: a.price,
    quantity: a.quantity,
    score: a.score,
    severity: severityOf(a, summary),
    reasons: clip(a.reasons),
    qualityIssues: a.qualityIssues,
    ...(a.feedback ? { feedback: a.feedback } : {}),
  };
}

/** The alert for machines: the same facts as the text, as fields. */
function machineForm(summary: RunSummary, kind: 'run' | 'all-clear', top: TopAnomaly[], quality: TopAnomaly[]): Record<string, unknown> {
  return {
    format: RUN_ALERT_FORMAT,
    kind,
    stage: summary.stage,
    severity: summary.severity,
    file: fileNameOf(summary.input.key),
    input: `s3://${summary.input.bucket}/${summary.input.key}`,
    day: summary.day,
    runId: summary.runId,
    rows: summary.rows,
    scored: summary.scored,
    badRows: summary.badRows,
    anomalies: summary.anomalies,
    modelAnomalies: summary.modelAnomalies,
    open: summary.open,
    threshold: summary.threshold,
    severityLevels: summary.severityLevels,
    bySeverity: summary.breakdown.bySeverity,
    byReason: summary.byReason,
    qualityByRule: summary.breakdown.qualityByRule,
    topAnomalies: top.map((a) => machineAnomaly(a, summary)),
    topAnomaliesLeftOut: Math.max(0, summary.open.modelAnomalies - top.length),
    qualityExamples: quality.map((a) => machineAnomaly(a, summary)),
    qualityExamplesLeftOut: Math.max(0, summary.open.badRows - quality.length),
    feedback: {
      falsePositivesSuppressed: summary.feedback.falsePositivesSuppressed,
      confirmed: summary.feedback.confirmed,
      errors: summary.feedback.errors.slice(0, MAX_FEEDBACK_ERRORS).map((e) => ({ file: clip(e.file, 300), message: clip(e.message, 300) })),
    },
    drift: { warnings: summary.drift.warnings, ...(summary.drift.note ? { note: summary.drift.note } : {}) },
    modelVersion: summary.modelVersion,
    modelFittedOnInput: summary.modelFittedOnInput,
    result: summary.result,
    report: summary.report,
    summary: summary.summaryUri,
    ...(summary.consoleLinks ? { consoleLinks: summary.consoleLinks } : {}),
  };
}

function fullAlert(summary: RunSummary, top: TopAnomaly[], quality: TopAnomaly[]): Alert {
  const reasons = Object.entries(summary.byReason)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `  ${code}: ${n}`);
  const bySeverity = SEVERITIES.slice()
    .reverse()
    .map((level) => `${level} ${summary.breakdown.bySeverity[level]}`)
    .join('   ');
  const rules = Object.entries(summary.breakdown.qualityByRule).map(([code, n]) => `${code} ${n}`);
  const topLeftOut = Math.max(0, summary.open.modelAnomalies - top.length);
  const qualityLeftOut = Math.max(0, summary.open.badRows - quality.length);
  const lines = [
    `Severity: ${summary.severity}   (${levelsText(summary.severityLevels)})`,
    `File: s3://${summary.input.bucket}/${summary.input.key}`,
    `Trading day: ${summary.day}   Run: ${summary.runId}`,
    `Rows: ${summary.rows}   scored by the model: ${summary.scored}   rows breaking data-quality rules: ${summary.badRows}`,
    `Anomalies: ${summary.anomalies} (${summary.modelAnomalies} from the model at threshold ${summary.threshold.toFixed(3)}, ${summary.badRows} from data-quality rules)`,
    `By severity: ${bySeverity}${summary.feedback.falsePositivesSuppressed ? `   (known false positives left out: ${summary.feedback.falsePositivesSuppressed})` : ''}`,
    '',
    'By reason:',
    ...(reasons.length ? reasons : ['  none']),
    '',
    `Top anomalies by model score (${top.length} shown${topLeftOut ? `, ${topLeftOut} more flagged by the model are in the report and the result` : ''}):`,
    ...(top.length ? top.map((a) => formatAnomaly(a, summary)) : ['  none']),
    '',
    `Data quality: ${summary.badRows} rows (${share(summary.badRows, summary.rows)}) break at least one rule${rules.length ? `: ${rules.join(', ')}` : ''}`,
    `Examples of rows breaking data-quality rules (${quality.length} shown${qualityLeftOut ? `, ${qualityLeftOut} more in the report and the result` : ''}):`,
    ...(quality.length ? quality.map((a) => formatAnomaly(a, summary)) : ['  none']),
    ...feedbackLines(summary),
    ...driftLines(summary),
    '',
    ...whereLines(summary),
  ];
  return { subject: subjectOf(summary), message: lines.join('\n'), attributes: attributesOf(summary), json: machineForm(summary, 'run', top, quality) };
}

/**
 * The run's alert, within `maxBytes` as SNS counts them: with every listed anomaly when they fit,
 * else with the quality examples, then the top anomalies, cut from the end (the worst stay).
 */
export function runAlert(summary: RunSummary, maxBytes = ALERT_MAX_BYTES): Alert {
  let top = summary.topAnomalies.length;
  let quality = summary.qualityExamples.length;
  for (;;) {
    const alert = fullAlert(summary, summary.topAnomalies.slice(0, top), summary.qualityExamples.slice(0, quality));
    if (publishBytes(alert) <= maxBytes) return alert;
    if (quality > 0) quality--;
    else if (top > 0) top--;
    else return fitted(alert, maxBytes);
  }
}

/** Last resort, for a summary whose fixed parts alone are too big (they never should be): the text cut, no machine form. */
function fitted(alert: Alert, maxBytes: number): Alert {
  const plain: Alert = { subject: alert.subject, message: alert.message, attributes: alert.attributes };
  const note = '\n[cut to fit the 256 KiB SNS limit: see the summary and the report]';
  let keep = Math.max(0, maxBytes - publishBytes({ ...plain, message: note }));
  while (keep > 0 && publishBytes({ ...plain, message: plain.message.slice(0, keep) + note }) > maxBytes) keep = Math.floor(keep * 0.9);
  return { ...plain, message: plain.message.slice(0, keep) + note };
}

/** The short summary of a clean day (allClear `quiet`): the counts, anything to act on, and where things are. */
export function allClearAlert(summary: RunSummary, maxBytes = ALERT_MAX_BYTES): Alert {
  const file = fileNameOf(summary.input.key);
  const suppressed = summary.feedback.falsePositivesSuppressed;
  const lines = [
    `All clear: no anomalies in ${file} (${summary.rows} rows, ${summary.scored} scored by the model, ${summary.badRows} breaking data-quality rules).`,
    ...(suppressed > 0 ? [`${plural(suppressed, 'row was', 'rows were')} flagged but analysts had marked ${suppressed === 1 ? 'it' : 'them'} as known false positives (still flagged in the result).`] : []),
    `File: s3://${summary.input.bucket}/${summary.input.key}`,
    `Trading day: ${summary.day}   Run: ${summary.runId}`,
    ...feedbackLines(summary).filter((l) => l.startsWith('  could not read') || l.startsWith('  and ')),
    ...driftLines(summary),
    '',
    ...whereLines(summary),
  ];
  const alert: Alert = { subject: subjectOf(summary), message: lines.join('\n'), attributes: attributesOf(summary), json: machineForm(summary, 'all-clear', [], []) };
  return publishBytes(alert) <= maxBytes ? alert : fitted(alert, maxBytes);
}

/** Something to act on even on a clean day: drift, or feedback that could not be applied. */
function needsAttention(summary: RunSummary): boolean {
  return summary.drift.warnings.length > 0 || summary.feedback.errors.length > 0;
}

/**
 * The one alert of a run, by the stage's all-clear mode (see all-clear.ts): the full alert for a run
 * with anomalies, and for a clean day the full alert, the quiet summary, or nothing.
 */
export function runAlertFor(summary: RunSummary, allClear: AllClearMode): Alert | undefined {
  if (summary.severity !== 'CLEAR' || allClear === 'send') return runAlert(summary);
  if (allClear === 'quiet' || needsAttention(summary)) return allClearAlert(summary);
  return undefined;
}

/** The most of an error's text an alert quotes. */
export const MAX_REASON_CHARS = 2_000;

export function rejectionAlert(stage: string, bucket: string, key: string, reason: string, rejectedKey: string): Alert {
  const file = fileNameOf(key);
  return {
    subject: asciiSubject(`trade-anomaly ${stage}: file rejected [REJECTED] ${file}`),
    message: [
      `The file s3://${bucket}/${key} was rejected and not scored.`,
      // The reason can quote a whole header line (a JSON export has thousands of "columns"): the full
      // text is in the error report beside the copy; the alert must stay far under SNS's 256 KiB.
      `Reason: ${clip(reason, MAX_REASON_CHARS)}`,
      `A copy is at s3://${bucket}/${rejectedKey} with an error report beside it (${rejectedKey}.error.json).`,
      'The original is unchanged. Fix the file and upload it again.',
    ].join('\n'),
    attributes: { stage, severity: 'REJECTED', file },
  };
}

export function failureAlert(stage: string, runId: string, key: string, cause: string): Alert {
  const file = fileNameOf(key);
  return {
    subject: asciiSubject(`trade-anomaly ${stage}: run failed [FAILED] ${file}`),
    message: [
      `Run ${runId} for ${key} failed. Nothing is published under results/ unless the failure came after the result was complete; then the result is whole and its summary or alert may be missing.`,
      `Cause: ${clip(cause, MAX_REASON_CHARS)}`,
      'The input file is unchanged; the run can be redriven (a redrive finishes what is missing, without a second result).',
    ].join('\n'),
    attributes: { stage, severity: 'FAILED', file },
  };
}
