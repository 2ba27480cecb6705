import { parseNumber, parseSide, parseTimestamp, type Parsed, type Side } from '../parse/field-parsers.js';
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
  optional: Partial<Record<CanonicalField, string | null>>;
  issues: QualityIssue[];
  /** The model can score the row: symbol, timestamp, positive price and quantity are all valid. */
  scorable: boolean;
}

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

function positive(field: 'price' | 'quantity', raw: string, issues: QualityIssue[]): number | null {
  const parsed = parseNumber(raw);
  const problem = describeProblem(field, raw, parsed, 'number');
  if (problem) {
    issues.push(problem);
    return null;
  }
  const value = (parsed as { ok: true; value: number }).value;
  if (value <= 0) issues.push({ code: 'NON_POSITIVE_VALUE', field, message: `${field} ${show(raw)} is not positive` });
  return value;
}

/** Applies the row-level data-quality rules to one raw row. Never throws. */
export function checkTrade(raw: RawTrade, optionalFields: readonly CanonicalField[]): CheckedTrade {
  const issues: QualityIssue[] = [];
  const f = raw.fields;
  if (raw.csvIssue) issues.push({ code: 'MALFORMED_ROW', message: raw.csvIssue });

  const tradeIdText = (f.trade_id ?? '').trim();
  if (tradeIdText === '') issues.push({ code: 'MISSING_FIELD', field: 'trade_id', message: 'trade_id is missing' });

  const tsRaw = f.timestamp ?? '';
  const ts = parseTimestamp(tsRaw);
  const tsProblem = describeProblem('timestamp', tsRaw, ts, 'timestamp');
  if (tsProblem) issues.push(tsProblem);

  const symbolText = (f.symbol ?? '').trim();
  if (symbolText === '') issues.push({ code: 'MISSING_FIELD', field: 'symbol', message: 'symbol is missing' });

  const sideRaw = f.side ?? '';
  const side = parseSide(sideRaw);
  const sideProblem = describeProblem('side', sideRaw, side, 'side');
  if (sideProblem) issues.push(sideProblem);

  const quantity = positive('quantity', f.quantity ?? '', issues);
  const price = positive('price', f.price ?? '', issues);

  if (raw.duplicateOf !== undefined) {
    issues.push({
      code: 'DUPLICATE_TRADE_ID',
      field: 'trade_id',
      message: `trade_id ${show(tradeIdText)} repeats row ${raw.duplicateOf}`,
    });
  }

  const optional: Partial<Record<CanonicalField, string | null>> = {};
  for (const name of optionalFields) {
    const v = (f[name] ?? '').trim();
    optional[name] = v === '' ? null : v;
  }

  const timestampMs = ts.ok ? ts.value : null;
  return {
    sourceRow: raw.sourceRow,
    tradeId: tradeIdText === '' ? null : tradeIdText,
    timestampMs,
    symbol: symbolText === '' ? null : symbolText,
    side: side.ok ? side.value : null,
    quantity,
    price,
    optional,
    issues,
    scorable: timestampMs !== null && symbolText !== '' && quantity !== null && quantity > 0 && price !== null && price > 0,
  };
}
