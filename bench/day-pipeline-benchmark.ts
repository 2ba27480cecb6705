/**
 * Section 6 of `npm run bench`: a production-size day (150,000 rows, generated, seed 7) through the
 * pipeline's steps one at a time, each in a fresh child process, then `trade-anomaly run` whole; and
 * the anchors on the model's own feature matrix of that day (the forest's normalised inputs):
 * scikit-learn's IsolationForest, ml-isolation-forest and our forest, fit and score, in the same run.
 *
 * Steps (the timed part excludes loading the step's input from the workspace):
 * - parse + validate: the scanner over the file's bytes (CSV, column mapping, repeats, day context);
 * - chunk encode: the scanned rows into Arrow IPC raw chunks (what ingest writes);
 * - features: raw chunks decoded, every row checked and featurised (the score step before the model);
 * - scoring: the model (forest + extremeness) on the model's matrix of every scorable row;
 * - score step: decode + checks + features + model + reasons + scored chunk encoded (the whole step);
 * - Parquet write: the scored chunks streamed into one Parquet file (aggregate's writer);
 * - S3 transfer: the file put to and read back from the embedded S3 server, over loopback HTTP.
 *
 * Child entry: `node --import tsx bench/day-pipeline-benchmark.ts --child <step> <workspace>`.
 */
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { decodeRawChunk, encodeRawChunk, encodeScoredChunk, type RawChunkRow } from '../src/chunks/chunk-format.js';
import type { DayContext } from '../src/features/day-context.js';
import { selectColumns } from '../src/features/feature-matrix.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../src/features/trade-features.js';
import { tradingDayChunks } from '../src/generate/trading-day.js';
import { EmbeddedS3 } from '../src/local/embedded-s3.js';
import { scoreWithModel, type AnomalyModel } from '../src/model/anomaly-model.js';
import { loadModelFromDir, saveModelToDir } from '../src/model/model-store.js';
import { trainFromSources } from '../src/model/train-model.js';
import { TradeFileScanner } from '../src/pipeline/trade-file-scanner.js';
import type { CanonicalField } from '../src/schema/trade-schema.js';
import { prepareRows, scoreRows, type FileShape } from '../src/scoring/score-rows.js';
import { ParquetStream } from '../src/result/parquet-stream.js';
import { DEFAULT_SCHEMA } from '../src/schema/schema-settings.js';
import { lastLines, runMeasured } from './measured-process.js';

export const DAY_ROWS = 150_000;
const DAY_SEED = 7;
const DAY = '2026-12-01';
const HISTORY_DAY = '2026-11-30';
/** The local run's default chunk size (DEFAULT_CHUNK_ROWS in src/local/local-run.ts). */
const CHUNK_ROWS = 50_000;
const RESULT_MARKER = 'BENCH_RESULT ';
const THIS_FILE = fileURLToPath(import.meta.url);
const STEP_TIMEOUT_MS = 600_000;

export const STEPS = ['parse', 'chunk-encode', 'features', 'scoring', 'score-step', 'parquet', 's3'] as const;
export type StepName = (typeof STEPS)[number];

const STEP_LABELS: Record<StepName, string> = {
  parse: 'parse + validate (scan)',
  'chunk-encode': 'raw chunks encoded (Arrow IPC)',
  features: 'checks + features',
  scoring: 'model scoring (forest + extremeness)',
  'score-step': 'score step whole (decode, checks, features, model, reasons, encode)',
  parquet: 'Parquet write (streamed, ZSTD)',
  s3: 'S3 put + get of the file (embedded server, loopback)',
};

/** What one step's child measured. */
export interface StepFigures {
  step: StepName;
  rows: number;
  bytes: number;
  wallMs: number;
  cpuMs: number;
  peakRssMB: number;
  note?: string;
}

interface Meta {
  present: CanonicalField[];
  extraCount: number;
  chunks: number;
  rows: number;
  fileBytes: number;
}

const mb = (bytes: number): number => bytes / (1024 * 1024);

async function* bytesOf(file: string): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) yield chunk as Uint8Array;
}

