import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { detectionMetrics, type DetectionMetrics, type LabelledPrediction } from '../../evaluate/detection-metrics.js';
import { readLabels } from '../../evaluate/labels.js';
import { loadModelFromDir } from '../../model/model-store.js';
import { trainFromSources } from '../../model/train-model.js';
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
  out.say(`precision ${percent(m.precision)}  recall ${percent(m.recall)}  F1 ${percent(m.f1)}  ROC-AUC ${m.rocAuc.toFixed(4)}  average precision ${m.averagePrecision.toFixed(4)}`);
  out.say(`confusion: TP ${m.truePositives}  FP ${m.falsePositives}  FN ${m.falseNegatives}  TN ${m.trueNegatives}`);
  out.say('recall by anomaly type:');
  for (const [type, r] of Object.entries(m.recallByType)) out.say(`  ${type.padEnd(18)} ${String(r.found).padStart(5)}/${String(r.total).padEnd(5)} ${percent(r.recall)}`);
}

export async function evaluateCommand(args: EvaluateArgs, out: CliOutput): Promise<DetectionMetrics> {
  if (args.labelColumn) throw new CliError('--label-column is not supported yet', EXIT.USAGE, 'pass a label file with --labels (source_row,anomaly_type)');
  if (!args.labels) throw new CliError('evaluate needs --labels FILE', EXIT.USAGE);
  await ensureReadable(args.file);
  await ensureReadable(args.labels);
  const schema = await loadSchemaOption(args.schema);
  const model = args.model
    ? await loadModelFromDir(args.model)
    : await trainFromSources([{ name: args.file, open: () => createReadStream(args.file) }], { schema });
  if (!args.model) out.say('no --model given: fitted a model on the file itself');
  const labels = await readLabels(args.labels);
  const scored = await scoreFileInProcess(createReadStream(args.file), args.file, model, schema);
  const metrics = detectionMetrics(predictionsFrom(scored.rows, labels));
  printMetrics(metrics, out);
  if (args.out) await writeFile(args.out, JSON.stringify({ file: args.file, modelVersion: model.version, metrics }, null, 2));
  out.result({ file: args.file, modelVersion: model.version, metrics });
  return metrics;
}
