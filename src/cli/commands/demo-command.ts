import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { detectionMetrics } from '../../evaluate/detection-metrics.js';
import { readLabels } from '../../evaluate/labels.js';
import { parquetToTable } from '../../result/parquet-result.js';
import { EXIT, CliError, type CliOutput } from '../cli-output.js';
import { predictionsFrom, printMetrics } from './evaluate-command.js';
import { DEFAULT_DAY, generateCommand, historyPaths } from './generate-command.js';
import { runCommand } from './run-command.js';
import { trainCommand } from './train-command.js';

export interface DemoArgs {
  rows: number;
  history: number;
  seed: number;
  dir: string;
}

/**
 * `npm run demo`: a synthetic history and day, a model trained on the history, the whole local
 * pipeline on the day, and the result's detection quality against the injected labels.
 */
export async function demoCommand(args: DemoArgs, out: CliOutput): Promise<void> {
  const day = DEFAULT_DAY;
  const dayFile = path.join(args.dir, 'trades.csv');
  const labelsFile = path.join(args.dir, 'trades.labels.csv');
  const modelDir = path.join(args.dir, 'model');
  const stateDir = path.join(args.dir, 'embedded-s3');
  const outDir = path.join(args.dir, 'out');
  // A fresh embedded bucket each time, so the demo always runs the pipeline rather than finding its last result.
  await rm(stateDir, { recursive: true, force: true });
  await rm(outDir, { recursive: true, force: true });
  // The steps print their summaries and progress, but not their JSON: `demo --json` prints one document.
  const step = out.step();

  out.say(`1. generating ${args.history} history day(s) and the day ${day}, ${args.rows} trades each`);
  await generateCommand({ rows: args.rows, seed: args.seed, out: dayFile, labels: labelsFile, day, history: args.history }, step);
  out.say('\n2. training the isolation forest on the history');
  const history = (await import('../../generate/trading-day.js')).previousTradingDays(day, args.history).map((d) => historyPaths(dayFile, labelsFile, d).csv);
  await trainCommand({ files: history, out: modelDir }, step);
  out.say('\n3. running the pipeline on the day (embedded S3, ingest -> score on worker threads -> aggregate)');
  const result = await runCommand({ file: dayFile, model: modelDir, out: outDir, stateDir }, step);
  const parquetFile = result.files.find((f) => f.endsWith('.parquet'));
  if (!parquetFile) throw new CliError('the run produced no Parquet result', EXIT.FAILED);

  out.say('\n4. detection quality of the result against the injected labels');
  const table = parquetToTable(new Uint8Array(await readFile(parquetFile)));
  const labels = await readLabels(labelsFile);
  const rows = Array.from({ length: table.numRows }, (_, i) => ({
    sourceRow: table.getChild('source_row')!.get(i) as number,
    score: table.getChild('score')!.get(i) as number | null,
    isAnomaly: Boolean(table.getChild('is_anomaly')!.get(i)),
    qualityIssues: Array.from((table.getChild('quality_issues')!.get(i) as { toArray(): string[] }).toArray()),
  }));
  const metrics = detectionMetrics(predictionsFrom(rows, labels));
  printMetrics(metrics, out);
  out.result({ summary: result.summary, metrics });
}
