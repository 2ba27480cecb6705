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

  it.each(['generate', 'train', 'run', 'evaluate', 'explore'])('explains `%s` with an example', async (command) => {
    const { code, stdout } = await cli([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Example:');
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

  it('exits 3 on a rejected file and says which columns are missing', async () => {
    const bad = path.join(tmp.dir, 'bad.csv');
    await writeFile(bad, 'id,when,what\n1,2,3\n');
    const { code, stderr } = await cli(['run', bad, '--state-dir', path.join(tmp.dir, 'state'), '--out', path.join(tmp.dir, 'out')]);
    expect(code).toBe(3);
    expect(stderr).toContain('header is missing required columns trade_id, timestamp, symbol, side, quantity, price');
    const report = JSON.parse(await readFile(path.join(tmp.dir, 'out', 'rejection.json'), 'utf8')) as { missingColumns: string[] };
    expect(report.missingColumns).toContain('price');
  });
});
