import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { readCsvBatches, type CsvRecord } from '../parse/csv-reader.js';
import { fieldReaders, type FieldReaders } from '../parse/field-readers.js';
import { DayContextBuilder, type DayContext } from '../features/day-context.js';
import { tradingDayZone } from '../quality/file-rules.js';
import { DEFAULT_SCHEMA, policyOf, type TradeSchema } from '../schema/schema-settings.js';
import { resolveColumns, type ColumnLayout } from '../schema/trade-schema.js';
import type { RawChunkRow } from '../chunks/chunk-format.js';
import { RowReader } from './row-reader.js';
import { DuplicateMarks, DuplicatePartitions } from './duplicate-partitions.js';

/**
 * One streaming pass over a trade file: matches the header to the schema, turns every data record
 * into a raw row (bad ones included, flagged), finds repeated trade ids and rows, and builds the
 * day's context from the valid rows. Ingest, training and exploration all read files through it,
 * so they see rows identically. Memory is bounded by one batch, the context's reservoirs and the
 * duplicate index (16 bytes a slot).
 */

export class EmptyFileError extends Error {
  override readonly name = 'EmptyFileError';
}

/** The file is not text a trade file could be: binary, or in an encoding other than UTF-8. */
export class UnreadableFileError extends Error {
  override readonly name = 'UnreadableFileError';
}

/** Whether bytes start with gzip's magic number (whatever the file's name says). */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Decompresses gzip input (by magic bytes, whatever the name says) and passes other bytes through. */
export async function* maybeGunzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  // The magic bytes may arrive split over chunks (a source may yield a 1-byte first chunk).
  const head = await readAtLeast(it, 2);
  if (head === undefined) return;
  const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => it };
  if (isGzip(head)) {
    const stream = Readable.from(
      (async function* () {
        yield head;
        yield* rest;
      })(),
    ).pipe(createGunzip());
    try {
      for await (const chunk of stream) yield chunk as Uint8Array;
    } catch (e: unknown) {
      // zlib's Z_DATA_ERROR, Z_BUF_ERROR ("unexpected end of file")...: the file itself is bad, for good.
      if (e instanceof Error && String((e as NodeJS.ErrnoException).code).startsWith('Z_')) {
        throw new UnreadableFileError(`the gzip data is corrupt or cut short (${e.message})`, { cause: e });
      }
      throw e;
    }
    return;
  }
  yield head;
  yield* rest;
}

const SNIFF_BYTES = 4096;

/**
 * The source's first chunks joined until at least `n` bytes (or the end), or undefined for an empty
 * source: what sniffing needs, whatever sizes the source yields.
 */
export async function readAtLeast(it: AsyncIterator<Uint8Array>, n: number): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = [];
  let size = 0;
  while (size < n) {
    const next = await it.next();
    if (next.done) break;
    parts.push(next.value);
    size += next.value.length;
  }
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/**
 * Refuses bytes that are not UTF-8 text before any row is read: NUL bytes (binary data or UTF-16),
 * a UTF-16 byte-order mark, or a start where more than 1 character in 20 is not valid UTF-8.
 */
export async function* requireText(source: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  const first = await readAtLeast(it, SNIFF_BYTES);
  if (first === undefined) return;
  const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => it };
  let checked = false;
  for await (const chunk of (async function* () {
    yield first;
    yield* rest;
  })()) {
    if (!checked) {
      checked = true;
      const head = chunk.subarray(0, SNIFF_BYTES);
      if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff) || looksLikeBomlessUtf16(head)) {
        throw new UnreadableFileError(`${file}: the file is UTF-16 text; save it as UTF-8`);
      }
      if (head.includes(0)) throw new UnreadableFileError(`${file}: the file is binary, not text (it holds NUL bytes)`);
      const text = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, lastCompleteChar(head)));
      let bad = 0;
      for (const ch of text) if (ch === '\ufffd') bad++;
      if (bad * 20 > text.length) throw new UnreadableFileError(`${file}: the file is not UTF-8 text (${bad} undecodable bytes in its first ${head.length})`);
    }
    yield chunk;
  }
}

/**
 * UTF-16 written without a byte-order mark: Latin text then has a NUL in every other byte (the high
 * byte of each character), on one side only. Binary data has NULs scattered on both sides; calling
 * such a file "binary" would send its owner looking for the wrong problem.
 */
function looksLikeBomlessUtf16(head: Uint8Array): boolean {
  const pairs = head.length >> 1;
  if (pairs < 2) return false;
  let even = 0;
  let odd = 0;
  for (let i = 0; i + 1 < head.length; i += 2) {
    if (head[i] === 0) even++;
    if (head[i + 1] === 0) odd++;
  }
  const [high, low] = odd >= even ? [odd, even] : [even, odd];
  return high * 2 >= pairs && low * 20 < high;
}

/** The length of `bytes` without a UTF-8 sequence cut at its end (so a sniff does not count it as bad). */
function lastCompleteChar(bytes: Uint8Array): number {
  let i = bytes.length;
  for (let back = 1; back <= 3 && i - back >= 0; back++) {
    const b = bytes[i - back];
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? i - back : i;
  }
  return i;
}

