/**
 * Finds repeated trade ids and exact duplicate rows among hashed rows, without keeping the strings:
 * an open-addressing table of 64-bit key hashes (two 32-bit halves) with the first row that had each
 * key and a 32-bit hash of that row's content; 16 bytes a slot, at most 70% full. A file is checked
 * one partition at a time (duplicate-partitions.ts), so the table holds one partition's rows.
 *
 * Hash collisions: two different ids share a 64-bit hash with probability ~n^2 / 2^65 (3e-6 for
 * 10 million rows); two different rows with one id share a content hash with probability 2^-32.
 */
const EMPTY = 0;

/** Two independent 32-bit FNV-1a style hashes of a string. */
export function hash64(text: string): [number, number] {
  const out = new Uint32Array(2);
  hash64Into(text, out);
  return [out[0], out[1]];
}

/** One field's scratch list: hash64Into hashes a text as the join of one field (no array per call). */
const ONE_FIELD = [''];

/** hash64(text), written to out[0] and out[1] (no result array). */
export function hash64Into(text: string, out: Uint32Array): void {
  ONE_FIELD[0] = text;
  hash64Joined(ONE_FIELD, '\u001f', out);
}

/**
 * hash64(fields.join(separator)), written to out[0] and out[1], without building the joined string
 * or a result array: the scan hashes every row of a file this way.
 */
export function hash64Joined(fields: readonly string[], separator: string, out: Uint32Array): void {
  let length = fields.length > 0 ? fields.length - 1 : 0;
  for (let f = 0; f < fields.length; f++) length += fields[f].length;
  const sep = separator.charCodeAt(0);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ length;
  for (let f = 0; f < fields.length; f++) {
    if (f > 0) {
      h1 = Math.imul(h1 ^ sep, 0x01000193);
      h2 = Math.imul(h2 ^ sep, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    const text = fields[f];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
  }
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  out[0] = h1 >>> 0;
  out[1] = h2 >>> 0;
}

/**
 * The second half of hash64(fields.join(separator)) alone: all a keyed file's rows need of their
 * content (the key has its own 64-bit hash), at half the work of both halves.
 */
export function hash64JoinedLow(fields: readonly string[], separator: string): number {
  let length = fields.length > 0 ? fields.length - 1 : 0;
  for (let f = 0; f < fields.length; f++) length += fields[f].length;
  const sep = separator.charCodeAt(0);
  let h2 = 0x01000193 ^ length;
  for (let f = 0; f < fields.length; f++) {
    if (f > 0) {
      h2 = Math.imul(h2 ^ sep, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    const text = fields[f];
    for (let i = 0; i < text.length; i++) {
      h2 = Math.imul(h2 ^ text.charCodeAt(i), 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
  }
  return h2 >>> 0;
}

export interface DuplicateFinding {
  /** First row with the same key (trade_id, or the whole row when the file has no trade ids). */
  sameKeyAs?: number;
  /** First row that this row repeats exactly (for keyed files: the first row with this id, when identical). */
  sameRowAs?: number;
}

export class DuplicateIndex {
  private capacity = 1 << 12;
  private size = 0;
  private hi = new Uint32Array(this.capacity);
  private lo = new Uint32Array(this.capacity);
  private firstRow = new Int32Array(this.capacity);
  private rowHash = new Uint32Array(this.capacity);

  /**
   * Records a row and says which earlier row it repeats.
   * @param key the trade_id, or undefined when the file has none (the row's content is the key)
   * @param content the row's fields joined, for exact-duplicate detection
   */
  check(key: string | undefined, content: string, row: number): DuplicateFinding {
    const [c1, c2] = hash64(content);
    const [k1, k2] = key === undefined ? [c1, c2] : hash64(key);
    return this.checkHashed(k1, k2, c2, key !== undefined, row);
  }

  /** As check(), on hashes already computed: keyed says whether k1/k2 hash a key or the content. */
  checkHashed(k1: number, k2: number, c2: number, keyed: boolean, row: number): DuplicateFinding {
    const mask = this.capacity - 1;
    for (let slot = k1 & mask; ; slot = (slot + 1) & mask) {
      const first = this.firstRow[slot];
      if (first === EMPTY) {
        this.hi[slot] = k1;
        this.lo[slot] = k2;
        this.firstRow[slot] = row;
        this.rowHash[slot] = c2;
        if (++this.size * 10 > this.capacity * 7) this.grow();
        return {};
      }
      if (this.hi[slot] === k1 && this.lo[slot] === k2) {
        if (!keyed) return { sameRowAs: first };
        return this.rowHash[slot] === c2 ? { sameKeyAs: first, sameRowAs: first } : { sameKeyAs: first };
      }
    }
  }

  private grow(): void {
    const { hi, lo, firstRow, rowHash } = this;
    this.capacity *= 2;
    this.hi = new Uint32Array(this.capacity);
    this.lo = new Uint32Array(this.capacity);
    this.firstRow = new Int32Array(this.capacity);
    this.rowHash = new Uint32Array(this.capacity);
    const mask = this.capacity - 1;
    for (let i = 0; i < firstRow.length; i++) {
      if (firstRow[i] === EMPTY) continue;
      let slot = hi[i] & mask;
      while (this.firstRow[slot] !== EMPTY) slot = (slot + 1) & mask;
      this.hi[slot] = hi[i];
      this.lo[slot] = lo[i];
      this.firstRow[slot] = firstRow[i];
      this.rowHash[slot] = rowHash[i];
    }
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.capacity * 16;
  }
}
