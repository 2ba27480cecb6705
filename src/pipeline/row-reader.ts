import type { RawChunkRow } from '../chunks/chunk-format.js';
import type { TradeParties } from '../features/day-context.js';
import { partiesOf } from '../features/feature-input.js';
import type { CsvRecord } from '../parse/csv-reader.js';
import type { FieldReaders } from '../parse/field-readers.js';
import { checkFields, isScorable } from '../quality/trade-checks.js';
import type { CanonicalField, ColumnLayout } from '../schema/trade-schema.js';

/**
 * What the scan makes of one CSV record on its own, without the rest of the file: the raw row (the
 * canonical fields' text, the file's other columns, the record's CSV problem, the row's own check)
 * and what the row gives the day's context. What needs the file's order (the trade's sequence, the
 * repeats) is the scanner's; this part can run anywhere, a part of the file at a time.
 */

const CSV_ISSUE_TEXT: Record<NonNullable<CsvRecord['issue']>, string> = {
  UNTERMINATED_QUOTE: 'a quoted field is never closed',
  STRAY_QUOTE: 'a quote character stands inside an unquoted field',
  RECORD_TOO_LARGE: 'the row is larger than the size limit and was cut',
  TRUNCATED_LAST_LINE: 'the last line of the file is cut short',
};

/** What a valid row tells the day's context, in the scanner's order. */
export interface ContextInput {
  symbol: string;
  timestampMs: number;
  price: number;
  quantity: number;
  parties: TradeParties;
}

export class RowReader {
  readonly hasTradeIds: boolean;

  /** @param width the header's field count (a record with another count is malformed) */
  constructor(
    readonly layout: ColumnLayout,
    readonly width: number,
    readonly readers: FieldReaders,
    private readonly keepRecords = false,
  ) {
    this.hasTradeIds = layout.index.trade_id !== undefined;
  }

  /** The raw row of one record, before the file's order adds its sequence (all null until then). */
  read(record: CsvRecord, sourceRow: number): RawChunkRow {
    const layout = this.layout;
    const fields: Partial<Record<CanonicalField, string>> = {};
    for (const f of layout.present) {
      const v = record.fields[layout.index[f]!];
      if (v !== undefined) fields[f] = v;
    }
    let csvIssue: string | undefined;
    if (record.issue) csvIssue = `line ${record.line}: ${CSV_ISSUE_TEXT[record.issue]}`;
    else if (record.fields.length !== this.width) {
      csvIssue = `line ${record.line}: the row has ${record.fields.length} field${record.fields.length === 1 ? '' : 's'}, the header has ${this.width}`;
    }
    // Every row is checked once, here: raw chunks carry the check, and the score step reads it.
    const check = checkFields({ fields, csvIssue }, this.readers, this.hasTradeIds);
    const row: RawChunkRow = {
      sourceRow,
      fields,
      extras: layout.extra.map((x) => record.fields[x.index] ?? null),
      csvIssue,
      check,
      refPrice: null,
      levelPrice: null,
      levelSpanMs: null,
      gapMs: null,
      recentTrades: 0,
    };
    if (this.keepRecords) row.record = record.fields;
    return row;
  }

  /**
   * What the row gives the day's context, or undefined: only rows the model could score shape it,
   * and a malformed row's values are not trusted. (A repeated row is known only at the end of the
   * file; one copy more in a symbol's medians changes nothing.)
   */
  contextInput(row: RawChunkRow): ContextInput | undefined {
    const check = row.check!;
    const symbol = (row.fields.symbol ?? '').trim();
    if (row.csvIssue || !isScorable(check, symbol)) return undefined;
    return { symbol, timestampMs: check.timestampMs!, price: check.price!, quantity: check.quantity!, parties: partiesOf(row.fields) };
  }

  /** The trade id a row's repeats are keyed by, or undefined when the row cannot repeat one (keyed file, blank id). */
  repeatKey(row: RawChunkRow): string | undefined {
    const id = (row.fields.trade_id ?? '').trim();
    return this.hasTradeIds && id === '' ? undefined : id;
  }
}
