import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuplicateIndex, hash64, hash64Into, hash64Joined, hash64JoinedLow } from './duplicate-index.js';

/**
 * Finds repeated trade ids and exact duplicate rows in a file of any size with memory that does
 * not grow with it: during the scan each row's 64-bit key hash, 32-bit content hash and row number
 * (16 bytes) go to one of 256 partitions by the key's top bits; afterwards each partition is checked
 * on its own with an in-memory index. The partitions stay in memory up to MEMORY_RECORDS rows (16 MB,
 * up to twice that while buffers grow: a day of a million trades never touches the disk); past that
 * they go to partition files on local disk through 256 write buffers (4 MB). Memory: at most those
 * 32 MB plus one partition's index (10 million rows: ~40,000 rows, under 2 MB). Disk, for a file past
 * a million rows: 16 bytes a row, deleted when done (Lambda's /tmp: 160 MB for 10 million rows).
 */
const PARTITION_BITS = 8;
const PARTITIONS = 1 << PARTITION_BITS;
const RECORD_BYTES = 16;
const BUFFER_RECORDS = 1024;
/** Rows held in memory before the partitions go to disk. */
export const MEMORY_RECORDS = 1 << 20;
/** What joins a row's fields into its content (a character no trade file uses). */
export const CONTENT_SEPARATOR = '\u001f';

/** The repeats found, in row order: rows[i] repeats sameKeyAs[i] (its id) and/or sameRowAs[i] (exactly); 0 = no. */
export class DuplicateMarks {
  constructor(
    readonly rows: Int32Array,
    readonly sameKeyAs: Int32Array,
    readonly sameRowAs: Int32Array,
  ) {}

  static readonly none = new DuplicateMarks(new Int32Array(0), new Int32Array(0), new Int32Array(0));

  get size(): number {
    return this.rows.length;
  }

  /** Index of the first mark at or after `row`. */
  private lowerBound(row: number): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.rows[mid] < row) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The marks of rows first..last (inclusive), e.g. one chunk's. */
  slice(first: number, last: number): DuplicateMarks {
    const a = this.lowerBound(first);
    const b = this.lowerBound(last + 1);
    return new DuplicateMarks(this.rows.slice(a, b), this.sameKeyAs.slice(a, b), this.sameRowAs.slice(a, b));
  }

  /** Sets duplicateOf / duplicateRowOf on the rows it marks (rows in source order, any contiguous range). */
  apply(rows: { sourceRow: number; duplicateOf?: number; duplicateRowOf?: number }[]): void {
    if (rows.length === 0 || this.rows.length === 0) return;
    const first = rows[0].sourceRow;
    for (let i = this.lowerBound(first); i < this.rows.length; i++) {
      const row = rows[this.rows[i] - first];
      if (!row || row.sourceRow !== this.rows[i]) break;
      if (this.sameKeyAs[i]) row.duplicateOf = this.sameKeyAs[i];
      if (this.sameRowAs[i]) row.duplicateRowOf = this.sameRowAs[i];
    }
  }

  /** These marks with only the rules that are checked (a rule the schema turns off leaves no mark). */
  keeping(sameKeys: boolean, sameRows: boolean): DuplicateMarks {
    const keep: number[] = [];
    for (let i = 0; i < this.size; i++) {
      if ((this.sameKeyAs[i] && sameKeys) || (this.sameRowAs[i] && sameRows)) keep.push(i);
    }
    return new DuplicateMarks(
      Int32Array.from(keep, (i) => this.rows[i]),
      Int32Array.from(keep, (i) => (sameKeys ? this.sameKeyAs[i] : 0)),
      Int32Array.from(keep, (i) => (sameRows ? this.sameRowAs[i] : 0)),
    );
  }

  toJSON(): { rows: number[]; sameKeyAs: number[]; sameRowAs: number[] } {
    return { rows: Array.from(this.rows), sameKeyAs: Array.from(this.sameKeyAs), sameRowAs: Array.from(this.sameRowAs) };
  }

  static fromJSON(doc: { rows: number[]; sameKeyAs: number[]; sameRowAs: number[] }): DuplicateMarks {
    return new DuplicateMarks(Int32Array.from(doc.rows), Int32Array.from(doc.sameKeyAs), Int32Array.from(doc.sameRowAs));
  }
}

/** Words rowHashesInto writes per row. */
export const ROW_HASH_WORDS = 3;

/**
 * The hashes a row is recorded by, into out[at..at+2]: its key's 64 bits (the trade id; the content
 * for an unkeyed file) and the low 32 bits of its content (its fields joined by CONTENT_SEPARATOR).
 */
export function rowHashesInto(keyed: boolean, key: string, fields: readonly string[], out: Uint32Array, at: number): void {
  if (!keyed) {
    hash64Joined(fields, CONTENT_SEPARATOR, scratch);
    out[at] = scratch[0];
    out[at + 1] = scratch[1];
    out[at + 2] = scratch[1];
    return;
  }
  hash64Into(key, scratch);
  out[at] = scratch[0];
  out[at + 1] = scratch[1];
  out[at + 2] = hash64JoinedLow(fields, CONTENT_SEPARATOR);
}
const scratch = new Uint32Array(2);

