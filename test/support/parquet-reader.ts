import { readFile } from 'node:fs/promises';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

/**
 * Reads a Parquet file with hyparquet, an implementation independent of the writer (parquet-wasm),
 * so a test checks what any reader sees, not what the writer believes it wrote.
 */
export async function readParquetRows(source: string | Uint8Array): Promise<Record<string, unknown>[]> {
  const bytes = typeof source === 'string' ? new Uint8Array(await readFile(source)) : source;
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return parquetReadObjects({ file, compressors });
}

export async function readParquetColumns(source: string | Uint8Array): Promise<{ name: string; type?: string; logical?: unknown }[]> {
  const bytes = typeof source === 'string' ? new Uint8Array(await readFile(source)) : source;
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const schema = parquetSchema(parquetMetadata(file));
  return schema.children.map((c) => ({ name: c.element.name, type: c.element.type, logical: c.element.logical_type }));
}
