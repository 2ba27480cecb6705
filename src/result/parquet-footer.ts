/**
 * Reads the two counts a streamed Parquet file is checked against (rows and row groups) from its
 * footer, the last bytes of the file: `<FileMetaData, Thrift compact protocol> <u32 length> PAR1`.
 *
 * Only what those counts need is decoded: FileMetaData's field 1 (version), field 2 (the schema, a
 * list that is skipped), field 3 (num_rows) and the header of field 4 (the row group list). It is a
 * check on the writer, not a reader: hyparquet, parquet-wasm or any other reader reads the files.
 */

const MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"

export class ParquetFooterError extends Error {
  override readonly name = 'ParquetFooterError';
}

export interface ParquetFooter {
  numRows: number;
  rowGroups: number;
  /** Bytes of the Thrift-encoded FileMetaData. */
  metadataBytes: number;
}

/** Thrift compact protocol type ids. */
const T = { STOP: 0, TRUE: 1, FALSE: 2, BYTE: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, SET: 10, MAP: 11, STRUCT: 12 } as const;

class CompactReader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.bytes.length) throw new ParquetFooterError('the footer ends in the middle of a value');
    return this.bytes[this.pos++];
  }

  /** An unsigned LEB128 varint, as a bigint (i64 values exceed 2^53 in principle). */
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new ParquetFooterError('a varint in the footer is too long');
    }
  }

  zigzag(): bigint {
    const n = this.varint();
    return (n >> 1n) ^ -(n & 1n);
  }

  skip(n: number): void {
    if (this.pos + n > this.bytes.length) throw new ParquetFooterError('the footer ends in the middle of a value');
    this.pos += n;
  }

  /** Skips one value of the given type (the TRUE/FALSE types carry their value in the type id). */
  skipValue(type: number): void {
    switch (type) {
      case T.TRUE:
      case T.FALSE:
        return;
      case T.BYTE:
        this.skip(1);
        return;
      case T.I16:
      case T.I32:
      case T.I64:
        this.varint();
        return;
      case T.DOUBLE:
        this.skip(8);
        return;
      case T.BINARY:
        this.skip(Number(this.varint()));
        return;
      case T.LIST:
      case T.SET: {
        const { size, elementType } = this.listHeader();
        // Booleans inside a list take one byte each.
        for (let i = 0; i < size; i++) this.skipValue(elementType === T.TRUE || elementType === T.FALSE ? T.BYTE : elementType);
        return;
      }
      case T.MAP: {
        const size = Number(this.varint());
        if (size === 0) return;
        const kv = this.byte();
        for (let i = 0; i < size; i++) {
          this.skipValue(kv >> 4);
          this.skipValue(kv & 0x0f);
        }
        return;
      }
      case T.STRUCT:
        this.skipStruct();
        return;
      default:
        throw new ParquetFooterError(`unknown Thrift type ${type} in the footer`);
    }
  }

  listHeader(): { size: number; elementType: number } {
    const b = this.byte();
    const short = b >> 4;
    return { size: short === 15 ? Number(this.varint()) : short, elementType: b & 0x0f };
  }

  /** The next field's id and type, or undefined at the struct's end. */
  fieldHeader(lastId: number): { id: number; type: number } | undefined {
    const b = this.byte();
    const type = b & 0x0f;
    if (type === T.STOP) return undefined;
    const delta = b >> 4;
    return { id: delta === 0 ? Number(this.zigzag()) : lastId + delta, type };
  }

  skipStruct(): void {
    let id = 0;
    for (let f = this.fieldHeader(id); f !== undefined; f = this.fieldHeader(id)) {
      this.skipValue(f.type);
      id = f.id;
    }
  }
}

/**
 * The counts in the footer at the end of `tail` (the last bytes of a Parquet file, footer included).
 * @throws ParquetFooterError when `tail` does not end with a whole, readable footer.
 */
export function readParquetFooter(tail: Uint8Array): ParquetFooter {
  const n = tail.length;
  if (n < 12 || MAGIC.some((b, i) => tail[n - 4 + i] !== b)) throw new ParquetFooterError('the bytes do not end with the Parquet magic PAR1');
  const metadataBytes = new DataView(tail.buffer, tail.byteOffset + n - 8, 4).getUint32(0, true);
  if (metadataBytes + 8 > n) throw new ParquetFooterError(`the footer is ${metadataBytes} bytes, more than the ${n - 8} bytes kept`);
  const reader = new CompactReader(tail.subarray(n - 8 - metadataBytes, n - 8));
  let numRows: number | undefined;
  let rowGroups: number | undefined;
  let id = 0;
  for (let f = reader.fieldHeader(id); f !== undefined; f = reader.fieldHeader(id)) {
    if (f.id === 3 && f.type === T.I64) numRows = Number(reader.zigzag());
    else if (f.id === 4 && f.type === T.LIST) {
      const { size, elementType } = reader.listHeader();
      rowGroups = size;
      for (let i = 0; i < size; i++) reader.skipValue(elementType);
    } else reader.skipValue(f.type);
    id = f.id;
    if (numRows !== undefined && rowGroups !== undefined) break;
  }
  if (numRows === undefined || rowGroups === undefined) throw new ParquetFooterError('the footer has no num_rows or no row_groups');
  return { numRows, rowGroups, metadataBytes };
}
