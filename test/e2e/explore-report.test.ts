import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliOutput } from '../../src/cli/cli-output.js';
import { exploreCommand, type ExploreResult } from '../../src/cli/commands/explore-command.js';
import type { ExploreSummary } from '../../src/explore/explore-summary.js';
import { writeTradingDay } from '../../src/generate/trading-day.js';
import { findChromium, INSTALL_TIMEOUT_MS, renderPage, type ChromiumLookup } from '../support/chromium.js';
import { tempDir } from '../support/fixtures.js';

/**
 * `trade-anomaly explore` on a generated day: summary.json holds what the labels say is in the file,
 * and report.html renders in a real browser, offline, with its charts drawn.
 * Set TRADE_ANOMALY_KEEP_ARTIFACTS=DIR to keep the report and its screenshot for a look.
 */

class CapturedOutput extends CliOutput {
  readonly lines: string[] = [];
  value: unknown;
  override say(text = ''): void {
    this.lines.push(text);
  }
  override result(value: unknown): void {
    this.value = value;
  }
}

interface Label {
  sourceRow: number;
  type: string;
}

const SECTIONS = ['facts', 'quality', 'columns', 'symbols', 'correlation', 'distributions', 'time-of-day'];
/** Findings bar chart, missing values, symbols, correlation, three histograms, two buy/sell charts, time of day. */
const CHARTS = 10;

