/**
 * `npm run bench`: the benchmarks. Measures our flat typed-array isolation forest beside the npm
 * package ml-isolation-forest and (if python3 has it) scikit-learn, in one run so the ratios are
 * meaningful, and the speed and memory of parse + validate on generated trade files; prints a
 * Markdown report to stdout (progress goes to stderr) and writes bench/results/latest.json and
 * bench/results/latest.md (git-ignored; they hold the sections of the latest run only).
 *
 * Sections:
 *   1. shuttle (ODDS/ADBench, 49,097 x 9, labelled): time, throughput and detection quality;
 *   2. a synthetic trade-like matrix, 150,000 x 4 (a production-size day): time, throughput, peak RSS;
 *   3. scikit-learn on the same 150,000 x 4 matrix, as the reference for speed;
 *   4. parse + validate (CSV reader, TradeFileScanner, checkTrade) on generated files of 150,000,
 *      1 million and 10 million rows: rows/s, MB/s, peak RSS, and memory sampled along each pass
 *      (bench/parse-benchmark.ts).
 *
 *   5. (only with --large, or --sections=...,large) large files through the pipeline: each step (ingest,
 *      one score chunk, the other chunks, aggregate) in its own process, and `trade-anomaly run` whole,
 *      on generated files of 1 and 10 million rows: time, rows/s, peak RSS (bench/large-file-benchmark.ts).
 *      It takes ~25 minutes on 2 cores.
 *   6. a 150,000-row day step by step (parse + validate, chunk encoding, checks + features, model
 *      scoring, the score step whole, Parquet write, S3 transfer through the embedded server), each in
 *      a fresh process, then `trade-anomaly run` whole; and the anchors (scikit-learn, ml-isolation-forest,
 *      our forest) fit + score on that day's own model matrix (bench/day-pipeline-benchmark.ts).
 *   7. the Lambda bundles: minified size and handler module load time (bench/bundle-benchmark.ts).
 *   Then the issue-7 targets, each with what this run measured and whether it is met.
 *
 * Options: --sections=model,parse,large,day,bundles (default: all but large; model = sections 1-3),
 *          --skip-package (leave ml-isolation-forest out; it takes most of the model sections' time),
 *          --skip-sklearn,
 *          --skip-parse, --parse-only, --skip-day, --day-only, --large (add section 5), --large-only,
 *          --parse-rows=150000,1000000,10000000 (the file sizes of section 4),
 *          --large-rows=1000000,10000000 (section 5's file sizes), --large-chunk-rows=100000 (its chunk size).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  matrixFingerprint,
  mlIsolationForestVersion,
  runEngineInChild,
  runSklearn,
  findSklearn,
  loadDataset,
  summarise,
  syntheticTradeMatrix,
  type ChildSpec,
  type EngineResult,
  type EngineSummary,
  type Outcome,
} from './forest-benchmark.js';
import { DEFAULT_LARGE_CHUNK_ROWS, DEFAULT_LARGE_ROWS, largeSectionMarkdown, runLargeFileBenchmark, type LargeSection } from './large-file-benchmark.js';
import { DEFAULT_PARSE_ROWS, parseRowsOption, parseSectionMarkdown, runParseBenchmark, type ParseSection } from './parse-benchmark.js';
import { daySectionMarkdown, designFloor, medianOf, runDayPipelineBenchmark, type DaySection, type StepFigures } from './day-pipeline-benchmark.js';
import { benchWorkspace } from './measured-process.js';
import { bundleSectionMarkdown, runBundleBenchmark, type BundleSection } from './bundle-benchmark.js';
import { cliEntry } from '../bin/cli-bundle.js';
import { loadShuttle, PROJECT_ROOT, SHUTTLE_SKLEARN_REFERENCE, shuttleMissingReason } from './shuttle.js';

const TREES = 100;
const SAMPLE_SIZE = 256;
const SHUTTLE_SEEDS = [0, 1, 2, 3, 4];
const SHUTTLE_PACKAGE_REPS = 3;
const SHUTTLE_PACKAGE_TIMEOUT_MS = 120_000;
const SYNTHETIC_ROWS = 150_000;
const SYNTHETIC_DATA_SEED = 7;
const SYNTHETIC_SEEDS = [0, 1, 2, 3, 4];
const SYNTHETIC_PACKAGE_TIMEOUT_MS = 180_000;
/** The anchor's configuration is random_state=0; it is repeated for a median time. */
const SKLEARN_SYNTHETIC_SEEDS = [0, 0, 0];
const OURS_TIMEOUT_MS = 120_000;
const SKLEARN_TIMEOUT_MS = 300_000;

const log = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};

