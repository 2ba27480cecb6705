import { Table as ArrowTable, tableFromIPC, tableToIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm';

/** The result's media type (IANA, 2024). */
export const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';

/**
 * Rows in a row group of the result: the Rust writer's default, which the result has always had.
 * Row groups of this size (~20 MB compressed for the default schema) suit Athena, Spark and DuckDB,
 * which read a file a row group at a time; row groups of one 100,000-row chunk made the file 28%
 * larger (per-group dictionaries and statistics) for 10 MB less memory while writing (docs/performance.md).
 */
export const RESULT_ROW_GROUP_ROWS = 1024 * 1024;

/**
 * How every result is written: ZSTD compression (read by Athena, DuckDB, pandas/pyarrow and Spark),
 * a fixed created_by so that the same rows give the same bytes, and at most `maxRowGroupRows` rows
 * in a row group.
 */
export function resultWriterProperties(maxRowGroupRows = RESULT_ROW_GROUP_ROWS): parquet.WriterProperties {
  return new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.ZSTD)
    .setCreatedBy('trade-anomaly')
    .setMaxRowGroupSize(maxRowGroupRows)
    .build();
}

/**
 * Writes a whole table as Parquet in memory. parquet-wasm is the Rust parquet writer compiled to
 * WebAssembly: the most complete writer available to JavaScript, with no native install step.
 * Aggregate does not use it (it streams the result, see parquet-stream.ts); it is the reference the
 * streamed result is tested against, and serves small tables.
 */
export function tableToParquet(table: ArrowTable, maxRowGroupRows?: number): Uint8Array {
  const wasmTable = parquet.Table.fromIPCStream(tableToIPC(table, 'stream'));
  return parquet.writeParquet(wasmTable, resultWriterProperties(maxRowGroupRows));
}

/** Reads a Parquet file written by the pipeline back into an Arrow table (evaluation, the demo). */
export function parquetToTable(bytes: Uint8Array): ArrowTable {
  return tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
}
