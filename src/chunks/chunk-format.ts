import { Table, makeVector, tableFromIPC, tableToIPC, type Vector } from 'apache-arrow';
import { boolVector, float64Vector, numberValues, timestampMsVector, utf8ListVector, utf8Values, utf8Vector } from './arrow-columns.js';
import { OPTIONAL_FIELDS, type CanonicalField } from '../schema/trade-schema.js';
import type { FieldCheck, RawTrade } from '../quality/trade-checks.js';
import type { Side } from '../parse/field-parsers.js';
import type { QualityIssue } from '../quality/quality-issues.js';
import type { TradeSequence } from '../features/day-context.js';

/**
 * The two chunk formats passed between the steps through S3, both Arrow IPC streams:
 * - raw chunks (ingest -> score): the text of each canonical field the checks do not parse (ids,
 *   symbol, parties), the file's other columns, each row's own check (the parsed timestamp, side,
 *   quantity, price and notional, and the issues those fields raised: the scan checks every row once,
 *   and the score step does not parse the text again), plus what only a pass over the whole file in
 *   order can know (the trade's sequence: reference price, gap, recent trades; repeats travel
 *   separately, see duplicatesKeyOf);
 * - scored chunks (score -> aggregate): the typed result columns of DESIGN.md's result contract.
 */

/** A raw row with what ingest learned from the whole file. */
export interface RawChunkRow extends RawTrade, TradeSequence {
  /** The file's other columns (ColumnLayout.extra order), carried into the result untouched. */
  extras: (string | null)[];
  /** Every field of the record, when the scanner was asked to keep them (exploration). Not stored in chunks. */
  record?: string[];
}

/**
 * Fields a raw chunk carries parsed, in the row's check, instead of as text. A chunk written before
 * checks travelled has their text and no checks; it is still read, and its rows are checked by the
 * score step (a run in flight across a deploy).
 */
const CHECKED_FIELDS: ReadonlySet<CanonicalField> = new Set(['timestamp', 'side', 'quantity', 'price', 'notional']);

/** Raw chunks name extra columns by position: the file's names may be anything. */
function extraKey(i: number): string {
  return `extra_${i}`;
}

export function encodeRawChunk(rows: RawChunkRow[], present: readonly CanonicalField[], extraCount = 0): Uint8Array {
  return tableToIPC(new Table({ ...rawRowColumns(rows, present, extraCount), ...sequenceColumns(rows) }), 'stream');
}

/** A raw chunk's columns that each row gives on its own, in the chunk's order: all but the sequence. */
export function rawRowColumns(rows: RawChunkRow[], present: readonly CanonicalField[], extraCount = 0): Record<string, Vector> {
  const checks = rows.map((r) => {
    if (!r.check) throw new Error(`source row ${r.sourceRow} has no check: a raw chunk holds rows as the scan checked them`);
    return r.check;
  });
  const columns: Record<string, Vector> = {
    source_row: makeVector(Int32Array.from(rows, (r) => r.sourceRow)),
  };
  for (const field of present) if (!CHECKED_FIELDS.has(field)) columns[field] = utf8Vector(rows.map((r) => r.fields[field] ?? null));
  for (let i = 0; i < extraCount; i++) columns[extraKey(i)] = utf8Vector(rows.map((r) => r.extras[i] ?? null));
  columns.csv_issue = utf8Vector(rows.map((r) => r.csvIssue ?? null));
  columns.checked_timestamp_ms = float64Vector(checks.map((c) => c.timestampMs));
  columns.checked_side = utf8Vector(checks.map((c) => c.side));
  columns.checked_quantity = float64Vector(checks.map((c) => c.quantity));
  columns.checked_price = float64Vector(checks.map((c) => c.price));
  columns.checked_notional = float64Vector(checks.map((c) => c.notional));
  columns.checked_issues = utf8Vector(checks.map((c) => (c.issues.length ? JSON.stringify(c.issues) : null)));
  return columns;
}

/** A raw chunk's last columns: each row's sequence, which only the file's order gives. */
export function sequenceColumns(rows: readonly TradeSequence[]): Record<string, Vector> {
  return {
    ref_price: float64Vector(rows.map((r) => r.refPrice)),
    level_price: float64Vector(rows.map((r) => r.levelPrice)),
    level_span_ms: float64Vector(rows.map((r) => r.levelSpanMs)),
    gap_ms: float64Vector(rows.map((r) => r.gapMs)),
    recent_trades: makeVector(Int32Array.from(rows, (r) => r.recentTrades)),
  };
}

/** The issues a clean row's check holds: shared, never written to (checkTrade copies the list). */
const NO_ISSUES: readonly QualityIssue[] = Object.freeze([]);

/** Rows of a raw chunk: the checked fields' text is not in the chunk, their check is (see CHECKED_FIELDS). */
export function decodeRawChunk(bytes: Uint8Array, present: readonly CanonicalField[], extraCount = 0): RawChunkRow[] {
  const table = tableFromIPC(bytes);
  // Column by column into plain arrays first: far cheaper than Arrow's get() per value.
  const sourceRow = numberValues(table.getChild('source_row')!);
  const fieldColumns = present.flatMap((f) => {
    const column = table.getChild(f);
    return column ? [[f, utf8Values(column)] as const] : [];
  });
  const extraColumns = Array.from({ length: extraCount }, (_, i) => utf8Values(table.getChild(extraKey(i))!));
  const csvIssue = utf8Values(table.getChild('csv_issue')!);
  const checks = readChecks(table);
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
      check: checks?.(i),
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

/** Each row's check, from the checked_ columns; undefined for a chunk written without them. */
function readChecks(table: Table): ((row: number) => FieldCheck) | undefined {
  const issuesColumn = table.getChild('checked_issues');
  if (!issuesColumn) return undefined;
  const timestampMs = numberValues(table.getChild('checked_timestamp_ms')!);
  const side = utf8Values(table.getChild('checked_side')!) as (Side | null)[];
  const quantity = numberValues(table.getChild('checked_quantity')!);
  const price = numberValues(table.getChild('checked_price')!);
  const notional = numberValues(table.getChild('checked_notional')!);
  const issues = utf8Values(issuesColumn);
  return (i) => {
    const listed = issues[i];
    return {
      timestampMs: timestampMs[i],
      side: side[i],
      quantity: quantity[i],
      price: price[i],
      notional: notional[i],
      issues: listed === null ? NO_ISSUES : (JSON.parse(listed) as QualityIssue[]),
    };
  };
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
