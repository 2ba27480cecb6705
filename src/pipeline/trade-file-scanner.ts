import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { readCsvBatches, type CsvRecord } from '../parse/csv-reader.js';
import { DayContextBuilder, type DayContext } from '../features/day-context.js';
import { checkTrade } from '../quality/trade-checks.js';
import { resolveColumns, type CanonicalField, type ColumnLayout } from '../schema/trade-schema.js';
import type { RawChunkRow } from '../chunks/chunk-format.js';

/**
 * One streaming pass over a trade file: matches the header to the schema, turns every data record
 * into a raw row (bad ones included, flagged), and builds the day's context from the valid rows.
 * Ingest and training both read files through it, so they see rows identically.
 */

export class EmptyFileError extends Error {
  override readonly name = 'EmptyFileError';
}

const CSV_ISSUE_TEXT: Record<NonNullable<CsvRecord['issue']>, string> = {
  UNTERMINATED_QUOTE: 'a quoted field is never closed',
  STRAY_QUOTE: 'a quote character stands inside an unquoted field',
  RECORD_TOO_LARGE: 'the row is larger than the size limit and was cut',
  TRUNCATED_LAST_LINE: 'the last line of the file is cut short',
};

/** Remembers the first row of each trade_id; duplicates are flagged, never dropped. */
class FirstSeenIndex {
  private readonly first = new Map<string, number>();

  /** The first row with this id, or undefined when this row is the first. */
  seen(id: string, row: number): number | undefined {
    const earlier = this.first.get(id);
    if (earlier === undefined) this.first.set(id, row);
    return earlier;
  }
}

/** Decompresses gzip input (by magic bytes, whatever the name says) and passes other bytes through. */
export async function* maybeGunzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head = first.value;
  const rest: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => it,
  };
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const stream = Readable.from(
      (async function* () {
        yield head;
        yield* rest;
      })(),
    ).pipe(createGunzip());
    for await (const chunk of stream) yield chunk as Uint8Array;
    return;
  }
  yield head;
  yield* rest;
}

export class TradeFileScanner {
  layout?: ColumnLayout;
  rows = 0;
  private readonly context = new DayContextBuilder();
  private readonly firstSeen = new FirstSeenIndex();

  /** @param file the file's name or S3 URI, for error messages */
  constructor(
    private readonly file: string,
    private readonly options: { delimiter?: string } = {},
  ) {}

  /**
   * Yields the file's data rows in batches, in file order.
   * @throws EmptyFileError when the file has no header; SchemaMismatchError when the header lacks required columns.
   */
  async *scan(source: AsyncIterable<Uint8Array>): AsyncGenerator<RawChunkRow[]> {
    let present: CanonicalField[] = [];
    let width = 0;
    for await (const batch of readCsvBatches(maybeGunzip(source), { delimiter: this.options.delimiter })) {
      const out: RawChunkRow[] = [];
      for (const record of batch) {
        if (!this.layout) {
          this.layout = resolveColumns(this.file, record.fields);
          present = this.layout.present;
          width = record.fields.length;
          continue;
        }
        out.push(this.toRow(record, present, width));
      }
      if (out.length) yield out;
    }
    if (!this.layout) throw new EmptyFileError(`${this.file}: the file is empty (no header row)`);
  }

  private toRow(record: CsvRecord, present: readonly CanonicalField[], width: number): RawChunkRow {
    const sourceRow = ++this.rows;
    const layout = this.layout!;
    const fields: Partial<Record<CanonicalField, string>> = {};
    for (const f of present) {
      const v = record.fields[layout.index[f]!];
      if (v !== undefined) fields[f] = v;
    }
    let csvIssue: string | undefined;
    if (record.issue) csvIssue = `line ${record.line}: ${CSV_ISSUE_TEXT[record.issue]}`;
    else if (record.fields.length !== width) {
      csvIssue = `line ${record.line}: the row has ${record.fields.length} field${record.fields.length === 1 ? '' : 's'}, the header has ${width}`;
    }
    const row: RawChunkRow = { sourceRow, fields, csvIssue, refPrice: null };
    const id = (fields.trade_id ?? '').trim();
    if (id !== '') row.duplicateOf = this.firstSeen.seen(id, sourceRow);
    // Only rows the model could score shape the context; a malformed row's values are not trusted.
    if (!csvIssue) {
      const checked = checkTrade(row, []);
      if (checked.scorable && row.duplicateOf === undefined) {
        row.refPrice = this.context.observe(checked.symbol!, checked.timestampMs!, checked.price!, checked.quantity!);
      }
    }
    return row;
  }

  /** The day's context; call after scan() has finished. */
  dayContext(): DayContext {
    return this.context.build();
  }
}
