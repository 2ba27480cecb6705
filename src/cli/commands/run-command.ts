import { runLocal, type LocalRunResult } from '../../local/local-run.js';
import { CliError, EXIT, type CliOutput } from '../cli-output.js';
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

export async function runCommand(args: RunArgs, out: CliOutput): Promise<LocalRunResult> {
  const schema = await loadSchemaOption(args.schema);
  await ensureReadable(args.file);
  for (const f of args.feedback ?? []) await ensureReadable(f);
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
    onProgress: (e) => {
      if (e.step === 'model') {
        out.endProgress();
        out.say(e.detail);
      } else if (e.step === 'feedback') {
        out.endProgress();
        out.say(`feedback file uploaded to ${e.key}`);
      } else if (e.step === 'upload') out.progress(`uploaded ${(e.bytes / 1e6).toFixed(1)} MB to the embedded S3`);
      else if (e.step === 'ingest') out.progress(`ingest: ${e.outcome.status}`);
      else if (e.step === 'score') out.progress(`scored chunk ${e.done}/${e.total}`);
    },
  });
  out.endProgress();
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