/** Generates the day and one history day, trains the model on the history, scans the day into raw chunks and its context. */
async function prepare(dir: string): Promise<void> {
  const write = (name: string, day: string, seed: number): Set<string> => {
    const parts: string[] = [];
    const labelled = new Set<string>();
    for (const c of tradingDayChunks({ rows: DAY_ROWS, seed, day, anomalyRate: 0.002 })) {
      parts.push(c.csv);
      // source_row,trade_id,anomaly_type lines (a header line first in the first chunk)
      for (const line of c.labels.split('\n')) {
        const id = line.split(',')[1];
        if (id && id !== 'trade_id') labelled.add(id);
      }
    }
    writeFileSync(join(dir, name), parts.join(''));
    return labelled;
  };
  const labelled = write('day.csv', DAY, DAY_SEED);
  write('history.csv', HISTORY_DAY, DAY_SEED + 1);
  const model = await trainFromSources([{ name: 'history.csv', open: () => bytesOf(join(dir, 'history.csv')) }]);
  await saveModelToDir(join(dir, 'model'), model);

  const scanner = new TradeFileScanner('day.csv');
  const rows: RawChunkRow[] = [];
  for await (const batch of scanner.scan(bytesOf(join(dir, 'day.csv')))) rows.push(...batch);
  scanner.duplicateMarks().apply(rows);
  const present = scanner.layout!.present;
  const extraCount = scanner.layout!.extra.length;
  const ctx = scanner.dayContext();
  writeFileSync(join(dir, 'context.json'), JSON.stringify(ctx));
  let chunks = 0;
  for (let at = 0; at < rows.length; at += CHUNK_ROWS, chunks++) {
    const part = rows.slice(at, at + CHUNK_ROWS);
    writeFileSync(join(dir, `raw-${chunks}.arrow`), encodeRawChunk(part, present, extraCount));
    const scored = scoreRows(part, shapeOf(present), ctx, model);
    writeFileSync(join(dir, `scored-${chunks}.arrow`), encodeScoredChunk(scored.rows, present));
  }
  // The forest's inputs for the anchors: the model's features of every scorable row, normalised as scoring does.
  const prepared = prepareRows(rows, shapeOf(present), ctx);
  const matrix = selectColumns({ values: prepared.features, rows: prepared.scorableIndex.length, cols: FEATURE_COUNT }, FEATURE_NAMES, model.features);
  scoreWithModel(model, matrix);
  writeFileSync(join(dir, 'matrix.f64'), new Uint8Array(matrix.values.buffer, matrix.values.byteOffset, matrix.values.byteLength));
  writeFileSync(join(dir, 'matrix.labels'), Uint8Array.from(prepared.scorableIndex, (i) => (labelled.has(rows[i].fields.trade_id ?? '') ? 1 : 0)));
  const meta: Meta = { present, extraCount, chunks, rows: rows.length, fileBytes: readFileSync(join(dir, 'day.csv')).length };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...meta, matrixRows: matrix.rows, matrixCols: matrix.cols }));
}

function shapeOf(present: CanonicalField[]): FileShape {
  return { present, hasTradeIds: present.includes('trade_id'), schema: DEFAULT_SCHEMA };
}

