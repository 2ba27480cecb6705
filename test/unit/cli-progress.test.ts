import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/cli-output.js';
import { main } from '../../src/cli/main.js';
import { isCi, ProgressDisplay, progressEnabled } from '../../src/cli/progress-display.js';
import { tempDir } from '../support/fixtures.js';

/** A stand-in for stderr: a terminal or not, recording what is written. */
class FakeStream {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** A clock the test moves. */
function manualClock(): { now: () => number; advance(ms: number): void } {
  let t = 0;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('when progress is drawn', () => {
  it.each([
    [true, {}, true],
    [true, { CI: 'true' }, false],
    [true, { CI: '1' }, false],
    [true, { CI: 'woodpecker' }, false],
    [true, { CI: 'false' }, true],
    [true, { CI: '0' }, true],
    [true, { CI: '' }, true],
    [false, {}, false],
  ])('stderr a terminal: %s, environment %j: drawn %s', (isTTY, env, drawn) => {
    expect(progressEnabled(new FakeStream(isTTY), env)).toBe(drawn);
  });

  it('reads CI as CI services set it', () => {
    expect(isCi({ CI: 'TRUE' })).toBe(true);
    expect(isCi({})).toBe(false);
  });
});

describe('the progress display', () => {
  it('overwrites one line with the bar, at most every 100 ms, and always at 100%', () => {
    const stream = new FakeStream(true, 200);
    const clock = manualClock();
    const display = new ProgressDisplay(stream, { enabled: true, now: clock.now });

    const task = display.task('scoring', { unit: 'chunks', total: 4 });
    clock.advance(50);
    task.update(1); // within 100 ms of the first draw: skipped
    clock.advance(950);
    task.update(2);
    task.update(4); // complete: drawn at once
    const lines = stream.text.split('\r\x1b[2K').filter(Boolean);

    expect(lines).toEqual([
      'scoring  [------------------------]  0%  0/4 chunks  0s',
      'scoring  [############------------]  50%  2/4 chunks  2 chunks/s  1s left',
      'scoring  [########################]  100%  4/4 chunks  4 chunks/s  1s',
    ]);
  });

  it('removes its line when the task finishes, and only then', () => {
    const stream = new FakeStream(true);
    const display = new ProgressDisplay(stream, { enabled: true, now: manualClock().now });
    const task = display.task('x', { unit: 'rows' });

    task.finish();
    task.finish();

    expect(stream.text.endsWith('\r\x1b[2K')).toBe(true);
    expect(stream.text.split('\r\x1b[2K')).toHaveLength(3);
  });

  it('writes nothing at all when disabled', () => {
    const stream = new FakeStream(false);
    const display = new ProgressDisplay(stream, { enabled: false });

    const task = display.task('x', { unit: 'rows', total: 10 });
    task.update(10);
    task.finish();
    display.status('uploading');
    display.clear();

    expect(stream.text).toBe('');
  });
});

describe('progress of a command (generate, in-process, with injected streams)', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir('cli-progress');
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  async function generate(stderr: FakeStream, env: NodeJS.ProcessEnv, ...extra: string[]) {
    let stdout = '';
    const io: CliIo = { stdout: { write: (t) => ((stdout += t), true) }, stderr, env };
    const file = path.join(tmp.dir, `day-${Math.random().toString(36).slice(2)}.csv`);
    const code = await main(['generate', '--rows', '3000', '--seed', '2', '--out', file, ...extra], io);
    return { code, stdout };
  }

  it('draws a bar of rows on a terminal, and clears it before the summary', async () => {
    const stderr = new FakeStream(true, 120);

    const { code, stdout } = await generate(stderr, {});

    expect(code).toBe(0);
    expect(stderr.text).toMatch(/generating 2026-12-01  \[#+\]  100%  3000\/3000 rows/);
    expect(stderr.text.endsWith('\r\x1b[2K')).toBe(true);
    expect(stdout).toMatch(/^wrote .*: 3000 rows, 6 injected anomalies\n$/);
  });

  it('one bar per day with --history, numbered', async () => {
    const stderr = new FakeStream(true, 120);

    await generate(stderr, {}, '--history', '1');

    expect(stderr.text).toContain('generating 2026-11-30 (1/2)');
    expect(stderr.text).toContain('generating 2026-12-01 (2/2)');
  });

  it.each([
    ['in CI', new FakeStream(true), { CI: 'true' }],
    ['in a pipe', new FakeStream(false), {}],
  ])('is quiet %s: nothing on stderr', async (_where, stderr, env) => {
    const { code, stdout } = await generate(stderr, env);

    expect(code).toBe(0);
    expect(stderr.text).toBe('');
    expect(stdout).toContain('3000 rows');
  });

  it('keeps stdout to the one JSON document with --json while the bar is drawn on stderr', async () => {
    const stderr = new FakeStream(true, 120);

    const { stdout } = await generate(stderr, {}, '--json');

    expect(stderr.text).toContain('100%');
    expect(JSON.parse(stdout)).toEqual([expect.objectContaining({ rows: 3000, anomalies: 6 })]);
  });
});
