import { RecordBatch, Schema, Struct, Table, makeData, tableFromIPC, tableToIPC } from 'apache-arrow';
import { concatData } from '../chunks/arrow-columns.js';
import { sequenceColumns } from '../chunks/chunk-format.js';
import { DayContextBuilder, type DayContext, type TradeSequence } from '../features/day-context.js';
import { detectDelimiter, readCsvBatches, type CsvRecord } from '../parse/csv-reader.js';
import { tradingDayZone } from '../quality/file-rules.js';
import type { TradeSchema } from '../schema/schema-settings.js';
import { resolveColumns, type ColumnLayout } from '../schema/trade-schema.js';
import type { ChunkPart, ChunkPartSpec } from './chunk-part.js';
import { DuplicateMarks, DuplicatePartitions, ROW_HASH_WORDS } from './duplicate-partitions.js';
import { checkedRepeats, isGzip, readAtLeast, requireText, UnreadableFileError } from './trade-file-scanner.js';

/**
 * Ingest's pass over a file, with the rows read on other threads: this thread cuts the bytes into
 * parts of whole lines, one chunk's rows each (finding line ends is all it does with the text), the
 * parts are read side by side (readChunkPart), and this thread takes their results in file order
 * for what needs that order (the context's sequence, the repeats) and writes each chunk. The chunks,
 * repeats and context are those of TradeFileScanner's single pass, byte for byte.
 *
 * It reads only plain-text files whose header is one line and whose every record is one line
 * (quoted fields may hold delimiters and quotes, not line breaks): there, where a record starts
 * does not depend on the text before it. For any other file (gzip, no header, a record across
 * lines, a CR without an LF, a byte-order mark inside, a header that does not fit the schema...) it
 * says why it cannot, and ingest reads the file in one pass, which also gives such files their
 * errors. Memory: the parts in flight.
 */
export interface PartReader {
  read(bytes: Uint8Array, spec: ChunkPartSpec): Promise<ChunkPart>;
}

export interface ChunkingRequest {
  /** The file's name or S3 URI, for messages. */
  file: string;
  schema: TradeSchema;
  chunkRows: number;
  source: AsyncIterable<Uint8Array>;
  parts: PartReader;
  /** Parts read at once (bounds memory): at least the readers' threads. */
  inFlight: number;
  /** Data rows a part holds at most (default PART_ROWS); a part never spans two chunks. */
  partRows?: number;
  /** Called once, before the first chunk is written (ingest pins the run's model there). */
  beforeRows(): Promise<void>;
  /** Writes chunk `index` (its rows start at source row firstRow). */
  writeChunk(index: number, bytes: Uint8Array, rows: number, firstRow: number): Promise<void>;
}

export interface ChunkedFile {
  layout: ColumnLayout;
  rows: number;
  marks: DuplicateMarks;
  context: DayContext;
}

export type ChunkingOutcome = { chunked: true; file: ChunkedFile } | { chunked: false; reason: string };

const LF = 10;
const CR = 13;
/** Bytes of a single header line at most (the reader's own limit on a record). */
const MAX_HEADER_BYTES = 1024 * 1024;

/**
 * Rows a part holds at most: parts much smaller than chunks keep every thread busy to the end (a
 * 150,000-row file makes 15 parts, not 3 for 2 threads) and let the ordered work start early; each
 * part costs a message and an Arrow stream's framing.
 */
export const PART_ROWS = 10_000;

/** Chunks written at once while the next ones are put together. */
const WRITES_AT_ONCE = 2;

/** Bytes a part may hold at most (10,000 trade rows are ~1 MB): a file without LFs is not read as one part. */
const MAX_PART_BYTES = 64 * 1024 * 1024;

class NotInParts extends Error {}

/** The promise, marked as handled now: it is awaited in its turn, and a failure before then must not end the process. */
function awaitedLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

