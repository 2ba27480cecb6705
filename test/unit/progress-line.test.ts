import { describe, expect, it } from 'vitest';
import { formatCount, formatDuration, formatProgressLine, progressFigures } from '../../src/progress/progress-line.js';

describe('a progress line', () => {
  it('shows the bar, the share done, the count, the rate and the time left of a task with a total', () => {
    const line = formatProgressLine({ label: 'scoring', done: 3, total: 6, unit: 'chunks', elapsedMs: 6000 });

    expect(line).toBe('scoring  [############------------]  50%  3/6 chunks  0.5 chunks/s  6s left');
  });

  it('without a total, shows the count, the rate and the time so far, and no bar', () => {
    const line = formatProgressLine({ label: 'reading day.csv', done: 120_000, unit: 'rows', elapsedMs: 2000 });

    expect(line).toBe('reading day.csv  120k rows  60.0k rows/s  2s');
  });

  it('follows a separately measured share (bytes of a file whose rows are counted) for the bar and the time left', () => {
    const line = formatProgressLine({ label: 'reading', done: 50_000, unit: 'rows', elapsedMs: 10_000, fraction: 0.25 });

    expect(line).toBe('reading  [######------------------]  25%  50.0k rows  5000 rows/s  30s left');
  });

  it('gives no rate or time left in the first moments, when they are noise', () => {
    expect(progressFigures({ label: 'x', done: 10, total: 100, unit: 'rows', elapsedMs: 100 })).toEqual({ fraction: 0.1 });
  });

  it('says 100% only when done, and the elapsed time then', () => {
    expect(formatProgressLine({ label: 'x', done: 995, total: 1000, unit: 'rows', elapsedMs: 1000 })).toContain(' 99% ');
    expect(formatProgressLine({ label: 'x', done: 1000, total: 1000, unit: 'rows', elapsedMs: 3000 })).toMatch(/100%  1000\/1000 rows  333 rows\/s  3s$/);
  });

  it('is cut to the terminal width less one, since a wrapped line cannot be overwritten', () => {
    const line = formatProgressLine({ label: 'a long label '.repeat(5), done: 1, total: 2, unit: 'rows', elapsedMs: 1000 }, 40);

    expect(line).toHaveLength(39);
  });

  it.each([
    [950, '950'],
    [12_345, '12.3k'],
    [1_234_567, '1.23M'],
    [2.25, '2.3'],
  ])('writes the count %d as %s', (n, text) => {
    expect(formatCount(n)).toBe(text);
  });

  it.each([
    [4_200, '4s'],
    [75_000, '1m15s'],
    [3_900_000, '1h05m'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
