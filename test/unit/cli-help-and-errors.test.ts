import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3RequestError } from '../../src/adapters/s3-object-store.js';
import { describeFailure, ERROR_HINTS, DEBUG_HINT } from '../../src/cli/cli-errors.js';
import { CliError, EXIT, type CliIo } from '../../src/cli/cli-output.js';
import { buildProgram, main } from '../../src/cli/main.js';
import { FeedbackFileError } from '../../src/feedback/feedback-file.js';
import { EmptyFileError } from '../../src/pipeline/trade-file-scanner.js';
import { SchemaMismatchError } from '../../src/schema/trade-schema.js';
import { tempDir } from '../support/fixtures.js';

/** Runs the CLI in-process with captured streams (stderr not a terminal, so no progress). */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (t) => ((stdout += t), true) },
    stderr: { write: (t) => ((stderr += t), true), isTTY: false },
    env: {},
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** Every command's path: `generate`, ..., `models list`, `models show`, ... */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => {
    const here = [...prefix, c.name()];
    return c.commands.length ? [here, ...commandPaths(c, here)] : [here];
  });
}

describe('--help', () => {
  const paths = commandPaths(buildProgram());

  it('covers every command of the contract', () => {
    const top = paths.filter((p) => p.length === 1).map((p) => p[0]);
    expect(top).toEqual(expect.arrayContaining(['generate', 'train', 'run', 'evaluate', 'tune', 'models', 'explore', 'demo']));
  });

  it.each(paths.map((p) => [p.join(' '), p]))('`%s --help` has an example of itself and the exit codes', async (_name, commandPath) => {
    const { code, stdout } = await cli(...(commandPath as string[]), '--help');

    expect(code).toBe(0);
    expect(stdout).toMatch(/Examples?:/);
    expect(stdout).toContain(`trade-anomaly ${(commandPath as string[]).join(' ')}`);
    expect(stdout).toContain('Exit codes: 0 success; 1 the run failed');
    expect(stdout).toContain('3 the input file was rejected');
  });

  it('prints the version of package.json with --version (and -V), exit code 0', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const { code, stdout } = await cli(flag);
      expect(code).toBe(0);
      expect(stdout.trim()).toBe(version);
    }
  });

  it('says what --json does on every command that has it', async () => {
    const { stdout } = await cli('run', '--help');
    expect(stdout).toContain('--json');
    expect(stdout).toContain('print one JSON document on stdout');
  });
});

describe('errors: one line, naming the file (and line or row, and field), with a hint and the documented exit code', () => {
  it.each([
    [new SchemaMismatchError('day.csv', ['price'], ['trade_id', 'px']), EXIT.REJECTED, /^trade-anomaly: day\.csv: header is missing required column price .*\(hint: map the file's columns with --schema FILE/],
    [new EmptyFileError('day.csv: the file is empty (no header row)'), EXIT.REJECTED, /^trade-anomaly: day\.csv: the file is empty .*\(hint: /],
    [
      new FeedbackFileError({ file: 'fb.csv', line: 4, field: 'verdict', value: 'maybe' }, 'is not a verdict'),
      EXIT.USAGE,
      /^trade-anomaly: fb\.csv: line 4, field verdict: 'maybe' is not a verdict \(hint: fix that line of the feedback file/,
    ],
    [new S3RequestError('GetObject', 'bkt', 'incoming/a.csv', Object.assign(new Error('denied'), { name: 'AccessDenied' })), EXIT.FAILED, /s3:\/\/bkt\/incoming\/a\.csv failed: AccessDenied: denied \(hint: the credentials may not/],
    [new CliError('evaluate needs labels', EXIT.USAGE, 'pass --labels FILE'), EXIT.USAGE, /^trade-anomaly: evaluate needs labels \(hint: pass --labels FILE\)$/],
    [Object.assign(new Error("ENOENT: no such file or directory, open 'x/y.csv'"), { code: 'ENOENT', path: 'x/y.csv' }), EXIT.USAGE, /^trade-anomaly: x\/y\.csv: no such file or directory \(hint: check the path\)$/],
    [new TypeError('boom\n    at somewhere'), EXIT.FAILED, new RegExp(`^trade-anomaly: TypeError: boom \\(hint: ${DEBUG_HINT}\\)$`)],
  ])('%s', (error, exitCode, line) => {
    const failure = describeFailure(error);

    expect(failure.exitCode).toBe(exitCode);
    expect(failure.line).toMatch(line);
    expect(failure.line).not.toContain('\n');
  });

  it('has a hint and an exit code from the documented four for every typed error in the table', () => {
    for (const entry of ERROR_HINTS) {
      expect(entry.hint(new Error('x')).length, entry.type.name).toBeGreaterThan(10);
      expect(Object.values(EXIT)).toContain(entry.exitCode);
    }
  });

  describe('through the command line', () => {
    let tmp: Awaited<ReturnType<typeof tempDir>>;
    beforeAll(async () => {
      tmp = await tempDir('cli-errors');
    });
    afterAll(async () => {
      await tmp?.cleanup();
    });

    it('a bad row of a feedback file: file, line, field and hint, exit 2', async () => {
      const day = path.join(tmp.dir, 'day.csv');
      const feedback = path.join(tmp.dir, 'feedback.csv');
      await cli('generate', '--rows', '500', '--out', day);
      await writeFile(feedback, 'trade_id,verdict\nT1,false_positive\nT2,perhaps\n');

      const { code, stderr } = await cli('train', day, '--out', path.join(tmp.dir, 'model'), '--feedback', feedback);

      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(new RegExp(`^trade-anomaly: ${feedback.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 3, field verdict: 'perhaps' .*\\(hint: `));
    });

    it('a file without the trade columns given to train: exit 3 and the --schema hint', async () => {
      const bad = path.join(tmp.dir, 'bad.csv');
      await writeFile(bad, 'id,when,what\n1,2,3\n');

      const { code, stderr } = await cli('train', bad, '--out', path.join(tmp.dir, 'model2'));

      expect(code).toBe(3);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain('bad.csv: header is missing required columns');
      expect(stderr).toContain('(hint: map the file\'s columns with --schema FILE');
    });

    it('a folder given as the trade file: exit 2, naming it, before any work', async () => {
      const { code, stderr } = await cli('run', tmp.dir, '--state-dir', path.join(tmp.dir, 'state-folder'));

      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain(`${tmp.dir}: is a folder, not a file (hint: name a trade file`);
    });

    it('a missing model folder: exit 2 and how to train one', async () => {
      const day = path.join(tmp.dir, 'day2.csv');
      await cli('generate', '--rows', '200', '--out', day, '--labels', path.join(tmp.dir, 'day2.labels.csv'));

      const { code, stderr } = await cli('evaluate', day, '--labels', path.join(tmp.dir, 'day2.labels.csv'), '--model', path.join(tmp.dir, 'no-model'));

      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/no-model.*\(hint: train one with: trade-anomaly train FILE --out DIR/);
    });
  });
});
