import { ReadableStream, type ReadableStreamDefaultController } from 'node:stream/web';
import * as parquet from 'parquet-wasm';
import { readParquetFooter } from './parquet-footer.js';
import { resultWriterProperties } from './parquet-result.js';

/**
 * Writes a Parquet file part by part, as a stream of bytes, so that a result of any size is never
 * held whole: the parts (Arrow IPC streams, e.g. scored chunks) are handed to the writer one at a
 * time, and each row group is written out as soon as it is full. Memory is one part in Arrow form
 * plus the row group being filled, encoded and compressed (~20 MB for a million rows). The bytes are
 * those the whole-table writer (`tableToParquet`) gives for the same rows and row group size.
 *
 * The writer is parquet-wasm's `transformParquetStream` (the Rust `parquet` crate's AsyncArrowWriter,
 * the same writer and properties as `tableToParquet`, so the columns and types are the same). It
 * has two traits this wrapper guards against, because both would end in a valid-looking file with
 * rows missing, or a crash:
 * - it ignores errors: a batch it cannot write, or an error from the stream of batches, is skipped
 *   and the file is closed normally. So every part is checked to have the first part's schema before
 *   it is handed over, an error while producing parts is rethrown here, and at the end the footer's
 *   row count must equal the rows handed over;
 * - a batch with another schema makes it overflow its stack and throw outside any promise (the
 *   process dies): hence the schema check before the hand-over.
 */
export class ParquetStreamError extends Error {
  override readonly name = 'ParquetStreamError';
}

export interface ParquetStreamOptions {
  /** The most rows in a row group (row groups span parts; a part may end one). */
  maxRowGroupRows: number;
}

/** What was written, once the stream has ended. */
export interface ParquetStreamTotals {
  rows: number;
  rowGroups: number;
  bytes: number;
}

/** The footer is in the last bytes the writer emits; this many are kept to read it (a footer of 100 row groups is ~100 KB). */
const FOOTER_WINDOW = 8 * 1024 * 1024;

/**
 * A Parquet file as an async iterable of bytes, made from `parts` (Arrow IPC streams with one schema,
 * in order). Iterate it once; `totals` is set when the iteration has ended without error.
 */
export class ParquetStream implements AsyncIterable<Uint8Array> {
  private written?: ParquetStreamTotals;
  private started = false;

  constructor(
    private readonly parts: AsyncIterable<Uint8Array>,
    private readonly options: ParquetStreamOptions,
  ) {
    if (!Number.isInteger(options.maxRowGroupRows) || options.maxRowGroupRows < 1) {
      throw new RangeError(`maxRowGroupRows must be a positive whole number, got ${options.maxRowGroupRows}`);
    }
  }

  get totals(): ParquetStreamTotals | undefined {
    return this.written;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.started) throw new ParquetStreamError('a ParquetStream can be read only once');
    this.started = true;
    return this.write();
  }

  private async *write(): AsyncGenerator<Uint8Array> {
    const source = this.parts[Symbol.asyncIterator]();
    let sourceError: unknown;
    let stopped = false;
    let firstSchema: Uint8Array | undefined;
    let rowsIn = 0;
    let partIndex = 0;

    // Pulled by the writer one part at a time (highWaterMark 0: no part is read ahead).
    const batches = new ReadableStream<parquet.RecordBatch>(
      {
        pull: async (controller: ReadableStreamDefaultController<parquet.RecordBatch>) => {
          try {
            if (stopped) throw new ParquetStreamError('the Parquet stream was abandoned by its reader');
            const next = await source.next();
            if (next.done) {
              controller.close();
              return;
            }
            const table = parquet.Table.fromIPCStream(next.value);
            try {
              const schema = table.schema.intoIPCStream();
              if (firstSchema === undefined) firstSchema = schema;
              else if (!sameBytes(schema, firstSchema)) {
                throw new ParquetStreamError(`part ${partIndex} has a different schema from part 0: one Parquet file has one schema`);
              }
              for (const batch of table.recordBatches()) {
                rowsIn += batch.numRows;
                controller.enqueue(batch); // the writer takes ownership of the batch's memory
              }
            } finally {
              table.free();
            }
            partIndex++;
          } catch (e: unknown) {
            sourceError ??= e;
            controller.error(e);
          }
        },
      },
      { highWaterMark: 0 },
    );

    let output: ReadableStream<unknown>;
    try {
      // Resolves once the writer has the first batch (it takes the file's schema from it).
      output = (await parquet.transformParquetStream(
        batches as unknown as Parameters<typeof parquet.transformParquetStream>[0],
        resultWriterProperties(this.options.maxRowGroupRows),
      )) as unknown as ReadableStream<unknown>;
    } catch (e: unknown) {
      if (sourceError !== undefined) throw sourceError;
      if (firstSchema === undefined) throw new ParquetStreamError('no part had any rows: a Parquet result needs at least one', { cause: e });
      throw e;
    }
    const reader = output.getReader();
    const tail: Uint8Array[] = [];
    let tailBytes = 0;
    let bytes = 0;
    let finished = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        // Whatever the writer does after an error in the parts, none of its bytes may pass.
        if (sourceError !== undefined) throw sourceError;
        if (done) break;
        if (!(value instanceof Uint8Array)) throw new ParquetStreamError('the Parquet writer produced something other than bytes');
        bytes += value.byteLength;
        tail.push(value);
        tailBytes += value.byteLength;
        while (tail.length > 1 && tailBytes - tail[0].byteLength >= FOOTER_WINDOW) tailBytes -= tail.shift()!.byteLength;
        yield value;
      }
      if (firstSchema === undefined) throw new ParquetStreamError('no part had any rows: a Parquet result needs at least one');
      const footer = readParquetFooter(concat(tail, tailBytes));
      if (footer.numRows !== rowsIn) {
        throw new ParquetStreamError(`the Parquet writer wrote ${footer.numRows} rows of the ${rowsIn} it was given`);
      }
      this.written = { rows: footer.numRows, rowGroups: footer.rowGroups, bytes };
      finished = true;
    } finally {
      if (!finished) {
        // The reader stopped early or something failed: stop feeding the writer, and let it go.
        stopped = true;
        await reader.cancel().catch(() => undefined);
        await source.return?.().catch(() => undefined);
      }
      reader.releaseLock();
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