export async function chunkInParts(request: ChunkingRequest): Promise<ChunkingOutcome> {
  const inFlight: Promise<ChunkPart>[] = [];
  try {
    return { chunked: true, file: await chunk(request, inFlight) };
  } catch (e: unknown) {
    // The parts still being read finish before the threads are handed back.
    await Promise.allSettled(inFlight);
    if (e instanceof NotInParts) return { chunked: false, reason: e.message };
    throw e;
  }
}

async function chunk(request: ChunkingRequest, inFlight: Promise<ChunkPart>[]): Promise<ChunkedFile> {
  const source = request.source[Symbol.asyncIterator]();
  try {
    if (!request.schema.header) throw new NotInParts('the file has no header line');
    return await chunkLines(request, new LineCutter(text(source, request.file)), inFlight);
  } finally {
    // A file given up on part-way is not read further (one read to its end: nothing to do).
    await source.return?.();
  }
}

async function chunkLines(request: ChunkingRequest, lines: LineCutter, inFlight: Promise<ChunkPart>[]): Promise<ChunkedFile> {
  const { schema, chunkRows } = request;
  const header = await lines.header(schema.delimiter);
  const layout = resolveHeader(request.file, schema, header.fields);

  const hasTradeIds = layout.index.trade_id !== undefined;
  const { sameKeys, sameRows } = checkedRepeats(schema);
  const hashRepeats = sameKeys || sameRows;
  const context = new DayContextBuilder(tradingDayZone(schema));
  const duplicates = hashRepeats ? new DuplicatePartitions(hasTradeIds) : undefined;
  const base = { layout, width: header.fields.length, schema, delimiter: header.delimiter, hashRepeats };

  let rows = 0;
  let written = 0;
  /** The parts of the chunk being put together, in order. */
  let pending: ReadPart[] = [];
  /** Chunks being written: the ordered work goes on meanwhile (at most WRITES_AT_ONCE, to bound memory). */
  const writing: Promise<void>[] = [];
  const flush = async (): Promise<void> => {
    const chunkRowsNow = pending.reduce((n, p) => n + p.rows, 0);
    writing.push(awaitedLater(request.writeChunk(written++, assembleChunk(pending), chunkRowsNow, pending[0].firstRow)));
    pending = [];
    if (writing.length >= WRITES_AT_ONCE) await writing.shift();
  };
  const specs: ChunkPartSpec[] = [];
  const takeOldest = async (): Promise<void> => {
    const part = await inFlight[0];
    inFlight.shift();
    const spec = specs.shift()!;
    if (!part.readable) throw new NotInParts(`${request.file}: ${part.reason}`);
    if (part.rows !== spec.dataLines) throw new NotInParts(`${request.file}: ${part.rows} records on ${spec.dataLines} lines from line ${spec.firstLine}`);
    // Pinned when the file is known to have rows, as the single pass pins it at its first rows.
    if (spec.firstRow === 1) await request.beforeRows();
    pending.push({ firstRow: spec.firstRow, rows: part.rows, columns: tableFromIPC(part.columns), sequence: followOrder(part, spec, context, duplicates) });
    if (spec.firstRow - 1 + part.rows === (written + 1) * chunkRows) await flush();
  };
  const partRows = request.partRows ?? PART_ROWS;
  try {
    // A part ends at the latest where its chunk ends.
    for await (const piece of lines.parts((cut) => Math.min(partRows, chunkRows - (cut % chunkRows)))) {
      const spec: ChunkPartSpec = { ...base, firstLine: piece.firstLine, firstRow: rows + 1, dataLines: piece.dataLines };
      rows += piece.dataLines;
      specs.push(spec);
      inFlight.push(awaitedLater(request.parts.read(piece.bytes, spec)));
      if (inFlight.length >= request.inFlight) await takeOldest();
    }
    while (inFlight.length) await takeOldest();
    if (pending.length) await flush();
    await Promise.all(writing);
  } catch (e: unknown) {
    duplicates?.discard();
    await Promise.allSettled(writing);
    throw e;
  }
  const marks = duplicates ? duplicates.finish().keeping(sameKeys, sameRows) : DuplicateMarks.none;
  return { layout, rows, marks, context: context.build() };
}

