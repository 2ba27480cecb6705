import type { CrossValidationResult, DetectorCvResult } from './cross-validate.js';

/** A cross-validation result as tables: rows = detectors. */
export interface CvTable {
  /** One line: the protocol (folds, seed, rows, anomalies) and how rows were flagged. */
  caption: string;
  /** Fixed-width columns, for a terminal or a log. */
  text: string;
  /** A GitHub-flavoured Markdown table, for a report. */
  markdown: string;
}

interface Column {
  title: string;
  align: 'left' | 'right';
  cell(d: DetectorCvResult): string;
}

const COLUMNS: readonly Column[] = [
  { title: 'Detector', align: 'left', cell: (d) => d.name },
  { title: 'ROC-AUC', align: 'right', cell: (d) => meanSd(d.mean.rocAuc, d.sd.rocAuc) },
  { title: 'PR-AUC', align: 'right', cell: (d) => meanSd(d.mean.averagePrecision, d.sd.averagePrecision) },
  { title: 'Precision', align: 'right', cell: (d) => fixed(d.mean.precision, 3) },
  { title: 'Recall', align: 'right', cell: (d) => fixed(d.mean.recall, 3) },
  { title: 'F1', align: 'right', cell: (d) => fixed(d.mean.f1, 3) },
  { title: 'Fit ms', align: 'right', cell: (d) => grouped(d.fitMsMean) },
  { title: 'Rows/s', align: 'right', cell: (d) => grouped(d.scoreRowsPerSec) },
];

/** Formats a cross-validation result; undefined metrics (NaN) show as n/a. */
export function formatCvTable(result: CrossValidationResult): CvTable {
  const cells = result.detectors.map((d) => COLUMNS.map((c) => c.cell(d)));
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i].length)));
  const pad = (s: string, i: number): string => (COLUMNS[i].align === 'left' ? s.padEnd(widths[i]) : s.padStart(widths[i]));
  const textLine = (row: readonly string[]): string => row.map(pad).join('  ').trimEnd();
  const titles = COLUMNS.map((c) => c.title);
  const text = [textLine(titles), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(textLine)].join('\n');

  const mdLine = (row: readonly string[]): string => `| ${row.map((s) => s.replaceAll('|', '\\|')).join(' | ')} |`;
  const rule = `|${COLUMNS.map((c) => (c.align === 'left' ? ' --- ' : ' ---: ')).join('|')}|`;
  const markdown = [mdLine(titles), rule, ...cells.map(mdLine)].join('\n');

  return { caption: caption(result), text, markdown };
}

function caption(result: CrossValidationResult): string {
  const ranked = result.detectors.filter((d) => d.folds.some((f) => f.flaggedBy === 'top-positives')).map((d) => d.name);
  const topN = 'the top N test rows, N = anomalies in the fold';
  const flagged =
    ranked.length === 0
      ? 'flagged = score at or above the fitted threshold'
      : ranked.length === result.detectors.length
        ? `flagged = ${topN} (no detector has a threshold)`
        : `flagged = score at or above the fitted threshold; for ${ranked.join(', ')} (no threshold) ${topN}`;
  const fit = result.trainOnNormalOnly ? 'fit on the normal training rows' : 'fit on all training rows, labels unused';
  return `${result.folds}-fold stratified cross-validation (seed ${result.seed}), ${grouped(result.rows)} rows, ${grouped(result.positives)} anomalies; ${fit}; mean ± sd over folds; ${flagged}.`;
}

function meanSd(mean: number, sd: number): string {
  return Number.isNaN(mean) ? 'n/a' : `${mean.toFixed(4)} ± ${fixed(sd, 4)}`;
}

function fixed(x: number, digits: number): string {
  return Number.isNaN(x) ? 'n/a' : x.toFixed(digits);
}

function grouped(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a';
}
