/**
 * The screenshot of the daily report in docs/alerts-and-report.md: runs the demo (a generated history,
 * a model trained on it, the pipeline on the day) into a temporary folder, then has headless Chromium
 * render the run's report.html to docs/images/daily-report.png.
 *
 *   node --import tsx bench/report-screenshot.ts [--rows N] [--out FILE]
 *
 * Needs Chromium (/usr/bin/chromium, or CHROMIUM_PATH). Not part of the tests.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { CliOutput } from '../src/cli/cli-output.js';
import { demoCommand } from '../src/cli/commands/demo-command.js';

const run = promisify(execFile);

const { values } = parseArgs({ options: { rows: { type: 'string', default: '150000' }, out: { type: 'string', default: 'docs/images/daily-report.png' } } });
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dir = await mkdtemp(path.join(os.tmpdir(), 'trade-anomaly-report-shot-'));
try {
  await demoCommand({ rows: Number(values.rows), history: 3, seed: 7, dir }, new CliOutput(false));
  const report = path.join(dir, 'out', 'report.html');
  const profile = path.join(dir, 'chromium-profile');
  // The first screen and a half: the day, the score distribution and where the anomalies are.
  await run(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`,
    `--screenshot=${path.resolve(values.out)}`, '--window-size=1200,1700', pathToFileURL(report).href,
  ]);
  console.log(`${values.out}: ${(await stat(values.out)).size} bytes`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