/**
 * The source through the text checks of the single pass. A compressed file is read in one pass (it
 * cannot be cut before it is inflated), and so is a file the checks refuse (and refused there).
 */
async function* text(it: AsyncIterator<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  const first = (await readAtLeast(it, 2)) ?? new Uint8Array(0);
  if (isGzip(first)) throw new NotInParts('the file is gzip-compressed');
  const whole = (async function* () {
    yield first;
    yield* { [Symbol.asyncIterator]: () => it };
  })();
  try {
    yield* requireText(whole, file);
  } catch (e: unknown) {
    if (e instanceof UnreadableFileError) throw new NotInParts(e.message);
    throw e;
  }
}

function resolveHeader(file: string, schema: TradeSchema, fields: string[]): ColumnLayout {
  try {
    return resolveColumns(file, fields, schema);
  } catch (e: unknown) {
    throw new NotInParts(e instanceof Error ? e.message : String(e));
  }
}

/**
 * The part's rows in file order: their sequence from the day's context, and their repeats' hashes
 * recorded. Returns the part's sequence, row by row.
 */
function followOrder(part: Extract<ChunkPart, { readable: true }>, spec: ChunkPartSpec, context: DayContextBuilder, duplicates: DuplicatePartitions | undefined): TradeSequence[] {
  const sequence: TradeSequence[] = new Array<TradeSequence>(part.rows).fill(NO_SEQUENCE);
  const c = part.context;
  const { symbols, accounts, venues } = c;
  for (let k = 0; k < c.index.length; k++) {
    const account = accounts.index[k];
    const venue = venues.index[k];
    const parties = { account: account < 0 ? undefined : accounts.values[account], venue: venue < 0 ? undefined : venues.values[venue] };
    sequence[c.index[k]] = context.observe(symbols.values[symbols.index[k]], c.timestampMs[k], c.price[k], c.quantity[k], parties);
  }
  if (duplicates) for (let j = 0; j < part.repeatRows.length; j++) duplicates.addHashes(part.hashes, j * ROW_HASH_WORDS, spec.firstRow + part.repeatRows[j]);
  return sequence;
}

/** The sequence of a row that did not enter the context: shared, never written to. */
const NO_SEQUENCE: TradeSequence = Object.freeze({ refPrice: null, levelPrice: null, levelSpanMs: null, gapMs: null, recentTrades: 0 });

/** A part read and put in order: its own columns and its rows' sequence. */
interface ReadPart {
  firstRow: number;
  rows: number;
  columns: Table;
  sequence: TradeSequence[];
}

/**
 * The raw chunk of these parts: their own columns joined, then their sequence (encodeRawChunk's
 * columns, in its order, with the fields as written): the bytes encodeRawChunk gives for their rows.
 */
function assembleChunk(parts: ReadPart[]): Uint8Array {
  const first = parts[0].columns;
  const seq = new Table(sequenceColumns(parts.flatMap((p) => p.sequence)));
  const schema = new Schema([...first.schema.fields, ...seq.schema.fields]);
  const own = first.schema.fields.map((_, j) => (parts.length === 1 ? first.batches[0].data.children[j] : concatData(parts.map((p) => p.columns.batches[0].data.children[j]))));
  const length = parts.reduce((n, p) => n + p.rows, 0);
  const data = makeData({ type: new Struct(schema.fields), length, nullCount: 0, children: [...own, ...seq.batches[0].data.children] });
  return tableToIPC(new Table([new RecordBatch(schema, data)]), 'stream');
}

/** A part of the file: whole lines, `dataLines` of them not blank, starting at physical line firstLine. */
interface LinesPart {
  bytes: Uint8Array;
  firstLine: number;
  dataLines: number;
}

/** Cuts a byte stream at line ends (LF): first the header line, then parts of a number of non-blank lines. */
class LineCutter {
  private readonly it: AsyncIterator<Uint8Array>;
  /** Bytes after the header line, read with it. */
  private rest?: Uint8Array;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async next(): Promise<Uint8Array | undefined> {
    const next = await this.it.next();
    return next.done ? undefined : next.value;
  }

