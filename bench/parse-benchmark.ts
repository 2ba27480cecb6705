/**
 * Section 4 of `npm run bench`: the speed and memory of parse + validate, the per-row work of ingest,
 * on generated trade files of growing size (by default 150,000, 1 million and 10 million rows).
 *
 * - The files are written once per run by src/generate/trading-day.ts (writeTradingDay, seed 1,
 *   day 2026-12-01, 0.2% anomalies) into a temporary folder under os.tmpdir(), reused by every pass
 *   over them, and deleted at the end (also on Ctrl-C). A size whose file would not fit is skipped
 *   with a message: 10 million rows is ~900 MB, so sizes from 5 million rows need 3 GB free.
 * - Every pass runs alone in its own child process (bench/parse-child.ts) with a timeout, so its peak
 *   RSS (process.resourceUsage().maxRSS, and the parent's polls of /proc/<pid>/status VmHWM) is its own.
 * - Three passes per file split the cost: the bare CSV reader; TradeFileScanner (header mapping,
 *   repeat partitions on disk, day context); the scanner plus checkTrade on every row ("parse + validate").
 * - Files of up to 1 million rows are measured 3 times (median), larger ones once.
 * - Memory is sampled inside each pass every tenth of the file (rss, heapUsed, arrayBuffers), so the
 *   report shows whether it is flat along the file and not only its peak.
 */
import { rmSync, statfsSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from './forest-benchmark.js';
import {
  PARSE_MODES,
  PARSE_RESULT_MARKER,
  type GenerateResult,
  type GenerateSpec,
  type MeasureResult,
  type MeasureSpec,
  type MemorySample,
  type ParseChildSpec,
  type ParseMode,
} from './parse-child.js';
import { benchWorkspace, lastLines, looksOutOfMemory, runMeasured } from './measured-process.js';
import { PROJECT_ROOT } from './shuttle.js';

export const DEFAULT_PARSE_ROWS: readonly number[] = [150_000, 1_000_000, 10_000_000];

const GENERATE = { seed: 1, day: '2026-12-01', anomalyRate: 0.002 } as const;
/** Measured: the generator writes ~90 bytes a row; the estimate leaves a margin. */
const ESTIMATED_BYTES_PER_ROW = 95;
const GB = 1024 ** 3;
const MB = 1024 ** 2;
/** From this size on, at least 3 GB must be free before the file is written (the 10M file is ~900 MB). */
const LARGE_FILE_ROWS = 5_000_000;
const LARGE_FILE_MIN_FREE = 3 * GB;
/** Files up to this size are measured 3 times (median); larger ones once. */
const REPEAT_UP_TO_ROWS = 1_000_000;
const REPEATS = 3;
/** Memory samples per pass. */
const SAMPLES_PER_PASS = 10;

const CHILD_FILE = resolve(PROJECT_ROOT, 'bench', 'parse-child.ts');

const MODE_LABEL: Record<ParseMode, string> = {
  read: 'read only (readCsvBatches)',
  scan: 'scan (TradeFileScanner + dayContext)',
  'scan+checks': 'scan + checks (parse + validate)',
};

// ---------------------------------------------------------------------------------------------------
// Options

/** Parses `--parse-rows=150000,1000000,10000000` (underscores allowed, `k`/`M` suffixes too): sorted, distinct. */
export function parseRowsOption(value: string): number[] {
  const rows = value.split(',').map((raw) => {
    const text = raw.trim().replace(/_/g, '');
    const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text);
    const n = m === null ? Number.NaN : Number(m[1]) * (m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1e3 : 1e6);
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`--parse-rows: "${raw}" is not a positive whole number of rows`);
    return n;
  });
  if (rows.length === 0) throw new RangeError('--parse-rows: give at least one size');
  return [...new Set(rows)].sort((a, b) => a - b);
}

export interface ParseBenchOptions {
  rows: readonly number[];
  log: (message: string) => void;
}

// ---------------------------------------------------------------------------------------------------
// Child processes

export type ChildOutcome<T> =
  | { status: 'ok'; elapsedMs: number; loadAverage1: number; result: T; peakRssBytes: number }
  | { status: 'timeout' | 'out-of-memory' | 'failed'; elapsedMs: number; loadAverage1: number; message: string; peakRssBytes: number | null };

