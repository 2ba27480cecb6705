import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEEDBACK_PREFIX } from '../../src/feedback/feedback-store.js';
import type { AnomalyModel } from '../../src/model/anomaly-model.js';
import { PipelineHarness, type HarnessRun } from '../support/pipeline-harness.js';
import { generateDays, tempDir, trainOn } from '../support/fixtures.js';

/**
 * Drift and the analysts' feedback through the three steps on the embedded S3: what the summary and
 * the alert say, and that the Parquet result stays complete whatever the feedback says.
 */
const ROWS = 20_000;

/**
 * The day as a broken feed might send it: three trades in four with a default quantity of 100. The
 * features are relative to each symbol's day (a uniform change of scale does not show), so what
 * shows is the shape: most trades now sit exactly at their symbol's median quantity.
 */
function withQuantityDrift(csv: string): string {
  const [header, ...lines] = csv.trimEnd().split('\n');
  const q = header.split(',').indexOf('quantity');
  return [
    header,
    ...lines.map((line, i) => {
      if (i % 4 === 0) return line;
      const fields = line.split(',');
      if (fields[q] !== '' && Number(fields[q]) > 0) fields[q] = '100';
      return fields.join(',');
    }),
  ].join('\n');
}

describe('drift and feedback through the embedded S3', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let model: AnomalyModel;
  let harness: PipelineHarness;
  let day: string;
  let plain: HarnessRun;

  beforeAll(async () => {
    tmp = await tempDir('drift-feedback');
    const days = await generateDays(tmp.dir, { rows: ROWS, seed: 3, day: '2026-11-18', historyDays: 2 });
    model = await trainOn(days.history.map((h) => h.path));
    day = await readFile(days.day.path, 'utf8');
    harness = await PipelineHarness.start(tmp.dir, model);
    plain = await harness.run('plain.csv', day, { chunkRows: 6000 });
  });

  afterAll(async () => {
    await harness?.stop();
    await tmp?.cleanup();
  });

  describe('drift', () => {
    it("reports every model feature's PSI against the training data on an ordinary day, with no feedback", () => {
      const { drift, feedback } = plain.summary!;
      expect(drift.threshold).toBe(0.25);
      expect(drift.rows).toBe(plain.summary!.scored);
      expect(drift.features.map((f) => f.feature)).toEqual(model.features);
      for (const f of drift.features) {
        expect(f.psi).toBeGreaterThanOrEqual(0);
        expect(f.missing).toBe(0);
      }
      // Quantity is what the drifted day below changes; on an ordinary day it matches training.
      expect(drift.features.find((f) => f.feature === 'quantity_deviation')).toMatchObject({ level: 'none' });
      expect(drift.warnings.some((w) => w.startsWith('quantity_deviation'))).toBe(false);
      expect(feedback).toEqual({ files: [], falsePositivesSuppressed: 0, confirmed: 0, errors: [] });
    });

    it('warns in the summary and the alert when a feature has drifted, without changing the severity', async () => {
      const run = await harness.run('drifted.csv', withQuantityDrift(day), { chunkRows: 6000 });

      const quantity = run.summary!.drift.features.find((f) => f.feature === 'quantity_deviation')!;
      expect(quantity.psi).toBeGreaterThanOrEqual(0.25);
      expect(quantity.level).toBe('significant');
      const warning = run.summary!.drift.warnings.find((w) => w.startsWith('quantity_deviation'));
      expect(warning).toMatch(/^quantity_deviation has drifted from the training data \(PSI \d+\.\d+ ≥ 0\.25\): retrain or check the feed$/);
      expect(run.alerts).toHaveLength(1);
      expect(run.alerts[0].message).toContain('Drift from the training data (does not change the severity):');
      expect(run.alerts[0].message).toContain(warning);
      expect(run.alerts[0].attributes.severity).toBe(run.summary!.severity);
    });

    it("takes the stage's threshold: a higher one warns of nothing on the same day", async () => {
      const run = await harness.run('drifted-lenient.csv', withQuantityDrift(day), { chunkRows: 6000, driftThreshold: 10 });

      expect(run.summary!.drift.threshold).toBe(10);
      expect(run.summary!.drift.warnings).toEqual([]);
      expect(run.alerts[0].message).not.toContain('has drifted');
    });
  });

  describe('feedback', () => {
    it('leaves a known false positive out of the top anomalies, counts it, marks a confirmed one, and keeps the result complete', async () => {
      const [falsePositive, confirmed] = plain.summary!.topAnomalies;
      expect(falsePositive?.tradeId).toBeTruthy();
      expect(confirmed?.tradeId).toBeTruthy();
      await harness.store.put(
        `${FEEDBACK_PREFIX}2026-11-18.csv`,
        ['trade_id,file,verdict,note', `${falsePositive.tradeId},with-feedback.csv,false_positive,block trade agreed by phone`, `${confirmed.tradeId},with-feedback.csv,confirmed,`].join('\n'),
      );
      // An analyst's malformed file: reported, the run goes on with the other files.
      await harness.store.put(`${FEEDBACK_PREFIX}broken.csv`, 'trade_id,verdict\nT-1,maybe\n');
      // Not a CSV: not read.
      await harness.store.put(`${FEEDBACK_PREFIX}README.txt`, 'put feedback files here');

      const run = await harness.run('with-feedback.csv', day, { chunkRows: 6000 });

      const summary = run.summary!;
      expect(run.outcome.status).toBe('started');
      expect(summary.feedback.files).toEqual([`${FEEDBACK_PREFIX}2026-11-18.csv`]);
      expect(summary.feedback.falsePositivesSuppressed).toBe(1);
      expect(summary.feedback.confirmed).toBe(1);
      expect(summary.feedback.errors).toEqual([{ file: `${FEEDBACK_PREFIX}broken.csv`, message: expect.stringMatching(/^feedback\/broken\.csv: line 2, field verdict: 'maybe' is not a verdict/) }]);
      expect(summary.topAnomalies.map((a) => a.tradeId)).not.toContain(falsePositive.tradeId);
      expect(summary.topAnomalies.find((a) => a.tradeId === confirmed.tradeId)?.feedback).toBe('confirmed');
      // The result contract: every row, flagged as scoring flagged it, whatever the feedback.
      expect(summary.anomalies).toBe(plain.summary!.anomalies);
      expect(run.rows).toEqual(plain.rows);
      expect(run.rows!.find((r) => r.trade_id === falsePositive.tradeId)?.is_anomaly).toBe(true);

      const alert = run.alerts[0];
      expect(alert.subject).toBe(`trade-anomaly test: ${summary.anomalies - 1} anomalies (+1 known false positive) [${summary.severity}] in with-feedback.csv`);
      expect(alert.message).not.toContain(falsePositive.tradeId!);
      expect(alert.message).toContain('1 flagged row is a known false positive');
      expect(alert.message).toContain(`${confirmed.tradeId}`);
      expect(alert.message).toContain('[confirmed by analysts]');
      expect(alert.message).toContain('could not read feedback/broken.csv');

      // The feedback is for with-feedback.csv only: the same trades in another file are not suppressed.
      const other = await harness.run('other-file.csv', day, { chunkRows: 6000 });
      expect(other.summary!.feedback.falsePositivesSuppressed).toBe(0);
      expect(other.summary!.topAnomalies.map((a) => a.tradeId)).toContain(falsePositive.tradeId);
    });

    it('calls a day CLEAR when its only anomalies are known false positives', async () => {
      const flagged = plain.rows!.filter((r) => r.is_anomaly).map((r) => r.source_row as number);
      expect(flagged.length).toBeGreaterThan(0);
      await harness.store.put(
        `${FEEDBACK_PREFIX}all-cleared.csv`,
        ['source_row,file,verdict', ...flagged.map((row) => `${row},all-cleared.csv,not an anomaly`)].join('\n'),
      );

      const run = await harness.run('all-cleared.csv', day, { chunkRows: 6000 });

      const summary = run.summary!;
      expect(summary.severity).toBe('CLEAR');
      expect(summary.anomalies).toBe(flagged.length);
      expect(summary.feedback.falsePositivesSuppressed).toBe(flagged.length);
      expect(summary.topAnomalies).toEqual([]);
      expect(summary.qualityExamples).toEqual([]);
      expect(run.alerts[0].subject).toBe(`trade-anomaly test: 0 anomalies (+${flagged.length} known false positives) [CLEAR] in all-cleared.csv`);
      expect(run.alerts[0].attributes.severity).toBe('CLEAR');
      expect(run.rows!.filter((r) => r.is_anomaly)).toHaveLength(flagged.length);
    });
  });
});
