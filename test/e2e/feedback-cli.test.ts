import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabels } from '../../src/evaluate/labels.js';
import type { TrainingRecord } from '../../src/model/anomaly-model.js';
import type { RunSummary } from '../../src/steps/run-summary.js';
import { generateDays, tempDir, type GeneratedDays } from '../support/fixtures.js';
import { readParquetRows } from '../support/parquet-reader.js';

/** `run --feedback` and `train --feedback` through the real entry file, as an analyst uses them. */
const exec = promisify(execFile);
const CLI = path.resolve('bin/trade-anomaly.js');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('node', [CLI, ...args], { env: { ...process.env, CI: 'true' }, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e: unknown) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('feedback on the command line', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let days: GeneratedDays;
  let labels: Map<number, string>;
  let history: string;

  beforeAll(async () => {
    tmp = await tempDir('feedback-cli');
    days = await generateDays(tmp.dir, { rows: 8000, seed: 21, day: '2026-12-01', historyDays: 1 });
    labels = await readLabels(days.day.labelsPath);
    history = days.history[0].path;
  });

  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('run --feedback puts the files under feedback/ and leaves known false positives out of the alert; a bad file is reported, the run succeeds', async () => {
    const spikes = [...labels].filter(([, type]) => type === 'quantity_spike').map(([row]) => row);
    expect(spikes.length).toBeGreaterThan(0);
    const feedback = path.join(tmp.dir, 'analyst-2026-12-01.csv');
    await writeFile(feedback, ['source_row,file,verdict,note', ...spikes.map((row) => `${row},trades.csv,false_positive,known block trade`)].join('\n'));
    const broken = path.join(tmp.dir, 'broken.csv');
    await writeFile(broken, 'trade_id,verdict\nT-1,maybe\n');
    const out = path.join(tmp.dir, 'out');
    const modelDir = path.join(tmp.dir, 'model');
    expect((await cli(['train', history, '--out', modelDir])).code).toBe(0);

    const { code, stdout } = await cli(['run', days.day.path, '--model', modelDir, '--out', out, '--state-dir', path.join(tmp.dir, 'state'), '--feedback', feedback, broken]);

    expect(code).toBe(0);
    expect(stdout).toContain('feedback file uploaded to feedback/analyst-2026-12-01.csv');
    expect(stdout).toMatch(/feedback: 1 file\(s\) applied, \d+ known false positive\(s\) left out of the alert, 0 confirmed; 1 file\(s\) could not be read: feedback\/broken\.csv: line 2/);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as RunSummary;
    const rows = await readParquetRows(path.join(out, 'trades.parquet'));
    const flaggedSpikes = spikes.filter((row) => rows[row - 1].is_anomaly);
    expect(flaggedSpikes.length).toBeGreaterThan(0);
    expect(summary.feedback).toMatchObject({ files: ['feedback/analyst-2026-12-01.csv'], falsePositivesSuppressed: flaggedSpikes.length, confirmed: 0 });
    expect(summary.feedback.errors.map((e) => e.file)).toEqual(['feedback/broken.csv']);
    expect(summary.topAnomalies.map((a) => a.sourceRow).filter((row) => spikes.includes(row))).toEqual([]);
    // Still flagged in the result, which the feedback never changes.
    expect(summary.anomalies).toBe(rows.filter((r) => r.is_anomaly).length);
    const alert = JSON.parse(await readFile(path.join(out, 'alert.json'), 'utf8')) as { subject: string; message: string };
    expect(alert.subject).toContain(`(+${flaggedSpikes.length} known false positive`);
    expect(alert.message).toContain('could not read feedback/broken.csv');
  });

  it('train --feedback leaves out the trades analysts confirmed, and the model records how many', async () => {
    // Clean trades of the history day (seeded: the same rows every time), as if analysts had confirmed them.
    const confirmed = [3, 4, 5, 6, 7];
    const feedback = path.join(tmp.dir, 'confirmed.csv');
    await writeFile(
      feedback,
      ['source_row,file,verdict', ...confirmed.map((row) => `${row},${path.basename(history)},confirmed`), `8,${path.basename(history)},false_positive`, '9,another-day.csv,confirmed'].join('\n'),
    );

    const without = await cli(['train', history, '--out', path.join(tmp.dir, 'm1'), '--json']);
    const withFeedback = await cli(['train', history, '--feedback', feedback, '--out', path.join(tmp.dir, 'm2'), '--json']);

    expect(without.code).toBe(0);
    expect(withFeedback.code).toBe(0);
    const before = (JSON.parse(without.stdout) as { training: TrainingRecord }).training;
    const after = (JSON.parse(withFeedback.stdout) as { training: TrainingRecord }).training;
    expect(after.excludedByFeedback).toBe(confirmed.length);
    expect(before.excludedByFeedback ?? 0).toBe(0);
    expect(after.rows).toBe(before.rows - confirmed.length);
    const saved = JSON.parse(await readFile(path.join(tmp.dir, 'm2', 'model.json'), 'utf8')) as { training: TrainingRecord };
    expect(saved.training.excludedByFeedback).toBe(confirmed.length);
  });

  it('train --feedback refuses a bad feedback file with one line naming file, line and field, exit code 2', async () => {
    const bad = path.join(tmp.dir, 'bad-feedback.csv');
    await writeFile(bad, 'source_row,verdict\n4,confirmed\n');

    const { code, stderr } = await cli(['train', history, '--feedback', bad, '--out', path.join(tmp.dir, 'm3')]);

    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('bad-feedback.csv: line 2, field file: a source_row without a trade_id needs the trade file it refers to');
  });
});