/** Runs one task in a child Node process with a timeout; never throws for the child's failure. */
async function runChild<T extends { peakRssBytes: number }>(spec: ParseChildSpec, timeoutMs: number): Promise<ChildOutcome<T>> {
  const loadAverage1 = Number(os.loadavg()[0].toFixed(2));
  const p = await runMeasured(process.execPath, ['--import', 'tsx', CHILD_FILE, '--child', JSON.stringify(spec)], timeoutMs);
  const line = p.stdout.split('\n').find((l) => l.startsWith(PARSE_RESULT_MARKER));
  if (p.code === 0 && line !== undefined) {
    const result = JSON.parse(line.slice(PARSE_RESULT_MARKER.length)) as T;
    return { status: 'ok', elapsedMs: p.elapsedMs, loadAverage1, result, peakRssBytes: Math.max(result.peakRssBytes, p.polledPeakRssBytes ?? 0) };
  }
  if (p.timedOut) {
    return { status: 'timeout', elapsedMs: p.elapsedMs, loadAverage1, peakRssBytes: p.polledPeakRssBytes, message: `killed after the ${Math.round(timeoutMs / 1000)} s timeout` };
  }
  return {
    status: looksOutOfMemory(p) ? 'out-of-memory' : 'failed',
    elapsedMs: p.elapsedMs,
    loadAverage1,
    peakRssBytes: p.polledPeakRssBytes,
    message: `exit ${p.code ?? p.signal}: ${lastLines(p.stderr, 3) || '(no stderr)'}`,
  };
}

// ---------------------------------------------------------------------------------------------------
// Results

export interface ModeSummary {
  mode: ParseMode;
  /** Passes that completed. */
  runs: number;
  elapsedMsMedian: number;
  rowsPerSec: number;
  mbPerSec: number;
  /** Median over the passes. */
  peakRssBytes: number;
  rssBeforeBytes: number;
  cpuMsMedian: number;
  counters: Record<string, number>;
  /** The samples of the pass with the median time. */
  samples: MemorySample[];
}

export interface SizeResult {
  rows: number;
  /** Why the size was not measured (disk space, generation failure). */
  skipped?: string;
  file?: { bytes: number; anomalies: number; generateMs: number; generatePeakRssBytes: number };
  sampleEvery: number;
  /** Per mode: the summary when at least one pass completed, else the first failure. */
  modes: Partial<Record<ParseMode, { summary: ModeSummary | null; failure: string | null; outcomes: ChildOutcome<MeasureResult>[] }>>;
}

export interface ParseSection {
  tmpDir: string;
  diskFreeBytesAtStart: number;
  generator: typeof GENERATE;
  rowsRequested: number[];
  repeats: { upToRows: number; times: number };
  cores: number;
  loadAverageStart: number[];
  loadAverageEnd: number[];
  durationMs: number;
  sizes: SizeResult[];
  /** Per mode: peak RSS of the largest measured size over that of the smallest. */
  peakRatios: { mode: ParseMode; smallRows: number; largeRows: number; ratio: number; bytesPerExtraRow: number }[];
}

function summariseMode(mode: ParseMode, outcomes: ChildOutcome<MeasureResult>[]): ModeSummary | null {
  const ok = outcomes.flatMap((o) => (o.status === 'ok' ? [{ ...o.result, peakRssBytes: o.peakRssBytes }] : []));
  if (ok.length === 0) return null;
  const byTime = [...ok].sort((a, b) => a.elapsedMs - b.elapsedMs);
  const mid = byTime[(byTime.length - 1) >> 1];
  const elapsedMsMedian = median(ok.map((r) => r.elapsedMs));
  return {
    mode,
    runs: ok.length,
    elapsedMsMedian,
    rowsPerSec: mid.rows / (elapsedMsMedian / 1000),
    mbPerSec: mid.bytes / MB / (elapsedMsMedian / 1000),
    peakRssBytes: median(ok.map((r) => r.peakRssBytes)),
    rssBeforeBytes: median(ok.map((r) => r.rssBeforeBytes)),
    cpuMsMedian: median(ok.map((r) => r.cpuMs)),
    counters: mid.counters,
    samples: mid.samples,
  };
}

