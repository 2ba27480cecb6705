/**
 * The detection bars on every generator scenario (src/evaluate/detection-bars.ts): prints the
 * Markdown report to stdout (progress to stderr) and writes the full results, with the sampled false
 * alarms, to bench/results/detection-bars-latest.json and a timestamped copy beside it, so a run
 * before a detector change and one after can be compared (bench/results/ is git-ignored).
 *
 *   node --import tsx bench/detection-bars.ts [--rows N] [--default-rows N] [--history D]
 *       [--seed S] [--scenario a,b,...] [--samples N] [--strict]
 *
 * Defaults: 30,000 rows a day for every scenario but the default one, which runs at a production
 * day's 150,000 (--rows alone sets both); 3 history days; 10 sampled false alarms per scenario.
 * --strict exits 1 when a bar is missed (otherwise a missed bar is a finding, not a failure).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatBarsReport } from '../src/evaluate/detection-bars-table.js';
import { runDetectionBars } from '../src/evaluate/detection-bars.js';
import { DETECTION_SCENARIOS, pickScenarios, SCENARIO_SEED } from '../src/evaluate/scenarios.js';

const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
const DEFAULT_ROWS = 30_000;
const DEFAULT_SCENARIO_ROWS = 150_000;
const DEFAULT_HISTORY_DAYS = 3;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number, got '${value}'`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      'default-rows': { type: 'string' },
      history: { type: 'string' },
      seed: { type: 'string' },
      scenario: { type: 'string' },
      samples: { type: 'string' },
      strict: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const rows = positiveInt('rows', values.rows, DEFAULT_ROWS);
  const defaultRows = positiveInt('default-rows', values['default-rows'], values.rows !== undefined ? rows : DEFAULT_SCENARIO_ROWS);
  const historyDays = positiveInt('history', values.history, DEFAULT_HISTORY_DAYS);
  const seed = positiveInt('seed', values.seed, SCENARIO_SEED);
  const samples = positiveInt('samples', values.samples, 10);
  const scenarios = values.scenario ? pickScenarios(values.scenario.split(',').map((s) => s.trim())) : DETECTION_SCENARIOS;

  const started = performance.now();
  const results = await runDetectionBars({
    rows,
    rowsByScenario: { default: defaultRows },
    historyDays,
    seed,
    samples,
    scenarios,
    onScenario: (s, n) => process.stderr.write(`[detection-bars] ${s.name}: ${n.toLocaleString('en-US')} rows a day, ${historyDays} history day(s)\n`),
  });
  const durationMs = Math.round(performance.now() - started);

  const report = formatBarsReport(results);
  process.stdout.write(`${report}\n`);
  const document = {
    createdAt: new Date().toISOString(),
    host: { cpus: os.cpus().length, node: process.version },
    options: { rows, defaultRows, historyDays, seed, samples, scenarios: scenarios.map((s) => s.name) },
    durationMs,
    results,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = JSON.stringify(document, null, 2);
  const stamp = document.createdAt.replace(/[:.]/g, '-');
  writeFileSync(path.join(RESULTS_DIR, 'detection-bars-latest.json'), json);
  writeFileSync(path.join(RESULTS_DIR, `detection-bars-${stamp}.json`), json);
  writeFileSync(path.join(RESULTS_DIR, 'detection-bars-latest.md'), `${report}\n`);
  process.stderr.write(`[detection-bars] ${(durationMs / 1000).toFixed(1)} s; results in ${path.relative(process.cwd(), RESULTS_DIR)}/detection-bars-latest.json\n`);
  const missed = results.reduce((n, r) => n + r.failures.length, 0);
  return values.strict && missed > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`[detection-bars] ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
