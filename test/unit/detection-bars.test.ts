import { describe, expect, it } from 'vitest';
import { formatBarsReport, formatBarsTable } from '../../src/evaluate/detection-bars-table.js';
import { AVERAGE_PRECISION_BAR, checkBars, PRECISION_BAR, RECALL_BARS, type ScenarioResult } from '../../src/evaluate/detection-bars.js';
import type { DetectionMetrics } from '../../src/evaluate/detection-metrics.js';
import { falsePositiveSummary, missedAnomalies, reasonTemplate, type ScoredRowView } from '../../src/evaluate/error-analysis.js';
import { DETECTION_SCENARIOS, pickScenarios, scenarioDays } from '../../src/evaluate/scenarios.js';

/** Metrics meeting every bar, to spoil one figure at a time. */
function passing(): DetectionMetrics {
  const recallByType = Object.fromEntries(
    ['duplicate_trade', 'fat_finger', 'impossible_value', 'missing_field', 'off_hours', 'price_spike', 'quantity_spike'].map((t) => [t, { total: 10, found: 10, recall: 1 }]),
  );
  return {
    rows: 1000,
    positives: 70,
    flagged: 75,
    truePositives: 70,
    falsePositives: 5,
    falseNegatives: 0,
    trueNegatives: 925,
    precision: 70 / 75,
    recall: 1,
    f1: 0.96,
    rocAuc: 0.99,
    averagePrecision: 0.95,
    recallByType,
    precisionAtK: { rPrecision: 0.9, at: {} },
  } as DetectionMetrics;
}

function row(sourceRow: number, isAnomaly: boolean, reasons = '', qualityIssues: string[] = []): ScoredRowView {
  return { sourceRow, timestampMs: Date.UTC(2026, 11, 1, 9), symbol: 'ABC', price: 10, quantity: 100, score: isAnomaly ? 0.8 : 0.3, isAnomaly, reasons, qualityIssues };
}

describe('checkBars', () => {
  it('passes metrics that meet every bar', () => {
    expect(checkBars('default', passing())).toEqual([]);
  });

  it.each([
    ['precision', (m: DetectionMetrics) => ({ ...m, precision: 0.5 }), /^s: precision 0\.500 \(TP 70, FP 5\) is below the bar 0\.8$/],
    ['precision with nothing flagged', (m: DetectionMetrics) => ({ ...m, precision: Number.NaN }), /^s: precision n\/a/],
    ['average precision', (m: DetectionMetrics) => ({ ...m, averagePrecision: 0.7 }), /^s: average precision 0\.700 \(70 labelled rows of 1000\) is below the bar 0\.8$/],
    [
      'a rule type',
      (m: DetectionMetrics) => ({ ...m, recallByType: { ...m.recallByType, off_hours: { total: 20, found: 18, recall: 0.9 } } }),
      /^s: recall off_hours 0\.900 \(18\/20 found\) is below the bar 0\.95$/,
    ],
    [
      'a model type',
      (m: DetectionMetrics) => ({ ...m, recallByType: { ...m.recallByType, quantity_spike: { total: 8, found: 7, recall: 0.875 } } }),
      /^s: recall quantity_spike 0\.875 \(7\/8 found\) is below the bar 0\.9$/,
    ],
  ])('names the scenario, the bar and the figure when %s misses', (_name, spoil, message) => {
    const failures = checkBars('s', spoil(passing()));
    expect(failures).toHaveLength(1);
    expect(failures[0].message).toMatch(message);
  });

  it('holds price_spike to no bar, and a barred type with no labelled rows fails as unmeasured', () => {
    const m = passing();
    m.recallByType.price_spike = { total: 10, found: 1, recall: 0.1 };
    expect(checkBars('s', m)).toEqual([]);
    delete m.recallByType.fat_finger;
    expect(checkBars('s', m).map((f) => f.bar)).toEqual(['recall fat_finger']);
  });

  it('keeps the issue thresholds', () => {
    expect([PRECISION_BAR, AVERAGE_PRECISION_BAR]).toEqual([0.8, 0.8]);
    expect(RECALL_BARS).toEqual({ impossible_value: 0.95, missing_field: 0.95, duplicate_trade: 0.95, off_hours: 0.95, fat_finger: 0.9, quantity_spike: 0.9 });
  });
});

