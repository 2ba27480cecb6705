import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import {
  DEFAULT_ANOMALY_RATE,
  PRICE_SCALE_RANGE,
  previousTradingDays,
  VOLUME_SCALE_RANGE,
  writeTradingDay,
  type ActivityProfile,
  type GenerateOptions,
  type GenerateReport,
  type PriceLevels,
} from '../../generate/trading-day.js';
import { CliError, EXIT, type CliOutput } from '../cli-output.js';

export interface GenerateArgs {
  rows: number;
  seed: number;
  out: string;
  labels?: string;
  day: string;
  anomalyRate?: number;
  history?: number;
  symbols?: number;
  priceLevels?: PriceLevels;
  priceScale?: number;
  volumeScale?: number;
  activity?: ActivityProfile;
  session?: string;
}

export const DEFAULT_DAY = '2026-12-01';

/** The file names of history days, beside the day's files and named by date: day.csv -> day.history-2026-11-30.csv, day.labels.csv -> day.labels.history-2026-11-30.csv (so a glob day.history-*.csv takes no label file). */
export function historyPaths(out: string, labels: string | undefined, day: string): { csv: string; labels?: string } {
  const beside = (file: string) => path.join(path.dirname(file), `${path.basename(file).replace(/\.csv$/i, '')}.history-${day}.csv`);
  return { csv: beside(out), labels: labels ? beside(labels) : undefined };
}

/** The generator's option names as the command line spells them, for its error messages. */
const FLAG_OF: Readonly<Record<string, string>> = { symbols: '--symbols', session: '--session', activity: '--activity', priceLevels: '--price-levels' };

/** Checks a scale flag, naming it (the generator would name its option, not the flag). */
function checkScale(flag: string, value: number | undefined, [min, max]: readonly [number, number]): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new CliError(`${flag} must be a number from ${min} to ${max}, got '${value}'`, EXIT.USAGE);
  }
}

export async function generateCommand(args: GenerateArgs, out: CliOutput): Promise<GenerateReport[]> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(args.day) || Number.isNaN(Date.parse(`${args.day}T00:00:00Z`))) {
    throw new CliError(`--day must be a date YYYY-MM-DD, got '${args.day}'`, EXIT.USAGE);
  }
  checkScale('--price-scale', args.priceScale, PRICE_SCALE_RANGE);
  checkScale('--volume-scale', args.volumeScale, VOLUME_SCALE_RANGE);
  await mkdir(path.dirname(path.resolve(args.out)), { recursive: true });
  if (args.labels) await mkdir(path.dirname(path.resolve(args.labels)), { recursive: true });
  const reports: GenerateReport[] = [];
  // History days share the market's shape with the day, so a model trained on them fits it.
  const options = (day: string): GenerateOptions => ({
    rows: args.rows,
    seed: args.seed,
    day,
    anomalyRate: args.anomalyRate ?? DEFAULT_ANOMALY_RATE,
    symbols: args.symbols,
    priceLevels: args.priceLevels,
    priceScale: args.priceScale,
    volumeScale: args.volumeScale,
    activity: args.activity,
    session: args.session,
  });
  const days = previousTradingDays(args.day, args.history ?? 0);
  try {
    const all = [...days.map((day) => ({ day, ...historyPaths(args.out, args.labels, day) })), { day: args.day, csv: args.out, labels: args.labels }];
    for (const [i, d] of all.entries()) {
      const task = out.task(`generating ${d.day}${all.length > 1 ? ` (${i + 1}/${all.length})` : ''}`, { unit: 'rows', total: args.rows });
      reports.push(await writeTradingDay(options(d.day), d.csv, d.labels, (rows) => task.update(rows)));
      task.finish();
    }
  } catch (e: unknown) {
    // The generator checks its options before writing anything: a RangeError is a usage error.
    if (e instanceof RangeError) throw new CliError(e.message.replace(/^(symbols|session|activity|priceLevels)\b/, (name) => FLAG_OF[name] ?? name), EXIT.USAGE);
    throw e;
  }
  out.endProgress();
  for (const r of reports) {
    out.say(`wrote ${r.path}: ${r.rows} rows, ${r.anomalies} injected anomalies${r.labelsPath ? ` (labels: ${r.labelsPath})` : ''}`);
  }
  out.result(reports);
  return reports;
}
