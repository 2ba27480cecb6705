import { createReadStream } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { crossValidate, CrossValidationError, type CrossValidationResult } from '../../evaluate/cross-validate.js';
import { detectionMetrics, type DetectionMetrics, type LabelledPrediction } from '../../evaluate/detection-metrics.js';
import { isolationForestDetector, mlIsolationForestDetector, robustZDetector, type Detector } from '../../evaluate/detectors.js';
import { LabelColumnError, readLabelledTrades, type LabelledTrades } from '../../evaluate/labelled-trades.js';
import { LabelFileError, readLabels } from '../../evaluate/labels.js';
import { formatCvTable } from '../../evaluate/metrics-table.js';
import { NumericCsvError, readNumericCsv } from '../../evaluate/numeric-csv.js';
import { anomalyModelDetector, onTrades, tradeMatrix } from '../../evaluate/trade-detectors.js';
import { DEFAULT_MODEL_FEATURES } from '../../model/anomaly-model.js';
import { loadModelFromDir } from '../../model/model-store.js';
import { trainFromSources } from '../../model/train-model.js';
import { TradeFileScanner } from '../../pipeline/trade-file-scanner.js';
import { SchemaMismatchError } from '../../schema/trade-schema.js';
import { scoreFileInProcess } from '../../scoring/score-file.js';
import { CliError, EXIT, percent, type CliOutput } from '../cli-output.js';
import { ensureReadable, loadSchemaOption } from './train-command.js';

export interface EvaluateArgs {
  file: string;
  labels?: string;
  labelColumn?: string;
  model?: string;
  out?: string;
  schema?: string;
  /** k-fold cross-validation and the model comparison instead of one model on the whole file. */
  folds?: number;
  /** Comma-separated detector names for --folds (default: all that apply). */
  detectors?: string;
  /** Read the file as a generic numeric CSV (features + a label column), not as trades. */
  numeric?: boolean;
  seed?: number;
}

/** Joins flagged rows with labels by source_row. Rule-flagged rows rank above every model score. */
export function predictionsFrom(rows: { sourceRow: number; score: number | null; isAnomaly: boolean; qualityIssues: string[] }[], labels: Map<number, string>): LabelledPrediction[] {
  return rows.map((r) => ({
    score: r.qualityIssues.length ? 1 + (r.score ?? 0) : (r.score ?? 0),
    flagged: r.isAnomaly,
    label: labels.get(r.sourceRow) ?? null,
  }));
}

export function printMetrics(m: DetectionMetrics, out: CliOutput): void {
  out.say(`rows ${m.rows}, labelled anomalies ${m.positives}, flagged ${m.flagged}`);
  out.say(`precision ${percent(m.precision)}  recall ${percent(m.recall)}  F1 ${percent(m.f1)}  ROC-AUC ${m.rocAuc.toFixed(4)}  PR-AUC (average precision) ${m.averagePrecision.toFixed(4)}`);
  const atK = Object.entries(m.precisionAtK.at)
    .filter(([, v]) => Number.isFinite(v))
    .map(([k, v]) => `P@${k} ${percent(v)}`);
  out.say(`precision at k: R-precision ${percent(m.precisionAtK.rPrecision)}${atK.length ? `  ${atK.join('  ')}` : ''}`);
  out.say(`confusion: TP ${m.truePositives}  FP ${m.falsePositives}  FN ${m.falseNegatives}  TN ${m.trueNegatives}`);
  if (Object.keys(m.recallByType).length) out.say('recall by anomaly type:');
  for (const [type, r] of Object.entries(m.recallByType)) out.say(`  ${type.padEnd(18)} ${String(r.found).padStart(5)}/${String(r.total).padEnd(5)} ${percent(r.recall)}`);
}

/** Recall per anomaly type summed over the folds of one detector. */
export function recallByTypeOverFolds(result: CrossValidationResult, detector: string): Record<string, { found: number; total: number; recall: number }> {
  const d = result.detectors.find((x) => x.name === detector);
  const byType: Record<string, { found: number; total: number; recall: number }> = {};
  for (const fold of d?.folds ?? []) {
    for (const [type, r] of Object.entries(fold.metrics.recallByType)) {
      const t = (byType[type] ??= { found: 0, total: 0, recall: 0 });
      t.found += r.found;
      t.total += r.total;
    }
  }
  for (const t of Object.values(byType)) t.recall = t.found / t.total;
  return byType;
}

