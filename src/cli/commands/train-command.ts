import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createS3Client } from '../../adapters/aws-clients.js';
import { S3ObjectStore } from '../../adapters/s3-object-store.js';
import type { AnomalyModel } from '../../model/anomaly-model.js';
import { saveModelToDir, saveModelToStore } from '../../model/model-store.js';
import { trainFromSources } from '../../model/train-model.js';
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
}

export async function ensureReadable(file: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw new CliError(`${file}: no such file`, EXIT.USAGE, 'check the path');
  }
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

/** Where a model goes: a local folder, or the pipeline's bucket (s3://BUCKET or s3://BUCKET/models). */
async function saveModel(model: AnomalyModel, out: string): Promise<string> {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(out);
  if (!m) return saveModelToDir(out, model);
  const [, bucket, prefix] = m;
  if (prefix.replace(/\/$/, '') !== '' && prefix.replace(/\/$/, '') !== 'models') {
    throw new CliError(`--out ${out}: the pipeline reads models from models/ in its bucket`, EXIT.USAGE, `use s3://${bucket}/models`);
  }
  const client = createS3Client(process.env.S3_ENDPOINT ? { url: process.env.S3_ENDPOINT } : undefined);
  const key = await saveModelToStore(new S3ObjectStore(client, bucket), model, true);
  return `s3://${bucket}/${key} (promoted: models/current.json)`;
}

export async function trainCommand(args: TrainArgs, out: CliOutput): Promise<AnomalyModel> {
  const schema = await loadSchemaOption(args.schema);
  for (const f of args.files) await ensureReadable(f);
  out.progress(`training on ${args.files.length} file(s)...`);
  const started = Date.now();
  const model = await trainFromSources(
    args.files.map((f) => ({ name: f, open: () => createReadStream(f) })),
    {
      forest: { trees: args.trees, sampleSize: args.sampleSize, seed: args.seed },
      contamination: args.contamination,
      schema,
    },
  );
  const where = await saveModel(model, args.out);
  out.endProgress();
  out.say(`model ${model.version}: ${model.params.trees} trees, ${model.forest.sampleSize} samples each, trained on ${model.training.rows} trades from ${args.files.length} file(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  out.say(`threshold ${model.threshold.toFixed(3)} (flags ${(model.contamination * 100).toFixed(2)}% of training rows); saved to ${where}`);
  out.result({ version: model.version, threshold: model.threshold, contamination: model.contamination, params: model.params, training: model.training, savedTo: where });
  return model;
}

