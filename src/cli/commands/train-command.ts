import { createReadStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createS3Client } from '../../adapters/aws-clients.js';
import { S3ObjectStore } from '../../adapters/s3-object-store.js';
import { FeedbackFileError, FeedbackIndex, mergeFeedback, parseFeedback, type FeedbackEntry } from '../../feedback/feedback-file.js';
import { feedbackExclusion } from '../../feedback/feedback-exclusion.js';
import { FEATURE_NAMES, isFeatureName } from '../../features/trade-features.js';
import { kindOf, type AnomalyModel } from '../../model/anomaly-model.js';
import { isModelKind, MODEL_KINDS, type ModelKind } from '../../model/model-kind.js';
import { saveModelToDir, saveModelToStore } from '../../model/model-store.js';
import { trainWithProgress } from '../file-progress.js';
import { loadSchemaFile, SchemaFileError, type TradeSchema } from '../../schema/schema-settings.js';
import { CliError, EXIT, type CliOutput } from '../cli-output.js';

export interface TrainArgs {
  files: string[];
  out: string;
  schema?: string;
  trees?: number;
  sampleSize?: number;
  seed?: number;
  contamination?: number;
  /** Comma-separated trade features the model reads (default DEFAULT_MODEL_FEATURES). */
  features?: string;
  /** With --out s3://BUCKET/models: also make the new version the current model. */
  promote?: boolean;
  /** Analysts' feedback files: the trades they confirmed as anomalies are left out of training. */
  feedback?: string[];
  /** The model kind (model-kind.ts); default the isolation forest. */
  algorithm?: string;
}

/** --algorithm KIND, checked. */
export function algorithmOption(value: string | undefined): ModelKind | undefined {
  if (value === undefined) return undefined;
  if (!isModelKind(value)) throw new CliError(`--algorithm: unknown ${value}`, EXIT.USAGE, `choose from ${MODEL_KINDS.join(', ')}`);
  return value;
}

/**
 * Reads --feedback files. Unlike a run (where a bad file is reported and the run goes on), training
 * stops on a bad file: a model trained without some of the analysts' exclusions would be saved and
 * used with no one noticing.
 */
async function loadFeedbackOption(files: readonly string[]): Promise<FeedbackIndex | undefined> {
  if (files.length === 0) return undefined;
  const lists: FeedbackEntry[][] = [];
  for (const file of files) {
    await ensureReadable(file);
    try {
      lists.push(await parseFeedback(createReadStream(file), file));
    } catch (e: unknown) {
      if (e instanceof FeedbackFileError) throw new CliError(e.message, EXIT.USAGE, 'fix the line, or leave the file out');
      throw e;
    }
  }
  return new FeedbackIndex(mergeFeedback(lists));
}

export async function ensureReadable(file: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw new CliError(`${file}: no such file`, EXIT.USAGE, 'check the path');
  }
  if ((await stat(file)).isDirectory()) throw new CliError(`${file}: is a folder, not a file`, EXIT.USAGE, 'name a trade file (CSV), not a folder');
}

/** Loads --schema FILE; a bad schema file is a usage error naming the file and every problem. */
export async function loadSchemaOption(schema: string | undefined): Promise<TradeSchema | undefined> {
  if (!schema) return undefined;
  try {
    return await loadSchemaFile(schema);
  } catch (e: unknown) {
    if (e instanceof SchemaFileError) throw new CliError(e.message, EXIT.USAGE, 'see schemas/ for examples');
    throw e;
  }
}

/** The bucket of --out s3://BUCKET or s3://BUCKET/models; undefined for a local folder. */
function outBucket(out: string): string | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(out);
  if (!m) return undefined;
  const [, bucket, prefix] = m;
  if (prefix.replace(/\/$/, '') !== '' && prefix.replace(/\/$/, '') !== 'models') {
    throw new CliError(`--out ${out}: the pipeline reads models from models/ in its bucket`, EXIT.USAGE, `use s3://${bucket}/models`);
  }
  return bucket;
}

/**
 * Where a model goes: a local folder, or the pipeline's bucket. In the bucket it is a new version that
 * runs do not use until it is promoted: with --promote here, or later with `models promote`.
 */