describe('trade-anomaly explore on a generated day', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let csv: string;
  let outDir: string;
  let lines: string[];
  let labels: Label[];
  let result: ExploreResult;
  let summary: ExploreSummary;
  let output: CapturedOutput;

  beforeAll(async () => {
    tmp = await tempDir('explore');
    csv = path.join(tmp.dir, 'day.csv');
    const labelsFile = path.join(tmp.dir, 'day.labels.csv');
    await writeTradingDay({ rows: 5000, seed: 3, day: '2026-12-01', anomalyRate: 0.002 }, csv, labelsFile);
    lines = (await readFile(csv, 'utf8')).split('\n');
    labels = (await readFile(labelsFile, 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => {
        const [row, , type] = l.split(',');
        return { sourceRow: Number(row), type };
      });
    outDir = path.join(tmp.dir, 'explore');
    output = new CapturedOutput(false);
    result = await exploreCommand({ file: csv, out: outDir }, output);
    summary = JSON.parse(await readFile(path.join(outDir, 'summary.json'), 'utf8')) as ExploreSummary;
  });

  afterAll(async () => {
    await tmp?.cleanup();
  });

  /** A data row's fields (source_row is 1-based; line 0 is the header). */
  const fieldsOf = (sourceRow: number) => lines[sourceRow].split(',');

  it('writes the file facts', () => {
    expect(summary.format).toBe('trade-anomaly-explore/1');
    expect(summary.facts).toMatchObject({ file: csv, rows: 5000, columns: 10, distinctSymbolsExact: true, distinctDates: 1 });
    expect(summary.facts.canonicalPresent).toEqual(expect.arrayContaining(['trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price', 'currency', 'account', 'venue', 'trader']));
    expect(summary.facts.timeRange!.first.startsWith('2026-12-01T')).toBe(true);
    expect(summary.facts.dates).toEqual([{ date: '2026-12-01', rows: 5000 }]);
    expect(summary.symbols.list).toHaveLength(summary.facts.distinctSymbols);
    expect(summary.symbols.list.reduce((a, s) => a + s.trades, 0)).toBe(summary.columns.find((c) => c.name === 'symbol')!.count - summary.columns.find((c) => c.name === 'symbol')!.missing);
    expect(result).toMatchObject({ summaryPath: path.join(outDir, 'summary.json'), reportPath: path.join(outDir, 'report.html') });
  });

  it('finds the planted rows that break data-quality rules, and names them among the examples', () => {
    const codes = Object.fromEntries(summary.quality.findings.map((f) => [f.code, f.count]));
    const planted = labels.filter((l) => ['missing_field', 'duplicate_trade', 'impossible_value'].includes(l.type));
    expect(planted.length).toBeGreaterThan(0);
    expect(codes.MISSING_FIELD).toBe(labels.filter((l) => l.type === 'missing_field').length);
    expect(codes.DUPLICATE_TRADE_ID).toBe(labels.filter((l) => l.type === 'duplicate_trade').length);
    expect(summary.quality.examples.length).toBeLessThanOrEqual(20);
    const exampleRows = new Set(summary.quality.examples.map((e) => e.sourceRow));
    for (const l of planted) expect(exampleRows, `${l.type} at row ${l.sourceRow}`).toContain(l.sourceRow);
    for (const f of summary.quality.findings) expect(f.description.length).toBeGreaterThan(5);
  });

  it("shows a fat-finger price in its symbol's range and an off-hours trade in the time of day", () => {
    for (const l of labels.filter((x) => x.type === 'fat_finger')) {
      const symbol = fieldsOf(l.sourceRow)[2];
      expect(summary.symbols.list.find((s) => s.symbol === symbol)!.rangePct!).toBeGreaterThan(50);
    }
    const t = summary.timeOfDay;
    for (const l of labels.filter((x) => x.type === 'off_hours')) {
      const ts = new Date(fieldsOf(l.sourceRow)[1]);
      const bin = Math.floor((ts.getUTCHours() * 60 + ts.getUTCMinutes()) / t.binMinutes);
      expect(t.buy[bin] + t.sell[bin] + t.unknown[bin], `off-hours row ${l.sourceRow}`).toBeGreaterThan(0);
    }
    expect(t.buy.reduce((a, b) => a + b, 0) + t.sell.reduce((a, b) => a + b, 0)).toBe(summary.facts.validRows);
  });

  it('profiles columns and correlates features', () => {
    const price = summary.columns.find((c) => c.name === 'price')!;
    expect(price.kind).toBe('numeric');
    expect(price.numbers!.quantilesExact).toBe(true);
    expect(price.numbers!.quantiles.p1).toBeLessThanOrEqual(price.numbers!.quantiles.p99);
    expect(summary.columns.find((c) => c.name === 'side')!.topValues.map((v) => v.value).sort()).toEqual(['BUY', 'SELL']);
    const { features, matrix, rows } = summary.correlation;
    expect(features).toEqual(['price', 'quantity', 'notional', 'log_dev_vwap', 'hour_utc']);
    expect(rows).toBe(summary.facts.validRows);
    matrix.forEach((row, i) => {
      expect(row[i]).toBeCloseTo(1, 9);
      row.forEach((r, j) => {
        expect(Math.abs(r!)).toBeLessThanOrEqual(1);
        expect(r).toBeCloseTo(matrix[j][i]!, 12);
      });
    });
  });

  it('prints a short human summary naming the files', () => {
    expect(output.lines[0]).toContain('5,000 rows');
    expect(output.lines.join('\n')).toMatch(/data-quality findings: \d+ rows \(MISSING_FIELD/);
    expect(output.lines.at(-1)).toContain(path.join(outDir, 'report.html'));
  });

  describe('report.html in headless Chromium', () => {
    let chromium: ChromiumLookup;
    let dom = '';
    const shot = () => path.join(tmp.dir, 'report.png');

    beforeAll(async () => {
      chromium = await findChromium();
      if ('skipReason' in chromium) {
        console.warn(`report.html browser checks skipped: ${chromium.skipReason}`);
        return;
      }
      dom = await renderPage(chromium.path, path.join(outDir, 'report.html'), shot(), { width: 1280, height: 4000, keepAs: 'explore-report' });
    }, INSTALL_TIMEOUT_MS + 120_000);

    it('loads, with every section and its charts drawn', (ctx) => {
      if ('skipReason' in chromium) ctx.skip(chromium.skipReason);
      expect(dom).toContain('<h1>What is in');
      for (const id of SECTIONS) expect(dom).toContain(`<section id="${id}">`);
      const svgs = dom.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
      expect(svgs.length).toBeGreaterThanOrEqual(CHARTS);
      for (const svg of svgs) {
        expect(svg).toMatch(/^<svg[^>]*role="img"[^>]*aria-label="[^"]+"/);
        expect(svg).toMatch(/<title>[^<]+<\/title>/);
        expect(svg).not.toContain('>no data<');
        expect((svg.match(/<(rect|path)\b/g) ?? []).length).toBeGreaterThan(1);
      }
      expect(dom).not.toMatch(/<script/i);
    });

    it('renders to a screenshot that is not blank', async (ctx) => {
      if ('skipReason' in chromium) ctx.skip(chromium.skipReason);
      const png = await readFile(shot());
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1280, 4000]);
      // A blank 1280x4000 page compresses to a few KB; text and charts take hundreds.
      expect((await stat(shot())).size).toBeGreaterThan(150_000);
    });
  });
});
