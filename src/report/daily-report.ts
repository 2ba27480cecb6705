import { levelsText } from '../alerts/run-alerts.js';
import { rowSeverity, SEVERITIES, type Severity } from '../alerts/severity.js';
import { escapeXml as esc, formatNumber, formatPercent } from '../explore/format.js';
import { barChart, histogramChart, timeOfDayChart, type Tick } from '../explore/svg-charts.js';
import { MODEL_REASON_PREFIX, type RunSummary, type TopAnomaly } from '../steps/run-summary.js';
import { SCORE_BINS } from './result-breakdown.js';
import { fileNameOf } from '../pipeline/run-id.js';
import { PAGE_CSS } from './page-style.js';

/**
 * The day's report (reports/date=<day>/<file>/report.html): one self-contained page, inline CSS and
 * SVG, no script and nothing fetched (a Content-Security-Policy forbids it), so it opens from a mail
 * attachment, the S3 console or a laptop offline. Everything from the file is escaped (a symbol or a
 * reason may hold any text). It is drawn from the summary and the aggregate's tally alone: the
 * result itself is never read back.
 */
export const REPORT_CONTENT_TYPE = 'text/html; charset=utf-8';
/** Symbols in the "by symbol" chart. */
const CHART_SYMBOLS = 20;

export interface ReportDetail {
  /** The highest-scoring flagged rows, more than the summary lists. */
  topAnomalies: TopAnomaly[];
  /** The first rows breaking data-quality rules. */
  qualityExamples: TopAnomaly[];
}

const SEVERITY_COLOR: Record<Severity | 'CLEAR', string> = { HIGH: '#b71c1c', MEDIUM: '#e08a00', LOW: '#3b6ea5', CLEAR: '#2e7d32' };

const CSS = `
${PAGE_CSS}
td.why { max-width: 520px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-weight: 700; font-size: 12px; }
.counts span { margin-right: 18px; }
.warn { color: #b71c1c; font-weight: 600; }
`;

function badge(level: Severity | 'CLEAR'): string {
  return `<span class="badge" style="background:${SEVERITY_COLOR[level]}">${level}</span>`;
}

function th(label: string, numeric = false): string {
  return `<th${numeric ? ' class="n"' : ''}>${esc(label)}</th>`;
}

function td(html: string, cls = ''): string {
  return `<td${cls ? ` class="${cls}"` : ''}>${html}</td>`;
}

/** A link for an https URL, the URI as text otherwise (s3:// opens nothing in a browser). */
function where(uri: string, console?: string): string {
  return `<code>${esc(uri)}</code>${console ? ` · <a href="${esc(console)}">open in the AWS console</a>` : ''}`;
}