/** The sections, in the order they run and are reported. */
const SECTIONS = ['model', 'parse', 'large', 'day', 'bundles'] as const;
type Section = (typeof SECTIONS)[number];
/** What a plain `npm run bench` runs: everything but the large files (~25 min of them). */
const DEFAULT_SECTIONS: readonly Section[] = ['model', 'parse', 'day', 'bundles'];

const FLAGS = ['--skip-package', '--skip-sklearn', '--skip-parse', '--parse-only', '--large', '--large-only', '--day-only', '--skip-day'] as const;

interface BenchOptions {
  sections: Set<Section>;
  skipPackage: boolean;
  skipSklearn: boolean;
  parseRows: number[];
  largeRows: number[];
  largeChunkRows: number;
}

/** The value of `--name=value` or `--name value`, or undefined when `arg` is not that option. */
function optionValue(name: string, argv: string[], i: number): { value: string; next: number } | undefined {
  const arg = argv[i];
  if (arg.startsWith(`${name}=`)) return { value: arg.slice(name.length + 1), next: i };
  if (arg === name && argv[i + 1] !== undefined) return { value: argv[i + 1], next: i + 1 };
  if (arg === name) throw new Error(`bad option ${arg}: give it a value`);
  return undefined;
}

function sectionsOption(value: string): Section[] {
  const names = value.split(',').map((x) => x.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (unknown.length || names.length === 0) throw new Error(`bad --sections ${value}: use a comma-separated list of ${SECTIONS.join(', ')}`);
  return names as Section[];
}

/** Reads the command line; throws with a usage message on an unknown option or a bad value. */
function readOptions(argv: string[]): BenchOptions {
  const flags = new Set<string>();
  let parseRows: number[] = [...DEFAULT_PARSE_ROWS];
  let largeRows: number[] = [...DEFAULT_LARGE_ROWS];
  let largeChunkRows = DEFAULT_LARGE_CHUNK_ROWS;
  let chosen: Section[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const largeRowsValue = optionValue('--large-rows', argv, i);
    const chunkRowsValue = optionValue('--large-chunk-rows', argv, i);
    const parseRowsValue = optionValue('--parse-rows', argv, i);
    const sectionsValue = optionValue('--sections', argv, i);
    if (largeRowsValue) {
      largeRows = parseRowsOption(largeRowsValue.value);
      i = largeRowsValue.next;
    } else if (chunkRowsValue) {
      [largeChunkRows] = parseRowsOption(chunkRowsValue.value);
      i = chunkRowsValue.next;
    } else if (parseRowsValue) {
      parseRows = parseRowsOption(parseRowsValue.value);
      i = parseRowsValue.next;
    } else if (sectionsValue) {
      chosen = sectionsOption(sectionsValue.value);
      i = sectionsValue.next;
    } else if ((FLAGS as readonly string[]).includes(arg)) flags.add(arg);
    else throw new Error(`unknown option ${arg} (known: ${FLAGS.join(', ')}, --sections=${SECTIONS.join(',')}, --parse-rows=N,N,..., --large-rows=N,N,..., --large-chunk-rows=N)`);
  }
  const only = ['--parse-only', '--large-only', '--day-only'].filter((f) => flags.has(f));
  if (only.length > 1 || (only.length === 1 && chosen)) throw new Error(`${[...only, ...(chosen ? ['--sections'] : [])].join(' and ')} exclude each other`);
  let sections = new Set<Section>(chosen ?? DEFAULT_SECTIONS);
  if (flags.has('--parse-only')) sections = new Set(['parse']);
  if (flags.has('--large-only')) sections = new Set(['large']);
  if (flags.has('--day-only')) sections = new Set(['day']);
  if (flags.has('--large')) sections.add('large');
  if (flags.has('--skip-parse')) {
    if (flags.has('--parse-only')) throw new Error('--skip-parse and --parse-only exclude each other');
    sections.delete('parse');
  }
  if (flags.has('--skip-day')) sections.delete('day');
  return { sections, skipPackage: flags.has('--skip-package'), skipSklearn: flags.has('--skip-sklearn'), parseRows, largeRows, largeChunkRows };
}

let options: BenchOptions;
try {
  options = readOptions(process.argv.slice(2));
} catch (err: unknown) {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
const { skipPackage, skipSklearn } = options;

// ---------------------------------------------------------------------------------------------------
// Formatting

const fmtMs = (ms: number): string => (ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`);
const fmtRate = (perSec: number): string =>
  perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)}M` : perSec >= 1e3 ? `${(perSec / 1e3).toFixed(perSec >= 1e5 ? 0 : 1)}k` : perSec.toFixed(0);
const fmtMB = (mb: number | null): string => (mb === null || !Number.isFinite(mb) ? '—' : mb >= 1024 ? `${(mb / 1024).toFixed(2)} GB` : `${mb.toFixed(0)} MB`);
const fmtMeanSd = (m: number, s: number, digits: number, runs: number): string =>
  !Number.isFinite(m) ? '—' : runs > 1 ? `${m.toFixed(digits)} ± ${s.toFixed(digits)}` : m.toFixed(digits);
const fmtRatio = (r: number): string => (!Number.isFinite(r) ? '—' : r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(1)}×`);
const fmtDelta = (d: number, digits: number): string => (!Number.isFinite(d) ? '—' : `${d >= 0 ? '+' : ''}${d.toFixed(digits)}`);

interface EngineRow {
  label: string;
  outcome: Outcome | { status: 'skipped'; message: string };
  summary: EngineSummary | null;
}

const TABLE_HEADER = [
  '| engine | settings | runs | fit (median) | score all rows (median) | score rows/s | ROC-AUC | AP | peak RSS (data loaded) |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];

function engineTableRow(row: EngineRow): string {
  const s = row.summary;
  if (s !== null) {
    return `| ${row.label} ${s.engineVersion} | ${s.settings} | ${s.runs} | ${fmtMs(s.fitMsMedian)} | ${fmtMs(s.scoreMsMedian)} | ${fmtRate(s.scoreRowsPerSec)} | ${fmtMeanSd(s.rocAucMean, s.rocAucSd, 4, s.runs)} | ${fmtMeanSd(s.apMean, s.apSd, 3, s.runs)} | ${fmtMB(s.peakRssMB)} (${fmtMB(s.rssAfterLoadMB)}) |`;
  }
  const o = row.outcome;
  if (o.status === 'ok') return `| ${row.label} | (no summary) | — | — | — | — | — | — | — |`;
  const what = o.status === 'skipped' ? `skipped: ${o.message}` : `**${o.status}** after ${fmtMs(o.elapsedMs)}: ${o.message}`;
  const rss = o.status === 'skipped' ? '—' : fmtMB(o.peakRssMB);
  return `| ${row.label} | ${what} | — | — | — | — | — | — | ${rss} |`;
}

function okResults(outcomes: Outcome[]): EngineResult[] {
  return outcomes.flatMap((o) => (o.status === 'ok' ? [o.result] : []));
}

/** All repetitions of one engine: summary if at least one succeeded, else the first failure. */
function engineRow(label: string, outcomes: Outcome[]): EngineRow {
  const ok = okResults(outcomes);
  if (ok.length > 0) return { label, outcome: outcomes.find((o) => o.status === 'ok')!, summary: summarise(ok) };
  return { label, outcome: outcomes[0], summary: null };
}

const skipped = (label: string, message: string): EngineRow => ({ label, outcome: { status: 'skipped', message }, summary: null });

interface RatioRow {
  comparison: string;
  data: string;
  /** other fit time / our fit time */
  fitSpeedup: number;
  /** our score rows/s / other's */
  scoreSpeedup: number;
  /** other's peak RSS / ours */
  peakRssRatio: number;
  rocAucDelta: number;
  apDelta: number;
}

function ratio(comparison: string, data: string, ours: EngineSummary | null, other: EngineSummary | null): RatioRow | null {
  if (ours === null || other === null) return null;
  return {
    comparison,
    data,
    fitSpeedup: other.fitMsMedian / ours.fitMsMedian,
    scoreSpeedup: ours.scoreRowsPerSec / other.scoreRowsPerSec,
    peakRssRatio: other.peakRssMB / ours.peakRssMB,
    rocAucDelta: ours.rocAucMean - other.rocAucMean,
    apDelta: ours.apMean - other.apMean,
  };
}

// ---------------------------------------------------------------------------------------------------
// The run

/** Sections 1-3 (the model engine): their Markdown and their part of latest.json. */
async function modelSections(): Promise<{ markdown: string[]; json: Record<string, unknown> }> {
  const packageVersion = mlIsolationForestVersion();
  const sk = skipSklearn ? { python: null, version: null, reason: 'skipped (--skip-sklearn)' } : findSklearn();
  if (sk.version === null) log(`scikit-learn: ${sk.reason}`);

  // 1. Shuttle -------------------------------------------------------------------------------------
  const shuttleMissing = shuttleMissingReason();
  const shuttleRows: EngineRow[] = [];
  const shuttleOutcomes: Record<string, Outcome[]> = {};
  if (shuttleMissing !== null) {
    log(`section 1 skipped: ${shuttleMissing}`);
  } else {
    log('1. shuttle: our forest (5 seeds)');
    const base: Omit<ChildSpec, 'engine' | 'seeds'> = { dataset: { kind: 'shuttle' }, trees: TREES, sampleSize: SAMPLE_SIZE };
    shuttleOutcomes.ours = [await runEngineInChild({ ...base, engine: 'ours', seeds: SHUTTLE_SEEDS }, OURS_TIMEOUT_MS)];
    shuttleRows.push(engineRow('ours', shuttleOutcomes.ours));
    if (skipPackage) {
      shuttleRows.push(skipped('ml-isolation-forest', '--skip-package'));
    } else {
      shuttleOutcomes.package = [];
      for (let i = 0; i < SHUTTLE_PACKAGE_REPS; i++) {
        log(`1. shuttle: ml-isolation-forest, repetition ${i + 1}/${SHUTTLE_PACKAGE_REPS} (timeout ${SHUTTLE_PACKAGE_TIMEOUT_MS / 1000} s)`);
        const o = await runEngineInChild({ ...base, engine: 'ml-isolation-forest', seeds: [i] }, SHUTTLE_PACKAGE_TIMEOUT_MS);
        shuttleOutcomes.package.push(o);
        if (o.status !== 'ok') break; // a timeout or OOM will not get better on repetition
      }
      shuttleRows.push(engineRow('ml-isolation-forest', shuttleOutcomes.package));
    }
    if (sk.version === null) {
      shuttleRows.push(skipped('scikit-learn', skipSklearn ? '--skip-sklearn' : 'not installed (see section 3)'));
    } else {
      log('1. shuttle: scikit-learn (5 seeds)');
      const shuttle = loadShuttle()!;
      shuttleOutcomes.sklearn = [await runSklearn(sk.python, { matrix: shuttle.matrix, labels: shuttle.labels }, TREES, SAMPLE_SIZE, SHUTTLE_SEEDS, SKLEARN_TIMEOUT_MS)];
      shuttleRows.push(engineRow('scikit-learn', shuttleOutcomes.sklearn));
    }
  }

  // 2. Synthetic 150k x 4 ----------------------------------------------------------------------------
  log(`2. synthetic ${SYNTHETIC_ROWS} x 4: generating`);
  const synthetic = syntheticTradeMatrix(SYNTHETIC_ROWS, SYNTHETIC_DATA_SEED);
  const syntheticFingerprint = matrixFingerprint(synthetic.matrix);
  const syntheticOutliers = synthetic.labels.filter(Boolean).length;
  const synthBase: Omit<ChildSpec, 'engine' | 'seeds'> = {
    dataset: { kind: 'synthetic', rows: SYNTHETIC_ROWS, seed: SYNTHETIC_DATA_SEED },
    trees: TREES,
    sampleSize: SAMPLE_SIZE,
  };
  const synthOutcomes: Record<string, Outcome[]> = {};
  log('2. synthetic: our forest (5 seeds)');
  synthOutcomes.ours = [await runEngineInChild({ ...synthBase, engine: 'ours', seeds: SYNTHETIC_SEEDS }, OURS_TIMEOUT_MS)];
  const synthRows: EngineRow[] = [engineRow('ours', synthOutcomes.ours)];
  if (skipPackage) {
    synthRows.push(skipped('ml-isolation-forest', '--skip-package'));
  } else {
    log(`2. synthetic: ml-isolation-forest (timeout ${SYNTHETIC_PACKAGE_TIMEOUT_MS / 1000} s)`);
    synthOutcomes.package = [await runEngineInChild({ ...synthBase, engine: 'ml-isolation-forest', seeds: [0] }, SYNTHETIC_PACKAGE_TIMEOUT_MS)];
    synthRows.push(engineRow('ml-isolation-forest', synthOutcomes.package));
  }
  const fingerprintMismatch = Object.values(synthOutcomes)
    .flat()
    .some((o) => o.status === 'ok' && o.result.fingerprint !== syntheticFingerprint);
  if (fingerprintMismatch) log('WARNING: a child built a different synthetic matrix than the parent');

  // 3. scikit-learn anchor on the same matrix --------------------------------------------------------
  let sklearnRow: EngineRow;
  if (sk.version === null) {
    sklearnRow = skipped('scikit-learn', skipSklearn ? '--skip-sklearn' : 'not installed (see below)');
  } else {
    log('3. scikit-learn on the synthetic matrix (random_state=0, 3 repetitions)');
    synthOutcomes.sklearn = [await runSklearn(sk.python, synthetic, TREES, SAMPLE_SIZE, SKLEARN_SYNTHETIC_SEEDS, SKLEARN_TIMEOUT_MS)];
    sklearnRow = engineRow('scikit-learn', synthOutcomes.sklearn);
  }

  // Ratios -----------------------------------------------------------------------------------------
  const find = (rows: EngineRow[], label: string): EngineSummary | null => rows.find((r) => r.label === label)?.summary ?? null;
  const ratios = [
    ratio('ours vs ml-isolation-forest', 'shuttle 49,097 × 9', find(shuttleRows, 'ours'), find(shuttleRows, 'ml-isolation-forest')),
    ratio('ours vs ml-isolation-forest', 'synthetic 150,000 × 4', find(synthRows, 'ours'), find(synthRows, 'ml-isolation-forest')),
    ratio('ours vs scikit-learn', 'shuttle 49,097 × 9', find(shuttleRows, 'ours'), find(shuttleRows, 'scikit-learn')),
    ratio('ours vs scikit-learn', 'synthetic 150,000 × 4', find(synthRows, 'ours'), sklearnRow.summary),
  ].filter((r): r is RatioRow => r !== null);

  // Markdown ---------------------------------------------------------------------------------------
  const md: string[] = [];
  md.push(
    `Every engine runs alone in its own child process, single-threaded, ${TREES} trees; times are medians over the runs, ROC-AUC and AP are mean ± sd over them; ` +
      'peak RSS is the whole process (the figure in brackets is RSS with the data loaded, before any fit; a Node child with tsx starts near 80 MB).',
    '',
  );

  md.push('## 1. Shuttle (ODDS/ADBench, 49,097 rows × 9 features, 3,511 anomalies)', '');
  if (shuttleMissing !== null) {
    md.push(`Skipped: ${shuttleMissing}.`, '');
  } else {
    md.push(...TABLE_HEADER, ...shuttleRows.map(engineTableRow));
    md.push(
      `| scikit-learn 1.2.1 (reference, ../shared/data/README.md) | 100 trees, 256 samples, 5 seeds | 5 | — | — | — | ${SHUTTLE_SKLEARN_REFERENCE.rocAuc.toFixed(4)} ± ${SHUTTLE_SKLEARN_REFERENCE.rocAucSd.toFixed(4)} | ${SHUTTLE_SKLEARN_REFERENCE.averagePrecision.toFixed(3)} ± ${SHUTTLE_SKLEARN_REFERENCE.averagePrecisionSd.toFixed(3)} | — |`,
      '',
    );
    md.push('Fit on all rows, score all rows (the reference protocol). ml-isolation-forest cannot be seeded; its runs are independent repetitions.', '');
  }

  md.push(`## 2. Synthetic trade-like matrix (${SYNTHETIC_ROWS.toLocaleString('en-US')} rows × 4 features, ${syntheticOutliers} injected outliers)`, '');
  md.push(...TABLE_HEADER, ...synthRows.map(engineTableRow), '');
  md.push(
    `Seeded Gaussians shaped like the production features (data seed ${SYNTHETIC_DATA_SEED}), with 0.1% outliers: price shifts and quantity errors of 5-10 sigma, off-hours trades, ` +
      'and rows moderately unusual on two features at once. ROC-AUC/AP here are of the forest alone: with 256-row subsamples, rows beyond every ' +
      'sampled value share the outermost leaves with the ordinary tails, which is why the production model adds an extremeness score (src/model/anomaly-model.ts); ' +
      'ml-isolation-forest grows each tree on all 150,000 rows, so its trees do reach the far outliers, at the cost shown in the fit column.',
    '',
  );
  if (fingerprintMismatch) md.push('**Warning:** a child process built a different synthetic matrix than the parent; the rows are not comparable.', '');

  md.push('## 3. scikit-learn anchor (the same 150,000 × 4 matrix)', '');
  md.push(...TABLE_HEADER, ...synthRows.filter((r) => r.label === 'ours').map(engineTableRow), engineTableRow(sklearnRow), '');
  if (sk.version === null) md.push(`scikit-learn row skipped: ${sk.reason}.`, '');
  else md.push('IsolationForest(n_estimators=100, max_samples=256, random_state=0), fit + score_samples, one thread (OMP/BLAS threads = 1), repeated 3 times.', '');

  md.push('## Ratios (ours against each engine, same run)', '');
  if (ratios.length === 0) {
    md.push('No pair of engines completed in this run.', '');
  } else {
    md.push('| comparison | data | fit: ours is | score rows/s: ours is | peak RSS: theirs / ours | ROC-AUC: ours − theirs | AP: ours − theirs |');
    md.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of ratios) {
      md.push(`| ${r.comparison} | ${r.data} | ${fmtRatio(r.fitSpeedup)} faster | ${fmtRatio(r.scoreSpeedup)} | ${fmtRatio(r.peakRssRatio)} | ${fmtDelta(r.rocAucDelta, 4)} | ${fmtDelta(r.apDelta, 3)} |`);
    }
    md.push('');
  }
  md.push(
    `Notes: ml-isolation-forest ${packageVersion} is used as designed: \`new IsolationForest({ nEstimators })\`, \`train(rows[][])\`, \`predict(rows[][])\`. ` +
      'It has no subsampling (every tree is grown on every row, to depth ceil(log2 n)+1), no seed (Math.random), no way to save or load a model, ' +
      'and it normalises with c(n) = 2 ln(n−1) + 0.5772 − 2(n−1)/n instead of the paper\'s 2(ln(n−1) + 0.5772) − 2(n−1)/n; each leaf keeps its rows. ' +
      'Converting the matrix to row arrays for it is not timed.',
    '',
  );

  return {
    markdown: md,
    json: {
      settings: { trees: TREES, sampleSize: SAMPLE_SIZE, shuttleSeeds: SHUTTLE_SEEDS, syntheticRows: SYNTHETIC_ROWS, syntheticDataSeed: SYNTHETIC_DATA_SEED, skipPackage, skipSklearn },
      versions: { mlIsolationForest: packageVersion, sklearn: sk.version, python: sk.python, sklearnUnavailable: sk.version === null ? sk.reason : undefined },
      shuttle: shuttleMissing !== null ? { skipped: shuttleMissing } : { reference: SHUTTLE_SKLEARN_REFERENCE, summaries: shuttleRows, outcomes: shuttleOutcomes },
      synthetic: { fingerprint: syntheticFingerprint, outliers: syntheticOutliers, fingerprintMismatch, summaries: [...synthRows, sklearnRow], outcomes: synthOutcomes },
      ratios,
    },
  };
}

/** Section 6's anchors: the forests on the day's own model matrix, in the same run as its steps. */
interface DayAnchors {
  rows: EngineRow[];
  outcomes: Record<string, Outcome[]>;
}

async function dayAnchors(matrix: DaySection['matrix']): Promise<DayAnchors> {
  const dataset = { kind: 'file' as const, path: matrix.path, labelsPath: matrix.labelsPath, rows: matrix.rows, cols: matrix.cols };
  const base = { dataset, trees: TREES, sampleSize: SAMPLE_SIZE };
  const outcomes: Record<string, Outcome[]> = {};
  log('6. anchors on the day\'s model matrix: our forest (3 seeds)');
  outcomes.ours = [await runEngineInChild({ ...base, engine: 'ours', seeds: [0, 1, 2] }, OURS_TIMEOUT_MS)];
  const rows: EngineRow[] = [engineRow('ours', outcomes.ours)];
  const sk = skipSklearn ? { python: null, version: null, reason: 'skipped (--skip-sklearn)' } : findSklearn();
  if (sk.version === null) rows.push(skipped('scikit-learn', sk.reason));
  else {
    log('6. anchors: scikit-learn (random_state=0, 3 repetitions)');
    const loaded = loadDataset(dataset);
    outcomes.sklearn = [await runSklearn(sk.python, loaded, TREES, SAMPLE_SIZE, SKLEARN_SYNTHETIC_SEEDS, SKLEARN_TIMEOUT_MS)];
    rows.push(engineRow('scikit-learn', outcomes.sklearn));
  }
  if (skipPackage) rows.push(skipped('ml-isolation-forest', '--skip-package'));
  else {
    log(`6. anchors: ml-isolation-forest (timeout ${SYNTHETIC_PACKAGE_TIMEOUT_MS / 1000} s)`);
    outcomes.package = [await runEngineInChild({ ...base, engine: 'ml-isolation-forest', seeds: [0] }, SYNTHETIC_PACKAGE_TIMEOUT_MS)];
    rows.push(engineRow('ml-isolation-forest', outcomes.package));
  }
  return { rows, outcomes };
}

/** One target of issue 7, as measured in this run. */
interface TargetRow {
  target: string;
  measured: string;
  met: boolean | null;
}

function targetRows(day: DaySection | null, anchors: DayAnchors | null, large: LargeSection | null, bundles: BundleSection | null): TargetRow[] {
  const out: TargetRow[] = [];
  const sk = anchors?.rows.find((r) => r.label === 'scikit-learn')?.summary ?? null;
  const ours = anchors?.rows.find((r) => r.label === 'ours')?.summary ?? null;
  const scoring = day?.steps.find((s): s is StepFigures => s.step === 'scoring' && !('error' in s));
  if (sk && ours) {
    const r = ours.scoreRowsPerSec / sk.scoreRowsPerSec;
    out.push({ target: 'forest scoring ≥ 3× scikit-learn score_samples rows/s (same matrix, trees, ψ; one core each)', measured: `${fmtRate(ours.scoreRowsPerSec)} vs ${fmtRate(sk.scoreRowsPerSec)} rows/s: ${fmtRatio(r)}`, met: r >= 3 });
    if (scoring) {
      const prod = (scoring.rows / scoring.wallMs) * 1000;
      const rp = prod / sk.scoreRowsPerSec;
      out.push({ target: '(the same, with the production model: forest + extremeness score)', measured: `${fmtRate(prod)} vs ${fmtRate(sk.scoreRowsPerSec)} rows/s: ${fmtRatio(rp)}`, met: rp >= 3 });
    }
  } else out.push({ target: 'forest scoring ≥ 3× scikit-learn score_samples', measured: 'not measured in this run (section 6 with scikit-learn installed)', met: null });
  if (sk && day && !day.run.error && day.run.wallMs.length) {
    const runMs = medianOf(day.run.wallMs);
    // score_samples on every row of the day at its measured rate (it scored the day's scorable rows).
    const skScoreMs = (day.rows / sk.scoreRowsPerSec) * 1000;
    out.push({
      target: `\`trade-anomaly run\` of the ${day.rows.toLocaleString('en-US')}-row day faster than scikit-learn's score_samples alone on the same rows`,
      measured: `run ${fmtMs(runMs)} vs score_samples ${fmtMs(skScoreMs)} (${fmtRatio(runMs / skScoreMs)} slower)`,
      met: runMs < skScoreMs,
    });
  } else out.push({ target: 'local run of a 150,000-row day faster than scikit-learn score_samples', measured: 'not measured in this run', met: null });
  const floor = day ? designFloor(day, os.availableParallelism()) : undefined;
  if (floor) {
    const skScoreMs = sk ? (day!.rows / sk.scoreRowsPerSec) * 1000 : undefined;
    out.push({
      target: "(this design's floor for that run: start + scan, score and Parquet perfectly spread over the cores; the scan's ordered part, S3, transfers, threads' start, report free)",
      measured: `${fmtMs(floor.runMs)}${skScoreMs !== undefined ? ` vs score_samples ${fmtMs(skScoreMs)}` : ''}`,
      met: null,
    });
    out.push({
      target: "(this design's ceiling at scale: the scan, score step and Parquet write's CPU a row, over the cores)",
      measured: `${fmtRate(floor.ceilingRowsPerSec)} rows/s (${floor.cpuUsPerRow.toFixed(1)} µs a row over ${floor.cores} cores) vs the 200,000 rows/s target`,
      met: null,
    });
  }
  const big = large?.sizes.find((s) => s.rows >= 10_000_000);
  if (big) {
    const run = big.run;
    if (run && run.status === 'ok') {
      const rate = (big.rows / run.elapsedMs) * 1000;
      const peak = Math.max(...[...big.steps, run].map((s) => (s.peakRssBytes ?? 0) / (1024 * 1024)));
      out.push({ target: '10 million rows end to end ≥ 200,000 rows/s', measured: `${fmtRate(rate)} rows/s (${fmtMs(run.elapsedMs)})`, met: rate >= 200_000 });
      out.push({ target: 'peak memory of any process < 1.5 GB at 10 million rows', measured: fmtMB(peak), met: peak < 1536 });
    }
  } else out.push({ target: '10 million rows end to end ≥ 200,000 rows/s, < 1.5 GB a process', measured: 'not measured in this run (add --large)', met: null });
  if (bundles) {
    for (const b of bundles.bundles.filter((x) => ['ingest', 'score', 'aggregate'].includes(x.handler))) {
      const wasm = b.beside.reduce((sum, f) => sum + f.bytes, 0);
      out.push({
        target: `${b.handler} bundle < 1 MB minified${wasm ? ' (plus the Parquet wasm)' : ''}, handler module loads in < 300 ms`,
        measured: b.error ? `failed: ${b.error}` : `${(b.bytes / 1000).toFixed(0)} kB${wasm ? ` + ${(wasm / 1e6).toFixed(2)} MB wasm` : ''}, load ${b.loadMedianMs?.toFixed(0) ?? '—'} ms (load average ${bundles.loadAverage.start.toFixed(1)})`,
        met: b.error ? false : b.withinSize && b.withinLoad,
      });
    }
  } else out.push({ target: 'ingest, score and aggregate bundles < 1 MB, loading in < 300 ms', measured: 'not measured in this run', met: null });
  return out;
}

function targetsMarkdown(rows: TargetRow[]): string[] {
  return [
    '## Targets (issue 7), from this run',
    '',
    '| target | measured | met |',
    '| --- | --- | :---: |',
    ...rows.map((r) => `| ${r.target} | ${r.measured} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} |`),
    '',
  ];
}

/** Builds the CLI (scripts/build-cli.mjs) and says which entry bin/trade-anomaly.js will run. */
function cliUnderTest(): { bundled: boolean; why?: string } {
  const built = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'build-cli.mjs')], { encoding: 'utf8' });
  if (built.status !== 0) return { bundled: false, why: `the build failed: ${(built.stderr || built.stdout).trim().split('\n')[0]}` };
  const entry = cliEntry(PROJECT_ROOT);
  return entry.bundled ? { bundled: true } : { bundled: false, why: process.env.TRADE_ANOMALY_FROM_SOURCE === '1' ? 'TRADE_ANOMALY_FROM_SOURCE=1' : 'no up-to-date build' };
}

