import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SEVERITY } from '../../src/alerts/severity.js';
import { FEEDBACK_PREFIX } from '../../src/feedback/feedback-store.js';
import { PipelineHarness } from '../support/pipeline-harness.js';
import { generateDays, tempDir, trainOn } from '../support/fixtures.js';

/**
 * A file that is HIGH by its share of rows breaking rules, through the three steps on the embedded S3:
 * the alert carries the severity summary.json has, and even a stage that sends nothing on a clean day
 * sends it. Only the analysts' known false positives can make such a run CLEAR, in the summary and the
 * alert alike.
 */
const ROWS = 3_000;
/** Every 40th trade loses its side: 2.5% of rows break MISSING_FIELD, over the default 1% share. */
const EVERY = 40;

function withMissingSides(csv: string): string {
  const [header, ...lines] = csv.trimEnd().split('\n');
  const side = header.split(',').indexOf('side');
  return [
    header,
    ...lines.map((line, i) => {
      if (i % EVERY !== 0) return line;
      const fields = line.split(',');
      fields[side] = '';
      return fields.join(',');
    }),
  ].join('\n');
}

describe('the severity of a file with too many bad rows, through aggregate', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let harness: PipelineHarness;
  let suspect: string;

  beforeAll(async () => {
    tmp = await tempDir('severity-agreement');
    const days = await generateDays(tmp.dir, { rows: ROWS, seed: 11, day: '2026-11-19', historyDays: 1 });
    harness = await PipelineHarness.start(tmp.dir, await trainOn(days.history.map((h) => h.path)));
    suspect = withMissingSides(await readFile(days.day.path, 'utf8'));
  });

  afterAll(async () => {
    await harness?.stop();
    await tmp?.cleanup();
  });

  it('is HIGH in summary.json and in the alert, which a stage sending nothing on clean days still sends', async () => {
    const run = await harness.run('suspect.csv', suspect, { allClear: 'none' });

    const summary = run.summary!;
    expect(summary.open.badRows).toBeGreaterThan(DEFAULT_SEVERITY.highBadRowShare * summary.rows);
    expect(summary.severity).toBe('HIGH');
    expect(run.alerts).toHaveLength(1);
    expect(run.alerts[0].attributes.severity).toBe(summary.severity);
    expect(run.alerts[0].subject).toBe(`trade-anomaly test: ${summary.open.anomalies} anomalies [HIGH] in suspect.csv`);
    expect(run.alerts[0].json).toMatchObject({ kind: 'run', severity: 'HIGH', badRows: summary.badRows });
  });

  it('is CLEAR in both when analysts marked every flagged row a known false positive, and then sends nothing', async () => {
    const flagged = (await harness.run('suspect-probe.csv', suspect)).rows!.filter((r) => r.is_anomaly).map((r) => r.source_row as number);
    await harness.store.put(
      `${FEEDBACK_PREFIX}suspect-known.csv`,
      ['source_row,file,verdict', ...flagged.map((row) => `${row},suspect-known.csv,false_positive`)].join('\n'),
    );

    const quiet = await harness.run('suspect-known.csv', suspect, { allClear: 'none' });

    expect(quiet.summary!.feedback.falsePositivesSuppressed).toBe(flagged.length);
    expect(quiet.summary!.open).toEqual({ anomalies: 0, modelAnomalies: 0, badRows: 0 });
    expect(quiet.summary!.severity).toBe('CLEAR');
    expect(quiet.alerts).toEqual([]);
  });
});
