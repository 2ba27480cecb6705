import { DEFAULT_SEVERITY } from '../../src/alerts/severity.js';
import { SCORE_BINS, type RunBreakdown } from '../../src/report/result-breakdown.js';
import type { RunSummary } from '../../src/steps/run-summary.js';

/** What a prod run of one day's file says about itself, whatever it found: for alert tests. */
export const PROD_DAY_RUN = {
  runId: 'day-0123456789abcdef',
  stage: 'prod',
  input: { bucket: 'trades-prod', key: 'incoming/day.csv' },
  day: '2026-03-02',
  threshold: 0.68,
  modelVersion: 'v1',
  modelFittedOnInput: false,
  feedback: { files: [], falsePositivesSuppressed: 0, confirmed: 0, errors: [] },
  result: 's3://trades-prod/results/date=2026-03-02/day.parquet',
  summaryUri: 's3://trades-prod/reports/date=2026-03-02/day/summary.json',
  startedAt: '2026-03-02T18:00:00.000Z',
  finishedAt: '2026-03-02T18:00:40.000Z',
  durationMs: 40_000,
} satisfies Partial<RunSummary>;

/** A breakdown with nothing counted: for alert tests whose subject is elsewhere. */
export function emptyBreakdown(overrides: Partial<RunBreakdown> = {}): RunBreakdown {
  return {
    scoreHistogram: new Array<number>(SCORE_BINS).fill(0),
    bySeverity: { HIGH: 0, MEDIUM: 0, LOW: 0 },
    byHour: { rows: new Array<number>(24).fill(0), anomalies: new Array<number>(24).fill(0), noTimestamp: { rows: 0, anomalies: 0 } },
    bySymbol: [],
    symbols: { distinct: 0, withAnomalies: 0, exact: true, anomaliesNotListed: 0 },
    qualityByRule: {},
    ...overrides,
  };
}

/** The fields a summary gained with the report and the severity levels, consistent with the counts given. */
export function reportFields(s: Pick<RunSummary, 'anomalies' | 'modelAnomalies' | 'badRows' | 'result' | 'summaryUri'>): Pick<RunSummary, 'open' | 'severityLevels' | 'breakdown' | 'report'> {
  return {
    open: { anomalies: s.anomalies, modelAnomalies: s.modelAnomalies, badRows: s.badRows },
    severityLevels: DEFAULT_SEVERITY,
    breakdown: emptyBreakdown(),
    report: s.summaryUri.replace(/summary\.json$/, 'report.html'),
  };
}
