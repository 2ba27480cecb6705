import { Bool, DataType, Field, Float64, List, Precision, TimestampMillisecond, Utf8, makeData, makeVector, type Data, type Vector } from 'apache-arrow';

/**
 * Arrow columns built straight into their buffers, and read straight out of them.
 *
 * apache-arrow's `vectorFromArray` goes through its generic builders: one call chain per value, a
 * TextEncoder call per string, growing buffers. On the chunks the steps pass around (100,000 rows of
 * a dozen columns) that was most of the cost of writing and reading a chunk (measured: 1.5 s of the
 * 1.9 s ingest spent encoding a 150,000-row day's raw chunks). Here a text column is encoded with one
 * TextEncoder call over its values joined together (when they are all ASCII, as trade files almost
 * always are, the byte offsets are the string offsets), numbers are copied into one typed array, and
 * nulls go into a validity bitmap. The columns are ordinary Arrow data: the IPC and Parquet written
 * from them are read by any Arrow reader.
 */

const encoder = new TextEncoder();
// ignoreBOM: a value that starts with U+FEFF keeps it (the default decoder would drop it as a byte-order mark).
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** A validity bitmap (1 = present) for `length` values, or undefined when none is null. */
function validity(length: number, isNull: (i: number) => boolean): { bitmap: Uint8Array | undefined; nullCount: number } {
  let nullCount = 0;
  let bitmap: Uint8Array | undefined;
  for (let i = 0; i < length; i++) {
    if (!isNull(i)) continue;
    if (!bitmap) bitmap = new Uint8Array((length + 7) >> 3).fill(0xff);
    bitmap[i >> 3] &= ~(1 << (i & 7));
    nullCount++;
  }
  return { bitmap, nullCount };
}

/** Whether value `bit` (the data's offset included) is present: no bitmap means none is null. */
function present(nulls: Uint8Array | undefined, bit: number): boolean {
  return nulls === undefined || (nulls[bit >> 3] & (1 << (bit & 7))) !== 0;
}

/** UTF-8 bytes and offsets of `values` (nulls as empty strings). */
function utf8Buffers(values: readonly (string | null | undefined)[]): { offsets: Int32Array; data: Uint8Array } {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  let chars = 0;
  for (let i = 0; i < n; i++) {
    chars += values[i]?.length ?? 0;
    offsets[i + 1] = chars;
  }
  const joined = values.map((v) => v ?? '').join('');
  const data = encoder.encode(joined);
  if (data.length === chars) return { offsets, data };
  // Not all ASCII: the byte offsets differ from the string offsets; encode value by value. Sized for
  // the worst case (3 bytes a UTF-16 unit), not by the joined encoding: two lone surrogates that meet
  // in the join encode as one 4-byte pair, but as 3 + 3 bytes apart.
  const bytes = new Uint8Array(chars * 3);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v) at += encoder.encodeInto(v, bytes.subarray(at)).written;
    offsets[i + 1] = at;
  }
  return { offsets, data: bytes.subarray(0, at) };
}

export function utf8Vector(values: readonly (string | null | undefined)[]): Vector<Utf8> {
  const { offsets, data } = utf8Buffers(values);
  const { bitmap, nullCount } = validity(values.length, (i) => values[i] === null || values[i] === undefined);
  return makeVector(makeData({ type: new Utf8(), length: values.length, nullCount, nullBitmap: bitmap, valueOffsets: offsets, data }));
}

/** Doubles, with null (or undefined) as a null value. */
export function float64Vector(values: readonly (number | null | undefined)[]): Vector<Float64> {
  const data = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = values[i] ?? 0;
  const { bitmap, nullCount } = validity(values.length, (i) => values[i] === null || values[i] === undefined);
  return makeVector(makeData({ type: new Float64(), length: values.length, nullCount, nullBitmap: bitmap, data }));
}

/** Milliseconds since the epoch as a UTC timestamp column. */
export function timestampMsVector(values: readonly (number | null)[]): Vector<TimestampMillisecond> {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null) data[i] = BigInt(Math.trunc(v));
  }
  const { bitmap, nullCount } = validity(values.length, (i) => values[i] === null);
  return makeVector(makeData({ type: new TimestampMillisecond('UTC'), length: values.length, nullCount, nullBitmap: bitmap, data }));
}

export function boolVector(values: readonly boolean[]): Vector<Bool> {
  const data = new Uint8Array((values.length + 7) >> 3);
  for (let i = 0; i < values.length; i++) if (values[i]) data[i >> 3] |= 1 << (i & 7);
  return makeVector(makeData({ type: new Bool(), length: values.length, nullCount: 0, data }));
}

/** A list of non-null strings per row (an empty list, never null). */
export function utf8ListVector(values: readonly (readonly string[])[]): Vector<List<Utf8>> {
  const offsets = new Int32Array(values.length + 1);
  const items: string[] = [];
  for (let i = 0; i < values.length; i++) {
    for (const item of values[i]) items.push(item);
    offsets[i + 1] = items.length;
  }
  const child: Data<Utf8> = utf8Vector(items).data[0];
  const type = new List(new Field('item', new Utf8(), false));
  return makeVector(makeData({ type, length: values.length, nullCount: 0, valueOffsets: offsets, child }));
}

/**
 * Pieces of one column (Int32, Float64 or Utf8, as read from IPC or built above) joined into one,
 * laid out as the builders above lay out a whole column (a validity bitmap only when a value is null,
 * every bit set but the nulls'): the same bytes as building the column at once.
 */
