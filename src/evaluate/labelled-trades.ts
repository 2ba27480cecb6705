import type { RawChunkRow } from '../chunks/chunk-format.js';
import { FEATURE_COUNT } from '../features/trade-features.js';
import type { FeatureMatrix } from '../model/isolation-forest.js';
import { TradeFileScanner } from '../pipeline/trade-file-scanner.js';
import type { TradeSchema } from '../schema/schema-settings.js';
import { prepareRows } from '../scoring/score-rows.js';
import { parseLabel } from './numeric-csv.js';

/**
 * A labelled trade file read for evaluation: every row's trade features (as the pipeline computes
 * them, with the whole file's context), whether a data-quality rule flagged it, whether the model
 * could score it, and its label. Labels come from a label file (source_row -> type) or from a
 * column of the trade file itself.
 */
export interface LabelledTrades {
  file: string;
  rows: number;
  sourceRows: Int32Array;
  /** FEATURE_NAMES columns for every row; rows the model cannot score hold zeros. */
  features: FeatureMatrix;
  scorable: Uint8Array;
  ruleFlagged: Uint8Array;
  /** null = normal, else the anomaly type. */
  labels: (string | null)[];
}

export class LabelColumnError extends Error {
  override readonly name = 'LabelColumnError';
}

export interface LabelSource {
  /** Labels by 1-based data row (a label file); rows not listed are normal. */
  labels?: Map<number, string>;
  /** A column of the trade file holding each row's label (0/1, true/false, or an anomaly type). */
  labelColumn?: string;
}

/** The index (among the file's extra columns) of the label column, or an error naming the columns found. */
function labelColumnIndex(scanner: TradeFileScanner, file: string, name: string): number {
  const extra = scanner.layout?.extra ?? [];
  const i = extra.findIndex((x) => x.source.toLowerCase() === name.toLowerCase());
  if (i < 0) {
    const found = extra.map((x) => x.source).join(', ') || 'none';
    throw new LabelColumnError(`${file}: no column '${name}' among the file's extra columns (found: ${found}); a label column must not be one the schema maps to a trade field`);
  }
  return i;
}

export async function readLabelledTrades(source: AsyncIterable<Uint8Array>, file: string, labelSource: LabelSource, schema?: TradeSchema): Promise<LabelledTrades> {
  if (!labelSource.labels === !labelSource.labelColumn) throw new RangeError('give either labels or a label column');
  const scanner = new TradeFileScanner(file, { schema });
  const rows: RawChunkRow[] = [];
  for await (const batch of scanner.scan(source)) for (const row of batch) rows.push(row);
  scanner.duplicateMarks().apply(rows);
  const ctx = scanner.dayContext();
  const prepared = prepareRows(rows, { present: scanner.layout!.present, hasTradeIds: scanner.hasTradeIds, schema: scanner.schema }, ctx);

  const n = rows.length;
  const features = new Float64Array(n * FEATURE_COUNT);
  const scorable = new Uint8Array(n);
  prepared.scorableIndex.forEach((rowIndex, k) => {
    scorable[rowIndex] = 1;
    features.set(prepared.features.subarray(k * FEATURE_COUNT, (k + 1) * FEATURE_COUNT), rowIndex * FEATURE_COUNT);
  });
  const ruleFlagged = Uint8Array.from(prepared.checked, (t) => (t.issues.length ? 1 : 0));
  let labels: (string | null)[];
  if (labelSource.labelColumn) {
    const column = labelColumnIndex(scanner, file, labelSource.labelColumn);
    labels = rows.map((r) => parseLabel(r.extras[column] ?? ''));
  } else {
    const byRow = labelSource.labels!;
    labels = rows.map((r) => byRow.get(r.sourceRow) ?? null);
  }
  return {
    file,
    rows: n,
    sourceRows: Int32Array.from(rows, (r) => r.sourceRow),
    features: { values: features, rows: n, cols: FEATURE_COUNT },
    scorable,
    ruleFlagged,
    labels,
  };
}