/** Runs `fn` once, timed in wall and CPU time. */
async function timed(fn: () => Promise<void> | void): Promise<{ wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

async function runStep(step: StepName, dir: string): Promise<StepFigures> {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
  const ctx = JSON.parse(readFileSync(join(dir, 'context.json'), 'utf8')) as DayContext;
  const model: AnomalyModel = await loadModelFromDir(join(dir, 'model'));
  const shape = shapeOf(meta.present);
  const rawChunks = Array.from({ length: meta.chunks }, (_, i) => readFileSync(join(dir, `raw-${i}.arrow`)));
  const scoredChunks = Array.from({ length: meta.chunks }, (_, i) => readFileSync(join(dir, `scored-${i}.arrow`)));
  const done = (t: { wallMs: number; cpuMs: number }, rows: number, bytes: number, note?: string): StepFigures => ({
    step,
    rows,
    bytes,
    ...t,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    ...(note ? { note } : {}),
  });

  switch (step) {
    case 'parse': {
      const bytes = readFileSync(join(dir, 'day.csv'));
      let rows = 0;
      const t = await timed(async () => {
        const scanner = new TradeFileScanner('day.csv');
        async function* source() {
          for (let at = 0; at < bytes.length; at += 1 << 20) yield bytes.subarray(at, at + (1 << 20));
        }
        for await (const batch of scanner.scan(source())) rows += batch.length;
        scanner.duplicateMarks();
        scanner.dayContext();
      });
      return done(t, rows, bytes.length);
    }
    case 'chunk-encode': {
      const rows = rawChunks.map((b) => decodeRawChunk(b, meta.present, meta.extraCount));
      let bytes = 0;
      const t = await timed(() => {
        for (const part of rows) bytes += encodeRawChunk(part, meta.present, meta.extraCount).length;
      });
      return done(t, meta.rows, bytes);
    }
    case 'features': {
      let rows = 0;
      const t = await timed(() => {
        for (const b of rawChunks) {
          const part = decodeRawChunk(b, meta.present, meta.extraCount);
          rows += prepareRows(part, shape, ctx).checked.length;
        }
      });
      return done(t, rows, rawChunks.reduce((s, b) => s + b.length, 0), 'includes decoding the raw chunks');
    }
    case 'scoring': {
      const matrices = rawChunks.map((b) => {
        const prepared = prepareRows(decodeRawChunk(b, meta.present, meta.extraCount), shape, ctx);
        return selectColumns({ values: prepared.features, rows: prepared.scorableIndex.length, cols: FEATURE_COUNT }, FEATURE_NAMES, model.features);
      });
      const rows = matrices.reduce((s, m) => s + m.rows, 0);
      const t = await timed(() => {
        for (const m of matrices) scoreWithModel(model, m);
      });
      return done(t, rows, 0, `${model.kind ?? 'isolation-forest'}: ${model.forest ? `${model.forest.treeRoots.length} trees, ψ=${model.forest.sampleSize}, ` : ''}${model.features.length} features`);
    }
    case 'score-step': {
      let bytes = 0;
      const t = await timed(() => {
        for (const b of rawChunks) {
          const part = decodeRawChunk(b, meta.present, meta.extraCount);
          bytes += encodeScoredChunk(scoreRows(part, shape, ctx, model).rows, meta.present).length;
        }
      });
      return done(t, meta.rows, bytes);
    }
    case 'parquet': {
      let bytes = 0;
      const t = await timed(async () => {
        async function* parts() {
          yield* scoredChunks;
        }
        for await (const piece of new ParquetStream(parts(), { maxRowGroupRows: 1_048_576 })) bytes += piece.length;
      });
      return done(t, meta.rows, bytes, `${(mb(bytes)).toFixed(1)} MB of Parquet`);
    }
    case 's3': {
      const s3 = await EmbeddedS3.start(join(dir, 's3'));
      try {
        const store = s3.store();
        const body = readFileSync(join(dir, 'day.csv'));
        let back = 0;
        const t = await timed(async () => {
          await store.put('incoming/day.csv', body, 'text/csv');
          back = (await store.get('incoming/day.csv')).length;
        });
        if (back !== body.length) throw new Error(`read back ${back} bytes of ${body.length}`);
        return done(t, meta.rows, body.length * 2, 'put then get: bytes counted both ways');
      } finally {
        await s3.stop();
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The parent's side

export interface DaySection {
  rows: number;
  fileMB: number;
  steps: (StepFigures | { step: StepName; error: string })[];
  /** `trade-anomaly run` whole, in a fresh process (CLI start-up included), median of the repetitions. */
  run: { wallMs: number[]; peakRssMB: number; error?: string };
  /** `trade-anomaly --version` in a fresh process: what every command pays before its work. */
  cliStartMs: number[];
  /** Where the anchors' matrix is, while the workspace lives. */
  matrix: { path: string; labelsPath: string; rows: number; cols: number };
}

async function child(args: string[]): Promise<{ ok: true; line: string; peakRssMB: number; elapsedMs: number } | { ok: false; message: string }> {
  const p = await runMeasured(process.execPath, ['--import', 'tsx', THIS_FILE, '--child', ...args], STEP_TIMEOUT_MS);
  const line = p.stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (p.code === 0 && line !== undefined) return { ok: true, line: line.slice(RESULT_MARKER.length), peakRssMB: (p.polledPeakRssBytes ?? 0) / (1024 * 1024), elapsedMs: p.elapsedMs };
  return { ok: false, message: p.timedOut ? 'timed out' : `exit ${p.code ?? p.signal}: ${lastLines(p.stderr, 3)}` };
}

/** Prepares the workspace, runs each step in its own child, then `run` whole `runs` times. */
export async function runDayPipelineBenchmark(dir: string, log: (m: string) => void, runs = 3): Promise<DaySection> {
  log(`6. a ${DAY_ROWS.toLocaleString('en-US')}-row day: generating, training, scanning (workspace ${dir})`);
  const prepared = await child(['prepare', dir]);
  if (!prepared.ok) throw new Error(`preparing the day failed: ${prepared.message}`);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta & { matrixRows: number; matrixCols: number };
  const steps: DaySection['steps'] = [];
  for (const step of STEPS) {
    log(`6. step: ${STEP_LABELS[step]}`);
    const r = await child([step, dir]);
    if (r.ok) {
      const figures = JSON.parse(r.line) as StepFigures;
      figures.peakRssMB = Math.max(figures.peakRssMB, r.peakRssMB);
      steps.push(figures);
    } else steps.push({ step, error: r.message });
  }
  const wallMs: number[] = [];
  let peakRssMB = 0;
  let error: string | undefined;
  const bin = join(fileURLToPath(new URL('..', import.meta.url)), 'bin', 'trade-anomaly.js');
  log('6. CLI start-up (trade-anomaly --version), 5 times');
  const cliStartMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const p = await runMeasured(process.execPath, [bin, '--version'], STEP_TIMEOUT_MS, { ...process.env, CI: 'true' });
    if (p.code === 0) cliStartMs.push(p.elapsedMs);
  }
  for (let i = 0; i < runs; i++) {
    log(`6. trade-anomaly run, repetition ${i + 1}/${runs}`);
    const state = join(dir, `run-state-${i}`);
    const p = await runMeasured(process.execPath, [bin, 'run', join(dir, 'day.csv'), '--model', join(dir, 'model'), '--out', join(dir, `run-out-${i}`), '--state-dir', state, '--json'], STEP_TIMEOUT_MS, {
      ...process.env,
      CI: 'true',
    });
    if (p.code !== 0) {
      error = `exit ${p.code ?? p.signal}: ${lastLines(p.stderr, 3)}`;
      break;
    }
    wallMs.push(p.elapsedMs);
    peakRssMB = Math.max(peakRssMB, (p.polledPeakRssBytes ?? 0) / (1024 * 1024));
  }
  return {
    rows: meta.rows,
    fileMB: mb(meta.fileBytes),
    steps,
    run: { wallMs, peakRssMB, ...(error ? { error } : {}) },
    cliStartMs,
    matrix: { path: join(dir, 'matrix.f64'), labelsPath: join(dir, 'matrix.labels'), rows: meta.matrixRows, cols: meta.matrixCols },
  };
}

const fmtS = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/**
 * The least time this pipeline's design could take on `cores` cores, from the steps measured alone:
 * the CLI's start, then the scan (read in parts on every core, as the local run reads it; the day's
 * context must be complete before any feature), the score step and the Parquet write, each spread
 * perfectly over the cores; the scan's ordered part, S3, chunk transfers, the report, each thread's
 * start and every wait counted as free. And the rows/s ceiling at scale: the per-row CPU of the scan,
 * the score step and the Parquet write, over the cores.
 */
export function designFloor(section: Pick<DaySection, 'steps' | 'cliStartMs' | 'rows'>, cores: number):
  | { cores: number; startMs: number; scanCpuMs: number; scoreCpuMs: number; parquetCpuMs: number; runMs: number; cpuUsPerRow: number; ceilingRowsPerSec: number }
  | undefined {
  const cpu = (step: StepName) => section.steps.find((s): s is StepFigures => s.step === step && !('error' in s))?.cpuMs;
  const scanCpuMs = cpu('parse');
  const scoreCpuMs = cpu('score-step');
  const parquetCpuMs = cpu('parquet');
  if (scanCpuMs === undefined || scoreCpuMs === undefined || parquetCpuMs === undefined || section.cliStartMs.length === 0) return undefined;
  const startMs = medianOf(section.cliStartMs);
  const cpuMs = scanCpuMs + scoreCpuMs + parquetCpuMs;
  return {
    cores,
    startMs,
    scanCpuMs,
    scoreCpuMs,
    parquetCpuMs,
    runMs: startMs + cpuMs / cores,
    cpuUsPerRow: (cpuMs * 1000) / section.rows,
    ceilingRowsPerSec: (section.rows / cpuMs) * 1000 * cores,
  };
}

export function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const fmtRate = (perSec: number): string => (perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)}M` : `${(perSec / 1e3).toFixed(perSec >= 1e5 ? 0 : 1)}k`);

export function daySectionMarkdown(section: DaySection, number: number): string[] {
  const md = [
    `## ${number}. A ${section.rows.toLocaleString('en-US')}-row day, step by step (${section.fileMB.toFixed(1)} MB of CSV)`,
    '',
    'Each step alone in a fresh process; its input loaded before the clock starts. Rows/s on wall time; CPU time beside it (the machine is shared: where CPU is well under wall, the step waited for a core or for I/O).',
    '',
    '| step | rows | wall | CPU | rows/s | MB/s | peak RSS | note |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const s of section.steps) {
    if ('error' in s) {
      md.push(`| ${STEP_LABELS[s.step]} | — | **failed**: ${s.error} | | | | | |`);
      continue;
    }
    const perSec = (s.rows / s.wallMs) * 1000;
    const mbps = s.bytes > 0 ? (mb(s.bytes) / s.wallMs) * 1000 : Number.NaN;
    md.push(
      `| ${STEP_LABELS[s.step]} | ${s.rows.toLocaleString('en-US')} | ${s.wallMs.toFixed(0)} ms | ${s.cpuMs.toFixed(0)} ms | ${fmtRate(perSec)} | ${Number.isFinite(mbps) ? mbps.toFixed(0) : '—'} | ${s.peakRssMB.toFixed(0)} MB | ${s.note ?? ''} |`,
    );
  }
  const { run } = section;
  md.push('');
  if (run.error) md.push(`\`trade-anomaly run\` failed: ${run.error}`);
  else {
    const m = medianOf(run.wallMs);
    md.push(
      `\`trade-anomaly run\` of the day, whole (CLI start-up, embedded S3, ingest, ${Math.ceil(section.rows / CHUNK_ROWS)} chunks scored on worker threads, Parquet, summary, alert), median of ${run.wallMs.length}: **${(m / 1000).toFixed(2)} s** (${fmtRate((section.rows / m) * 1000)} rows/s; runs ${run.wallMs.map((w) => (w / 1000).toFixed(2)).join(', ')} s), peak RSS ${run.peakRssMB.toFixed(0)} MB.`,
    );
  }
  if (section.cliStartMs.length) md.push('', `CLI start-up alone (\`trade-anomaly --version\`, fresh process), median of ${section.cliStartMs.length}: ${medianOf(section.cliStartMs).toFixed(0)} ms.`);
  const floor = designFloor(section, availableParallelism());
  if (floor) {
    md.push(
      '',
      `**This design's floor on this machine** (${floor.cores} cores), from the steps above: CLI start ${fmtS(floor.startMs)} + the scan (read in parts on every core, as the local run reads it; it must read the whole day before any chunk is scored, since the features need the day's context), the score step and the Parquet write, each spread perfectly over the cores, (${fmtS(floor.scanCpuMs)} + ${fmtS(floor.scoreCpuMs)} + ${fmtS(floor.parquetCpuMs)}) / ${floor.cores} = **${fmtS(floor.runMs)}** for this day, counting nothing for the scan's ordered part, S3, chunk transfers, each thread's start, the report or any wait. At scale the start drops out: **${fmtRate(floor.ceilingRowsPerSec)} rows/s** is the most this design can do here with every step perfectly parallel (${(floor.cpuUsPerRow).toFixed(1)} µs of CPU a row over ${floor.cores} cores).`,
    );
  }
  md.push('');
  return md;
}

if (process.argv[2] === '--child') {
  const [step, dir] = process.argv.slice(3);
  if (step === 'prepare') {
    await prepare(dir);
    process.stdout.write(`${RESULT_MARKER}{}\n`);
  } else if ((STEPS as readonly string[]).includes(step)) {
    const figures = await runStep(step as StepName, dir);
    process.stdout.write(`${RESULT_MARKER}${JSON.stringify(figures)}\n`);
  } else {
    process.stderr.write(`unknown step ${step}\n`);
    process.exit(2);
  }
  // Clients and servers may hold the event loop open; the measurement is done.
  process.exit(0);
} else if (process.argv[1] === THIS_FILE) {
  // Standalone: node --import tsx bench/day-pipeline-benchmark.ts [workspace]
  const { benchWorkspace } = await import('./measured-process.js');
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  const ws = benchWorkspace('trade-anomaly-day-', log);
  try {
    const section = await runDayPipelineBenchmark(ws.dir, log, 2);
    process.stdout.write(`${daySectionMarkdown(section, 6).join('\n')}\n`);
  } finally {
    ws.close();
  }
}