export class DuplicatePartitions {
  /** The partition files' folder, made when the partitions first go to disk. */
  private dir?: string;
  /** Whether the partitions went to disk (the memory budget was reached). */
  private spilled = false;
  private readonly files: number[] = [];
  private readonly buffers: Uint32Array[] = [];
  private readonly filled = new Int32Array(PARTITIONS);
  private rows = 0;
  /** Scratch for addFields' hashes (no array per row). */
  private readonly hashes = new Uint32Array(ROW_HASH_WORDS);

  /**
   * @param keyed whether rows have a key (trade_id); without one, the content is the key
   * @param tmpRoot where the partition files go (default: the OS temporary folder)
   */
  constructor(
    private readonly keyed: boolean,
    private readonly tmpRoot = os.tmpdir(),
    /** Rows held in memory before the partitions go to disk (tests spill early with a small one). */
    private readonly memoryRecords = MEMORY_RECORDS,
  ) {
    for (let p = 0; p < PARTITIONS; p++) this.buffers.push(new Uint32Array((BUFFER_RECORDS * RECORD_BYTES) / 4));
  }

  /** Records one row: its key (the trade id, ignored for unkeyed files) and its whole content. */
  add(key: string, content: string, row: number): void {
    const [c1, c2] = hash64(content);
    const [k1, k2] = this.keyed ? hash64(key) : [c1, c2];
    this.record(k1, k2, c2, row);
  }

  /** add(key, fields.join(CONTENT_SEPARATOR), row), the same hashes, without joining the row's fields. */
  addFields(key: string, fields: readonly string[], row: number): void {
    rowHashesInto(this.keyed, key, fields, this.hashes, 0);
    this.record(this.hashes[0], this.hashes[1], this.hashes[2], row);
  }

  /** Records one row by the hashes rowHashesInto gave (computed elsewhere, e.g. on another thread). */
  addHashes(hashes: Uint32Array, at: number, row: number): void {
    this.record(hashes[at], hashes[at + 1], hashes[at + 2], row);
  }

  private record(k1: number, k2: number, c2: number, row: number): void {
    const p = k1 >>> (32 - PARTITION_BITS);
    const buffer = this.buffers[p];
    const at = this.filled[p] * 4;
    buffer[at] = k1;
    buffer[at + 1] = k2;
    buffer[at + 2] = c2;
    buffer[at + 3] = row;
    this.rows++;
    if (++this.filled[p] * 4 < buffer.length) return;
    if (this.spilled) this.flush(p);
    else if (this.rows < this.memoryRecords) {
      // Still within the memory budget: the partition's buffer grows instead of going to disk.
      const grown = new Uint32Array(buffer.length * 2);
      grown.set(buffer);
      this.buffers[p] = grown;
    } else {
      // The budget is reached: every partition goes to disk, and from now on through fixed buffers.
      this.spilled = true;
      for (let q = 0; q < PARTITIONS; q++) {
        this.flush(q);
        this.buffers[q] = new Uint32Array((BUFFER_RECORDS * RECORD_BYTES) / 4);
      }
    }
  }

  private flush(p: number): void {
    if (this.filled[p] === 0) return;
    this.dir ??= mkdtempSync(path.join(this.tmpRoot, 'trade-anomaly-dup-'));
    this.files[p] ??= openSync(path.join(this.dir, String(p)), 'a');
    const bytes = new Uint8Array(this.buffers[p].buffer, 0, this.filled[p] * RECORD_BYTES);
    writeSync(this.files[p], bytes);
    this.filled[p] = 0;
  }

  /** Checks every partition and returns the repeats in row order; removes the partition files. */
  finish(): DuplicateMarks {
    const rows: number[] = [];
    const sameKeyAs: number[] = [];
    const sameRowAs: number[] = [];
    try {
      for (let p = 0; p < PARTITIONS; p++) {
        let records: Uint32Array;
        if (this.files[p] === undefined) {
          // Never on disk: the whole partition is its buffer.
          records = this.buffers[p].subarray(0, this.filled[p] * 4);
        } else {
          this.flush(p);
          closeSync(this.files[p]);
          delete this.files[p];
          const bytes = readFileSync(path.join(this.dir!, String(p)));
          records = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
        }
        const index = new DuplicateIndex();
        // Records of one partition are in row order, so the first occurrence is always seen first.
        for (let i = 0; i < records.length; i += 4) {
          const found = index.checkHashed(records[i], records[i + 1], records[i + 2], this.keyed, records[i + 3]);
          if (found.sameKeyAs !== undefined || found.sameRowAs !== undefined) {
            rows.push(records[i + 3]);
            sameKeyAs.push(found.sameKeyAs ?? 0);
            sameRowAs.push(found.sameRowAs ?? 0);
          }
        }
      }
    } finally {
      if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    }
    const order = rows.map((_, i) => i).sort((a, b) => rows[a] - rows[b]);
    return new DuplicateMarks(
      Int32Array.from(order, (i) => rows[i]),
      Int32Array.from(order, (i) => sameKeyAs[i]),
      Int32Array.from(order, (i) => sameRowAs[i]),
    );
  }

  /** Removes the partition files without checking them (a scan that failed). */
  discard(): void {
    for (const fd of this.files) if (fd !== undefined) closeSync(fd);
    this.files.length = 0;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Rows recorded so far. */
  get count(): number {
    return this.rows;
  }
}
