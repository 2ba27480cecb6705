import { fieldReaders, type FieldReaders } from '../parse/field-readers.js';
import type { Parsed, Side } from '../parse/field-parsers.js';
import { DEFAULT_SCHEMA } from '../schema/schema-settings.js';
import type { CanonicalField } from '../schema/trade-schema.js';
import type { QualityIssue } from './quality-issues.js';

/** One data row as read from the file: the raw text of each canonical field present. */
export interface RawTrade {
  sourceRow: number;
  fields: Partial<Record<CanonicalField, string>>;
  /** A CSV-level problem with the record (malformed quoting, wrong field count). */
  csvIssue?: string;
  /** source_row of an earlier row with the same trade_id, when there is one. */
  duplicateOf?: number;
  /** source_row of an earlier row this one repeats exactly, when there is one. */
  duplicateRowOf?: number;
  /**
   * What the row's own fields say, when already known: the scan checks every row once and raw chunks
   * carry the result, so the score step does not parse the row's text again.
   */
  check?: FieldCheck;
}

/**
 * The row-level checks that read only the row's own fields: the typed values where they parsed and
 * the issues found (malformed record, missing, unparsable or non-positive values), in rule order.
 * Repeats (known once the whole file is read) and the file-level rules come on top of these.
 */
export interface FieldCheck {
  timestampMs: number | null;
  side: Side | null;
  quantity: number | null;
  price: number | null;
  notional: number | null;
  /** Never written to: a row's check may be shared and read again (checkTrade copies it). */
  issues: readonly QualityIssue[];
}

/** A row after its checks: typed values where they parsed, null where not, and every issue found. */
export interface CheckedTrade {
  sourceRow: number;
  tradeId: string | null;
  timestampMs: number | null;
  symbol: string | null;
  side: Side | null;
  quantity: number | null;
  price: number | null;
  /** The file's notional (price x quantity in its own units), where it has one. */
  notional: number | null;
  optional: Partial<Record<CanonicalField, string | null>>;
  issues: QualityIssue[];
  /** Symbol, timestamp, positive price and quantity are all valid: the model has what it needs. */
  scorable: boolean;
}

const DEFAULT_READERS = fieldReaders(DEFAULT_SCHEMA);
const MAX_SHOWN_VALUE = 40;

function show(value: string): string {
  const v = value.length > MAX_SHOWN_VALUE ? `${value.slice(0, MAX_SHOWN_VALUE)}…` : value;
  return `'${v}'`;
}

function describeProblem(field: string, raw: string, parsed: Parsed<unknown>, kind: 'number' | 'timestamp' | 'side'): QualityIssue | undefined {
  if (parsed.ok) return undefined;
  switch (parsed.problem) {
    case 'missing':
      return { code: 'MISSING_FIELD', field, message: `${field} is missing` };
    case 'non_finite':
      return { code: 'NON_FINITE_NUMBER', field, message: `${field} ${show(raw)} is not a finite number` };
    case 'unparsable':
      if (kind === 'timestamp') return { code: 'UNPARSABLE_TIMESTAMP', field, message: `${field} ${show(raw)} is not a recognised date-time` };
      if (kind === 'side') return { code: 'UNKNOWN_SIDE', field, message: `${field} ${show(raw)} is neither buy nor sell` };
      return { code: 'UNPARSABLE_NUMBER', field, message: `${field} ${show(raw)} is not a number` };
  }
}

function positive(field: 'price' | 'quantity', raw: string, readers: FieldReaders, issues: QualityIssue[]): number | null {
  const parsed = readers.number(raw);
  const problem = describeProblem(field, raw, parsed, 'number');
  if (problem) {
    issues.push(problem);
    return null;
  }
  const value = (parsed as { ok: true; value: number }).value;
  if (value <= 0) issues.push({ code: 'NON_POSITIVE_VALUE', field, message: `${field} ${show(raw)} is not positive` });
  return value;
}

/**
 * The checks of one row that read only its own fields (see FieldCheck). Never throws.
 * @param hasTradeIds false when the file's schema has no trade_id column (no MISSING_FIELD for it)
 */