const TRADE_DETECTORS = ['isolation-forest', 'ml-isolation-forest', 'robust-z', 'model', 'model+rules'] as const;
const NUMERIC_DETECTORS = ['isolation-forest', 'ml-isolation-forest', 'robust-z', 'model'] as const;

function chosenDetectors(all: readonly string[], list: string | undefined): string[] {
  if (!list) return [...all];
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length) throw new CliError(`--detectors: unknown ${unknown.join(', ')}`, EXIT.USAGE, `choose from ${all.join(', ')}`);
  return names;
}

/** The comparison's detectors on a trade matrix; model-only ones score 0 where the model cannot score. */
function tradeDetector(name: string, seed: number): Detector {
  switch (name) {
    case 'isolation-forest':
      return onTrades(isolationForestDetector({ seed, threshold: 0.6 }), { withRules: false });
    case 'ml-isolation-forest':
      return onTrades(mlIsolationForestDetector({ sampleSize: 256, seed }), { withRules: false });
    case 'robust-z':
      return onTrades(robustZDetector({ thresholdZ: 5 }), { withRules: false });
    case 'model':
      return onTrades(anomalyModelDetector({ forest: { seed } }), { withRules: false });
    default:
      return onTrades(anomalyModelDetector({ forest: { seed } }), { withRules: true });
  }
}

function numericDetector(name: string, seed: number): Detector {
  switch (name) {
    case 'isolation-forest':
      return isolationForestDetector({ seed });
    case 'ml-isolation-forest':
      return mlIsolationForestDetector({ sampleSize: 256, seed });
    case 'robust-z':
      return robustZDetector();
    default:
      // Generic columns are not z-like: no compression before the forest.
      return anomalyModelDetector({ forest: { seed }, transform: 'none' });
  }
}

/** Whether a file's header fits the trade schema; a numeric benchmark's does not. */
async function looksLikeTrades(file: string, schemaFile: string | undefined): Promise<boolean> {
  const schema = await loadSchemaOption(schemaFile);
  try {
    const scanner = new TradeFileScanner(file, { schema });
    const handle = await open(file);
    try {
      for await (const batch of scanner.scan(handle.createReadStream({ end: 65_535 }))) if (batch.length) break;
    } finally {
      await handle.close();
    }
    return true;
  } catch (e: unknown) {
    if (e instanceof SchemaMismatchError) return false;
    return true;
  }
}

function printCv(result: CrossValidationResult, out: CliOutput): void {
  const table = formatCvTable(result);
  out.say(table.caption);
  out.say(table.text);
}

async function evaluateNumeric(args: EvaluateArgs, out: CliOutput): Promise<CrossValidationResult> {
  const folds = args.folds ?? 5;
  const seed = args.seed ?? 1;
  let table;
  try {
    table = await readNumericCsv(args.file, { labelColumn: args.labelColumn });
  } catch (e: unknown) {
    if (e instanceof NumericCsvError) throw new CliError(e.message, EXIT.USAGE, 'a numeric CSV needs a header, numeric feature columns and a label column (--label-column)');
    throw e;
  }
  out.say(`${args.file}: numeric CSV, ${table.matrix.rows} rows, features ${table.names.join(', ')}`);
  const detectors = chosenDetectors(NUMERIC_DETECTORS, args.detectors).map((n) => numericDetector(n, seed));
  const result = await runCv(() => crossValidate({ matrix: table.matrix, labels: table.labels, names: table.names }, detectors, { folds, seed }));
  printCv(result, out);
  const report = { file: args.file, kind: 'numeric', crossValidation: result };
  if (args.out) await writeFile(args.out, JSON.stringify(report, null, 2));
  out.result(report);
  return result;
}

async function runCv(run: () => Promise<CrossValidationResult>): Promise<CrossValidationResult> {
  try {
    return await run();
  } catch (e: unknown) {
    if (e instanceof CrossValidationError) throw new CliError(e.message, EXIT.USAGE, 'use fewer --folds, or a file with more labelled anomalies');
    throw e;
  }
}

