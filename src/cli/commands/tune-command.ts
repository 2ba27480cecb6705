import { writeFile } from 'node:fs/promises';
import { tuneModel, type TrialResult, type TuneResult } from '../../evaluate/tuning.js';
import type { AnomalyModel } from '../../model/anomaly-model.js';
import { saveModelToDir } from '../../model/model-store.js';
import { CliError, EXIT, type CliOutput } from '../cli-output.js';
import { trainWithProgress } from '../file-progress.js';
import { labelledTradesOf } from './evaluate-command.js';
import { ensureReadable, loadSchemaOption } from './train-command.js';

export interface TuneArgs {
  file: string;
  labels?: string;
  labelColumn?: string;
  schema?: string;
  out: string;
  /** Files the final model is trained on (default: the labelled file). */
  train?: string[];
  folds?: number;
  seed?: number;
  report?: string;
}

function describe(t: TrialResult): string {
  const c = t.config;
  return `PR-AUC ${t.mean.averagePrecision.toFixed(4)} ± ${t.sd.averagePrecision.toFixed(4)}  F1 ${t.mean.f1.toFixed(3)}  | ${c.features.length} features, ${c.trees} trees, ψ=${c.sampleSize}, contamination ${c.contamination}, z ${c.thresholdZ}`;
}

/**
 * `tune`: searches features, forest size and threshold by cross-validated PR-AUC on a labelled file,
 * then trains the chosen configuration and saves it with its tuning record in the model's metadata.
 */
export async function tuneCommand(args: TuneArgs, out: CliOutput): Promise<{ model: AnomalyModel; tuning: TuneResult }> {
  await ensureReadable(args.file);
  if (args.labels) await ensureReadable(args.labels);
  for (const f of args.train ?? []) await ensureReadable(f);
  if (!args.labels === !args.labelColumn) throw new CliError('tune needs labels', EXIT.USAGE, 'pass --labels FILE or --label-column NAME (one of them)');
  const schema = await loadSchemaOption(args.schema);
  const data = await labelledTradesOf(args, out);
  out.say(`${args.file}: ${data.rows} trades, ${data.labels.filter((l) => l !== null).length} labelled anomalies`);
  const trials = out.task('tuning: cross-validated trials', { unit: 'trials' });
  const tuning = await tuneModel(data, {
    folds: args.folds,
    seed: args.seed,
    onTrial: (_t, done, total) => trials.update(done, { total }),
  }).finally(() => trials.finish());
  out.say(`baseline: ${describe(tuning.baseline)}`);
  out.say(`chosen:   ${describe(tuning.best)}`);
  out.say(`features: ${tuning.chosen.features.join(', ')}`);

  const files = args.train?.length ? args.train : [args.file];
  const c = tuning.chosen;
  const model = await trainWithProgress(
    files,
    {
      schema,
      features: c.features,
      forest: { trees: c.trees, sampleSize: c.sampleSize, seed: tuning.seed },
      contamination: c.contamination,
      thresholdZ: c.thresholdZ,
      tuning: { objective: tuning.objective, folds: tuning.folds, seed: tuning.seed, labelledFile: args.file, chosen: c, trials: tuning.trials.length },
      metrics: { crossValidation: { file: args.file, folds: tuning.folds, mean: tuning.best.mean, sd: tuning.best.sd } },
    },
    out,
  );
  const where = await saveModelToDir(args.out, model);
  out.say(`model ${model.version} (trained on ${files.length} file(s), ${model.training.rows} trades) saved to ${where}`);
  if (args.report) await writeFile(args.report, JSON.stringify(tuning, null, 2));
  out.result({ version: model.version, savedTo: where, tuning });
  return { model, tuning };
}
