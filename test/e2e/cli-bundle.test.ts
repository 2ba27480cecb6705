import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry, sourceFingerprint } from '../../bin/cli-bundle.js';
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

  /** A project tree with two sources and a lock file, built (stamped) as it is now unless `built` is false. */
  async function project(name: string, built = true): Promise<string> {
    const root = path.join(tmp.dir, name);
    await mkdir(path.join(root, 'src', 'cli'), { recursive: true });
    await writeFile(path.join(root, 'src', 'cli', 'main.ts'), 'export {};\n');
    await writeFile(path.join(root, 'src', 'steps.ts'), 'export const steps = 3;\n');
    await writeFile(path.join(root, 'package-lock.json'), '{}\n');
    if (built) {
      await mkdir(path.join(root, 'dist'), { recursive: true });
      await writeFile(path.join(root, 'dist', 'build-stamp.json'), JSON.stringify({ sources: sourceFingerprint(root) }));
    }
    return root;
  }
  const bundle = (root: string) => ({ module: path.join(root, 'dist', 'cli.mjs'), bundled: true });
  const source = (root: string) => ({ module: path.join(root, 'src', 'cli', 'main.ts'), bundled: false });

  it('runs the build while the sources and the lock file are as they were built', async () => {
    const root = await project('fresh');
    expect(cliEntry(root, {})).toEqual(bundle(root));
  });

  it.each([
    ['a source edited', (root: string) => writeFile(path.join(root, 'src', 'steps.ts'), 'export const steps = 4;\n')],
    ['a source touched (a checkout, a copy)', (root: string) => utimes(path.join(root, 'src', 'steps.ts'), new Date(), new Date(Date.now() + 5000))],
    ['a source added', (root: string) => writeFile(path.join(root, 'src', 'cli', 'more.ts'), '')],
    ['a source deleted', (root: string) => rm(path.join(root, 'src', 'steps.ts'))],
    ['the packages changed (lock file)', (root: string) => writeFile(path.join(root, 'package-lock.json'), '{"lockfileVersion":3}\n')],
  ])('runs the sources after %s', async (what, change) => {
    const root = await project(`changed-${what.replace(/\W+/g, '-')}`);
    await change(root);
    expect(cliEntry(root, {})).toEqual(source(root));
  });

  it('runs the sources when there is no complete build, when the stamp is torn, or when asked to', async () => {
    const unbuilt = await project('unbuilt', false);
    const torn = await project('torn');
    await writeFile(path.join(torn, 'dist', 'build-stamp.json'), '{"sourc');
    const forced = await project('forced');
    expect(cliEntry(unbuilt, {})).toEqual(source(unbuilt));
    expect(cliEntry(torn, {})).toEqual(source(torn));
    expect(cliEntry(forced, { TRADE_ANOMALY_FROM_SOURCE: '1' })).toEqual(source(forced));
  });

  it("is not stopped by an editor's dangling lock link among the sources", async () => {
    const root = await project('dangling');
    await symlink(path.join(root, 'nowhere'), path.join(root, 'src', '.#steps.ts'));
    expect(() => sourceFingerprint(root)).not.toThrow();
    // The link is a new entry: the build no longer matches, and the sources run.
    expect(cliEntry(root, {})).toEqual(source(root));
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

  /** Runs the built CLI's main() with these arguments in a fresh Node process. */
  async function runBundled(args: string[]): Promise<{ stdout: string; stderr: string }> {
    const script = `const { main } = await import(${JSON.stringify(pathToFileURL(path.join(build, 'cli.mjs')).href)}); process.exitCode = await main(${JSON.stringify(args)});`;
    // A file, not `node -e`: worker threads inherit the process's exec arguments.
    const runner = path.join(tmp.dir, `run-bundle-${args[0]}.mjs`);
    await writeFile(runner, script);
    return exec('node', [runner], { env: { ...process.env, CI: 'true' } });
  }

  it('writes the CLI, its worker and the stamp last', async () => {
    const stamp = JSON.parse(await readFile(path.join(build, 'build-stamp.json'), 'utf8')) as { sources: string };
    expect(stamp.sources).toBe(sourceFingerprint(process.cwd()));
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
    const bundled = await runBundled(args('bundle'));

    type Ran = { outcome: { status: string; chunks: number }; summary: { rows: number; anomalies: number; byReason: Record<string, number> } };
    const a = JSON.parse(fromSource.stdout) as Ran;
    const b = JSON.parse(bundled.stdout) as Ran;
    expect(b.outcome).toMatchObject({ status: 'started', chunks: 3 });
    expect(b.summary.rows).toBe(4000);
    expect({ anomalies: b.summary.anomalies, byReason: b.summary.byReason }).toEqual({ anomalies: a.summary.anomalies, byReason: a.summary.byReason });
    const parquet = (name: string) => readFile(path.join(tmp.dir, `${name}-out`, 'day.parquet'));
    expect(Buffer.compare(await parquet('bundle'), await parquet('source'))).toBe(0);
  });

  it('trains the candidate models, whose libraries (TensorFlow.js, libsvm-js) it loads from node_modules as Node resolves them', async () => {
    const day = path.join(tmp.dir, 'train.csv');
    await exec('node', ['bin/trade-anomaly.js', 'generate', '--rows', '3000', '--seed', '4', '--out', day], { env: { ...process.env, CI: 'true', TRADE_ANOMALY_FROM_SOURCE: '1' } });
    const trained = await runBundled(['train', day, '--algorithm', 'ensemble', '--out', path.join(tmp.dir, 'ensemble-model'), '--json']);
    const model = JSON.parse(await readFile(path.join(tmp.dir, 'ensemble-model', 'model.json'), 'utf8')) as { kind?: string };
    expect(JSON.parse(trained.stdout)).toMatchObject({ version: expect.any(String) });
    expect(model.kind).toBe('ensemble');
  });
});