function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Free space a size needs before its file is written. */
function requiredFreeBytes(rows: number): number {
  const estimate = rows * ESTIMATED_BYTES_PER_ROW;
  return Math.max(rows >= LARGE_FILE_ROWS ? LARGE_FILE_MIN_FREE : 0, Math.ceil(estimate * 1.5) + 256 * MB);
}

const generateTimeoutMs = (rows: number): number => 60_000 + rows * 0.03; // 30 µs a row; ~2 µs measured
const measureTimeoutMs = (rows: number): number => 60_000 + rows * 0.06; // 60 µs a row; ~7 µs measured

// ---------------------------------------------------------------------------------------------------
// The run

export async function runParseBenchmark(options: ParseBenchOptions): Promise<ParseSection> {
  const { log } = options;
  const started = performance.now();
  const loadAverageStart = os.loadavg().map((l) => Number(l.toFixed(2)));
  const { dir: tmpDir, close: cleanup } = benchWorkspace('trade-anomaly-parse-bench-', log);
  const diskFreeBytesAtStart = freeBytes(tmpDir);

  const sizes: SizeResult[] = [];
  try {
    for (const rows of options.rows) {
      const sampleEvery = Math.max(1, Math.round(rows / SAMPLES_PER_PASS));
      const size: SizeResult = { rows, sampleEvery, modes: {} };
      sizes.push(size);
      const free = freeBytes(tmpDir);
      const need = requiredFreeBytes(rows);
      if (free < need) {
        size.skipped = `only ${fmtBytes(free)} free in ${os.tmpdir()}, ${fmtBytes(need)} needed for a ${rows.toLocaleString('en-US')}-row file (~${fmtBytes(rows * 90)})`;
        log(`4. parse: ${rows} rows skipped: ${size.skipped}`);
        continue;
      }
      const file = join(tmpDir, `trades-${rows}.csv`);
      log(`4. parse: generating ${rows.toLocaleString('en-US')} rows into ${file}`);
      const gen = await runChild<GenerateResult>({ task: 'generate', file, rows, ...GENERATE } satisfies GenerateSpec, generateTimeoutMs(rows));
      if (gen.status !== 'ok') {
        size.skipped = `generating the file failed (${gen.status}): ${gen.message}`;
        log(`4. parse: ${size.skipped}`);
        rmSync(file, { force: true });
        continue;
      }
      size.file = { bytes: gen.result.bytes, anomalies: gen.result.anomalies, generateMs: gen.result.elapsedMs, generatePeakRssBytes: gen.peakRssBytes };

      const repeats = rows <= REPEAT_UP_TO_ROWS ? REPEATS : 1;
      const outcomes: Record<ParseMode, ChildOutcome<MeasureResult>[]> = { read: [], scan: [], 'scan+checks': [] };
      const gaveUp = new Set<ParseMode>();
      // Interleaved (read, scan, checks, read, ...) so slow drift in the machine's load spreads over all three.
      for (let rep = 0; rep < repeats; rep++) {
        for (const mode of PARSE_MODES) {
          if (gaveUp.has(mode)) continue;
          log(`4. parse: ${rows.toLocaleString('en-US')} rows, ${mode}${repeats > 1 ? `, repetition ${rep + 1}/${repeats}` : ''}`);
          const o = await runChild<MeasureResult>({ task: 'measure', mode, file, sampleEvery } satisfies MeasureSpec, measureTimeoutMs(rows));
          outcomes[mode].push(o);
          if (o.status !== 'ok') {
            log(`4. parse: ${mode} ${o.status}: ${o.message}`);
            gaveUp.add(mode); // a timeout or OOM will not get better on repetition
          } else if (o.result.rows !== rows) {
            log(`WARNING: ${mode} read ${o.result.rows} data rows from a ${rows}-row file`);
          }
        }
      }
      for (const mode of PARSE_MODES) {
        const list = outcomes[mode];
        const summary = summariseMode(mode, list);
        const firstFailure = list.find((o) => o.status !== 'ok');
        size.modes[mode] = {
          summary,
          failure: summary === null && firstFailure !== undefined && 'message' in firstFailure ? `${firstFailure.status}: ${firstFailure.message}` : null,
          outcomes: list,
        };
      }
    }
  } finally {
    cleanup();
    log(`4. parse: removed ${tmpDir}`);
  }

  const measured = sizes.filter((s) => s.skipped === undefined);
  const peakRatios: ParseSection['peakRatios'] = [];
  for (const mode of PARSE_MODES) {
    const withMode = measured.filter((s) => s.modes[mode]?.summary);
    if (withMode.length < 2) continue;
    const small = withMode[0];
    const large = withMode[withMode.length - 1];
    const a = small.modes[mode]!.summary!.peakRssBytes;
    const b = large.modes[mode]!.summary!.peakRssBytes;
    peakRatios.push({ mode, smallRows: small.rows, largeRows: large.rows, ratio: b / a, bytesPerExtraRow: (b - a) / (large.rows - small.rows) });
  }

  return {
    tmpDir,
    diskFreeBytesAtStart,
    generator: GENERATE,
    rowsRequested: [...options.rows],
    repeats: { upToRows: REPEAT_UP_TO_ROWS, times: REPEATS },
    cores: os.cpus().length,
    loadAverageStart,
    loadAverageEnd: os.loadavg().map((l) => Number(l.toFixed(2))),
    durationMs: performance.now() - started,
    sizes,
    peakRatios,
  };
}