/** Which repeats the schema checks (a rule whose policy is ignore leaves no mark and needs no hashing). */
export function checkedRepeats(schema: TradeSchema): { sameKeys: boolean; sameRows: boolean } {
  return { sameKeys: policyOf(schema, 'DUPLICATE_TRADE_ID').action !== 'ignore', sameRows: policyOf(schema, 'DUPLICATE_ROW').action !== 'ignore' };
}

export interface ScannerOptions {
  schema?: TradeSchema;
  /** Keep each record's full field list on its row (exploration needs every column). */
  keepRecords?: boolean;
}

export class TradeFileScanner {
  layout?: ColumnLayout;
  rows = 0;
  readonly schema: TradeSchema;
  readonly readers: FieldReaders;
  private readonly context: DayContextBuilder;
  private rowReader?: RowReader;
  private duplicates?: DuplicatePartitions;
  private marks?: DuplicateMarks;
  private readonly checksTradeIds: boolean;
  private readonly checksRows: boolean;

  /** @param file the file's name or S3 URI, for error messages */
  constructor(
    private readonly file: string,
    private readonly options: ScannerOptions = {},
  ) {
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    this.readers = fieldReaders(this.schema);
    this.context = new DayContextBuilder(tradingDayZone(this.schema));
    ({ sameKeys: this.checksTradeIds, sameRows: this.checksRows } = checkedRepeats(this.schema));
  }

  /** Whether the file has trade ids (the default schema requires them; a schema file may map none). */
  get hasTradeIds(): boolean {
    return this.layout?.index.trade_id !== undefined;
  }

  /**
   * Yields the file's data rows in batches, in file order.
   * @throws EmptyFileError when the file has no header; SchemaMismatchError when the columns do not
   *   fit the schema; UnreadableFileError when the bytes are not UTF-8 text.
   */
  async *scan(source: AsyncIterable<Uint8Array>): AsyncGenerator<RawChunkRow[]> {
    const headerless = !this.schema.header;
    try {
      yield* this.records(source, headerless);
    } catch (e: unknown) {
      this.duplicates?.discard();
      if (e instanceof UnreadableFileError && !e.message.startsWith(this.file)) throw new UnreadableFileError(`${this.file}: ${e.message}`, { cause: e });
      throw e;
    }
    if (!this.layout) throw new EmptyFileError(`${this.file}: the file is empty (no header row)`);
    this.marks = this.finishDuplicates();
  }

  /** Checks the partitions once the whole file is read; a rule the schema turns off leaves no mark. */
  private finishDuplicates(): DuplicateMarks {
    if (!this.duplicates) return DuplicateMarks.none;
    const all = this.duplicates.finish();
    this.duplicates = undefined;
    return all.keeping(this.checksTradeIds, this.checksRows);
  }

  /**
   * The rows that repeat an earlier trade id or row, known only once scan() has read the whole file:
   * repeats can be millions of rows apart, and the rows are already yielded by then. Apply them to
   * held rows with marks.apply(rows); ingest writes them per chunk for the score step.
   */
  duplicateMarks(): DuplicateMarks {
    if (!this.marks) throw new Error('duplicateMarks() is known only after scan() has finished');
    return this.marks;
  }

  private async *records(source: AsyncIterable<Uint8Array>, headerless: boolean): AsyncGenerator<RawChunkRow[]> {
    // One stray quote must not hide the rows after it inside one field: each row is kept and flagged.
    const csv = { delimiter: this.schema.delimiter, recoverUnclosedQuotes: true };
    for await (const batch of readCsvBatches(requireText(maybeGunzip(source), this.file), csv)) {
      const out: RawChunkRow[] = [];
      for (const record of batch) {
        if (!this.layout) {
          this.layout = resolveColumns(this.file, record.fields, this.schema);
          this.rowReader = new RowReader(this.layout, record.fields.length, this.readers, this.options.keepRecords);
          if (!headerless) continue;
        }
        out.push(this.toRow(record));
      }
      if (out.length) yield out;
    }
  }

  private toRow(record: CsvRecord): RawChunkRow {
    const rowReader = this.rowReader!;
    const row = rowReader.read(record, ++this.rows);
    if (this.checksTradeIds || this.checksRows) {
      this.duplicates ??= new DuplicatePartitions(this.hasTradeIds);
      const key = rowReader.repeatKey(row);
      if (key !== undefined) this.duplicates.addFields(key, record.fields, row.sourceRow);
    }
    const input = rowReader.contextInput(row);
    if (input) {
      const seq = this.context.observe(input.symbol, input.timestampMs, input.price, input.quantity, input.parties);
      row.refPrice = seq.refPrice;
      row.levelPrice = seq.levelPrice;
      row.levelSpanMs = seq.levelSpanMs;
      row.gapMs = seq.gapMs;
      row.recentTrades = seq.recentTrades;
    }
    return row;
  }

  /** The day's context; call after scan() has finished. */
  dayContext(): DayContext {
    return this.context.build();
  }
}
