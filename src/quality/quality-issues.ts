/**
 * Data-quality rules: each has a stable code (used in the result's quality_issues column and in the
 * summary's counts) and a message a person can read. The codes are a contract: never rename one.
 */
export const QUALITY_CODES = {
  MALFORMED_ROW: 'the row is not well-formed CSV or has the wrong number of fields',
  MISSING_FIELD: 'a required field is empty',
  UNPARSABLE_NUMBER: 'a number field does not hold a number',
  UNPARSABLE_TIMESTAMP: 'the timestamp is not a recognised date-time',
  NON_FINITE_NUMBER: 'a number is NaN, infinite or out of range',
  NON_POSITIVE_VALUE: 'price or quantity is zero or negative',
  UNKNOWN_SIDE: 'the side is not buy or sell',
  DUPLICATE_TRADE_ID: 'the trade_id repeats an earlier row',
  DUPLICATE_ROW: 'the row repeats an earlier row exactly',
  OUTSIDE_TRADING_DAY: "the timestamp falls outside the file's trading day",
  OUTSIDE_SESSION: 'the timestamp falls outside the session hours or on a closed day',
  INCONSISTENT_NOTIONAL: 'the notional does not match price x quantity',
  UNKNOWN_SYMBOL: 'the symbol is not in the reference list',
} as const;

export type QualityCode = keyof typeof QUALITY_CODES;

export interface QualityIssue {
  code: QualityCode;
  /** The canonical field concerned, where one is. */
  field?: string;
  /** Readable, specific: names the field and the value. */
  message: string;
}