function summarySection(s: RunSummary): string {
  const b = s.breakdown;
  const facts: [string, string][] = [
    ['file', `<code>${esc(`s3://${s.input.bucket}/${s.input.key}`)}</code>`],
    ['trading day', esc(s.day)],
    ['run', `<code>${esc(s.runId)}</code> · ${esc(s.startedAt)} to ${esc(s.finishedAt)} (${formatNumber(s.durationMs / 1000, 3)} s)`],
    ['rows', formatNumber(s.rows)],
    ['scored by the model', `${formatNumber(s.scored)} (${formatPercent(s.scored, s.rows)})`],
    ['anomalies', `<b>${formatNumber(s.anomalies)}</b> (${formatPercent(s.anomalies, s.rows)}): ${formatNumber(s.modelAnomalies)} from the model at threshold ${s.threshold.toFixed(3)}, ${formatNumber(s.badRows)} breaking data-quality rules`],
    ['severity', `${badge(s.severity)} <span class="note">${esc(levelsText(s.severityLevels))}</span>`],
    ['by severity', `<span class="counts">${SEVERITIES.slice().reverse().map((l) => `<span>${badge(l)} ${formatNumber(b.bySeverity[l])}</span>`).join('')}</span>`],
    ['model', `<code>${esc(s.modelVersion)}</code>${s.modelFittedOnInput ? ' <span class="warn">fitted on this file itself: no trained model was available</span>' : ''}`],
    ['result (Parquet)', where(s.result, s.consoleLinks?.result)],
    ['this report', where(s.report, s.consoleLinks?.report)],
    ['summary', where(s.summaryUri)],
  ];
  if (s.feedback.files.length || s.feedback.errors.length) {
    const parts = [
      `${formatNumber(s.feedback.files.length)} feedback file(s)`,
      `${formatNumber(s.feedback.falsePositivesSuppressed)} flagged row(s) known false positives (left out of the severity, still flagged in the result)`,
      `${formatNumber(s.feedback.confirmed)} confirmed`,
      ...s.feedback.errors.map((e) => `<span class="warn">could not read ${esc(e.file)}: ${esc(e.message)}</span>`),
    ];
    facts.push(["analysts' feedback", parts.join('; ')]);
  }
  return `<section id="summary"><h2>The day</h2><dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl></section>`;
}

function scoreSection(s: RunSummary): string {
  const width = 1 / SCORE_BINS;
  const ticks: Tick[] = Array.from({ length: 11 }, (_, i) => ({ value: i / 10, label: (i / 10).toFixed(1) }));
  // Both charts: the same bins, ticks, colours (a bin that reaches the threshold holds flagged rows) and threshold line.
  const scoreChart = (parts: { title: string; description: string; first: number; xLabel: string; height: number }): string =>
    histogramChart({
      title: parts.title,
      description: parts.description,
      lo: parts.first * width,
      binWidth: width,
      counts: s.breakdown.scoreHistogram.slice(parts.first),
      xLabel: parts.xLabel,
      yLabel: 'rows',
      xTicks: ticks,
      width: 1140,
      height: parts.height,
      barColor: (from) => (from + width > s.threshold ? SEVERITY_COLOR.HIGH : '#3b6ea5'),
      marker: { value: s.threshold, label: `threshold ${s.threshold.toFixed(3)}` },
    });
  const chart = scoreChart({
    title: 'Model scores of the day',
    description: `${formatNumber(s.scored)} scored rows in ${SCORE_BINS} bins; the dashed line is the anomaly threshold ${s.threshold.toFixed(3)}`,
    first: 0,
    xLabel: 'score (0 = ordinary, 1 = most anomalous)',
    height: 300,
  });
  // The flagged bins again on their own scale: beside tens of thousands of ordinary rows they are a few pixels high.
  const zoom = scoreChart({
    title: 'Scores at and above the threshold',
    description: 'the bins from the threshold up, on their own scale',
    first: Math.min(SCORE_BINS - 1, Math.floor(s.threshold * SCORE_BINS)),
    xLabel: 'score',
    height: 220,
  });
  return (
    `<section id="scores"><h2>Score distribution</h2>${chart}${zoom}` +
    `<p class="note">${formatNumber(s.modelAnomalies)} rows score at or above the threshold and are flagged by the model (red bins hold them; a bin the line crosses holds rows on both sides). ` +
    `Rows the model could not score (${formatNumber(s.rows - s.scored)}) are not in the chart. A lone bar far right is what a fat finger looks like.</p></section>`
  );
}

function anomaliesSection(s: RunSummary): string {
  const b = s.breakdown;
  const symbols = b.bySymbol.slice(0, CHART_SYMBOLS);
  const bySymbol = barChart({
    title: `Anomalies by symbol (top ${symbols.length} of ${formatNumber(b.symbols.withAnomalies)})`,
    description: `flagged rows per symbol; ${formatNumber(b.symbols.distinct)} symbols in the file`,
    bars: symbols.map((x) => ({ label: x.symbol ?? '(no symbol)', value: x.anomalies, color: '#b71c1c' })),
    valueLabel: 'flagged rows',
  });
  const reasons = Object.entries(s.byReason).sort((a, b2) => b2[1] - a[1] || a[0].localeCompare(b2[0]));
  const byReason = barChart({
    title: 'Anomalies by reason',
    description: 'flagged rows per reason (a row may have several); model:<feature> are the model’s reasons',
    bars: reasons.map(([code, n]) => ({ label: code, value: n, color: code.startsWith(MODEL_REASON_PREFIX) ? '#6a4c93' : '#e08a00' })),
    valueLabel: 'flagged rows',
  });
  const byHour = timeOfDayChart({
    title: 'Anomalies by hour (UTC)',
    description: `flagged rows per hour of their timestamp${b.byHour.noTimestamp.anomalies ? `; ${b.byHour.noTimestamp.anomalies} flagged rows have no timestamp` : ''}`,
    binMinutes: 60,
    series: [{ name: 'flagged rows', counts: b.byHour.anomalies, color: '#b71c1c' }],
    yLabel: 'flagged rows',
  });
  const table =
    `<div class="scroll"><table><thead><tr>${th('symbol')}${th('flagged rows', true)}${th('rows', true)}${th('flagged share', true)}</tr></thead><tbody>` +
    b.bySymbol.map((x) => `<tr>${td(`<b>${esc(x.symbol ?? '(no symbol)')}</b>`)}${td(formatNumber(x.anomalies), 'n')}${td(formatNumber(x.rows), 'n')}${td(formatPercent(x.anomalies, x.rows), 'n')}</tr>`).join('') +
    `</tbody></table></div>`;
  const notListed = b.symbols.anomaliesNotListed ? ` ${formatNumber(b.symbols.anomaliesNotListed)} flagged rows of other symbols are not listed.` : '';
  const inexact = b.symbols.exact ? '' : ` The file has more symbols than are counted one by one; the later ones are counted together.`;
  return (
    `<section id="anomalies"><h2>Where the anomalies are</h2><div class="grid"><div>${bySymbol}</div><div>${byReason}</div></div>${byHour}` +
    `<h3>Symbols with flagged rows</h3>${table}<p class="note">Flagged rows include known false positives (they stay flagged in the result).${notListed}${inexact}</p></section>`
  );
}

function rowCells(a: TopAnomaly, s: RunSummary, rank: number | undefined): string {
  const level = rowSeverity(a.score, s.threshold, s.severityLevels);
  return (
    (rank === undefined ? '' : td(String(rank), 'n')) +
    td(badge(level)) +
    td(formatNumber(a.sourceRow), 'n') +
    td(esc(a.tradeId ?? '–')) +
    td(`<b>${esc(a.symbol ?? '–')}</b>`) +
    td(esc(a.timestamp ?? '–')) +
    td(esc(a.side ?? '–')) +
    td(formatNumber(a.price, 6), 'n') +
    td(formatNumber(a.quantity, 6), 'n') +
    td(a.score === null ? '–' : a.score.toFixed(3), 'n') +
    td(`${esc(a.reasons)}${a.feedback === 'confirmed' ? ' <span class="warn">[confirmed by analysts]</span>' : ''}`, 'why')
  );
}

const ROW_HEAD = `${th('severity')}${th('row', true)}${th('trade_id')}${th('symbol')}${th('time (UTC)')}${th('side')}${th('price', true)}${th('quantity', true)}${th('score', true)}${th('why')}`;

function topSection(s: RunSummary, top: TopAnomaly[]): string {
  if (top.length === 0) return `<section id="top"><h2>Top anomalies</h2><p class="ok">The model flagged no row${s.feedback.falsePositivesSuppressed ? ' other than known false positives' : ''}.</p></section>`;
  const more = Math.max(0, s.open.modelAnomalies - top.length);
  return (
    `<section id="top"><h2>Top anomalies</h2><p>The ${top.length} highest-scoring of ${formatNumber(s.open.modelAnomalies)} rows flagged by the model${more ? ` (${formatNumber(more)} more are in the result)` : ''}, with the reason in words.</p>` +
    `<div class="scroll"><table><thead><tr>${th('#', true)}${ROW_HEAD}</tr></thead><tbody>` +
    top.map((a, i) => `<tr>${rowCells(a, s, i + 1)}</tr>`).join('') +
    `</tbody></table></div><p class="note">Known false positives (analysts' feedback) are left out. Query every flagged row from the Parquet: <code>SELECT * FROM '${esc(fileNameOf(s.result))}' WHERE is_anomaly ORDER BY score DESC NULLS LAST</code>.</p></section>`
  );
}

function qualitySection(s: RunSummary, examples: TopAnomaly[]): string {
  const rules = Object.entries(s.breakdown.qualityByRule);
  if (rules.length === 0) return `<section id="quality"><h2>Data quality</h2><p class="ok">Every row passed every data-quality rule.</p></section>`;
  const chart = barChart({
    title: 'Rows breaking each data-quality rule',
    description: `${formatNumber(s.badRows)} rows break at least one rule`,
    bars: rules.map(([code, n]) => ({ label: code, value: n, color: '#e08a00' })),
    valueLabel: 'rows',
    width: 760,
  });
  const table =
    `<table><thead><tr>${th('rule')}${th('rows', true)}${th('share of rows', true)}</tr></thead><tbody>` +
    rules.map(([code, n]) => `<tr>${td(`<code>${esc(code)}</code>`)}${td(formatNumber(n), 'n')}${td(formatPercent(n, s.rows), 'n')}</tr>`).join('') +
    `</tbody></table>`;
  const more = Math.max(0, s.open.badRows - examples.length);
  const list = examples.length
    ? `<h3>The first ${examples.length} rows breaking rules, in file order${more ? ` (${formatNumber(more)} more in the result)` : ''}</h3><div class="scroll"><table><thead><tr>${ROW_HEAD}</tr></thead><tbody>` +
      examples.map((a) => `<tr>${rowCells(a, s, undefined)}</tr>`).join('') +
      `</tbody></table></div>`
    : '';
  const suspect = s.open.badRows > s.severityLevels.highBadRowShare * s.rows ? ` <span class="warn">More than ${formatPercent(s.severityLevels.highBadRowShare, 1)} of rows: the file itself is suspect (HIGH).</span>` : '';
  return `<section id="quality"><h2>Data quality</h2><p>${formatNumber(s.badRows)} of ${formatNumber(s.rows)} rows (${formatPercent(s.badRows, s.rows)}) break at least one rule; each is kept and flagged.${suspect}</p>${chart}${table}${list}</section>`;
}

function driftSection(s: RunSummary): string {
  const d = s.drift;
  const measured = d.features.filter((f) => f.psi !== null);
  const chart = measured.length
    ? barChart({
        title: 'Drift of each model feature from the training data (PSI)',
        description: `population stability index against the model's baseline; ${d.threshold} or more is warned about`,
        bars: measured.map((f) => ({ label: f.feature, value: f.psi!, color: f.psi! >= d.threshold ? '#b71c1c' : f.level === 'moderate' ? '#e08a00' : '#2e7d32' })),
        valueLabel: 'PSI (< 0.1 none, < 0.25 moderate, else significant)',
        formatValue: (v) => v.toFixed(3),
        width: 760,
      })
    : '';
  const table = d.features.length
    ? `<table><thead><tr>${th('feature')}${th('PSI', true)}${th('level')}${th('values missing', true)}</tr></thead><tbody>` +
      d.features.map((f) => `<tr>${td(`<code>${esc(f.feature)}</code>`)}${td(f.psi === null ? '–' : f.psi.toFixed(3), 'n')}${td(esc(f.level ?? 'not measured'))}${td(formatNumber(f.missing), 'n')}</tr>`).join('') +
      `</tbody></table>`
    : '';
  const warnings = d.warnings.length ? `<ul>${d.warnings.map((w) => `<li class="warn">${esc(w)}</li>`).join('')}</ul>` : '<p class="ok">No feature has drifted past the threshold.</p>';
  const note = d.note ? `<p class="note">${esc(d.note)}</p>` : '';
  return `<section id="drift"><h2>Drift against the training baseline</h2>${warnings}${note}${chart}${table}<p class="note">Over the ${formatNumber(d.rows)} rows the model scored. Drift never changes the severity: it says the model may be going stale, not that a trade is wrong.</p></section>`;
}

/** The whole page for a run. */
export function renderDailyReport(summary: RunSummary, detail: ReportDetail = { topAnomalies: summary.topAnomalies, qualityExamples: summary.qualityExamples }): string {
  const file = fileNameOf(summary.input.key);
  const open = summary.anomalies - summary.feedback.falsePositivesSuppressed;
  const severity = open === 0 ? 'CLEAR' : summary.severity;
  const nav = [
    ['summary', 'The day'],
    ['scores', 'Scores'],
    ['anomalies', 'Where'],
    ['top', 'Top anomalies'],
    ['quality', 'Data quality'],
    ['drift', 'Drift'],
  ]
    .map(([id, label]) => `<a href="#${id}">${label}</a>`)
    .join('');
  const sections = [
    summarySection(summary),
    scoreSection(summary),
    anomaliesSection(summary),
    topSection(summary, detail.topAnomalies),
    qualitySection(summary, detail.qualityExamples),
    driftSection(summary),
  ].join('\n');
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    // Nothing may load from anywhere: the report is read offline and holds text from the file.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` +
    `<title>${esc(`trade-anomaly ${summary.stage}: ${file} ${summary.day}`)}</title><style>${CSS}</style></head><body>` +
    `<header><h1>${esc(file)}: ${formatNumber(open)} anomal${open === 1 ? 'y' : 'ies'} ${badge(severity)}</h1>` +
    `<p>trade-anomaly ${esc(summary.stage)} · trading day ${esc(summary.day)} · ${formatNumber(summary.rows)} rows · ${formatNumber(summary.badRows)} breaking data-quality rules · model ${esc(summary.modelVersion)}</p></header>` +
    `<nav>${nav}</nav><main>\n${sections}\n</main></body></html>\n`
  );
}
