import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_TOP_ANOMALIES, reportKey } from '../../src/steps/aggregate-step.js';
import { SCORE_BINS } from '../../src/report/result-breakdown.js';
import type { Manifest } from '../../src/pipeline/manifest.js';
import { getJson } from '../../src/ports/object-store.js';
import { findChromium, INSTALL_TIMEOUT_MS, renderPage, type ChromiumLookup } from '../support/chromium.js';
import { generateDays, tempDir, trainOn } from '../support/fixtures.js';
import { PipelineHarness, type HarnessRun } from '../support/pipeline-harness.js';

/**
 * The day's report and the one alert of a run over many chunks: report.html beside summary.json under
 * reports/, its figures equal to a pass over the Parquet result, and the page rendered in headless
 * Chromium, offline, with its charts drawn. Set TRADE_ANOMALY_KEEP_ARTIFACTS=DIR to keep the page and
 * its screenshot for a look.
 */

const SECTIONS = ['summary', 'scores', 'anomalies', 'top', 'quality', 'drift'];
/** Scores, scores above the threshold, by symbol, by reason, by hour, data-quality rules, drift. */
const CHARTS = [
  'Model scores of the day',
  'Scores at and above the threshold',
  'Anomalies by symbol',
  'Anomalies by reason',
  'Anomalies by hour (UTC)',
  'Rows breaking each data-quality rule',
  'Drift of each model feature from the training data (PSI)',
];

describe('the daily report', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let harness: PipelineHarness;
  let run: HarnessRun;
  let html: string;
  let rows: Record<string, unknown>[];

  beforeAll(async () => {
    tmp = await tempDir('daily-report');
    const days = await generateDays(tmp.dir, { rows: 6000, seed: 11, day: '2026-11-18', historyDays: 1 });
    harness = await PipelineHarness.start(tmp.dir, await trainOn(days.history.map((h) => h.path)));
    run = await harness.run('trades.csv', await readFile(days.day.path), { chunkRows: 1000 });
    rows = run.rows!;
    const manifest = await getJson<Manifest>(harness.store, run.executionInputs[0].manifestKey);
    html = new TextDecoder().decode(await harness.store.get(reportKey(manifest)));
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
    await tmp?.cleanup();
  });

  it('publishes one alert for a file of six chunks, naming the report', () => {
    expect(run.executionInputs[0].chunks?.length).toBe(6);
    expect(run.alerts).toHaveLength(1);
    const summary = run.summary!;
    expect(summary.report).toBe(summary.summaryUri.replace(/summary\.json$/, 'report.html'));
    expect(run.alerts[0].message).toContain(`Report: ${summary.report}`);
    expect(run.alerts[0].json).toMatchObject({ report: summary.report, anomalies: summary.anomalies });
  });

  it('counts the figures behind the charts as a pass over the Parquet result does', () => {
    const { breakdown, byReason } = run.summary!;
    const histogram = new Array<number>(SCORE_BINS).fill(0);
    const hours = new Array<number>(24).fill(0);
    const bySymbol = new Map<string, number>();
    const quality = new Map<string, number>();
    for (const r of rows) {
      if (r.score !== null) histogram[Math.min(SCORE_BINS - 1, Math.floor((r.score as number) * SCORE_BINS))]++;
      for (const code of r.quality_issues as string[]) quality.set(code, (quality.get(code) ?? 0) + 1);
      if (!r.is_anomaly) continue;
      if (r.timestamp !== null) hours[(r.timestamp as Date).getUTCHours()]++;
      if (r.symbol !== null) bySymbol.set(r.symbol as string, (bySymbol.get(r.symbol as string) ?? 0) + 1);
    }
    expect(breakdown.scoreHistogram).toEqual(histogram);
    expect(breakdown.byHour.anomalies).toEqual(hours);
    for (const s of breakdown.bySymbol.filter((x) => x.symbol !== null)) expect(s.anomalies, s.symbol!).toBe(bySymbol.get(s.symbol!));
    expect(breakdown.symbols.withAnomalies).toBe(bySymbol.size);
    expect(breakdown.qualityByRule).toEqual(Object.fromEntries(quality));
    // Reasons as the score steps counted them, from the files beside the scored chunks: quality codes match the result.
    for (const [code, n] of quality) expect(byReason[code], code).toBe(n);
    const levels = breakdown.bySeverity;
    expect(levels.HIGH + levels.MEDIUM + levels.LOW).toBe(run.summary!.open.anomalies);
  });

  it('is one self-contained page: no script, nothing fetched, the file\'s text escaped', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html).toContain("default-src 'none'");
    const top = rows.filter((r) => r.is_anomaly && r.score !== null && (r.score as number) >= run.summary!.threshold).length;
    expect((html.match(/<tr><td class="n">\d+<\/td>/g) ?? []).length).toBe(Math.min(REPORT_TOP_ANOMALIES, top));
  });

  describe('in headless Chromium', () => {
    let chromium: ChromiumLookup;
    let dom = '';
    const shot = () => path.join(tmp.dir, 'report.png');

    beforeAll(async () => {
      chromium = await findChromium();
      if ('skipReason' in chromium) {
        console.warn(`report.html browser checks skipped: ${chromium.skipReason}`);
        return;
      }
      const file = path.join(tmp.dir, 'report.html');
      await writeFile(file, html);
      dom = await renderPage(chromium.path, file, shot(), { width: 1280, height: 3000, keepAs: 'daily-report' });
    }, INSTALL_TIMEOUT_MS + 120_000);

    it('renders every section with its charts drawn', (ctx) => {
      if ('skipReason' in chromium) ctx.skip(chromium.skipReason);
      expect(dom).toContain('<h1>trades.csv: ');
      for (const id of SECTIONS) expect(dom).toContain(`<section id="${id}">`);
      const svgs = dom.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
      for (const title of CHARTS) {
        const chart = svgs.find((svg) => svg.includes(`<title>${title}`));
        expect(chart, title).toBeDefined();
        expect(chart!).toMatch(/^<svg[^>]*role="img"[^>]*aria-label="[^"]+"/);
        expect(chart!).not.toContain('>no data<');
        expect((chart!.match(/<rect\b/g) ?? []).length, title).toBeGreaterThan(1);
      }
      // The threshold is marked on the score distribution.
      expect(svgs.find((svg) => svg.includes('<title>Model scores of the day'))).toContain(`threshold ${run.summary!.threshold.toFixed(3)}`);
    });

    it('renders to a screenshot that is not blank', async (ctx) => {
      if ('skipReason' in chromium) ctx.skip(chromium.skipReason);
      const png = await readFile(shot());
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1280, 3000]);
      // A blank page compresses to a few KB; text and charts take a hundred or more.
      expect((await stat(shot())).size).toBeGreaterThan(100_000);
    });
  });
});
