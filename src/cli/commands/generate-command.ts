import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { DEFAULT_ANOMALY_RATE, previousTradingDays, writeTradingDay, type GenerateReport } from '../../generate/trading-day.js';
import { CliError, EXIT, type CliOutput } from '../cli-output.js';

export interface GenerateArgs {
  rows: number;
  seed: number;
  out: string;
  labels?: string;
  day: string;
  anomalyRate?: number;
  history?: number;
}

export const DEFAULT_DAY = '2026-12-01';

/** The file names of history days, beside the day's files and named by date: day.csv -> day.history-2026-11-30.csv, day.labels.csv -> day.labels.history-2026-11-30.csv (so a glob day.history-*.csv takes no label file). */
export function historyPaths(out: string, labels: string | undefined, day: string): { csv: string; labels?: string } {
  const beside = (file: string) => path.join(path.dirname(file), `${path.basename(file).replace(/\.csv$/i, '')}.history-${day}.csv`);
  return { csv: beside(out), labels: labels ? beside(labels) : undefined };
}

export async function generateCommand(args: GenerateArgs, out: CliOutput): Promise<GenerateReport[]> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(args.day) || Number.isNaN(Date.parse(`${args.day}T00:00:00Z`))) {
    throw new CliError(`--day must be a date YYYY-MM-DD, got '${args.day}'`, EXIT.USAGE);
  }
  await mkdir(path.dirname(path.resolve(args.out)), { recursive: true });
  if (args.labels) await mkdir(path.dirname(path.resolve(args.labels)), { recursive: true });
  const reports: GenerateReport[] = [];
  const anomalyRate = args.anomalyRate ?? DEFAULT_ANOMALY_RATE;
  const days = previousTradingDays(args.day, args.history ?? 0);
  for (const [i, day] of days.entries()) {
    out.progress(`history day ${i + 1}/${days.length} (${day})`);
    const p = historyPaths(args.out, args.labels, day);
    reports.push(await writeTradingDay({ rows: args.rows, seed: args.seed, day, anomalyRate }, p.csv, p.labels));
  }
  out.progress(`day ${args.day}`);
  reports.push(await writeTradingDay({ rows: args.rows, seed: args.seed, day: args.day, anomalyRate }, args.out, args.labels));
  out.endProgress();
  for (const r of reports) {
    out.say(`wrote ${r.path}: ${r.rows} rows, ${r.anomalies} injected anomalies${r.labelsPath ? ` (labels: ${r.labelsPath})` : ''}`);
  }
  out.result(reports);
  return reports;
}
