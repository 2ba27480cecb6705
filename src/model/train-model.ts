import { selectColumns } from '../features/feature-matrix.js';
import { FEATURE_COUNT, FEATURE_NAMES, writeFeatures, type FeatureInput } from '../features/trade-features.js';
import { featureInputOf } from '../features/feature-input.js';
import { TradeFileScanner } from '../pipeline/trade-file-scanner.js';
import { checkTrade } from '../quality/trade-checks.js';
import type { TradeSchema } from '../schema/schema-settings.js';
import { DEFAULT_MODEL_FEATURES, trainAnomalyModel, type AnomalyModel, type TrainOptions } from './anomaly-model.js';
import type { FeatureMatrix } from './isolation-forest.js';
import { SeededRandom } from './random.js';
import { trainModelOfKind, type KindTrainOptions } from './train-kind.js';
import { countBytes } from '../progress/count-bytes.js';

/** A file to learn from: its name (for the model's metadata and errors) and its bytes. */
export interface TrainingSource {
  name: string;
  open(): AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
}

/**
 * At most this many rows of one file are kept for training (a uniform, seeded sample beyond): the
 * forest reads 256 rows a tree, and the threshold's quantile and the drift baseline are as good
 * from a million rows as from ten million, at a tenth of the memory.
 */
export const MAX_TRAINING_ROWS_PER_FILE = 1_000_000;

/** Says whether a row must stay out of training (analysts confirmed it as an anomaly). */
export type TrainingExclusion = (file: string, tradeId: string | null, sourceRow: number) => boolean;

export interface ExtractOptions {
  schema?: TradeSchema;
  exclude?: TrainingExclusion;
  maxRowsPerFile?: number;
  /** Called after each batch of rows read, for a progress display (the caller knows the files' sizes). */
  onProgress?(progress: TrainingProgress): void;
}

/** How far feature extraction has got, over all the sources. */
export interface TrainingProgress {
  /** The source being read, and its 0-based place among `sources`. */
  source: string;
  sourceIndex: number;
  sources: number;
  /** Data rows read so far, over all sources. */
  rows: number;
  /** Bytes read so far (as the sources yield them, so compressed bytes for a gzip file), over all sources. */
  bytes: number;
}

/** Every trade feature (FEATURE_NAMES columns) of the clean rows of some files. */
export interface TrainingFeatures {
  matrix: FeatureMatrix;
  sources: string[];
  excluded: number;
}

/** The clean rows of one file kept for training: a bounded, seeded uniform sample. */
class KeptRows {
  readonly inputs: (FeatureInput & { sourceRow: number })[] = [];
  private seen = 0;
  private readonly random = new SeededRandom(19790101);

  constructor(private readonly capacity: number) {}

  add(row: FeatureInput & { sourceRow: number }): void {
    if (this.seen < this.capacity) this.inputs.push(row);
    else {
      const j = this.random.nextInt(this.seen + 1);
      if (j < this.capacity) this.inputs[j] = row;
    }
    this.seen++;
  }
}

/**
 * Reads each file as ingest does (its own day's context, since features are relative to the day)
 * and builds the features of every scorable row that broke no rule, was not repeated and was not
 * excluded.
 */
export async function extractTrainingFeatures(sources: TrainingSource[], options: ExtractOptions = {}): Promise<TrainingFeatures> {
  if (sources.length === 0) throw new RangeError('training needs at least one file');
  const matrices: Float64Array[] = [];
  let total = 0;
  let excluded = 0;
  let rowsRead = 0;
  let bytesBefore = 0;
  let bytesRead = 0;
  for (const [sourceIndex, source] of sources.entries()) {
    const scanner = new TradeFileScanner(source.name, { schema: options.schema });
    const kept = new KeptRows(options.maxRowsPerFile ?? MAX_TRAINING_ROWS_PER_FILE);
    const opened = await source.open();
    const bytes = options.onProgress ? countBytes(opened, (n) => (bytesRead = bytesBefore + n)) : opened;
    for await (const batch of scanner.scan(bytes)) {
      rowsRead += batch.length;
      options.onProgress?.({ source: source.name, sourceIndex, sources: sources.length, rows: rowsRead, bytes: bytesRead });
      for (const row of batch) {
        if (row.csvIssue) continue;
        const t = checkTrade(row, [], scanner.readers, scanner.hasTradeIds);
        if (!t.scorable || t.issues.length) continue;
        if (options.exclude?.(source.name, t.tradeId, row.sourceRow)) {
          excluded++;
          continue;
        }
        kept.add({
          sourceRow: row.sourceRow,
          ...featureInputOf(row, { symbol: t.symbol!, timestampMs: t.timestampMs!, price: t.price!, quantity: t.quantity! }),
        });
      }
    }
    bytesBefore = bytesRead;
    const ctx = scanner.dayContext();
    // Repeated ids and rows are known once the file is read: leave them out of training too.
    const repeated = new Set(scanner.duplicateMarks().rows);
    const values = new Float64Array(kept.inputs.length * FEATURE_COUNT);
    let n = 0;
    for (const input of kept.inputs) {
      if (repeated.has(input.sourceRow)) continue;
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
  return { matrix: { values: all, rows: total, cols: FEATURE_COUNT }, sources: sources.map((s) => s.name), excluded };
}

/**
 * Fits a model of the options' kind (`algorithm`, default the isolation forest) on the clean rows of
 * the files, reading the features the options name (default: DEFAULT_MODEL_FEATURES).
 */
export async function trainFromSources(sources: TrainingSource[], options: TrainOptions & ExtractOptions & KindTrainOptions = {}): Promise<AnomalyModel> {
  const extracted = await extractTrainingFeatures(sources, options);
  return trainOnFeaturesOfKind(extracted, options);
}

/** The model's columns of the extracted features, and the options a model is fitted with (features, sources, exclusions). */
function fitInputs<O extends TrainOptions>(extracted: TrainingFeatures, options: O): [FeatureMatrix, O & { features: readonly string[]; sources: string[]; excludedByFeedback: number }] {
  const { matrix } = extracted;
  if (matrix.rows < 2) throw new RangeError(`training files hold ${matrix.rows} valid trade(s); at least 2 are needed`);
  const features = options.features ?? DEFAULT_MODEL_FEATURES;
  return [selectColumns(matrix, FEATURE_NAMES, features), { ...options, features, sources: options.sources ?? extracted.sources, excludedByFeedback: extracted.excluded }];
}

/** Fits a model of the options' kind on extracted training features (trainOnFeatures for any kind). */
export async function trainOnFeaturesOfKind(extracted: TrainingFeatures, options: TrainOptions & KindTrainOptions = {}): Promise<AnomalyModel> {
  return trainModelOfKind(...fitInputs(extracted, options));
}

/** Fits a model on extracted training features. */
export function trainOnFeatures(extracted: TrainingFeatures, options: TrainOptions = {}): AnomalyModel {
  return trainAnomalyModel(...fitInputs(extracted, options));
}