export function concatData(parts: readonly Data[]): Data {
  const type = parts[0].type;
  let length = 0;
  let nullCount = 0;
  for (const d of parts) {
    if (d.offset !== 0 || d.type.typeId !== type.typeId) throw new RangeError('concatData joins whole pieces of one type');
    length += d.length;
    nullCount += d.nullCount;
  }
  let nullBitmap: Uint8Array | undefined;
  if (nullCount > 0) {
    const bitmap = new Uint8Array((length + 7) >> 3).fill(0xff);
    let at = 0;
    for (const d of parts) {
      if (d.nullCount > 0) {
        for (let i = 0; i < d.length; i++) if (!present(d.nullBitmap, i)) bitmap[(at + i) >> 3] &= ~(1 << ((at + i) & 7));
      }
      at += d.length;
    }
    nullBitmap = bitmap;
  }
  if (DataType.isUtf8(type)) {
    let bytes = 0;
    for (const d of parts) bytes += (d.valueOffsets as Int32Array)[d.length] - (d.valueOffsets as Int32Array)[0];
    const data = new Uint8Array(bytes);
    const valueOffsets = new Int32Array(length + 1);
    let row = 0;
    let byte = 0;
    for (const d of parts) {
      const offsets = d.valueOffsets as Int32Array;
      const base = offsets[0];
      data.set((d.values as Uint8Array).subarray(base, offsets[d.length]), byte);
      for (let i = 1; i <= d.length; i++) valueOffsets[row + i] = offsets[i] - base + byte;
      row += d.length;
      byte += offsets[d.length] - base;
    }
    return makeData({ type, length, nullCount, nullBitmap, valueOffsets, data });
  }
  const float64 = DataType.isFloat(type) && type.precision === Precision.DOUBLE;
  if (float64 || (DataType.isInt(type) && type.bitWidth === 32 && type.isSigned)) {
    const data = float64 ? new Float64Array(length) : new Int32Array(length);
    let at = 0;
    for (const d of parts) {
      data.set((d.values as Float64Array | Int32Array).subarray(0, d.length), at);
      at += d.length;
    }
    return makeData({ type, length, nullCount, nullBitmap, data } as Parameters<typeof makeData>[0]);
  }
  throw new RangeError(`concatData does not join ${type} columns`);
}

/**
 * Every value of a text column as strings (null where null), without a call per value through
 * Arrow's visitors: the column's bytes are decoded once per batch and cut at the offsets.
 */
export function utf8Values(vector: Vector): (string | null)[] {
  const out: (string | null)[] = new Array(vector.length);
  let at = 0;
  for (const data of vector.data) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const base = offsets[0];
    const end = offsets[data.length];
    const text = decoder.decode(bytes.subarray(base, end));
    const ascii = text.length === end - base;
    const nulls = data.nullCount > 0 ? data.nullBitmap : undefined;
    for (let i = 0; i < data.length; i++, at++) {
      if (!present(nulls, data.offset + i)) {
        out[at] = null;
        continue;
      }
      const from = offsets[i] - base;
      const to = offsets[i + 1] - base;
      out[at] = ascii ? text.slice(from, to) : decoder.decode(bytes.subarray(offsets[i], offsets[i + 1]));
    }
  }
  return out;
}

/** Every value of a numeric column as numbers (null where null). */
export function numberValues(vector: Vector): (number | null)[] {
  const out: (number | null)[] = new Array(vector.length);
  let at = 0;
  for (const data of vector.data) {
    const values = data.values as Float64Array | Int32Array;
    const nulls = data.nullCount > 0 ? data.nullBitmap : undefined;
    for (let i = 0; i < data.length; i++, at++) {
      out[at] = present(nulls, data.offset + i) ? values[i] : null;
    }
  }
  return out;
}

/** Every value of a boolean column (null as false). */
export function boolValues(vector: Vector): boolean[] {
  const out: boolean[] = new Array(vector.length);
  let at = 0;
  for (const data of vector.data) {
    const bits = data.values as Uint8Array;
    const nulls = data.nullCount > 0 ? data.nullBitmap : undefined;
    for (let i = 0; i < data.length; i++, at++) {
      const bit = data.offset + i;
      out[at] = (bits[bit >> 3] & (1 << (bit & 7))) !== 0 && present(nulls, bit);
    }
  }
  return out;
}

/** Every value of a timestamp (or other 64-bit integer) column as numbers (null where null). */
export function int64Values(vector: Vector): (number | null)[] {
  const out: (number | null)[] = new Array(vector.length);
  let at = 0;
  for (const data of vector.data) {
    const values = data.values as BigInt64Array | Int32Array;
    const wide = values instanceof BigInt64Array;
    const nulls = data.nullCount > 0 ? data.nullBitmap : undefined;
    for (let i = 0; i < data.length; i++, at++) {
      if (!present(nulls, data.offset + i)) out[at] = null;
      // Arrow's older layout keeps a 64-bit value as two 32-bit halves (low first).
      else out[at] = wide ? Number(values[i]) : (values as Int32Array)[2 * i + 1] * 4294967296 + ((values as Int32Array)[2 * i] >>> 0);
    }
  }
  return out;
}

/** The length of every list of a list column (a null list as 0), read from its offsets. */
export function listLengths(vector: Vector): Int32Array {
  const out = new Int32Array(vector.length);
  let at = 0;
  for (const data of vector.data) {
    const offsets = data.valueOffsets as Int32Array;
    const nulls = data.nullCount > 0 ? data.nullBitmap : undefined;
    for (let i = 0; i < data.length; i++, at++) {
      out[at] = present(nulls, data.offset + i) ? offsets[i + 1] - offsets[i] : 0;
    }
  }
  return out;
}