  /** The header: the file's first line, parsed as the single pass parses it. */
  async header(schemaDelimiter: string | undefined): Promise<{ fields: string[]; delimiter: string }> {
    const pieces: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const piece = await this.next();
      if (piece === undefined) throw new NotInParts(size === 0 ? 'the file is empty' : 'no LF ends the header line (one line, or CR line ends)');
      const lf = piece.indexOf(LF);
      if (lf < 0) {
        pieces.push(piece);
        size += piece.length;
        if (size > MAX_HEADER_BYTES) throw new NotInParts('the header line is longer than the size limit');
        continue;
      }
      pieces.push(piece.subarray(0, lf));
      this.rest = piece.subarray(lf + 1);
      break;
    }
    let bytes = joined(pieces);
    if (bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    // Any other CR ends a line for the reader, and the data's line numbers would start later.
    if (bytes.includes(CR)) throw new NotInParts('the header line holds a CR without an LF');
    const line = new TextDecoder().decode(bytes); // drops a byte-order mark, as the single pass does
    if (line.length === 0) throw new NotInParts('the file starts with a blank line');
    const records: CsvRecord[] = [];
    for await (const batch of readCsvBatches([bytes], { delimiter: schemaDelimiter, recoverUnclosedQuotes: true })) records.push(...batch);
    if (records.length !== 1 || records[0].issue) throw new NotInParts('the header is not one well-formed line');
    return { fields: records[0].fields, delimiter: schemaDelimiter ?? detectDelimiter(line.slice(0, MAX_HEADER_BYTES)) };
  }

  /**
   * The lines after the header, in parts of limit(non-blank lines cut so far) non-blank lines (the
   * last part: the rest). Each part is copied once, into a buffer of its own (movable to another thread).
   */
  async *parts(limit: (cut: number) => number): AsyncGenerator<LinesPart> {
    let cut = 0;
    let dataLines = limit(cut);
    let line = 2;
    let partFirstLine = line;
    let partLines = 0;
    let partPieces: Uint8Array[] = [];
    let partBytes = 0;
    /** Bytes of the current line seen so far, and the last byte seen (a CR before an LF makes CRLF). */
    let lineBytes = 0;
    let last = -1;
    for (let piece = this.rest; piece !== undefined; piece = await this.next()) {
      let pos = 0;
      let partStart = 0;
      for (let lf = piece.indexOf(LF); lf >= 0; lf = piece.indexOf(LF, pos)) {
        const length = lineBytes + lf - pos;
        const before = lf > 0 ? piece[lf - 1] : last;
        line++;
        if (!(length === 0 || (length === 1 && before === CR))) partLines++;
        lineBytes = 0;
        pos = lf + 1;
        if (partLines === dataLines) {
          partPieces.push(piece.subarray(partStart, pos));
          yield { bytes: joined(partPieces), firstLine: partFirstLine, dataLines: partLines };
          partBytes = 0;
          cut += partLines;
          dataLines = limit(cut);
          partPieces = [];
          partStart = pos;
          partFirstLine = line;
          partLines = 0;
        }
      }
      lineBytes += piece.length - pos;
      if (piece.length) last = piece[piece.length - 1];
      if (partStart < piece.length) {
        partPieces.push(piece.subarray(partStart));
        partBytes += piece.length - partStart;
        if (partBytes > MAX_PART_BYTES) throw new NotInParts(`${dataLines} lines take more than ${MAX_PART_BYTES / 1024 / 1024} MB from line ${partFirstLine}`);
      }
    }
    // The last line may have no line end.
    if (lineBytes > 0 && !(lineBytes === 1 && last === CR)) partLines++;
    if (partLines > 0) yield { bytes: joined(partPieces), firstLine: partFirstLine, dataLines: partLines };
  }
}

/** The pieces in one new buffer of its own. */
function joined(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

