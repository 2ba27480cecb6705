/**
 * The alert's severity is the run's severity (summary.json), which already leaves known false
 * positives out: the alert never judges a run again on its own, so a file with too many rows breaking
 * rules (HIGH by the bad-row share) is never published, or left unpublished, as CLEAR.
 */
import { describe, expect, it } from 'vitest';
import { runAlert, runAlertFor } from '../../src/alerts/run-alerts.js';
import { DEFAULT_SEVERITY, runSeverity } from '../../src/alerts/severity.js';
import type { RunSummary } from '../../src/steps/run-summary.js';
import { emptyBreakdown, PROD_DAY_RUN, reportFields } from '../support/run-summary-fixture.js';

const ROWS = 100_000;

function summary(overrides: Partial<RunSummary>): RunSummary {
  const base = {
    ...PROD_DAY_RUN,
    rows: ROWS,
    badRows: 0,
    scored: ROWS,
    anomalies: 0,
    modelAnomalies: 0,
    severity: 'CLEAR' as const,
    byReason: {},
    topAnomalies: [],
    qualityExamples: [],
    drift: { threshold: 0.25, rows: ROWS, features: [], warnings: [] },
  };
  const full: RunSummary = { ...base, ...reportFields(base), breakdown: emptyBreakdown() };
  return { ...full, ...overrides };
}

/** 2% of rows break a rule: over the default 1% share, the file itself is suspect. */
const SUSPECT_BAD_ROWS = 2_000;

describe("the alert's severity is the run's", () => {
  it.each([
    [
      'bad rows over the share that the anomaly count leaves out',
      summary({ badRows: SUSPECT_BAD_ROWS, scored: ROWS - SUSPECT_BAD_ROWS, open: { anomalies: 0, modelAnomalies: 0, badRows: SUSPECT_BAD_ROWS }, severity: 'HIGH' }),
    ],
    [
      'a HIGH run whose anomaly count equals its known false positives',
      summary({
        badRows: SUSPECT_BAD_ROWS,
        anomalies: 40,
        feedback: { files: ['feedback/a.csv'], falsePositivesSuppressed: 40, confirmed: 0, errors: [] },
        open: { anomalies: 0, modelAnomalies: 0, badRows: SUSPECT_BAD_ROWS },
        severity: 'HIGH',
      }),
    ],
  ])('%s: HIGH in the subject, the attributes and the JSON, in every all-clear mode', (_name, run) => {
    for (const mode of ['send', 'quiet', 'none'] as const) {
      const alert = runAlertFor(run, mode);

      expect(alert, mode).toBeDefined();
      expect(alert!.attributes.severity, mode).toBe('HIGH');
      expect(alert!.subject, mode).toMatch(/\[HIGH\] in day\.csv$/);
      expect(alert!.json, mode).toMatchObject({ kind: 'run', severity: 'HIGH' });
      expect(alert!.message, mode).toMatch(/^Severity: HIGH /);
      // The full alert, not the short all-clear one, whatever the mode.
      expect(alert, mode).toEqual(runAlert(run));
    }
  });

  it.each(['CLEAR', 'LOW', 'MEDIUM', 'HIGH'] as const)('publishes a %s run with that severity', (severity) => {
    const flagged = severity === 'CLEAR' ? 0 : 5;
    const run = summary({ anomalies: flagged, modelAnomalies: flagged, open: { anomalies: flagged, modelAnomalies: flagged, badRows: 0 }, severity });
    expect(runAlertFor(run, 'send')!.attributes.severity).toBe(severity);
  });

  it('is CLEAR for a day whose only flags are known false positives, as the run is', () => {
    const run = summary({
      anomalies: 3,
      modelAnomalies: 3,
      feedback: { files: ['feedback/a.csv'], falsePositivesSuppressed: 3, confirmed: 0, errors: [] },
      open: { anomalies: 0, modelAnomalies: 0, badRows: 0 },
      severity: 'CLEAR',
    });
    expect(runAlertFor(run, 'quiet')!.attributes.severity).toBe('CLEAR');
    expect(runAlertFor(run, 'none')).toBeUndefined();
  });
});

describe("the run's severity by the bad-row share", () => {
  const run = { anomalies: 0, maxScore: 0.1, badRows: 0, rows: 1_000, threshold: 0.68 };

  it('is HIGH over the share even when the caller counts no anomaly: a suspect file is never CLEAR', () => {
    expect(runSeverity({ ...run, badRows: 11 }, DEFAULT_SEVERITY)).toBe('HIGH');
    expect(runSeverity({ ...run, badRows: 11, anomalies: 11 }, DEFAULT_SEVERITY)).toBe('HIGH');
  });

  it('is CLEAR with nothing flagged and no more bad rows than the share', () => {
    expect(runSeverity(run, DEFAULT_SEVERITY)).toBe('CLEAR');
    expect(runSeverity({ ...run, badRows: 10 }, DEFAULT_SEVERITY)).toBe('CLEAR');
    expect(runSeverity({ ...run, rows: 0 }, DEFAULT_SEVERITY)).toBe('CLEAR');
  });
});
