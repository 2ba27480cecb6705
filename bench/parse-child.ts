/**
 * The child side of the parse + validate benchmark (bench/parse-benchmark.ts): one task per process,
 * so each pass's peak RSS is its own.
 *
 *   node --import tsx bench/parse-child.ts --child '<json spec>'
 *
 * Tasks:
 * - `generate`: writes a synthetic trading day with src/generate/trading-day.ts (writeTradingDay);
 * - `measure`: one streaming pass over a file, in one of three modes, to split the cost:
 *     `read`         the bare CSV reader (src/parse/csv-reader.ts readCsvBatches);
 *     `scan`         TradeFileScanner.scan (header mapping, duplicate index, day context) and dayContext();
 *     `scan+checks`  the same plus checkTrade(row, optionalFields) on every row: what ingest does per row.
 *   Memory is sampled (process.memoryUsage()) every `sampleEvery` rows, at the first batch boundary
 *   past each multiple, so a reader can see whether it is flat along the file.
 *
 * The result is one line on stdout: `PARSE_RESULT <json>`.
 */
import { createReadStream, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { writeTradingDay } from '../src/generate/trading-day.js';
import { readCsvBatches } from '../src/parse/csv-reader.js';
import { TradeFileScanner } from '../src/pipeline/trade-file-scanner.js';
import { checkTrade } from '../src/quality/trade-checks.js';
import { OPTIONAL_FIELDS, type CanonicalField } from '../src/schema/trade-schema.js';

export const PARSE_RESULT_MARKER = 'PARSE_RESULT ';

export type ParseMode = 'read' | 'scan' | 'scan+checks';
export const PARSE_MODES: readonly ParseMode[] = ['read', 'scan', 'scan+checks'];

export interface GenerateSpec {
  task: 'generate';
  file: string;
  rows: number;
  seed: number;
  day: string;
  anomalyRate: number;
}

export interface MeasureSpec {
  task: 'measure';
  mode: ParseMode;
  file: string;
  /** Take a memory sample at the first batch boundary past every multiple of this many data rows. */
  sampleEvery: number;
}

export type ParseChildSpec = GenerateSpec | MeasureSpec;

export interface GenerateResult {
  task: 'generate';
  rows: number;
  anomalies: number;
  bytes: number;
  elapsedMs: number;
  peakRssBytes: number;
}

/** process.memoryUsage() at one point of a pass. arrayBuffers (typed-array stores) is part of external, outside heapUsed. */
export interface MemorySample {
  /** Data rows processed when the sample was taken (0 = before the stream is opened). */
  rows: number;
  ms: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface MeasureResult {
  task: 'measure';
  mode: ParseMode;
  /** Data rows (the header excluded). */
  rows: number;
  bytes: number;
  /** Wall time of the pass: open the stream, every row, dayContext(). */
  elapsedMs: number;
  /** CPU time (user + system) of the whole process during the pass, GC threads included. */
  cpuMs: number;
  /** Work counters, so the pass cannot be optimised away, and as a sanity check on the data. */
  counters: Record<string, number>;
  /** RSS just before the pass (Node, tsx and the modules loaded). */
  rssBeforeBytes: number;
  /** process.resourceUsage().maxRSS at the end of the pass. */
  peakRssBytes: number;
  samples: MemorySample[];
}

export type ParseChildResult = GenerateResult | MeasureResult;

async function generate(spec: GenerateSpec): Promise<GenerateResult> {
  const t0 = performance.now();
  const report = await writeTradingDay({ rows: spec.rows, seed: spec.seed, day: spec.day, anomalyRate: spec.anomalyRate }, spec.file);
  const elapsedMs = performance.now() - t0;
  return {
    task: 'generate',
    rows: report.rows,
    anomalies: report.anomalies,
    bytes: statSync(spec.file).size,
    elapsedMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/** The optional canonical fields the file has, in canonical order (what the score step passes to checkTrade). */
function optionalFieldsPresent(present: readonly CanonicalField[]): CanonicalField[] {
  return OPTIONAL_FIELDS.filter((f) => present.includes(f));
}

async function measure(spec: MeasureSpec): Promise<MeasureResult> {
  const bytes = statSync(spec.file).size;
  const samples: MemorySample[] = [];
  let t0 = 0;
  const sample = (rows: number): void => {
    const m = process.memoryUsage();
    samples.push({ rows, ms: t0 === 0 ? 0 : performance.now() - t0, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers });
  };
  sample(0);
  const rssBeforeBytes = samples[0].rss;
  const counters: Record<string, number> = {};
  let rows = 0;
  let nextSample = spec.sampleEvery;

  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  const source = createReadStream(spec.file);
  if (spec.mode === 'read') {
    let records = 0;
    let fields = 0;
    let flagged = 0;
    for await (const batch of readCsvBatches(source)) {
      for (const record of batch) {
        fields += record.fields.length;
        if (record.issue !== undefined) flagged++;
      }
      records += batch.length;
      if (records - 1 >= nextSample) {
        sample(records - 1);
        while (nextSample <= records - 1) nextSample += spec.sampleEvery;
      }
    }
    rows = Math.max(0, records - 1); // the first record is the header
    Object.assign(counters, { records, fields, flagged });
  } else {
    const checks = spec.mode === 'scan+checks';
    const scanner = new TradeFileScanner(basename(spec.file));
    let optional: CanonicalField[] | undefined;
    let issues = 0;
    let rowsWithIssues = 0;
    let scorable = 0;
    let duplicates = 0;
    let malformed = 0;
    for await (const batch of scanner.scan(source)) {
      if (checks) {
        optional ??= optionalFieldsPresent(scanner.layout!.present);
        for (const row of batch) {
          const t = checkTrade(row, optional);
          issues += t.issues.length;
          if (t.issues.length > 0) rowsWithIssues++;
          if (t.scorable) scorable++;
        }
      } else {
        for (const row of batch) if (row.csvIssue !== undefined) malformed++;
      }
      rows += batch.length;
      if (rows >= nextSample) {
        sample(rows);
        while (nextSample <= rows) nextSample += spec.sampleEvery;
      }
    }
    const context = scanner.dayContext();
    duplicates = scanner.duplicateMarks().size;
    Object.assign(counters, { scannerRows: scanner.rows, contextValidRows: context.validRows, contextSymbols: Object.keys(context.symbols).length });
    if (checks) Object.assign(counters, { issues, rowsWithIssues, scorable });
    else Object.assign(counters, { duplicateIds: duplicates, malformed });
  }
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  sample(rows);
  return {
    task: 'measure',
    mode: spec.mode,
    rows,
    bytes,
    elapsedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    counters,
    rssBeforeBytes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    samples,
  };
}

export async function runParseChild(spec: ParseChildSpec): Promise<ParseChildResult> {
  return spec.task === 'generate' ? generate(spec) : measure(spec);
}

const THIS_FILE = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child' && process.argv[1] !== undefined && resolve(process.argv[1]) === THIS_FILE) {
  const spec = JSON.parse(process.argv[3]) as ParseChildSpec;
  runParseChild(spec).then(
    (result) => process.stdout.write(`${PARSE_RESULT_MARKER}${JSON.stringify(result)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
