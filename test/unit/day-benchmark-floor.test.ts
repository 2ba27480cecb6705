import { describe, expect, it } from 'vitest';
import { designFloor, type DaySection, type StepFigures } from '../../bench/day-pipeline-benchmark.js';

/**
 * The floor and ceiling `npm run bench` reports beside issue 7's end-to-end targets: what this
 * pipeline's design could do at best on the machine, from the steps it measured alone.
 */
const step = (name: StepFigures['step'], cpuMs: number): StepFigures => ({ step: name, rows: 150_000, bytes: 0, wallMs: cpuMs, cpuMs, peakRssMB: 300 });

const day = (steps: DaySection['steps'], cliStartMs = [200, 180, 220]): Pick<DaySection, 'steps' | 'cliStartMs' | 'rows'> => ({ rows: 150_000, steps, cliStartMs });

describe('the design floor of the bench', () => {
  it('counts the start whole, and spreads the scan (read in parts), the score step and the Parquet write over the cores', () => {
    const floor = designFloor(day([step('parse', 1200), step('chunk-encode', 300), step('score-step', 2200), step('parquet', 500)]), 2)!;
    expect(floor.startMs).toBe(200);
    expect(floor.runMs).toBeCloseTo(200 + (1200 + 2200 + 500) / 2, 6);
    // 3.9 s of CPU for 150,000 rows = 26 µs a row; over 2 cores, 76.9k rows/s.
    expect(floor.cpuUsPerRow).toBeCloseTo(26, 6);
    expect(floor.ceilingRowsPerSec).toBeCloseTo((150_000 / 3.9) * 2, 6);
  });

  it('scales the spread part with the cores', () => {
    const steps = [step('parse', 1000), step('score-step', 2000), step('parquet', 400)];
    const two = designFloor(day(steps), 2)!;
    const four = designFloor(day(steps), 4)!;
    expect(two.runMs - four.runMs).toBeCloseTo(3400 / 2 - 3400 / 4, 6);
    expect(four.ceilingRowsPerSec).toBeCloseTo(2 * two.ceilingRowsPerSec, 6);
  });

  it('gives none when a step it needs failed or the start was not measured', () => {
    expect(designFloor(day([step('parse', 1000), { step: 'score-step', error: 'timed out' }, step('parquet', 400)]), 2)).toBeUndefined();
    expect(designFloor(day([step('parse', 1000), step('score-step', 2000), step('parquet', 400)], []), 2)).toBeUndefined();
  });
});
