import { createReadStream } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crossValidate, CrossValidationError, type CrossValidationResult } from '../../evaluate/cross-validate.js';
import { detectionMetrics, type DetectionMetrics, type LabelledPrediction } from '../../evaluate/detection-metrics.js';
import { isolationForestDetector, mlIsolationForestDetector, robustZDetector, type Detector } from '../../evaluate/detectors.js';
import { LabelColumnError, readLabelledTrades, type LabelledTrades } from '../../evaluate/labelled-trades.js';
import { LabelFileError, readLabels } from '../../evaluate/labels.js';
import { formatCvTable } from '../../evaluate/metrics-table.js';
import { NumericCsvError, readNumericCsv } from '../../evaluate/numeric-csv.js';
import { anomalyModelDetector, modelKindDetector, onTrades, tradeMatrix } from '../../evaluate/trade-detectors.js';
import { DEFAULT_MODEL_FEATURES } from '../../model/anomaly-model.js';
import type { ModelKind } from '../../model/model-kind.js';
import { loadModelFromDir } from '../../model/model-store.js';
import { TradeFileScanner } from '../../pipeline/trade-file-scanner.js';
import { SchemaMismatchError } from '../../schema/trade-schema.js';
import { scoreFileInProcess } from '../../scoring/score-file.js';
import { CliError, EXIT, percent, type CliOutput } from '../cli-output.js';
import { fileWithProgress, trainWithProgress } from '../file-progress.js';
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
/**
 * The other model kinds, by name only (not in the default comparison: the autoencoder's training
 * takes seconds a fold): `<kind>` is the kind's learned part alone, `model:<kind>` the model of that
 * kind (with the extremeness part), `model:<kind>+rules` that model joined with the rules (trades).
 */
const OTHER_KINDS = ['ocsvm', 'autoencoder', 'pca', 'ensemble'] as const;
const TRADE_KIND_DETECTORS = OTHER_KINDS.flatMap((k) => [k, `model:${k}`, `model:${k}+rules`]);
const NUMERIC_KIND_DETECTORS = OTHER_KINDS.flatMap((k) => [k, `model:${k}`]);

function chosenDetectors(all: readonly string[], list: string | undefined, byName: readonly string[] = []): string[] {
  if (!list) return [...all];
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const allowed = [...all, ...byName];
  const unknown = names.filter((n) => !allowed.includes(n));
  if (unknown.length) throw new CliError(`--detectors: unknown ${unknown.join(', ')}`, EXIT.USAGE, `choose from ${allowed.join(', ')}`);
  return names;
}

/** `ocsvm`, `model:ocsvm`, `model:ocsvm+rules` (trades only) and the like; undefined for other names. */
function kindDetector(name: string, seed: number, transform: 'compress' | 'none', trades: boolean): Detector | undefined {
  const m = /^(model:)?(ocsvm|autoencoder|pca|ensemble)(\+rules)?$/.exec(name);
  if (!m) return undefined;
  const detector = modelKindDetector(m[2] as ModelKind, { forest: { seed }, transform }, m[1] ? 'model' : 'learned');
  return trades ? onTrades(detector, { withRules: Boolean(m[3]) }) : detector;
}

/** The comparison's detectors on a trade matrix; model-only ones score 0 where the model cannot score. */
function tradeDetector(name: string, seed: number): Detector {
  const kind = kindDetector(name, seed, 'compress', true);
  if (kind) return kind;
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
  const kind = kindDetector(name, seed, 'none', false);
  if (kind) return kind;
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
  const detectors = chosenDetectors(NUMERIC_DETECTORS, args.detectors, NUMERIC_KIND_DETECTORS).map((n) => numericDetector(n, seed));
  const result = await cvWithProgress(out, detectors.length, folds, (onFold) =>
    crossValidate({ matrix: table.matrix, labels: table.labels, names: table.names }, detectors, { folds, seed, onFold }),
  );
  printCv(result, out);
  const report = { file: args.file, kind: 'numeric', crossValidation: result };
  if (args.out) await writeFile(args.out, JSON.stringify(report, null, 2));
  out.result(report);
  return result;
}

/** Cross-validation with a bar over detectors x folds. */
async function cvWithProgress(
  out: CliOutput,
  detectors: number,
  folds: number,
  run: (onFold: (done: number, total: number) => void) => Promise<CrossValidationResult>,
): Promise<CrossValidationResult> {
  const task = out.task(`cross-validating ${detectors} detector(s) over ${folds} folds`, { unit: 'folds', total: detectors * folds });
  try {
    return await run((done) => task.update(done));
  } catch (e: unknown) {
    if (e instanceof CrossValidationError) throw new CliError(e.message, EXIT.USAGE, 'use fewer --folds, or a file with more labelled anomalies');
    throw e;
  } finally {
    task.finish();
  }
}

/** Reads a labelled trade file for evaluation (with a bar, given an output); label problems are usage errors naming the file. */
export async function labelledTradesOf(args: { file: string; labels?: string; labelColumn?: string; schema?: string }, out?: CliOutput): Promise<LabelledTrades> {
  const schema = await loadSchemaOption(args.schema);
  const read = out ? await fileWithProgress(args.file, out, `reading ${path.basename(args.file)}`) : undefined;
  try {
    const labels = args.labels ? await readLabels(args.labels) : undefined;
    return await readLabelledTrades(read?.source ?? createReadStream(args.file), args.file, { labels, labelColumn: args.labelColumn }, schema);
  } catch (e: unknown) {
    if (e instanceof LabelFileError || e instanceof LabelColumnError) throw new CliError(e.message, EXIT.USAGE);
    throw e;
  } finally {
    read?.task.finish();
  }
}

async function evaluateTradesCv(args: EvaluateArgs, out: CliOutput): Promise<CrossValidationResult> {
  const folds = args.folds!;
  const seed = args.seed ?? 1;
  const data = await labelledTradesOf(args, out);
  const detectors = chosenDetectors(TRADE_DETECTORS, args.detectors, TRADE_KIND_DETECTORS).map((n) => tradeDetector(n, seed));
  const result = await cvWithProgress(out, detectors.length, folds, (onFold) => crossValidate(tradeMatrix(data, DEFAULT_MODEL_FEATURES), detectors, { folds, seed, onFold }));
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
    : await trainWithProgress([args.file], { schema }, out, `fitting a model on ${path.basename(args.file)}`);
  if (!args.model) out.say('no --model given: fitted a model on the file itself');
  const data = await labelledTradesOf(args, out);
  const labelsByRow = new Map<number, string>();
  data.labels.forEach((l, i) => l !== null && labelsByRow.set(data.sourceRows[i], l));
  const scoring = await fileWithProgress(args.file, out, `scoring ${path.basename(args.file)}`);
  const scored = await scoreFileInProcess(scoring.source, args.file, model, schema).finally(() => scoring.task.finish());
  const metrics = detectionMetrics(predictionsFrom(scored.rows, labelsByRow));
  printMetrics(metrics, out);
  const report = { file: args.file, modelVersion: model.version, features: model.features, metrics };
  if (args.out) await writeFile(args.out, JSON.stringify(report, null, 2));
  out.result(report);
  return metrics;
}
