import { Table, tableToIPC } from 'apache-arrow';
import { rawRowColumns } from '../chunks/chunk-format.js';
import { readCsvBatches, type CsvRecord } from '../parse/csv-reader.js';
import { fieldReaders } from '../parse/field-readers.js';
import type { TradeSchema } from '../schema/schema-settings.js';
import type { ColumnLayout } from '../schema/trade-schema.js';
import { ROW_HASH_WORDS, rowHashesInto } from './duplicate-partitions.js';
import { RowReader } from './row-reader.js';

/**
 * One part of a trade file read on its own (on any thread): whole lines holding one chunk's data
 * rows. Gives what each row says by itself (the chunk's columns but the sequence, as an Arrow
 * stream) and what the file's order needs of it (the context's inputs, the repeats' hashes), for
 * the thread that reads the parts in order. A part whose records may not be exactly its lines (a
 * quote never closed, an oversized record, a CR without an LF, a leading byte-order mark) says so, and
 * that thread compares the records with the lines (a quoted field across lines): where a record
 * starts would otherwise depend on the text before the part, and the file is read in one pass instead.
 */
export interface ChunkPartSpec {
  layout: ColumnLayout;
  /** The header's field count. */
  width: number;
  schema: TradeSchema;
  /** The file's delimiter (given by the schema or detected from the header). */
  delimiter: string;
  /** The physical line number of the part's first line. */
  firstLine: number;
  /** The source row of the part's first data record. */
  firstRow: number;
  /** The part's lines that are not blank: its records, when each record is one line (chunkInParts checks the count). */
  dataLines: number;
  /** Whether rows are hashed for repeats (the schema checks repeated trade ids or rows). */
  hashRepeats: boolean;
}

/** What the part's valid rows give the day's context, in row order (index: the row within the part). */
export interface PartContextInputs {
  index: Int32Array;
  symbols: DictionaryColumn;
  timestampMs: Float64Array;
  price: Float64Array;
  quantity: Float64Array;
  accounts: DictionaryColumn;
  venues: DictionaryColumn;
}

/**
 * Text values as each distinct value once and an index per row (-1: none): a part's symbols, accounts
 * and venues repeat, and each string crossing threads is copied and later collected.
 */
export interface DictionaryColumn {
  values: string[];
  index: Int32Array;
}

class DictionaryBuilder {
  private readonly positions = new Map<string, number>();
  readonly values: string[] = [];
  readonly index: Int32Array;
  constructor(rows: number) {
    this.index = new Int32Array(rows);
  }
  set(row: number, value: string | undefined): void {
    if (value === undefined) {
      this.index[row] = -1;
      return;
    }
    let at = this.positions.get(value);
    if (at === undefined) {
      at = this.values.length;
      this.positions.set(value, at);
      this.values.push(value);
    }
    this.index[row] = at;
  }
  build(rows: number): DictionaryColumn {
    return { values: this.values, index: this.index.slice(0, rows) };
  }
}

export type ChunkPart =
  | {
      readable: true;
      rows: number;
      /** rawRowColumns of the part's rows, as an Arrow IPC stream. */
      columns: Uint8Array;
      context: PartContextInputs;
      /** Rows (within the part) recorded for repeats, and their ROW_HASH_WORDS hashes each. */
      repeatRows: Int32Array;
      hashes: Uint32Array;
    }
  | { readable: false; reason: string };

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const LF = 10;
const CR = 13;

export async function readChunkPart(bytes: Uint8Array, spec: ChunkPartSpec): Promise<ChunkPart> {
  // A fresh decoder drops a byte-order mark at its start; in the middle of a file it is text.
  if (UTF8_BOM.every((b, i) => bytes[i] === b)) return { readable: false, reason: 'the part starts with a byte-order mark' };
  // The reader ends a line at a CR that no LF follows (quoted or not); the parts are cut at LFs only.
  const loneCr = loneCrAt(bytes);
  if (loneCr >= 0) return { readable: false, reason: `a CR without an LF after it (byte ${loneCr} of the part starting at line ${spec.firstLine})` };
  const records: CsvRecord[] = [];
  const options = { delimiter: spec.delimiter, recoverUnclosedQuotes: true, firstLine: spec.firstLine, expectedFields: spec.width };
  for await (const batch of readCsvBatches([bytes], options)) {
    for (const record of batch) {
      if (record.issue === 'UNTERMINATED_QUOTE' || record.issue === 'RECORD_TOO_LARGE') {
        return { readable: false, reason: `line ${record.line}: ${record.issue}` };
      }
      records.push(record);
    }
  }

  const reader = new RowReader(spec.layout, spec.width, fieldReaders(spec.schema));
  const rows = records.map((record, i) => reader.read(record, spec.firstRow + i));
  const index = new Int32Array(rows.length);
  const timestampMs = new Float64Array(rows.length);
  const price = new Float64Array(rows.length);
  const quantity = new Float64Array(rows.length);
  const symbols = new DictionaryBuilder(rows.length);
  const accounts = new DictionaryBuilder(rows.length);
  const venues = new DictionaryBuilder(rows.length);
  const repeatRows = new Int32Array(spec.hashRepeats ? rows.length : 0);
  const hashes = new Uint32Array(repeatRows.length * ROW_HASH_WORDS);
  let observed = 0;
  let repeats = 0;
  rows.forEach((row, i) => {
    if (spec.hashRepeats) {
      const key = reader.repeatKey(row);
      if (key !== undefined) {
        rowHashesInto(reader.hasTradeIds, key, records[i].fields, hashes, repeats * ROW_HASH_WORDS);
        repeatRows[repeats++] = i;
      }
    }
    const input = reader.contextInput(row);
    if (!input) return;
    index[observed] = i;
    symbols.set(observed, input.symbol);
    timestampMs[observed] = input.timestampMs;
    price[observed] = input.price;
    quantity[observed] = input.quantity;
    accounts.set(observed, input.parties.account);
    venues.set(observed, input.parties.venue);
    observed++;
  });
  return {
    readable: true,
    rows: rows.length,
    columns: tableToIPC(new Table(rawRowColumns(rows, spec.layout.present, spec.layout.extra.length)), 'stream'),
    context: {
      index: index.slice(0, observed),
      symbols: symbols.build(observed),
      timestampMs: timestampMs.slice(0, observed),
      price: price.slice(0, observed),
      quantity: quantity.slice(0, observed),
      accounts: accounts.build(observed),
      venues: venues.build(observed),
    },
    repeatRows: repeatRows.slice(0, repeats),
    hashes: hashes.slice(0, repeats * ROW_HASH_WORDS),
  };
}

/** The first CR not followed by an LF, or -1. */
function loneCrAt(bytes: Uint8Array): number {
  for (let at = bytes.indexOf(CR); at >= 0; at = bytes.indexOf(CR, at + 1)) if (bytes[at + 1] !== LF) return at;
  return -1;
}

/** The buffers a part moves between threads without a copy. */
export function transferablesOf(part: ChunkPart): ArrayBuffer[] {
  if (!part.readable) return [];
  const c = part.context;
  const buffers = [part.columns, c.index, c.symbols.index, c.timestampMs, c.price, c.quantity, c.accounts.index, c.venues.index, part.repeatRows, part.hashes].map((a) => a.buffer as ArrayBuffer);
  return [...new Set(buffers)];
}
