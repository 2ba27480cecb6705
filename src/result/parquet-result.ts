import { Table as ArrowTable, tableFromIPC, tableToIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm';

/**
 * Writes the result table as Parquet with ZSTD compression (read by Athena, DuckDB, pandas/pyarrow
 * and Spark). parquet-wasm is the Rust parquet writer compiled to WebAssembly: the most complete
 * writer available to JavaScript, with no native install step.
 */
export function tableToParquet(table: ArrowTable): Uint8Array {
  const wasmTable = parquet.Table.fromIPCStream(tableToIPC(table, 'stream'));
  const props = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.ZSTD)
    .setCreatedBy('trade-anomaly')
    .build();
  return parquet.writeParquet(wasmTable, props);
}

/** Reads a Parquet file written by the pipeline back into an Arrow table (evaluation, the demo). */
export function parquetToTable(bytes: Uint8Array): ArrowTable {
  return tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
}
