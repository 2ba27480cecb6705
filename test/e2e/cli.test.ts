import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/fixtures.js';

/** The command line as a user or a script meets it: the real entry file, exit codes, one-line errors. */
const run = promisify(execFile);
const CLI = path.resolve('bin/trade-anomaly.js');

async function cli(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [CLI, ...args], { cwd, env: { ...process.env, CI: 'true' } });
    return { code: 0, stdout, stderr };
  } catch (e: unknown) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('trade-anomaly CLI', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir('cli');
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it.each(['generate', 'train', 'run', 'evaluate', 'tune', 'explore', 'models', 'demo'])('explains `%s` with an example', async (command) => {
    const { code, stdout } = await cli([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Examples?:/);
    expect(stdout).toContain(`trade-anomaly ${command}`);
  });

  it('answers a bad option value with one line and exit code 2', async () => {
    const { code, stderr } = await cli(['generate', '--rows', 'many', '--out', path.join(tmp.dir, 'x.csv')]);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual(["trade-anomaly: --rows must be a positive whole number, got 'many'"]);
  });

  it('names a missing input file, exit code 2', async () => {
    const { code, stderr } = await cli(['run', path.join(tmp.dir, 'nope.csv')]);
    expect(code).toBe(2);
    expect(stderr).toContain('nope.csv: no such file');
  });

  it('generates the same files for the same seed, and prints JSON with --json', async () => {
    const a = path.join(tmp.dir, 'a.csv');
    const b = path.join(tmp.dir, 'b.csv');
    const first = await cli(['generate', '--rows', '2000', '--seed', '9', '--out', a, '--json']);
    await cli(['generate', '--rows', '2000', '--seed', '9', '--out', b]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)[0]).toMatchObject({ path: a, rows: 2000 });
    expect(await readFile(a)).toEqual(await readFile(b));
  });

  it('prints one JSON document with the expected fields for train, run and explore with --json, and no progress in CI', async () => {
    const day = path.join(tmp.dir, 'json-day.csv');
    const modelDir = path.join(tmp.dir, 'json-model');
    await cli(['generate', '--rows', '3000', '--seed', '5', '--out', day]);

    const train = await cli(['train', day, '--out', modelDir, '--json']);
    const runResult = await cli(['run', day, '--model', modelDir, '--state-dir', path.join(tmp.dir, 'json-state'), '--out', path.join(tmp.dir, 'json-out'), '--json']);
    const explore = await cli(['explore', day, '--out', path.join(tmp.dir, 'json-explore'), '--json']);

    expect([train.code, runResult.code, explore.code]).toEqual([0, 0, 0]);
    expect(JSON.parse(train.stdout)).toMatchObject({ version: expect.any(String), threshold: expect.any(Number), training: { rows: expect.any(Number) }, savedTo: expect.stringContaining('json-model') });
    const ran = JSON.parse(runResult.stdout) as { outcome: { status: string }; files: string[]; summary: { rows: number; anomalies: number; modelVersion: string } };
    expect(ran.outcome.status).toBe('started');
    expect(ran.summary).toMatchObject({ rows: 3000, modelVersion: JSON.parse(train.stdout).version });
    expect(ran.files.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['json-day.parquet', 'summary.json', 'alert.json']));
    expect(JSON.parse(explore.stdout)).toMatchObject({ facts: { rows: 3000 }, summaryPath: expect.stringContaining('summary.json') });
    // CI is set for these runs: no progress on stderr.
    expect(train.stderr + runResult.stderr + explore.stderr).not.toContain('\r');
  });

  it('exits 3 on a rejected file and says which columns are missing', async () => {
    const bad = path.join(tmp.dir, 'bad.csv');
    await writeFile(bad, 'id,when,what\n1,2,3\n');
    const { code, stderr } = await cli(['run', bad, '--state-dir', path.join(tmp.dir, 'state'), '--out', path.join(tmp.dir, 'out')]);
    expect(code).toBe(3);
    expect(stderr).toContain('header is missing required columns trade_id, timestamp, symbol, side, quantity, price');
    const report = JSON.parse(await readFile(path.join(tmp.dir, 'out', 'rejection.json'), 'utf8')) as { missingColumns: string[] };
    expect(report.missingColumns).toContain('price');
  });

  it('cross-validates detectors on a generic numeric CSV with a label column, as a table and as JSON', async () => {
    const file = path.join(tmp.dir, 'numeric.csv');
    const lines = ['a,b,y'];
    for (let i = 0; i < 300; i++) lines.push(`${Math.sin(i)},${Math.cos(i * 1.3)},0`);
    for (let i = 0; i < 9; i++) lines.push(`${8 + i},${-9 - i},1`);
    await writeFile(file, lines.join('\n') + '\n');

    const text = await cli(['evaluate', file, '--folds', '3', '--detectors', 'isolation-forest,robust-z']);
    const json = await cli(['evaluate', file, '--folds', '3', '--detectors', 'isolation-forest', '--json']);

    expect(text.code).toBe(0);
    expect(text.stdout).toContain('reading it as a numeric CSV');
    expect(text.stdout).toMatch(/isolation-forest\s+1\.0000 ± 0\.0000/);
    const report = JSON.parse(json.stdout) as { kind: string; crossValidation: { detectors: { name: string; mean: { rocAuc: number } }[] } };
    expect(report.kind).toBe('numeric');
    expect(report.crossValidation.detectors[0].mean.rocAuc).toBeGreaterThan(0.99);
  });

  it('tunes a model on a labelled trade file and records the search in the model', async () => {
    const day = path.join(tmp.dir, 'tune-day.csv');
    const labels = path.join(tmp.dir, 'tune-day.labels.csv');
    const modelDir = path.join(tmp.dir, 'tuned');
    await cli(['generate', '--rows', '4000', '--seed', '3', '--anomaly-rate', '0.01', '--out', day, '--labels', labels]);

    const { code, stdout } = await cli(['tune', day, '--labels', labels, '--out', modelDir, '--folds', '2']);

    expect(code).toBe(0);
    expect(stdout).toMatch(/chosen: +PR-AUC [01]\.\d{4}/);
    const model = JSON.parse(await readFile(path.join(modelDir, 'model.json'), 'utf8')) as { tuning: { folds: number; chosen: { features: string[] } }; metrics: { crossValidation: { mean: { averagePrecision: number } } } };
    expect(model.tuning.folds).toBe(2);
    expect(model.tuning.chosen.features.length).toBeGreaterThan(0);
    expect(model.metrics.crossValidation.mean.averagePrecision).toBeGreaterThan(0.8);
  }, 120_000);

  it('refuses evaluate without labels, naming both ways to give them', async () => {
    const day = path.join(tmp.dir, 'nolabels.csv');
    await cli(['generate', '--rows', '200', '--seed', '3', '--out', day]);

    const { code, stderr } = await cli(['evaluate', day]);

    expect(code).toBe(2);
    expect(stderr.trim()).toBe('trade-anomaly: evaluate needs labels (hint: pass --labels FILE (source_row,anomaly_type) or --label-column NAME)');
  });

  it('trains a model on the features named with --features, and refuses an unknown one', async () => {
    const day = path.join(tmp.dir, 'features-day.csv');
    const modelDir = path.join(tmp.dir, 'features-model');
    await cli(['generate', '--rows', '2000', '--seed', '4', '--out', day]);

    const ok = await cli(['train', day, '--out', modelDir, '--features', 'price_deviation,symbol_burst,venue_rarity']);
    const bad = await cli(['train', day, '--out', modelDir, '--features', 'price_deviation,moon_phase']);

    expect(ok.code).toBe(0);
    const model = JSON.parse(await readFile(path.join(modelDir, 'model.json'), 'utf8')) as { features: string[]; extremeFeatures: string[] };
    expect(model.features).toEqual(['price_deviation', 'symbol_burst', 'venue_rarity']);
    expect(model.extremeFeatures).toEqual(['price_deviation']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--features: unknown moon_phase');
  });
});
