import type { RawChunkRow } from '../chunks/chunk-format.js';
import type { AnomalyModel } from '../model/anomaly-model.js';
import { TradeFileScanner } from '../pipeline/trade-file-scanner.js';
import type { TradeSchema } from '../schema/schema-settings.js';
import { scoreRows, type ScoredBatch } from './score-rows.js';

/**
 * Scores a whole file in this process with the same scanner, context and scoring as the pipeline
 * (no S3, no chunks): for `evaluate`, where the rows must be held anyway to be joined with labels.
 */
export async function scoreFileInProcess(source: AsyncIterable<Uint8Array>, name: string, model: AnomalyModel, schema?: TradeSchema): Promise<ScoredBatch> {
  const scanner = new TradeFileScanner(name, { schema });
  const rows: RawChunkRow[] = [];
  for await (const batch of scanner.scan(source)) for (const row of batch) rows.push(row);
  scanner.duplicateMarks().apply(rows);
  return scoreRows(rows, { present: scanner.layout!.present, hasTradeIds: scanner.hasTradeIds, schema: scanner.schema }, scanner.dayContext(), model);
}
