import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry } from '../../bin/cli-bundle.js';
import { tempDir } from '../support/fixtures.js';

/**
 * The built CLI (scripts/build-cli.mjs, run by `npm ci` through `prepare`): bin/trade-anomaly.js runs it
 * only while it is newer than every source, and it scores on its own bundled worker threads with the
 * same result as the sources through tsx.
 */
const exec = promisify(execFile);

describe('which CLI bin/trade-anomaly.js runs', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir('cli-entry');
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  /** A project tree whose one source changed at `sourceAt` and whose build (if any) started at `builtFrom`. */
  async function project(name: string, sourceAt: number, builtFrom?: number): Promise<string> {
    const root = path.join(tmp.dir, name);
    const source = path.join(root, 'src', 'cli', 'main.ts');
    await mkdir(path.dirname(source), { recursive: true });
    await writeFile(source, 'export {};\n');
    // Folders count too (a deleted source changes its folder's time).
    for (const changed of [source, path.dirname(source), path.join(root, 'src')]) await utimes(changed, sourceAt / 1000, sourceAt / 1000);
    if (builtFrom !== undefined) {
      await mkdir(path.join(root, 'dist'), { recursive: true });
      await writeFile(path.join(root, 'dist', 'build-stamp.json'), JSON.stringify({ builtFrom }));
    }
    return root;
  }

  it('runs the build when it started after the last change to the sources', async () => {
    const root = await project('fresh', 1_700_000_000_000, 1_700_000_005_000);
    expect(cliEntry(root, {})).toEqual({ module: path.join(root, 'dist', 'cli.mjs'), bundled: true });
  });

  it('runs the sources when one changed after the build started, when there is no complete build, or when asked to', async () => {
    const stale = await project('stale', 1_700_000_005_000, 1_700_000_000_000);
    const unbuilt = await project('unbuilt', 1_700_000_000_000);
    const fresh = await project('forced', 1_700_000_000_000, 1_700_000_005_000);
    const source = (root: string) => ({ module: path.join(root, 'src', 'cli', 'main.ts'), bundled: false });
    expect(cliEntry(stale, {})).toEqual(source(stale));
    expect(cliEntry(unbuilt, {})).toEqual(source(unbuilt));
    expect(cliEntry(fresh, { TRADE_ANOMALY_FROM_SOURCE: '1' })).toEqual(source(fresh));
  });

  it('does not trust a build whose stamp is unreadable', async () => {
    const root = await project('torn', 1_700_000_000_000, 1_700_000_005_000);
    await writeFile(path.join(root, 'dist', 'build-stamp.json'), '{"builtFr');
    expect(cliEntry(root, {}).bundled).toBe(false);
  });
});

describe('the built CLI', () => {
  // Inside the project, so the bundle's package imports resolve to its node_modules (out/ is ignored).
  const build = path.resolve('out', `cli-build-test-${process.pid}`);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir('cli-bundle');
    await exec('node', ['scripts/build-cli.mjs', build]);
  });
  afterAll(async () => {
    await tmp?.cleanup();
    await rm(build, { recursive: true, force: true });
  });

  it('writes the CLI, its worker and the stamp last', async () => {
    const stamp = JSON.parse(await readFile(path.join(build, 'build-stamp.json'), 'utf8')) as { builtFrom: number };
    expect(stamp.builtFrom).toBeGreaterThan(0);
    const cli = await readFile(path.join(build, 'cli.mjs'), 'utf8');
    // The pool's threads run the bundled worker, not the tsx entry beside the sources.
    expect(cli).toContain('"./score-worker.mjs"');
    expect(await readFile(path.join(build, 'score-worker.mjs'), 'utf8')).toContain('parentPort');
  });

  it('runs a day on its bundled score workers to the same result as the sources', async () => {
    const day = path.join(tmp.dir, 'day.csv');
    const env = { ...process.env, CI: 'true', TRADE_ANOMALY_FROM_SOURCE: '1' };
    await exec('node', ['bin/trade-anomaly.js', 'generate', '--rows', '4000', '--seed', '3', '--out', day], { env });
    const args = (name: string) => ['run', day, '--chunk-rows', '1500', '--state-dir', path.join(tmp.dir, `${name}-state`), '--out', path.join(tmp.dir, `${name}-out`), '--json'];

    const fromSource = await exec('node', ['bin/trade-anomaly.js', ...args('source')], { env });
    const script = `const { main } = await import(${JSON.stringify(pathToFileURL(path.join(build, 'cli.mjs')).href)}); process.exitCode = await main(${JSON.stringify(args('bundle'))});`;
    // A file, not `node -e`: worker threads inherit the process's exec arguments.
    const runner = path.join(tmp.dir, 'run-bundle.mjs');
    await writeFile(runner, script);
    const bundled = await exec('node', [runner], { env: { ...process.env, CI: 'true' } });

    type Ran = { outcome: { status: string; chunks: number }; summary: { rows: number; anomalies: number; byReason: Record<string, number> } };
    const a = JSON.parse(fromSource.stdout) as Ran;
    const b = JSON.parse(bundled.stdout) as Ran;
    expect(b.outcome).toMatchObject({ status: 'started', chunks: 3 });
    expect(b.summary.rows).toBe(4000);
    expect({ anomalies: b.summary.anomalies, byReason: b.summary.byReason }).toEqual({ anomalies: a.summary.anomalies, byReason: a.summary.byReason });
    const parquet = (name: string) => readFile(path.join(tmp.dir, `${name}-out`, 'day.parquet'));
    expect(Buffer.compare(await parquet('bundle'), await parquet('source'))).toBe(0);
  });
});
