import { FEATURE_COUNT, writeFeatures } from '../features/trade-features.js';
import { TradeFileScanner } from '../pipeline/trade-file-scanner.js';
import { checkTrade } from '../quality/trade-checks.js';
import type { TradeSchema } from '../schema/schema-settings.js';
import { trainAnomalyModel, type AnomalyModel, type TrainOptions } from './anomaly-model.js';

/** A file to learn from: its name (for the model's metadata and errors) and its bytes. */
export interface TrainingSource {
  name: string;
  open(): AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
}

/** The scorable rows of one file, compactly (a day of 10 million rows must fit). */
class ValidRows {
  sourceRows: number[] = [];
  symbols: string[] = [];
  numbers: number[] = []; // timestamp, price, quantity, refPrice (NaN = none) per row
}

/**
 * Reads each training file as ingest does (its own day's context, since features are relative to
 * the day), builds the features of every scorable row that broke no rule, and fits the model.
 */
export async function trainFromSources(sources: TrainingSource[], options: TrainOptions & { schema?: TradeSchema } = {}): Promise<AnomalyModel> {
  if (sources.length === 0) throw new RangeError('training needs at least one file');
  const matrices: Float64Array[] = [];
  let total = 0;
  for (const source of sources) {
    const scanner = new TradeFileScanner(source.name, { schema: options.schema });
    const valid = new ValidRows();
    for await (const batch of scanner.scan(await source.open())) {
      for (const row of batch) {
        if (row.csvIssue) continue;
        const t = checkTrade(row, [], scanner.readers, scanner.hasTradeIds);
        if (!t.scorable || t.issues.length) continue;
        valid.sourceRows.push(row.sourceRow);
        valid.symbols.push(t.symbol!);
        valid.numbers.push(t.timestampMs!, t.price!, t.quantity!, row.refPrice ?? Number.NaN);
      }
    }
    const ctx = scanner.dayContext();
    // Repeated ids and rows are known once the file is read: leave them out of training too.
    const repeated = new Set(scanner.duplicateMarks().rows);
    const values = new Float64Array(valid.symbols.length * FEATURE_COUNT);
    let n = 0;
    for (let i = 0; i < valid.symbols.length; i++) {
      if (repeated.has(valid.sourceRows[i])) continue;
      const ref = valid.numbers[i * 4 + 3];
      const input = {
        symbol: valid.symbols[i],
        timestampMs: valid.numbers[i * 4],
        price: valid.numbers[i * 4 + 1],
        quantity: valid.numbers[i * 4 + 2],
        refPrice: Number.isNaN(ref) ? null : ref,
      };
      if (writeFeatures(input, ctx, values, n * FEATURE_COUNT)) n++;
    }
    matrices.push(values.subarray(0, n * FEATURE_COUNT));
    total += n;
  }
  const all = new Float64Array(total * FEATURE_COUNT);
  let offset = 0;
  for (const m of matrices) {
    all.set(m, offset);
    offset += m.length;
  }
  if (total < 2) throw new RangeError(`training files hold ${total} valid trade(s); at least 2 are needed`);
  return trainAnomalyModel({ values: all, rows: total, cols: FEATURE_COUNT }, { ...options, sources: options.sources ?? sources.map((s) => s.name) });
}
