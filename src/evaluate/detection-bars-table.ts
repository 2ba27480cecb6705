/**
 * The detection-bars results as Markdown, for a report or a pull request: one row per scenario
 * with the figures the bars judge (a figure below its bar is marked ✗), then the leading reasons of
 * the false alarms, then the missed bars one per line.
 */

import { ANOMALY_TYPES } from '../generate/trading-day.js';
import { AVERAGE_PRECISION_BAR, PRECISION_BAR, RECALL_BARS, type ScenarioResult } from './detection-bars.js';

/** How many false-alarm reasons per scenario the second table names. */
const TOP_REASONS = 3;
/** How many missed anomalies per scenario the report lists. */
const MISSED_SHOWN = 5;

const SHORT_TYPE: Readonly<Record<string, string>> = {
  impossible_value: 'impossible',
  missing_field: 'missing',
  duplicate_trade: 'duplicate',
  off_hours: 'off-hours',
  fat_finger: 'fat-finger',
  quantity_spike: 'qty spike',
  price_spike: 'price spike',
};

/** Types in the table's order: the barred ones first, then the rest. */
const TYPE_ORDER = [...Object.keys(RECALL_BARS), ...ANOMALY_TYPES.filter((t) => !(t in RECALL_BARS))];

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

function line(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function figure(x: number, bar?: number): string {
  const text = Number.isNaN(x) ? 'n/a' : x.toFixed(3);
  return bar !== undefined && !(x >= bar) ? `${text} ✗` : text;
}

function recallCell(r: ScenarioResult, type: string): string {
  const t = r.metrics.recallByType[type];
  if (!t) return RECALL_BARS[type] !== undefined ? 'none ✗' : 'none';
  return `${figure(t.recall, RECALL_BARS[type])} (${t.found}/${t.total})`;
}

/** The per-scenario figures table. */
export function formatBarsTable(results: readonly ScenarioResult[]): string {
  const titles = [
    'Scenario',
    'Rows',
    `Precision (≥${PRECISION_BAR})`,
    'Recall',
    `PR-AUC (≥${AVERAGE_PRECISION_BAR})`,
    ...TYPE_ORDER.map((t) => (RECALL_BARS[t] !== undefined ? `${SHORT_TYPE[t] ?? t} (≥${RECALL_BARS[t]})` : `${SHORT_TYPE[t] ?? t} (no bar)`)),
    'FP',
    'Bars missed',
  ];
  const rule = `|${titles.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`;
  const rows = results.map((r) =>
    line([
      r.scenario,
      r.rows.toLocaleString('en-US'),
      figure(r.metrics.precision, PRECISION_BAR),
      figure(r.metrics.recall),
      figure(r.metrics.averagePrecision, AVERAGE_PRECISION_BAR),
      ...TYPE_ORDER.map((t) => recallCell(r, t)),
      String(r.metrics.falsePositives),
      String(r.failures.length),
    ]),
  );
  return [line(titles), rule, ...rows].join('\n');
}

/** The leading reasons of each scenario's false alarms. */
export function formatFalsePositiveTable(results: readonly ScenarioResult[]): string {
  const rows = results.map((r) => {
    const top = Object.entries(r.falsePositives.byReason)
      .slice(0, TOP_REASONS)
      .map(([reason, n]) => `${n} × ${reason}`)
      .join('<br>');
    return line([r.scenario, String(r.falsePositives.count), top || '—']);
  });
  return [line(['Scenario', 'False alarms', `Leading reasons (top ${TOP_REASONS})`]), '| --- | ---: | --- |', ...rows].join('\n');
}

/** The planted anomalies left unflagged, a few per scenario, with their scores. */
export function formatMissedAnomalies(results: readonly ScenarioResult[]): string {
  const lines = results.flatMap((r) => {
    const shown = r.missed.slice(0, MISSED_SHOWN).map((m) => {
      const score = m.score === null ? 'not scored' : `score ${m.score.toFixed(2)}`;
      return `- ${r.scenario}: ${m.type} at row ${m.sourceRow} (${m.symbol ?? '?'}, price ${m.price ?? '?'}, quantity ${m.quantity ?? '?'}, ${score})`;
    });
    if (r.missed.length > MISSED_SHOWN) shown.push(`- ${r.scenario}: … and ${r.missed.length - MISSED_SHOWN} more`);
    return shown;
  });
  return lines.length === 0 ? 'None.' : lines.join('\n');
}

/** The whole report: both tables, the missed anomalies and the list of missed bars. */
export function formatBarsReport(results: readonly ScenarioResult[]): string {
  const failures = results.flatMap((r) => r.failures);
  const missedBars = failures.length === 0 ? 'Every scenario meets every bar.' : failures.map((f) => `- ${f.message}`).join('\n');
  return [
    formatBarsTable(results),
    '',
    'False alarms by reason (rule codes; model reasons by the template of their leading sentence):',
    '',
    formatFalsePositiveTable(results),
    '',
    'Anomalies missed:',
    '',
    formatMissedAnomalies(results),
    '',
    `Bars missed (${failures.length}):`,
    '',
    missedBars,
  ].join('\n');
}