export function checkFields(raw: Pick<RawTrade, 'fields' | 'csvIssue'>, readers: FieldReaders = DEFAULT_READERS, hasTradeIds = true): FieldCheck {
  const issues: QualityIssue[] = [];
  const f = raw.fields;
  if (raw.csvIssue) issues.push({ code: 'MALFORMED_ROW', message: raw.csvIssue });

  if (hasTradeIds && (f.trade_id ?? '').trim() === '') issues.push({ code: 'MISSING_FIELD', field: 'trade_id', message: 'trade_id is missing' });

  const tsRaw = f.timestamp ?? '';
  const ts = readers.timestamp(tsRaw);
  const tsProblem = describeProblem('timestamp', tsRaw, ts, 'timestamp');
  if (tsProblem) issues.push(tsProblem);

  if ((f.symbol ?? '').trim() === '') issues.push({ code: 'MISSING_FIELD', field: 'symbol', message: 'symbol is missing' });

  const sideRaw = f.side ?? '';
  const side = readers.side(sideRaw);
  const sideProblem = describeProblem('side', sideRaw, side, 'side');
  if (sideProblem) issues.push(sideProblem);

  const quantity = positive('quantity', f.quantity ?? '', readers, issues);
  const price = positive('price', f.price ?? '', readers, issues);

  let notional: number | null = null;
  const notionalRaw = (f.notional ?? '').trim();
  if (notionalRaw !== '') {
    const parsed = readers.number(notionalRaw);
    if (parsed.ok) notional = parsed.value;
    else issues.push({ code: 'INCONSISTENT_NOTIONAL', field: 'notional', message: `notional ${show(notionalRaw)} is not a number` });
  }
  return { timestampMs: ts.ok ? ts.value : null, side: side.ok ? side.value : null, quantity, price, notional, issues };
}

/**
 * Applies the row-level data-quality rules to one raw row: the ones a row shows on its own (its
 * FieldCheck, computed here unless the row carries it) and its repeats. The rules that need the
 * whole file (trading day, session, reference symbols) are in file-rules.ts. Never throws.
 * @param hasTradeIds false when the file's schema has no trade_id column (no MISSING_FIELD for it)
 */
export function checkTrade(raw: RawTrade, optionalFields: readonly CanonicalField[], readers: FieldReaders = DEFAULT_READERS, hasTradeIds = true): CheckedTrade {
  const check = raw.check ?? checkFields(raw, readers, hasTradeIds);
  const f = raw.fields;
  const tradeIdText = (f.trade_id ?? '').trim();
  const symbolText = (f.symbol ?? '').trim();
  // A copy: the file rules add to the list, and the row's own check may be read again.
  const issues = check.issues.slice();
  if (raw.duplicateOf !== undefined) {
    issues.push({ code: 'DUPLICATE_TRADE_ID', field: 'trade_id', message: `trade_id ${show(tradeIdText)} repeats row ${raw.duplicateOf}` });
  }
  if (raw.duplicateRowOf !== undefined) {
    issues.push({ code: 'DUPLICATE_ROW', message: `the row repeats row ${raw.duplicateRowOf} exactly` });
  }

  const optional: Partial<Record<CanonicalField, string | null>> = {};
  for (const name of optionalFields) {
    if (name === 'notional') continue;
    const v = (f[name] ?? '').trim();
    optional[name] = v === '' ? null : v;
  }

  const { timestampMs, side, quantity, price, notional } = check;
  return {
    sourceRow: raw.sourceRow,
    tradeId: tradeIdText === '' ? null : tradeIdText,
    timestampMs,
    symbol: symbolText === '' ? null : symbolText,
    side,
    quantity,
    price,
    notional,
    optional,
    issues,
    scorable: isScorable(check, symbolText),
  };
}

/** Symbol, timestamp, positive price and quantity are all valid. */
export function isScorable(check: FieldCheck, symbolText: string): boolean {
  return check.timestampMs !== null && symbolText !== '' && check.quantity !== null && check.quantity > 0 && check.price !== null && check.price > 0;
}