// ---------------------------------------------------------------------------------------------------
// Markdown

function fmtBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  if (bytes >= GB) return `${(bytes / GB).toFixed(2)} GB`;
  return `${(bytes / MB).toFixed(bytes >= 100 * MB ? 0 : 1)} MB`;
}
const fmtMB0 = (bytes: number): string => (bytes / MB).toFixed(0);
const fmtMs = (ms: number): string => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);
const fmtRate = (perSec: number): string =>
  perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)}M` : perSec >= 1e3 ? `${(perSec / 1e3).toFixed(0)}k` : perSec.toFixed(0);
const fmtRows = (rows: number): string =>
  rows >= 1e6 && rows % 1e5 === 0 ? `${rows / 1e6}M` : rows >= 1e3 && rows % 1e3 === 0 ? `${rows / 1e3}k` : rows.toLocaleString('en-US');
const fmtRatio = (r: number): string => (!Number.isFinite(r) ? '—' : `${r.toFixed(2)}×`);

function memoryCell(s: MemorySample | undefined): string {
  return s === undefined ? '—' : `${fmtMB0(s.rss)} / ${fmtMB0(s.heapUsed)} / ${fmtMB0(s.arrayBuffers)}`;
}

/** The section's Markdown, headed `## <number>. ...`. */
export function parseSectionMarkdown(section: ParseSection, number: number): string[] {
  const md: string[] = [];
  const g = section.generator;
  md.push(`## ${number}. Parse + validate (ingest's per-row work) on generated files`, '');
  md.push(
    `Files written by \`writeTradingDay({ rows, seed: ${g.seed}, day: '${g.day}', anomalyRate: ${g.anomalyRate} })\` into ${os.tmpdir()} ` +
      `(${fmtBytes(section.diskFreeBytesAtStart)} free at the start), read from disk with fs.createReadStream, deleted at the end. ` +
      'Every pass runs alone in its own child process; the time is the pass itself (stream opened → last row → dayContext()), without the child\'s start-up. ' +
      `Files of up to ${section.repeats.upToRows.toLocaleString('en-US')} rows: median of ${section.repeats.times} passes; larger files: one pass. ` +
      'Passes: **read only** = readCsvBatches; **scan** = TradeFileScanner.scan (header mapping, repeat partitions on disk, day context; it runs checkTrade itself on the rows that feed the context) + dayContext(); ' +
      '**scan + checks** = scan plus checkTrade(row, optional fields present) on every row: parse + validate. ' +
      `MB = 2^20 bytes. Load average ${section.loadAverageStart.join(' / ')} at the start of the section, ${section.loadAverageEnd.join(' / ')} at the end.`,
    '',
  );
  const passLoads = section.sizes.flatMap((s) => Object.values(s.modes).flatMap((m) => m?.outcomes.map((o) => o.loadAverage1) ?? []));
  const maxLoad = passLoads.length > 0 ? Math.max(...passLoads) : 0;
  if (maxLoad > section.cores) {
    md.push(
      `**Note:** other processes were using the CPU during this run (1-minute load average up to ${maxLoad.toFixed(2)} on ${section.cores} cores just before a pass); ` +
        'rates are lower and noisier than on an idle machine, especially for the sizes measured once. Peak memory is not affected.',
      '',
    );
  }

  md.push('| rows | file | generated in | anomalies |', '| ---: | ---: | ---: | ---: |');
  for (const s of section.sizes) {
    if (s.file === undefined) md.push(`| ${s.rows.toLocaleString('en-US')} | skipped: ${s.skipped ?? 'not measured'} | — | — |`);
    else md.push(`| ${s.rows.toLocaleString('en-US')} | ${fmtBytes(s.file.bytes)} | ${fmtMs(s.file.generateMs)} | ${s.file.anomalies.toLocaleString('en-US')} |`);
  }
  md.push('');

  md.push('### Throughput and peak memory', '');
  md.push('| rows | pass | runs | time | rows/s | MB/s | µs/row | RSS before the pass | peak RSS |', '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of section.sizes) {
    if (s.file === undefined) continue;
    for (const mode of PARSE_MODES) {
      const m = s.modes[mode];
      const sum = m?.summary;
      if (sum) {
        md.push(
          `| ${s.rows.toLocaleString('en-US')} | ${MODE_LABEL[mode]} | ${sum.runs} | ${fmtMs(sum.elapsedMsMedian)} | ${fmtRate(sum.rowsPerSec)} | ${sum.mbPerSec.toFixed(1)} | ${((sum.elapsedMsMedian * 1000) / s.rows).toFixed(2)} | ${fmtBytes(sum.rssBeforeBytes)} | ${fmtBytes(sum.peakRssBytes)} |`,
        );
      } else {
        const failed = m?.outcomes.find((o) => o.status !== 'ok');
        md.push(`| ${s.rows.toLocaleString('en-US')} | ${MODE_LABEL[mode]} | 0 | **${m?.failure ?? 'not run'}** | — | — | — | — | ${fmtBytes(failed?.peakRssBytes)} |`);
      }
    }
  }
  md.push('');

  const full = section.sizes.filter((s) => s.file !== undefined && PARSE_MODES.every((m) => s.modes[m]?.summary));
  if (full.length > 0) {
    md.push('### Cost split (µs per row)', '');
    md.push('| rows | read CSV | + scanner (mapping, repeat partitions, context) | + checkTrade on every row | parse + validate | checks found |', '| ---: | ---: | ---: | ---: | ---: | --- |');
    const step = (us: number): string => (us < 0 ? `${us.toFixed(2)} (noise)` : us.toFixed(2));
    for (const s of full) {
      const us = (mode: ParseMode): number => (s.modes[mode]!.summary!.elapsedMsMedian * 1000) / s.rows;
      const checks = s.modes['scan+checks']!.summary!.counters;
      md.push(
        `| ${s.rows.toLocaleString('en-US')} | ${us('read').toFixed(2)} | ${step(us('scan') - us('read'))} | ${step(us('scan+checks') - us('scan'))} | ${us('scan+checks').toFixed(2)} | ` +
          `${(checks.issues ?? 0).toLocaleString('en-US')} issues on ${(checks.rowsWithIssues ?? 0).toLocaleString('en-US')} rows; ${(checks.contextValidRows ?? 0).toLocaleString('en-US')} rows in the context, ${checks.contextSymbols ?? 0} symbols |`,
      );
    }
    md.push('', 'Each step is the difference of two separate passes\' medians, so a small step can be within the noise.', '');
  }

  const measured = section.sizes.filter((s) => s.file !== undefined);
  if (measured.length > 0) {
    md.push('### Does memory grow with the file?', '');
    const cols = measured.map((s) => fmtRows(s.rows));
    const smallest = measured[0].rows;
    const largestRows = measured[measured.length - 1].rows;
    const ratioHead = section.peakRatios.length > 0 ? ` ${fmtRows(largestRows)} / ${fmtRows(smallest)} | growth per extra row |` : '';
    md.push(`| peak RSS | ${cols.join(' | ')} |${ratioHead}`, `| --- | ${cols.map(() => '---:').join(' | ')} |${section.peakRatios.length > 0 ? ' ---: | ---: |' : ''}`);
    for (const mode of PARSE_MODES) {
      const cells = measured.map((s) => fmtBytes(s.modes[mode]?.summary?.peakRssBytes));
      const r = section.peakRatios.find((p) => p.mode === mode);
      const other = r !== undefined && (r.smallRows !== smallest || r.largeRows !== largestRows) ? ` (${fmtRows(r.largeRows)} / ${fmtRows(r.smallRows)})` : '';
      const tail = section.peakRatios.length > 0 ? ` ${r ? `${fmtRatio(r.ratio)}${other}` : '—'} | ${r ? `${r.bytesPerExtraRow.toFixed(1)} B` : '—'} |` : '';
      md.push(`| ${MODE_LABEL[mode]} | ${cells.join(' | ')} |${tail}`);
    }
    md.push('', '"Growth per extra row" = (peak at the largest − peak at the smallest) / (difference in rows).', '');

    const largest = measured[measured.length - 1];
    md.push(`Memory during the ${largest.rows.toLocaleString('en-US')}-row passes, sampled every ${largest.sampleEvery.toLocaleString('en-US')} rows: **rss / heapUsed / arrayBuffers, MB** (process.memoryUsage(), no forced GC: heapUsed includes garbage not yet collected; arrayBuffers are typed-array stores, outside the JS heap).`, '');
    md.push(`| rows | ${PARSE_MODES.map((m) => MODE_LABEL[m]).join(' | ')} |`, `| ---: | ${PARSE_MODES.map(() => '---:').join(' | ')} |`);
    const byTarget = (samples: MemorySample[]): Map<string, MemorySample> => {
      const map = new Map<string, MemorySample>();
      samples.forEach((s, i) => {
        const key = i === 0 ? 'before' : i === samples.length - 1 ? 'end' : String(Math.floor(s.rows / largest.sampleEvery) * largest.sampleEvery);
        if (!map.has(key)) map.set(key, s);
      });
      return map;
    };
    const maps = PARSE_MODES.map((m) => byTarget(largest.modes[m]?.summary?.samples ?? []));
    const keys = new Set<string>();
    for (const map of maps) for (const k of map.keys()) keys.add(k);
    const ordered = ['before', ...[...keys].filter((k) => k !== 'before' && k !== 'end').sort((a, b) => Number(a) - Number(b)), 'end'].filter((k) => keys.has(k));
    for (const k of ordered) {
      const label = k === 'before' ? 'before the pass' : k === 'end' ? 'end (after dayContext)' : `${fmtRows(Number(k))}`;
      md.push(`| ${label} | ${maps.map((map) => memoryCell(map.get(k))).join(' | ')} |`);
    }
    md.push('');
    md.push(...growthSentences(largest), '');
  }
  return md;
}

