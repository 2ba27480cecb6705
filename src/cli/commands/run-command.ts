import { stat } from 'node:fs/promises';
import { runLocal, type LocalRunResult, type ProgressEvent } from '../../local/local-run.js';
import { CliError, EXIT, type CliOutput } from '../cli-output.js';
import type { ProgressTask } from '../progress-display.js';
import { ensureReadable, loadSchemaOption } from './train-command.js';

export interface RunArgs {
  file: string;
  out?: string;
  model?: string;
  schema?: string;
  chunkRows?: number;
  stateDir?: string;
  threshold?: number;
  driftThreshold?: number;
  /** Analysts' feedback files to put under feedback/ in the embedded bucket before the run. */
  feedback?: string[];
}

/**
 * The run's steps as progress: a bar while a model is fitted on the file, while ingest reads it
 * (bytes) and while the chunks are scored (chunks); status lines between.
 */
class RunProgress {
  private task: ProgressTask | undefined;
  private current: ProgressEvent['step'] | undefined;

  constructor(
    private readonly out: CliOutput,
    private readonly fileBytes: number,
  ) {}

  on(e: ProgressEvent): void {
    if (e.step !== this.current) this.switchTo(e);
    switch (e.step) {
      case 'model':
        this.out.say(e.detail);
        break;
      case 'feedback':
        this.out.say(`feedback file uploaded to ${e.key}`);
        break;
      case 'fit':
        this.task?.update(e.rows, { fraction: this.fileBytes > 0 ? e.bytes / this.fileBytes : 1 });
        break;
      case 'upload':
        this.out.progress(`uploaded ${(e.bytes / 1e6).toFixed(1)} MB to the embedded S3; ingest starts`);
        break;
      case 'read':
        this.task?.update(e.bytes / 1e6, { total: e.total / 1e6 });
        break;
      case 'one-pass':
        this.out.say(`ingest reads the file again, on one thread: ${e.reason}`);
        break;
      case 'ingest':
        // The scoring bar starts now, not at the first chunk's end: the first chunk takes as long as the others.
        if (e.outcome.status === 'started') {
          this.task = this.out.task(`scoring ${e.outcome.rows.toLocaleString('en-US')} rows`, { unit: 'chunks', total: e.outcome.chunks });
          this.current = 'score';
        } else this.out.progress(`ingest: ${e.outcome.status}`);
        break;
      case 'score':
        this.task?.update(e.done, { total: e.total });
        if (e.done === e.total) this.out.progress('aggregating: writing the Parquet result and the alert');
        break;
      case 'aggregate':
        this.out.endProgress();
        break;
    }
  }

  private switchTo(e: ProgressEvent): void {
    this.task?.finish();
    this.task = undefined;
    this.current = e.step;
    if (e.step === 'fit') this.task = this.out.task('fitting a model on the file', { unit: 'rows' });
    else if (e.step === 'read') this.task = this.out.task('ingest: reading and chunking', { unit: 'MB', total: e.total / 1e6 });
    else if (e.step === 'score') this.task = this.out.task('scoring', { unit: 'chunks', total: e.total });
  }

  finish(): void {
    this.task?.finish();
    this.out.endProgress();
  }
}

export async function runCommand(args: RunArgs, out: CliOutput): Promise<LocalRunResult> {
  const schema = await loadSchemaOption(args.schema);
  await ensureReadable(args.file);
  for (const f of args.feedback ?? []) await ensureReadable(f);
  const progress = new RunProgress(out, (await stat(args.file)).size);
  const result = await runLocal({
    file: args.file,
    schema,
    threshold: args.threshold,
    driftThreshold: args.driftThreshold,
    feedbackFiles: args.feedback,
    outDir: args.out,
    modelDir: args.model,
    chunkRows: args.chunkRows,
    stateDir: args.stateDir,
    onAlert: (alert) => {
      out.endProgress();
      out.say(`--- alert: ${alert.subject}`);
      out.say(alert.message);
      out.say('---');
    },
    onProgress: (e) => progress.on(e),
  });
  progress.finish();
  const { outcome, summary } = result;
  if (outcome.status === 'rejected') {
    out.result(result);
    throw new CliError(`${args.file}: rejected: ${outcome.reason}`, EXIT.REJECTED, `details in ${result.outDir}/rejection.json`);
  }
  if (outcome.status === 'duplicate') {
    out.say(`this exact file was already processed as run ${outcome.runId}; its result is copied again`);
    if (args.feedback?.length) out.say('the feedback applies to runs from now on; to see it applied to this file, run it with a fresh --state-dir');
  }
  if (summary) {
    out.say(`run ${summary.runId}: ${summary.rows} rows, ${summary.anomalies} anomalies (${summary.modelAnomalies} by the model, ${summary.badRows} rows breaking data-quality rules)`);
    out.say(`model ${summary.modelVersion}${summary.modelFittedOnInput ? ' (fitted on this file: no trained model was available)' : ''}`);
    // Summaries of runs made before drift and feedback existed have neither.
    const { feedback, drift } = summary as Partial<typeof summary>;
    if (feedback && (feedback.files.length || feedback.errors.length)) {
      out.say(
        `feedback: ${feedback.files.length} file(s) applied, ${feedback.falsePositivesSuppressed} known false positive(s) left out of the alert, ${feedback.confirmed} confirmed` +
          (feedback.errors.length ? `; ${feedback.errors.length} file(s) could not be read: ${feedback.errors.map((e) => e.message).join('; ')}` : ''),
      );
    }
    for (const warning of drift?.warnings ?? []) out.say(`drift: ${warning}`);
  }
  out.say(`outputs in ${result.outDir}: ${result.files.map((f) => f.slice(f.lastIndexOf('/') + 1)).join(', ')}`);
  out.result({ outcome, outDir: result.outDir, files: result.files, summary });
  return result;
}
