import { describe, expect, it } from 'vitest';
import { ColumnProfile, DEFAULT_COLUMN_OPTIONS } from '../../src/explore/column-profile.js';
import { CoMoments, pearsonMatrix } from '../../src/explore/correlation.js';
import { ExploreAccumulator, hourOfDay, type ExploreLayout } from '../../src/explore/explore-summary.js';
import { escapeXml, formatNumber, formatPercent } from '../../src/explore/format.js';
import { Histogram, logHistogram } from '../../src/explore/histogram.js';
import { renderExploreReport } from '../../src/explore/report-html.js';
import { quantileSorted, RunningStats } from '../../src/explore/running-stats.js';
import { barChart, correlationHeatmap, histogramChart, isolatedBins, timeOfDayChart, zeroBasedTicks } from '../../src/explore/svg-charts.js';
import { SymbolProfile, SymbolTable } from '../../src/explore/symbol-profile.js';
import { SeededRandom } from '../../src/model/random.js';
import { checkTrade } from '../../src/quality/trade-checks.js';

/** The exploratory summary's statistics on inputs small enough to check by hand. */

describe('running statistics', () => {
  it('gives the exact mean, sample standard deviation, extremes and quantiles below the reservoir size', () => {
    const s = new RunningStats(100, 1);
    for (const x of [2, 4, 4, 4, 5, 5, 7, 9]) s.add(x);
    const r = s.finish()!;
    expect(r.count).toBe(8);
    expect(r.mean).toBe(5);
    // Sum of squared deviations is 32: sample variance 32/7 (the population's would be 4).
    expect(r.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect([r.min, r.max]).toEqual([2, 9]);
    expect(r.quantilesExact).toBe(true);
    // Sorted 2 4 4 4 5 5 7 9: p50 between ranks 4 and 5 (4 and 5) = 4.5; p25 at rank 2.75 = 4.
    expect(r.quantiles.p50).toBe(4.5);
    expect(r.quantiles.p25).toBe(4);
    expect(r.quantiles.p75).toBe(5.5);
  });

  it('interpolates quantiles between closest ranks, as numpy and pandas do', () => {
    const hundredAndOne = Float64Array.from({ length: 101 }, (_, i) => i + 1);
    expect(quantileSorted(hundredAndOne, 0.01)).toBe(2);
    expect(quantileSorted(hundredAndOne, 0.05)).toBe(6);
    expect(quantileSorted(hundredAndOne, 0.99)).toBe(100);
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantileSorted([7], 0.95)).toBe(7);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it('keeps the mean and extremes exact but samples quantiles above the reservoir size, and says so', () => {
    const s = new RunningStats(1000, 7);
    for (let i = 1; i <= 100_000; i++) s.add(i);
    const r = s.finish()!;
    expect(r.quantilesExact).toBe(false);
    expect(r.quantileSample).toBe(1000);
    expect(r.mean).toBe(50_000.5);
    expect([r.min, r.max]).toEqual([1, 100_000]);
    expect(Math.abs(r.quantiles.p50 - 50_000)).toBeLessThan(5000);
    expect(Math.abs(r.quantiles.p95 - 95_000)).toBeLessThan(3000);
  });

  it('stays accurate far from zero, where the sum-of-squares formula cancels', () => {
    const s = new RunningStats(10, 1);
    for (const x of [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]) s.add(x);
    expect(s.finish()!.std).toBeCloseTo(Math.sqrt(30), 6);
  });

  it('reports nothing for no values and no standard deviation for one', () => {
    expect(new RunningStats(10, 1).finish()).toBeNull();
    const one = new RunningStats(10, 1);
    one.add(3);
    expect(one.finish()).toMatchObject({ count: 1, mean: 3, std: null });
  });
});

describe('column profile', () => {
  it('counts values, empty and absent ones, and distinct values; a text column has no number statistics', () => {
    const c = new ColumnProfile('venue', 8, 'venue');
    for (const v of ['XLON', 'XETR', '', '  ', undefined, 'XLON', ' XLON ']) c.add(v);
    const r = c.finish();
    expect(r).toMatchObject({ name: 'venue', count: 7, missing: 3, distinct: 2, distinctExact: true, kind: 'text', numbers: null });
    expect(r.topValues).toEqual([
      { value: 'XLON', count: 3 },
      { value: 'XETR', count: 1 },
    ]);
  });

  it('treats a column as numeric when at least 90% of its non-empty values are numbers', () => {
    const mostly = new ColumnProfile('fee', 10, null);
    for (let i = 1; i <= 9; i++) mostly.add(String(i));
    mostly.add('n/a');
    const r = mostly.finish();
    expect(r.kind).toBe('numeric');
    expect(r.numericValues).toBe(9);
    expect(r.numbers).toMatchObject({ count: 9, min: 1, max: 9, mean: 5, quantilesExact: true });
    expect(r.numbers!.quantiles.p50).toBe(5);

    const half = new ColumnProfile('code', 11, null);
    for (const v of ['1', '2', 'A', 'B']) half.add(v);
    expect(half.finish()).toMatchObject({ kind: 'text', numericValues: 2, numbers: null });
    const empty = new ColumnProfile('blank', 12, null);
    empty.add('');
    expect(empty.finish().kind).toBe('empty');
  });

  it('counts distinct values exactly up to the cap, then reports a lower bound without top values', () => {
    const options = { ...DEFAULT_COLUMN_OPTIONS, distinctCap: 3 };
    const atCap = new ColumnProfile('a', 0, null, options);
    for (const v of ['a', 'b', 'c', 'a', 'b', 'a']) atCap.add(v);
    expect(atCap.finish()).toMatchObject({ distinct: 3, distinctExact: true, topValues: [{ value: 'a', count: 3 }, { value: 'b', count: 2 }, { value: 'c', count: 1 }] });

    const over = new ColumnProfile('b', 0, null, options);
    for (const v of ['a', 'b', 'c', 'd', 'e', 'a']) over.add(v);
    expect(over.finish()).toMatchObject({ distinct: 3, distinctExact: false, topValues: [], count: 6, missing: 0 });
  });
});

describe('symbol profile', () => {
  it('computes VWAP, the price range, the spread proxy and the buy/sell split from valid trades', () => {
    const p = new SymbolProfile('ABC', 100, new SeededRandom(1));
    p.addValid(10, 1, 'BUY');
    p.addValid(11, 2, 'SELL');
    p.addValid(9.9, 1, 'BUY');
    p.countInvalid();
    const r = p.finish();
    // VWAP = (10*1 + 11*2 + 9.9*1) / 4 = 41.9 / 4
    expect(r.vwap).toBeCloseTo(41.9 / 4, 12);
    expect([r.minPrice, r.maxPrice]).toEqual([9.9, 11]);
    expect(r.rangePct).toBeCloseTo((1.1 / (41.9 / 4)) * 100, 10);
    // Moves |11-10|/10 = 10% and |9.9-11|/11 = 10%: median 10%.
    expect(r.spreadPct).toBeCloseTo(10, 10);
    expect(r).toMatchObject({ trades: 4, validTrades: 3, moves: 2, buys: 2, sells: 1, quantity: 4 });
    expect(r.buyNotional).toBeCloseTo(19.9, 12);
    expect(r.sellNotional).toBe(22);
  });

  it('has no prices without a valid trade, and no spread with one trade', () => {
    const none = new SymbolProfile('X', 10, new SeededRandom(1));
    none.countInvalid();
    expect(none.finish()).toMatchObject({ trades: 1, validTrades: 0, vwap: null, rangePct: null, spreadPct: null });
    const one = new SymbolProfile('Y', 10, new SeededRandom(1));
    one.addValid(5, 2, null);
    expect(one.finish()).toMatchObject({ vwap: 5, rangePct: 0, spreadPct: null, buys: 0, sells: 0 });
  });

  it('tracks symbols up to its cap and only counts the rows of later ones', () => {
    const t = new SymbolTable(2, 10, new SeededRandom(1));
    t.get('A')!.addValid(1, 1, 'BUY');
    t.get('B')!.addValid(1, 1, 'BUY');
    t.get('B')!.addValid(1, 1, 'BUY');
    expect(t.get('C')).toBeUndefined();
    expect(t.get('A')).toBeDefined();
    expect(t.full).toBe(true);
    expect(t.untrackedTrades).toBe(1);
    expect(t.finish().map((s) => s.symbol)).toEqual(['B', 'A']);
  });
});

describe('correlation', () => {
  it('is +1 for perfectly correlated columns, -1 for anti-correlated ones, null for a constant one', () => {
    const rows = [1, 2, 3, 4, 5, 10].map((x) => [x, 2 * x + 1, -3 * x, 7]);
    const m = pearsonMatrix(rows);
    expect(m[0][1]).toBeCloseTo(1, 12);
    expect(m[0][2]).toBeCloseTo(-1, 12);
    expect(m[1][2]).toBeCloseTo(-1, 12);
    expect(m[0][3]).toBeNull();
    expect(m[3][3]).toBeNull();
    expect(m[2][2]).toBeCloseTo(1, 12);
  });

  it('matches the textbook formula, and is symmetric', () => {
    const xs = [1, 2, 3, 4, 5];
    const ys = [2, 1, 4, 3, 5];
    // Centred: x -2..2, y -1 -2 1 0 2; sum of products 8, sums of squares 10 and 10: r = 0.8.
    const m = pearsonMatrix(xs.map((x, i) => [x, ys[i]]));
    expect(m[0][1]).toBeCloseTo(0.8, 12);
    expect(m[1][0]).toBeCloseTo(0.8, 12);
  });

  it('merges groups to the same result as one pass, and a shifted mean leaves the co-moments alone', () => {
    const rows = Array.from({ length: 40 }, (_, i) => [Math.sin(i), i % 7, Math.cos(i * 0.3) * 5]);
    const whole = new CoMoments(3);
    rows.forEach((r) => whole.add(r));
    const a = new CoMoments(3);
    const b = new CoMoments(3);
    rows.forEach((r, i) => (i % 3 === 0 ? a : b).add(r));
    a.merge(b);
    expect(a.n).toBe(40);
    const wm = whole.correlation();
    const am = a.correlation();
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(am[i][j]!).toBeCloseTo(wm[i][j]!, 12);

    // A deviation from a per-group constant: group g's feature 0 minus c_g, by shift and merge,
    // equals the same computed row by row.
    const direct = new CoMoments(2);
    const groups = [new CoMoments(2), new CoMoments(2)];
    const c = [3, -2];
    rows.forEach((r, i) => {
      const g = i % 2;
      groups[g].add([r[0], r[2]]);
      direct.add([r[0] - c[g], r[2]]);
    });
    const merged = new CoMoments(2);
    groups.forEach((g, k) => {
      g.shift(0, -c[k]);
      merged.merge(g);
    });
    expect(merged.correlation()[0][1]!).toBeCloseTo(direct.correlation()[0][1]!, 12);
  });
});

describe('histogram', () => {
  it('counts values into equal bins, with under- and overflow, and ignores NaN', () => {
    const h = new Histogram(0, 10, 5);
    for (const x of [0, 1.9, 2, 9.99, 10, -1, Number.NaN]) h.add(x);
    expect(h.finish()).toEqual({ lo: 0, width: 2, counts: [2, 1, 0, 0, 1], underflow: 1, overflow: 1, total: 6 });
  });

  it('trims empty bins at both ends, keeping the edges exact', () => {
    const h = new Histogram(0, 1, 10);
    h.add(0.35);
    h.add(0.55);
    const t = h.finishTrimmed();
    expect(t.counts).toEqual([1, 0, 1]);
    expect(t.lo).toBe(0.3);
  });

  it('bins log10 values at ten bins per power of ten', () => {
    const h = logHistogram(-6, 15, 10);
    for (const x of [1, 10, 10, 100]) h.add(Math.log10(x));
    const t = h.finishTrimmed();
    expect(t.lo).toBe(0);
    expect(t.width).toBeCloseTo(0.1, 12);
    expect(t.counts.length).toBe(21);
    expect([t.counts[0], t.counts[10], t.counts[20]]).toEqual([1, 2, 1]);
  });
});

const HEADER = ['trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price', 'fee', 'desk'];
const LAYOUT: ExploreLayout = {
  header: HEADER,
  index: { trade_id: 0, timestamp: 1, symbol: 2, side: 3, quantity: 4, price: 5 },
  present: ['trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price'],
};

/** Feeds records through the same checks the command uses (with the default readers). */
function explore(records: string[][], options: ConstructorParameters<typeof ExploreAccumulator>[1] = {}) {
  const acc = new ExploreAccumulator(LAYOUT, { source: 'trades.csv', ...options });
  records.forEach((r, i) => {
    const fields = Object.fromEntries(LAYOUT.present.map((f) => [f, r[LAYOUT.index[f]!]]));
    acc.add(r, checkTrade({ sourceRow: i + 1, fields }, []));
  });
  return acc.finish();
}

describe('explore accumulator', () => {
  const records = [
    ['T1', '2026-12-01T09:07:00Z', 'AAA', 'BUY', '10', '100', '1.00', 'rates'],
    ['T2', '2026-12-01T09:20:00Z', 'AAA', 'SELL', '30', '102', '1.02', 'rates'],
    ['T3', '2026-12-01T10:00:00Z', 'BBB', 'BUY', '5', '20', '0.20', 'fx'],
    ['T4', '2026-12-01T10:05:00Z', 'BBB', 'SELL', '15', '22', '0.22', 'fx'],
    ['T5', '2026-12-01T11:00:00Z', 'AAA', 'BUY', '', '101', '1.01', 'rates'],
    ['T6', 'yesterday', 'CCC', 'HOLD', '1', '1', 'x', ''],
  ];
  const s = explore(records);

  it('states the file facts', () => {
    expect(s.facts).toMatchObject({
      file: 'trades.csv',
      rows: 6,
      columns: 8,
      extraColumns: ['fee', 'desk'],
      timeRange: { first: '2026-12-01T09:07:00.000Z', last: '2026-12-01T11:00:00.000Z' },
      rowsWithTimestamp: 5,
      dates: [{ date: '2026-12-01', rows: 5 }],
      distinctSymbols: 3,
      distinctSymbolsExact: true,
      validRows: 4,
      rowsWithFindings: 2,
    });
    expect(s.facts.canonicalAbsent).toContain('currency');
  });

  it('counts findings per rule with the rule text, and keeps examples in file order', () => {
    expect(s.quality.findings.map((f) => [f.code, f.count])).toEqual([
      ['MISSING_FIELD', 1],
      ['UNKNOWN_SIDE', 1],
      ['UNPARSABLE_TIMESTAMP', 1],
    ]);
    expect(s.quality.findings[0].description).toBe('a required field is empty');
    expect(s.quality.examples.map((e) => [e.sourceRow, e.code, e.field])).toEqual([
      [5, 'MISSING_FIELD', 'quantity'],
      [6, 'UNPARSABLE_TIMESTAMP', 'timestamp'],
      [6, 'UNKNOWN_SIDE', 'side'],
    ]);
    const few = explore(records, { maxExamples: 1 });
    expect(few.quality.examples).toHaveLength(1);
  });

  it('profiles every column, canonical or not', () => {
    expect(s.columns.map((c) => [c.name, c.canonical, c.kind])).toEqual([
      ['trade_id', 'trade_id', 'text'],
      ['timestamp', 'timestamp', 'text'],
      ['symbol', 'symbol', 'text'],
      ['side', 'side', 'text'],
      ['quantity', 'quantity', 'numeric'],
      ['price', 'price', 'numeric'],
      ['fee', null, 'text'],
      ['desk', null, 'text'],
    ]);
    const quantity = s.columns[4];
    expect(quantity).toMatchObject({ count: 6, missing: 1, distinct: 5 });
    // 10 30 5 15 1: mean 12.2
    expect(quantity.numbers).toMatchObject({ count: 5, min: 1, max: 30, mean: 12.2 });
    expect(quantity.numbers!.quantiles.p50).toBe(10);
    // 'x' among six fee values: 5 of 6 are numbers, under 90%.
    expect(s.columns[6]).toMatchObject({ numericValues: 5, kind: 'text' });
  });

  it('profiles symbols from valid rows, busiest first', () => {
    expect(s.symbols.list.map((x) => [x.symbol, x.trades, x.validTrades])).toEqual([
      ['AAA', 3, 2],
      ['BBB', 2, 2],
      ['CCC', 1, 0],
    ]);
    const aaa = s.symbols.list[0];
    expect(aaa.vwap).toBeCloseTo((100 * 10 + 102 * 30) / 40, 12);
    expect(aaa.spreadPct).toBeCloseTo(2, 12);
    expect(s.symbols).toMatchObject({ tracked: 3, capped: false, untrackedTrades: 0 });
  });

  it('puts valid trades in the distributions and the time of day, split by side', () => {
    const d = s.distributions;
    expect(d.sides.buy).toEqual({ trades: 2, notional: 1000 + 100 });
    expect(d.sides.sell).toEqual({ trades: 2, notional: 3060 + 330 });
    expect(d.log10Price.total).toBe(4);
    expect(s.timeOfDay.binMinutes).toBe(15);
    expect(s.timeOfDay.buy).toHaveLength(96);
    // 09:07 falls in the quarter-hour bin 9*4 = 36, 09:20 in 37, 10:00 and 10:05 in 40.
    expect(s.timeOfDay.buy[36]).toBe(1);
    expect(s.timeOfDay.sell[37]).toBe(1);
    expect(s.timeOfDay.buy[40] + s.timeOfDay.sell[40]).toBe(2);
    expect(hourOfDay(Date.UTC(2026, 11, 1, 9, 30))).toBe(9.5);
  });

  it('correlates the core features over valid rows and adds extra numeric columns', () => {
    const withFee = explore(records.slice(0, 4));
    expect(withFee.correlation.features).toEqual(['price', 'quantity', 'notional', 'log_dev_vwap', 'hour_utc', 'fee']);
    expect(withFee.correlation.rows).toBe(4);
    const m = withFee.correlation.matrix;
    // fee is 1% of the price: perfectly correlated.
    expect(m[0][5]).toBeCloseTo(1, 12);
    for (let i = 0; i < 6; i++) {
      expect(m[i][i]).toBeCloseTo(1, 12);
      for (let j = 0; j < 6; j++) expect(m[i][j]).toBeCloseTo(m[j][i]!, 12);
    }
    // The deviation from each symbol's VWAP, computed directly, correlates with price as reported.
    const vwap = { AAA: (100 * 10 + 102 * 30) / 40, BBB: (20 * 5 + 22 * 15) / 20 };
    const rows = records.slice(0, 4).map((r) => [Number(r[5]), Math.log(Number(r[5]) / vwap[r[2] as 'AAA' | 'BBB'])]);
    expect(m[0][3]).toBeCloseTo(pearsonMatrix(rows)[0][1]!, 10);
    // With 'x' in fee, the column is text and the matrix keeps the five core features.
    expect(s.correlation.features).toHaveLength(5);
  });

  it('caps distinct counts, and profiles only the columns it is given', () => {
    const capped = explore(records, { distinctCap: 2, profiledColumns: [0, 2], notProfiledReason: 'test' });
    expect(capped.columns.map((c) => [c.name, c.distinct, c.distinctExact])).toEqual([
      ['trade_id', 2, false],
      ['symbol', 2, false],
    ]);
    expect(capped.facts.distinctSymbolsExact).toBe(false);
    expect(capped.facts.notProfiled).toEqual({ columns: ['timestamp', 'side', 'quantity', 'price', 'fee', 'desk'], reason: 'test' });
  });

  it('is JSON without NaN or Infinity, even for a file with no data rows', () => {
    const empty = explore([]);
    const text = JSON.stringify(empty);
    expect(JSON.parse(text)).toEqual(empty);
    expect(empty.facts.timeRange).toBeNull();
    expect(empty.correlation.matrix.flat().every((v) => v === null)).toBe(true);
    expect(JSON.stringify(s)).not.toMatch(/NaN|Infinity/);
    expect(renderExploreReport(empty)).toContain('No data-quality findings');
  });
});

describe('report and charts', () => {
  const hostile = '<script>alert("x")</script>';
  const summary = explore([
    ['T1', '2026-12-01T09:07:00Z', hostile, 'BUY', '10', '100', '1', '<img src=x onerror=alert(1)>'],
    ['T2', '2026-12-01T09:08:00Z', hostile, 'SELL', '12', '101', '1', 'a&b'],
    ['T3', '2026-12-01T09:09:00Z', 'OK', 'SELL', '-1', '101', '1', 'a&b'],
  ]);
  const html = renderExploreReport(summary);

  it('escapes every value from the file', () => {
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('a&amp;b');
    expect(escapeXml(`<a href='x'>&</a>`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('has the sections, charts with accessible names, and nothing to fetch', () => {
    for (const id of ['facts', 'quality', 'columns', 'symbols', 'correlation', 'distributions', 'time-of-day']) expect(html).toContain(`<section id="${id}">`);
    const svgs = html.match(/<svg[^>]*>/g) ?? [];
    expect(svgs.length).toBeGreaterThanOrEqual(8);
    for (const svg of svgs) expect(svg).toMatch(/role="img" aria-label="[^"]+"/);
    expect(html.match(/<svg[^>]*><title>/g)).toHaveLength(svgs.length);
    // Links only within the page; no stylesheet, script, image or font from anywhere.
    expect(html.match(/href="[^#][^"]*"/g)).toBeNull();
    expect(html).not.toMatch(/<link|<img|<iframe|@import|url\(|src=/i);
  });

  it('draws bars, bins, cells and stacked bins from the numbers given', () => {
    const bars = barChart({ title: 'T <1>', bars: [{ label: 'a<b', value: 3 }, { label: 'c', value: 1 }], valueLabel: 'n' });
    expect(bars).toContain('<title>T &lt;1&gt;</title>');
    expect(bars).toContain('a&lt;b');
    expect(bars.match(/<rect /g)).toHaveLength(2);
    const hist = histogramChart({ title: 'h', lo: 0, binWidth: 1, counts: [1, 0, 5], xLabel: 'x', yLabel: 'n', xTicks: [{ value: 0, label: '1' }] });
    expect(hist.match(/<rect /g)).toHaveLength(2);
    expect(histogramChart({ title: 'h', lo: 0, binWidth: 1, counts: [], xLabel: 'x', yLabel: 'n', xTicks: [] })).toContain('no data');
    const heat = correlationHeatmap({ title: 'c', labels: ['a', 'b'], matrix: [[1, -0.5], [-0.5, 1]] });
    expect(heat).toContain('>-0.50<');
    const day = timeOfDayChart({ title: 't', binMinutes: 60, series: [{ name: 'buy', counts: [0, 2, ...Array(22).fill(0)], color: '#0a0' }, { name: 'sell', counts: [0, 1, ...Array(22).fill(0)], color: '#a00' }], yLabel: 'n' });
    expect(day.match(/<rect x="[\d.]+" y="[\d.]+" width/g)).toHaveLength(2 + 2); // two stacked bars + two legend keys
  });

  it('points at lone short bars (a fat finger, an off-hours trade), not at the body of the distribution', () => {
    expect(isolatedBins([0, 0, 500, 400, 0, 0, 0, 1, 0, 0], 500, 200)).toEqual([7]);
    expect(isolatedBins([1, 0, 0, 900], 900, 200)).toEqual([0]);
    expect(isolatedBins([5, 6, 7], 900, 200)).toEqual([]);
  });

  it('formats numbers for people and ticks for axes', () => {
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(0.000012345)).toBe('1.234e-5');
    expect(formatNumber(42.98765, 4)).toBe('42.99');
    // A large non-integer (an interpolated epoch-ms quantile) keeps its integer digits.
    expect(formatNumber(1_614_180_779_623.5)).toBe('1,614,180,779,624');
    expect(formatNumber(null)).toBe('–');
    expect([formatPercent(1, 5000), formatPercent(1, 200_000), formatPercent(0, 10), formatPercent(1, 3), formatPercent(1, 0)]).toEqual(['0.02%', '<0.01%', '0.0%', '33.3%', '–']);
    expect(zeroBasedTicks(1105, 4)).toEqual([0, 500, 1000, 1500]);
    expect(zeroBasedTicks(2, 4, true)).toEqual([0, 1, 2]);
  });
});