describe('error analysis', () => {
  it('reads a model reason as the template of its leading sentence', () => {
    expect(reasonTemplate("price 62.49 is 2% below the symbol's median 64.09 (score 0.69)")).toBe("price # is # above/below the symbol's median #");
    expect(reasonTemplate("quantity 150 is 25x the symbol's typical 6; notional 2551.5 is 25x (score 0.66; isolated by quantity 33%)")).toBe(
      "quantity # is # the symbol's typical #",
    );
    expect(reasonTemplate('traded at 08:29 UTC, when the day saw 0.8% of its trades in that quarter-hour (score 0.90)')).toBe(
      'traded at # <id>, when the day saw # of its trade(s) in that quarter-hour',
    );
  });

  it('counts false alarms by rule code or model reason, and samples them evenly', () => {
    const rows = [
      row(1, true, '', ['DUPLICATE_ROW']),
      row(2, true, 'price 10 is 2% above the symbol\'s median 9.8 (score 0.7)'),
      row(3, true, 'price 11 is 3% below the symbol\'s median 11.3 (score 0.7)'),
      row(4, true, 'labelled, so not a false alarm'),
      row(5, false),
    ];
    const summary = falsePositiveSummary(rows, new Map([[4, 'fat_finger']]), 2);
    expect(summary.count).toBe(3);
    expect(summary.byReason).toEqual({ "model: price # is # above/below the symbol's median #": 2, DUPLICATE_ROW: 1 });
    expect(summary.samples.map((s) => s.sourceRow)).toEqual([1, 2]);
    expect(missedAnomalies([row(4, false), row(5, false)], new Map([[4, 'quantity_spike']]))).toMatchObject([{ sourceRow: 4, type: 'quantity_spike' }]);
  });
});

describe('scenarios', () => {
  it('have unique names, start with the default market and include the issue list', () => {
    const names = DETECTION_SCENARIOS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names[0]).toBe('default');
    expect(names).toEqual(expect.arrayContaining(['few-symbols', 'many-symbols', 'penny-prices', 'high-prices', 'large-volumes', 'thin-volumes', 'high-anomaly-rate']));
  });

  it('give history days before the labelled day, in the same market', () => {
    const [penny] = pickScenarios(['penny-prices']);
    const days = scenarioDays(penny, { rows: 100, historyDays: 2 });
    expect(days.history.map((d) => d.day)).toEqual(['2026-11-27', '2026-11-30']);
    expect(days.day).toMatchObject({ day: '2026-12-01', rows: 100, priceLevels: 'penny' });
    expect(days.history.every((d) => d.priceLevels === 'penny' && d.rows === 100)).toBe(true);
    expect(() => pickScenarios(['nope'])).toThrow(/unknown scenario/);
  });
});

describe('the Markdown report', () => {
  it('marks each figure below its bar and lists the missed bars', () => {
    const m = passing();
    m.precision = 0.3;
    const result: ScenarioResult = {
      scenario: 'many-symbols',
      description: '',
      rows: 30_000,
      historyDays: 2,
      seed: 7,
      metrics: m,
      failures: checkBars('many-symbols', m),
      falsePositives: { count: 5, byReason: { 'model: x': 5 }, samples: [] },
      missed: [],
      timingsMs: { generate: 0, train: 0, score: 0 },
    };
    const table = formatBarsTable([result]).split('\n');
    expect(table).toHaveLength(3);
    expect(table[2]).toContain('| many-symbols | 30,000 | 0.300 ✗ |');
    expect(formatBarsReport([result])).toContain('- many-symbols: precision 0.300 (TP 70, FP 5) is below the bar 0.8');
  });
});