async function saveModel(model: AnomalyModel, out: string, bucket: string | undefined, promote: boolean): Promise<string> {
  if (!bucket) return saveModelToDir(out, model);
  const client = createS3Client(process.env.S3_ENDPOINT ? { url: process.env.S3_ENDPOINT } : undefined);
  const key = await saveModelToStore(new S3ObjectStore(client, bucket), model, promote);
  return `s3://${bucket}/${key}${promote ? ' (promoted: models/current.json)' : ''}`;
}

/** --features a,b,c: trade feature names, each checked. */
export function featuresOption(list: string | undefined): string[] | undefined {
  if (list === undefined) return undefined;
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !isFeatureName(n));
  if (names.length === 0 || unknown.length) {
    throw new CliError(`--features: ${unknown.length ? `unknown ${unknown.join(', ')}` : 'no feature named'}`, EXIT.USAGE, `choose from ${FEATURE_NAMES.join(', ')}`);
  }
  if (new Set(names).size !== names.length) throw new CliError(`--features: a feature is named twice (${names.join(', ')})`, EXIT.USAGE);
  return names;
}

/** One phrase: the model's kind and size ("isolation forest of 100 trees, 256 samples each"). */
export function describeLearnedPart(model: AnomalyModel): string {
  const parts: string[] = [];
  if (model.forest) parts.push(`isolation forest of ${model.params.trees} trees, ${model.forest.sampleSize} samples each`);
  for (const c of model.candidates ?? []) {
    if (c.kind === 'ocsvm') parts.push(`One-Class SVM (nu ${c.nu}, gamma ${Number(c.gamma.toPrecision(3))}, ${c.coefficients.length} support vectors from ${c.sampleRows} rows)`);
    else if (c.kind === 'autoencoder') parts.push(`autoencoder ${[c.cols, ...c.hidden, c.cols].join('-')} (${c.epochs} epochs on ${c.sampleRows} rows)`);
    else parts.push(`PCA (${c.components.length / c.cols} of ${c.cols} components)`);
  }
  return kindOf(model) === 'ensemble' ? `ensemble of ${parts.join(', ')}` : parts.join(', ');
}

export async function trainCommand(args: TrainArgs, out: CliOutput): Promise<AnomalyModel> {
  // Checked before training, which can take minutes.
  const bucket = outBucket(args.out);
  if (args.promote && !bucket) {
    throw new CliError('--promote applies to a model saved in the pipeline bucket', EXIT.USAGE, 'use --out s3://BUCKET/models --promote, or run --model DIR with a model folder');
  }
  const schema = await loadSchemaOption(args.schema);
  for (const f of args.files) await ensureReadable(f);
  const feedback = await loadFeedbackOption(args.feedback ?? []);
  const features = featuresOption(args.features);
  const algorithm = algorithmOption(args.algorithm);
  const started = Date.now();
  const model = await trainWithProgress(
    args.files,
    {
      forest: { trees: args.trees, sampleSize: args.sampleSize, seed: args.seed },
      contamination: args.contamination,
      schema,
      ...(algorithm ? { algorithm } : {}),
      ...(features ? { features } : {}),
      ...(feedback ? { exclude: feedbackExclusion(feedback) } : {}),
    },
    out,
  );
  const promote = Boolean(bucket && args.promote);
  const where = await saveModel(model, args.out, bucket, promote);
  out.endProgress();
  out.say(`model ${model.version}: ${describeLearnedPart(model)}, trained on ${model.training.rows} trades from ${args.files.length} file(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  out.say(`threshold ${model.threshold.toFixed(3)} (flags ${(model.contamination * 100).toFixed(2)}% of training rows); saved to ${where}`);
  if (feedback) out.say(`left out ${model.training.excludedByFeedback ?? 0} trade(s) the feedback confirms as anomalies (${feedback.size} feedback line(s))`);
  const promoteWith = bucket && !promote ? `trade-anomaly models promote ${model.version} --bucket ${bucket}` : undefined;
  if (promoteWith) out.say(`not promoted: runs keep using the current model until you run\n  ${promoteWith}`);
  out.result({
    version: model.version,
    threshold: model.threshold,
    contamination: model.contamination,
    params: model.params,
    training: model.training,
    savedTo: where,
    ...(bucket ? { promoted: promote } : {}),
    ...(promoteWith ? { promoteWith } : {}),
  });
  return model;
}

