import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { AnomalyModel, TrainOptions } from '../model/anomaly-model.js';
import { extractTrainingFeatures, trainOnFeaturesOfKind, type ExtractOptions, type TrainingSource } from '../model/train-model.js';
import type { KindTrainOptions } from '../model/train-kind.js';
import { countBytes } from '../progress/count-bytes.js';
import type { CliOutput } from './cli-output.js';
import type { ProgressTask } from './progress-display.js';

/** The files' sizes added up: what "how far" is measured against while they are read. */
export async function totalSize(files: readonly string[]): Promise<number> {
  let total = 0;
  for (const f of files) total += (await stat(f)).size;
  return total;
}

/** A label naming one file, or how many. */
function filesLabel(files: readonly string[]): string {
  return files.length === 1 ? path.basename(files[0]) : `${files.length} files`;
}

/**
 * Reads a file with a progress bar: the bar and time left follow the bytes read; the count and rate
 * are the rows that `rowsSoFar` reports (the reader's own count), or megabytes without it. Call
 * finish() on the task when done.
 */
export async function fileWithProgress(
  file: string,
  out: CliOutput,
  label: string,
  rowsSoFar?: () => number,
): Promise<{ source: AsyncIterable<Uint8Array>; task: ProgressTask }> {
  const size = (await stat(file)).size;
  const fraction = (bytes: number) => (size > 0 ? bytes / size : 1);
  if (!rowsSoFar) {
    const task = out.task(label, { unit: 'MB', total: size / 1e6 });
    return { source: countBytes(createReadStream(file), (bytes) => task.update(bytes / 1e6, { fraction: fraction(bytes) })), task };
  }
  const task = out.task(label, { unit: 'rows' });
  return { source: countBytes(createReadStream(file), (bytes) => task.update(rowsSoFar(), { fraction: fraction(bytes) })), task };
}

/**
 * Trains on files as trainFromSources does, with a bar while the features are extracted (the long
 * part) and a status line while the forest is fitted.
 */
export async function trainWithProgress(files: readonly string[], options: TrainOptions & ExtractOptions & KindTrainOptions, out: CliOutput, label = `reading ${filesLabel(files)}`): Promise<AnomalyModel> {
  const total = await totalSize(files);
  const sources: TrainingSource[] = files.map((f) => ({ name: f, open: () => createReadStream(f) }));
  const task = out.task(label, { unit: 'rows' });
  const extracted = await extractTrainingFeatures(sources, {
    ...options,
    onProgress: (p) => task.update(p.rows, { fraction: total > 0 ? p.bytes / total : 1 }),
  });
  task.finish();
  out.progress(`fitting the model on ${extracted.matrix.rows.toLocaleString('en-US')} rows...`);
  // Any kind (options.algorithm); the forest's training stays synchronous inside.
  const model = await trainOnFeaturesOfKind(extracted, options);
  out.endProgress();
  return model;
}
