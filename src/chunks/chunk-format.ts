import { Table, makeVector, tableFromIPC, tableToIPC, type Vector } from 'apache-arrow';
import { boolVector, float64Vector, numberValues, timestampMsVector, utf8ListVector, utf8Values, utf8Vector } from './arrow-columns.js';
import { OPTIONAL_FIELDS, type CanonicalField } from '../schema/trade-schema.js';
import type { RawTrade } from '../quality/trade-checks.js';
import type { TradeSequence } from '../features/day-context.js';

/**
 * The two chunk formats passed between the steps through S3, both Arrow IPC streams:
 * - raw chunks (ingest -> score): each canonical field's text as read, plus what only a pass over the
 *   whole file in order can know (the trade's sequence: reference price, gap, recent trades; repeats
 *   travel separately, see duplicatesKeyOf);
 * - scored chunks (score -> aggregate): the typed result columns of DESIGN.md's result contract.
 */

/** A raw row with what ingest learned from the whole file. */
export interface RawChunkRow extends RawTrade, TradeSequence {
  /** The file's other columns (ColumnLayout.extra order), carried into the result untouched. */
  extras: (string | null)[];
  /** Every field of the record, when the scanner was asked to keep them (exploration). Not stored in chunks. */
  record?: string[];
}

/** Raw chunks name extra columns by position: the file's names may be anything. */
function extraKey(i: number): string {
  return `extra_${i}`;
}

export function encodeRawChunk(rows: RawChunkRow[], present: readonly CanonicalField[], extraCount = 0): Uint8Array {
  const columns: Record<string, Vector> = {
    source_row: makeVector(Int32Array.from(rows, (r) => r.sourceRow)),
  };
  for (const field of present) columns[field] = utf8Vector(rows.map((r) => r.fields[field] ?? null));
  for (let i = 0; i < extraCount; i++) columns[extraKey(i)] = utf8Vector(rows.map((r) => r.extras[i] ?? null));
  columns.csv_issue = utf8Vector(rows.map((r) => r.csvIssue ?? null));
  columns.ref_price = float64Vector(rows.map((r) => r.refPrice));
  columns.level_price = float64Vector(rows.map((r) => r.levelPrice));
  columns.level_span_ms = float64Vector(rows.map((r) => r.levelSpanMs));
  columns.gap_ms = float64Vector(rows.map((r) => r.gapMs));
  columns.recent_trades = makeVector(Int32Array.from(rows, (r) => r.recentTrades));
  return tableToIPC(new Table(columns), 'stream');
}

export function decodeRawChunk(bytes: Uint8Array, present: readonly CanonicalField[], extraCount = 0): RawChunkRow[] {
  const table = tableFromIPC(bytes);
  // Column by column into plain arrays first: far cheaper than Arrow's get() per value.
  const sourceRow = numberValues(table.getChild('source_row')!);
  const fieldColumns = present.map((f) => [f, utf8Values(table.getChild(f)!)] as const);
  const extraColumns = Array.from({ length: extraCount }, (_, i) => utf8Values(table.getChild(extraKey(i))!));
  const csvIssue = utf8Values(table.getChild('csv_issue')!);
  const refPrice = numberValues(table.getChild('ref_price')!);
  const levelPrice = numberValues(table.getChild('level_price')!);
  const levelSpanMs = numberValues(table.getChild('level_span_ms')!);
  const gapMs = numberValues(table.getChild('gap_ms')!);
  const recentTrades = numberValues(table.getChild('recent_trades')!);
  const rows: RawChunkRow[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const fields: Partial<Record<CanonicalField, string>> = {};
    for (const [name, col] of fieldColumns) {
      const v = col[i];
      if (v !== null) fields[name] = v;
    }
    const issue = csvIssue[i];
    const row: RawChunkRow = {
      sourceRow: sourceRow[i]!,
      fields,
      extras: extraColumns.map((c) => c[i]),
      refPrice: refPrice[i],
      levelPrice: levelPrice[i],
      levelSpanMs: levelSpanMs[i],
      gapMs: gapMs[i],
      recentTrades: recentTrades[i]!,
    };
    if (issue !== null) row.csvIssue = issue;
    rows[i] = row;
  }
  return rows;
}

/** One result row (DESIGN.md, "The result"). */
export interface ScoredRow {
  sourceRow: number;
  tradeId: string | null;
  timestampMs: number | null;
  symbol: string | null;
  side: string | null;
  quantity: number | null;
  price: number | null;
  notional: number | null;
  optional: Partial<Record<CanonicalField, string | null>>;
  /** The file's other columns, untouched. */
  extras: (string | null)[];
  score: number | null;
  isAnomaly: boolean;
  reasons: string;
  qualityIssues: string[];
}

/** The optional canonical fields a file has, in canonical order. */
export function optionalFieldsOf(present: readonly CanonicalField[]): CanonicalField[] {
  return OPTIONAL_FIELDS.filter((f) => present.includes(f));
}

/**
 * Builds the result table of scored rows, in the order given: source_row, the canonical fields
 * (typed; notional as a double), the file's other columns as text under their own names, then
 * score, is_anomaly, reasons, quality_issues.
 */
export function scoredRowsToTable(rows: ScoredRow[], present: readonly CanonicalField[], extraNames: readonly string[] = []): Table {
  const columns: Record<string, Vector> = {
    source_row: makeVector(Int32Array.from(rows, (r) => r.sourceRow)),
    trade_id: utf8Vector(rows.map((r) => r.tradeId)),
    timestamp: timestampMsVector(rows.map((r) => r.timestampMs)),
    symbol: utf8Vector(rows.map((r) => r.symbol)),
    side: utf8Vector(rows.map((r) => r.side)),
    quantity: float64Vector(rows.map((r) => r.quantity)),
    price: float64Vector(rows.map((r) => r.price)),
  };
  for (const field of optionalFieldsOf(present)) {
    columns[field] = field === 'notional' ? float64Vector(rows.map((r) => r.notional)) : utf8Vector(rows.map((r) => r.optional[field] ?? null));
  }
  extraNames.forEach((name, i) => (columns[name] = utf8Vector(rows.map((r) => r.extras[i] ?? null))));
  columns.score = float64Vector(rows.map((r) => r.score));
  columns.is_anomaly = boolVector(rows.map((r) => r.isAnomaly));
  columns.reasons = utf8Vector(rows.map((r) => r.reasons));
  columns.quality_issues = utf8ListVector(rows.map((r) => r.qualityIssues));
  return new Table(columns);
}

export function encodeScoredChunk(rows: ScoredRow[], present: readonly CanonicalField[], extraNames: readonly string[] = []): Uint8Array {
  return tableToIPC(scoredRowsToTable(rows, present, extraNames), 'stream');
}

export function decodeScoredChunk(bytes: Uint8Array): Table {
  return tableFromIPC(bytes);
}