async function main(): Promise<void> {
  const started = new Date();
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    totalMemoryGB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  const { sections } = options;
  // `run` is measured as users run it: the built CLI (npm ci builds it; rebuilt here so an edit since is in).
  const cli = cliUnderTest();

  const model = sections.has('model') ? await modelSections() : null;
  let parse: ParseSection | null = null;
  if (sections.has('parse')) {
    log(`4. parse + validate on ${options.parseRows.map((r) => r.toLocaleString('en-US')).join(', ')} rows`);
    parse = await runParseBenchmark({ rows: options.parseRows, log });
  }
  let large: LargeSection | null = null;
  if (sections.has('large')) {
    log(`5. large files through the pipeline: ${options.largeRows.map((r) => r.toLocaleString('en-US')).join(', ')} rows, chunks of ${options.largeChunkRows.toLocaleString('en-US')}`);
    large = await runLargeFileBenchmark({ rows: options.largeRows, chunkRows: options.largeChunkRows, log });
  }
  let day: DaySection | null = null;
  let anchors: DayAnchors | null = null;
  if (sections.has('day')) {
    const ws = benchWorkspace('trade-anomaly-day-', log);
    try {
      day = await runDayPipelineBenchmark(ws.dir, log);
      anchors = await dayAnchors(day.matrix);
    } finally {
      ws.close();
    }
  }

  let bundles: BundleSection | null = null;
  if (sections.has('bundles')) {
    log('7. Lambda bundles and handler load times');
    bundles = await runBundleBenchmark({}, log);
  }

  const md: string[] = ['# Benchmarks', ''];
  md.push(`Run ${started.toISOString()} on ${machine.cpu}, ${machine.cores} cores, ${machine.totalMemoryGB} GB RAM, Node ${machine.node}, ${machine.os}; load average at start ${machine.loadAverageAtStart.join(' / ')}.`);
  md.push(`The CLI measured: ${cli.bundled ? 'the built bundle (dist/cli.mjs, `npm run build`)' : `the TypeScript sources through tsx (${cli.why})`}.`);
  const left = SECTIONS.filter((x) => !sections.has(x));
  md.push(`Sections in this run: ${[...sections].join(', ')}${left.length ? `; left out: ${left.join(', ')} (\`--sections=${SECTIONS.join(',')}\` runs all; large takes ~25 min)` : ''}.`, '');
  if (model !== null) md.push(...model.markdown);
  if (parse !== null) md.push(...parseSectionMarkdown(parse, 4));
  if (large !== null) md.push(...largeSectionMarkdown(large, 5));
  if (day !== null) {
    md.push(...daySectionMarkdown(day, 6));
    if (anchors !== null) {
      md.push(`### Anchors on the day's model matrix (${day.matrix.rows.toLocaleString('en-US')} scorable rows × ${day.matrix.cols}: the forest's normalised inputs)`, '');
      md.push(...TABLE_HEADER, ...anchors.rows.map(engineTableRow), '');
      md.push('ROC-AUC/AP against the generator\'s labels, of the forest alone (the production model adds the extremeness score and the rules; see docs/model.md).', '');
    }
  }
  if (bundles !== null) md.push(bundleSectionMarkdown(bundles).replace(/^## /, '## 7. '), '');
  const targets = targetRows(day, anchors, large, bundles);
  md.push(...targetsMarkdown(targets));

  const markdown = md.join('\n');
  process.stdout.write(`${markdown}\n`);

  const resultsDir = join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const json = {
    date: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    machine,
    cli,
    options: { ...options, sections: [...sections] },
    ...(model !== null ? model.json : { model: { skipped: 'not in --sections' } }),
    parse: parse ?? { skipped: 'not in --sections' },
    large: large ?? { skipped: 'not in --sections (add --large)' },
    day: day === null ? { skipped: 'not in --sections' } : { ...day, anchors },
    bundles: bundles ?? { skipped: 'not in --sections' },
    targets,
  };
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'latest.md'), `${markdown}\n`);
  log(`done in ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s; wrote bench/results/latest.json and latest.md`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
