import { mkdtemp, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeTradingDay, previousTradingDays, type GenerateReport } from '../../src/generate/trading-day.js';
import type { AnomalyModel } from '../../src/model/anomaly-model.js';
import { trainFromSources } from '../../src/model/train-model.js';

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `trade-anomaly-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface GeneratedDays {
  day: GenerateReport & { labelsPath: string };
  history: GenerateReport[];
}

/** A generated day with labels and `historyDays` earlier days, all in `dir`. */
export async function generateDays(dir: string, options: { rows: number; seed: number; day: string; historyDays: number }): Promise<GeneratedDays> {
  const history: GenerateReport[] = [];
  for (const d of previousTradingDays(options.day, options.historyDays)) {
    history.push(await writeTradingDay({ rows: options.rows, seed: options.seed, day: d, anomalyRate: 0.002 }, path.join(dir, `history-${d}.csv`)));
  }
  const day = await writeTradingDay(
    { rows: options.rows, seed: options.seed, day: options.day, anomalyRate: 0.002 },
    path.join(dir, 'trades.csv'),
    path.join(dir, 'trades.labels.csv'),
  );
  return { day: day as GeneratedDays['day'], history };
}

export function trainOn(files: string[]): Promise<AnomalyModel> {
  return trainFromSources(files.map((f) => ({ name: f, open: () => createReadStream(f) })));
}
