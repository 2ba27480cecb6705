import { DEFAULT_SEVERITY } from '../../src/alerts/severity.js';
import { SCORE_BINS, type RunBreakdown } from '../../src/report/result-breakdown.js';
import type { RunSummary } from '../../src/steps/run-summary.js';

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