/** A plain reading of the samples of the largest file's parse + validate pass. */
function growthSentences(size: SizeResult): string[] {
  const out: string[] = [];
  for (const mode of PARSE_MODES) {
    const sum = size.modes[mode]?.summary;
    if (!sum || sum.samples.length < 3) continue;
    const along = sum.samples.slice(1); // from the first sample inside the pass to the end
    const first = along[0];
    const last = along[along.length - 1];
    const heap = along.map((s) => s.heapUsed);
    const rowsSpan = last.rows - first.rows;
    if (rowsSpan <= 0) continue;
    const perRow = (a: number, b: number): string => `${((b - a) / rowsSpan).toFixed(1)} B/row`;
    out.push(
      `- ${MODE_LABEL[mode]}, from ${fmtRows(first.rows)} to ${fmtRows(last.rows)} rows: rss ${fmtMB0(first.rss)} → ${fmtMB0(last.rss)} MB (${perRow(first.rss, last.rss)}), ` +
        `heapUsed between ${fmtMB0(Math.min(...heap))} and ${fmtMB0(Math.max(...heap))} MB (${fmtMB0(first.heapUsed)} → ${fmtMB0(last.heapUsed)}), ` +
        `arrayBuffers ${fmtMB0(first.arrayBuffers)} → ${fmtMB0(last.arrayBuffers)} MB (${perRow(first.arrayBuffers, last.arrayBuffers)}).`,
    );
  }
  return out;
}