/** Reads a labelled trade file for evaluation; label problems are usage errors naming the file. */
export async function labelledTradesOf(args: { file: string; labels?: string; labelColumn?: string; schema?: string }): Promise<LabelledTrades> {
  const schema = await loadSchemaOption(args.schema);
  try {
    const labels = args.labels ? await readLabels(args.labels) : undefined;
    return await readLabelledTrades(createReadStream(args.file), args.file, { labels, labelColumn: args.labelColumn }, schema);
  } catch (e: unknown) {
    if (e instanceof LabelFileError || e instanceof LabelColumnError) throw new CliError(e.message, EXIT.USAGE);
    throw e;
  }
}

async function evaluateTradesCv(args: EvaluateArgs, out: CliOutput): Promise<CrossValidationResult> {
  const folds = args.folds!;
  const seed = args.seed ?? 1;
  const data = await labelledTradesOf(args);
  const detectors = chosenDetectors(TRADE_DETECTORS, args.detectors).map((n) => tradeDetector(n, seed));
  out.progress(`cross-validating ${detectors.length} detector(s) over ${folds} folds...`);
  const result = await runCv(() => crossValidate(tradeMatrix(data, DEFAULT_MODEL_FEATURES), detectors, { folds, seed }));
  out.endProgress();
  out.say(`${args.file}: ${data.rows} trades, ${data.labels.filter((l) => l !== null).length} labelled anomalies; features ${DEFAULT_MODEL_FEATURES.join(', ')}`);
  printCv(result, out);
  const headline = result.detectors.find((d) => d.name === 'model+rules') ?? result.detectors[0];
  const byType = recallByTypeOverFolds(result, headline.name);
  if (Object.keys(byType).length) {
    out.say(`recall by anomaly type (${headline.name}, all folds):`);
    for (const [type, r] of Object.entries(byType)) out.say(`  ${type.padEnd(18)} ${String(r.found).padStart(5)}/${String(r.total).padEnd(5)} ${percent(r.recall)}`);
  }
  const report = { file: args.file, kind: 'trades', features: DEFAULT_MODEL_FEATURES, crossValidation: result, recallByType: byType };
  if (args.out) await writeFile(args.out, JSON.stringify(report, null, 2));
  out.result(report);
  return result;
}

export async function evaluateCommand(args: EvaluateArgs, out: CliOutput): Promise<DetectionMetrics | CrossValidationResult> {
  await ensureReadable(args.file);
  if (args.labels) await ensureReadable(args.labels);
  if (args.labels && args.labelColumn) throw new CliError('give --labels or --label-column, not both', EXIT.USAGE);
  const numeric = args.numeric || !(await looksLikeTrades(args.file, args.schema));
  if (numeric) {
    if (args.labels) throw new CliError('a numeric CSV carries its labels in a column', EXIT.USAGE, 'use --label-column NAME (default: label, is_anomaly, anomaly or y)');
    if (!args.numeric) out.say(`${args.file} does not have a trade file's columns: reading it as a numeric CSV (features + label column)`);
    return evaluateNumeric(args, out);
  }
  if (!args.labels && !args.labelColumn) throw new CliError('evaluate needs labels', EXIT.USAGE, 'pass --labels FILE (source_row,anomaly_type) or --label-column NAME');
  if (args.folds !== undefined) return evaluateTradesCv(args, out);

  const schema = await loadSchemaOption(args.schema);
  const model = args.model
    ? await loadModelFromDir(args.model)
    : await trainFromSources([{ name: args.file, open: () => createReadStream(args.file) }], { schema });
  if (!args.model) out.say('no --model given: fitted a model on the file itself');
  const data = await labelledTradesOf(args);
  const labelsByRow = new Map<number, string>();
  data.labels.forEach((l, i) => l !== null && labelsByRow.set(data.sourceRows[i], l));
  const scored = await scoreFileInProcess(createReadStream(args.file), args.file, model, schema);
  const metrics = detectionMetrics(predictionsFrom(scored.rows, labelsByRow));
  printMetrics(metrics, out);
  const report = { file: args.file, modelVersion: model.version, features: model.features, metrics };
  if (args.out) await writeFile(args.out, JSON.stringify(report, null, 2));
  out.result(report);
  return metrics;
}
