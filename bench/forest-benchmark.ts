/**
 * Measurements behind the model-engine decision: our flat typed-array isolation forest
 * (src/model/isolation-forest.ts) beside the npm package ml-isolation-forest and, where it is installed,
 * scikit-learn's IsolationForest.
 *
 * Every engine runs in its own child process, one engine and one dataset at a time, so that
 * - its peak resident memory (RSS) is its own: the child reports process.resourceUsage().maxRSS, and the
 *   parent also samples /proc/<pid>/status (VmHWM) so a child killed for time or memory still has a figure;
 * - a slow or memory-hungry engine ends in a timeout or an out-of-memory report, never in a crashed bench.
 * The children load or regenerate their data themselves (the synthetic matrix is deterministic for its
 * seed, and its fingerprint is checked against the parent's), so no large data crosses a pipe.
 *
 * This file is also the child's entry: `node --import tsx bench/forest-benchmark.ts --child '<json spec>'`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { averagePrecision, rocAuc } from '../src/evaluate/detection-metrics.js';
import { fitIsolationForest, scoreIsolationForest, type FeatureMatrix } from '../src/model/isolation-forest.js';
import { SeededRandom } from '../src/model/random.js';
import { lastLines, looksOutOfMemory, runMeasured, type ProcessOutcome } from './measured-process.js';
import { loadShuttle } from './shuttle.js';

// ---------------------------------------------------------------------------------------------------
// Data

export interface LabelledMatrix {
  matrix: FeatureMatrix;
  /** true = an injected (or labelled) anomaly. */
  labels: boolean[];
}

export const SYNTHETIC_FEATURES = ['price_deviation', 'price_jump', 'quantity_deviation', 'time_rarity'] as const;

/**
 * A trade-like feature matrix with 4 columns shaped like the production features (robust z-scores of
 * price, trade-to-trade jump, quantity, and a time-of-day rarity), drawn from seeded Gaussians, with a
 * small share of outliers: price errors, quantity errors, off-hours trades and unusual combinations.
 * Deterministic for (rows, seed).
 */
export function syntheticTradeMatrix(rows: number, seed: number, outlierRate = 0.001): LabelledMatrix {
  const cols = SYNTHETIC_FEATURES.length;
  const random = new SeededRandom(seed);
  let spare: number | null = null;
  const gaussian = (): number => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
    const u = 1 - random.next();
    const v = random.next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  const uniform = (lo: number, hi: number): number => lo + random.next() * (hi - lo);
  const sign = (): number => (random.next() < 0.5 ? -1 : 1);

  const values = new Float64Array(rows * cols);
  const labels: boolean[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    const z1 = gaussian();
    const z2 = gaussian();
    let price = z1;
    let jump = 0.6 * z1 + 0.8 * z2;
    let quantity = gaussian();
    let time = -0.1 + 0.3 * gaussian();
    const outlier = random.next() < outlierRate;
    if (outlier) {
      const kind = random.nextInt(4);
      if (kind === 0) {
        const shift = sign() * uniform(5, 10); // fat finger / decimal shift
        price += shift;
        jump += shift;
      } else if (kind === 1) {
        quantity += sign() * uniform(5, 10);
      } else if (kind === 2) {
        time += uniform(2, 4); // a trade in a nearly empty hour
      } else {
        price = sign() * uniform(2.5, 3.5); // moderately unusual on two features at once
        quantity = sign() * uniform(2.5, 3.5);
        jump = -0.6 * price;
      }
    }
    const o = r * cols;
    values[o] = price;
    values[o + 1] = jump;
    values[o + 2] = quantity;
    values[o + 3] = time;
    labels[r] = outlier;
  }
  return { matrix: { values, rows, cols }, labels };
}

/** A cheap fingerprint of a matrix, to check that a child built the same data as the parent. */
export function matrixFingerprint(m: FeatureMatrix): string {
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < m.values.length; i++) {
    sum += m.values[i];
    weighted += m.values[i] * ((i % 97) + 1);
  }
  return `${m.rows}x${m.cols}:${sum.toPrecision(12)}:${weighted.toPrecision(12)}`;
}

/**
 * shuttle, the synthetic matrix, or a matrix written by another section (float64 row-major, with a
 * labels file of one 0/1 byte a row): section 6 writes the model's own inputs for a generated day.
 */
export type DatasetSpec = { kind: 'shuttle' } | { kind: 'synthetic'; rows: number; seed: number } | { kind: 'file'; path: string; labelsPath: string; rows: number; cols: number };

export function loadDataset(spec: DatasetSpec): LabelledMatrix {
  if (spec.kind === 'synthetic') return syntheticTradeMatrix(spec.rows, spec.seed);
  if (spec.kind === 'file') {
    const bytes = readFileSync(spec.path);
    const values = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    if (values.length !== spec.rows * spec.cols) throw new Error(`${spec.path}: ${values.length} values, expected ${spec.rows} x ${spec.cols}`);
    const labels = Array.from(readFileSync(spec.labelsPath), (b) => b === 1);
    return { matrix: { values, rows: spec.rows, cols: spec.cols }, labels };
  }
  const shuttle = loadShuttle();
  if (shuttle === null) throw new Error('shuttle data not found');
  return { matrix: shuttle.matrix, labels: shuttle.labels };
}

// ---------------------------------------------------------------------------------------------------
// Statistics

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n - 1); 0 for a single value. */
export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

// ---------------------------------------------------------------------------------------------------
// One engine, in one process (the child's side)

export type EngineName = 'ours' | 'ml-isolation-forest';

export interface ChildSpec {
  engine: EngineName;
  dataset: DatasetSpec;
  trees: number;
  /** ψ for our forest; ml-isolation-forest has no subsampling and ignores it. */
  sampleSize: number;
  /** One fit + score per entry; the seed is ignored by ml-isolation-forest, which uses Math.random. */
  seeds: number[];
}

export interface RunMeasure {
  /** null where the engine cannot be seeded. */
  seed: number | null;
  fitMs: number;
  scoreMs: number;
  rocAuc: number;
  averagePrecision: number;
}

export interface EngineResult {
  engine: EngineName | 'scikit-learn';
  engineVersion: string;
  settings: string;
  rows: number;
  cols: number;
  fingerprint: string;
  runs: RunMeasure[];
  /** RSS once the data is loaded (and converted to the engine's input form), before any fit. */
  rssAfterLoadMB: number;
  /** Peak RSS of the whole process. */
  peakRssMB: number;
}

interface MlIsolationForest {
  train(rows: number[][]): void;
  predict(rows: number[][]): number[];
}
type MlIsolationForestCtor = new (options?: { nEstimators?: number }) => MlIsolationForest;

const require = createRequire(import.meta.url);

/** The package's version, read from its package.json (it has no `exports` map, so this resolves). */
export function mlIsolationForestVersion(): string {
  try {
    const pkg = require('ml-isolation-forest/package.json') as { version: string };
    return pkg.version;
  } catch {
    return 'not installed';
  }
}

const mb = (bytes: number): number => bytes / (1024 * 1024);

/** Runs one engine on one dataset in this process and measures it. */
export function runEngine(spec: ChildSpec): EngineResult {
  const { matrix, labels } = loadDataset(spec.dataset);
  const fingerprint = matrixFingerprint(matrix);
  const runs: RunMeasure[] = [];
  let engineVersion: string;
  let settings: string;

  if (spec.engine === 'ours') {
    engineVersion = 'src/model/isolation-forest.ts';
    settings = `${spec.trees} trees, ψ=${Math.min(spec.sampleSize, matrix.rows)}, seeded`;
    const out = new Float64Array(matrix.rows);
    const rssAfterLoadMB = mb(process.memoryUsage.rss());
    for (const seed of spec.seeds) {
      const t0 = performance.now();
      const forest = fitIsolationForest(matrix, { trees: spec.trees, sampleSize: spec.sampleSize, seed });
      const t1 = performance.now();
      scoreIsolationForest(forest, matrix, out);
      const t2 = performance.now();
      const scores = Array.from(out);
      runs.push({ seed, fitMs: t1 - t0, scoreMs: t2 - t1, rocAuc: rocAuc(scores, labels), averagePrecision: averagePrecision(scores, labels) });
    }
    return { engine: 'ours', engineVersion, settings, rows: matrix.rows, cols: matrix.cols, fingerprint, runs, rssAfterLoadMB, peakRssMB: process.resourceUsage().maxRSS / 1024 };
  }

  const { IsolationForest } = require('ml-isolation-forest') as { IsolationForest: MlIsolationForestCtor };
  engineVersion = mlIsolationForestVersion();
  settings = `nEstimators=${spec.trees} (its default), every tree on all ${matrix.rows} rows, unseeded`;
  // The package takes an array of row arrays; building it is input preparation, not timed.
  const rowsArray: number[][] = new Array(matrix.rows);
  for (let r = 0; r < matrix.rows; r++) rowsArray[r] = Array.from(matrix.values.subarray(r * matrix.cols, (r + 1) * matrix.cols));
  const rssAfterLoadMB = mb(process.memoryUsage.rss());
  for (let i = 0; i < spec.seeds.length; i++) {
    const model = new IsolationForest({ nEstimators: spec.trees });
    const t0 = performance.now();
    model.train(rowsArray);
    const t1 = performance.now();
    const scores = model.predict(rowsArray);
    const t2 = performance.now();
    runs.push({ seed: null, fitMs: t1 - t0, scoreMs: t2 - t1, rocAuc: rocAuc(scores, labels), averagePrecision: averagePrecision(scores, labels) });
  }
  return { engine: 'ml-isolation-forest', engineVersion, settings, rows: matrix.rows, cols: matrix.cols, fingerprint, runs, rssAfterLoadMB, peakRssMB: process.resourceUsage().maxRSS / 1024 };
}

// ---------------------------------------------------------------------------------------------------
// Child processes (the parent's side)

export type Outcome =
  | { status: 'ok'; elapsedMs: number; result: EngineResult }
  | { status: 'timeout' | 'out-of-memory' | 'failed'; elapsedMs: number; message: string; peakRssMB: number | null };

const RESULT_MARKER = 'BENCH_RESULT ';
const THIS_FILE = fileURLToPath(import.meta.url);

/** Peak RSS polled from /proc, in MB (the tables report MB). */
const polledMB = (p: ProcessOutcome): number | null => (p.polledPeakRssBytes === null ? null : p.polledPeakRssBytes / (1024 * 1024));

/** Runs one engine on one dataset in a child Node process, with a timeout. Never throws for the child's failure. */
export async function runEngineInChild(spec: ChildSpec, timeoutMs: number): Promise<Outcome> {
  const p = await runMeasured(process.execPath, ['--import', 'tsx', THIS_FILE, '--child', JSON.stringify(spec)], timeoutMs);
  const line = p.stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (p.code === 0 && line !== undefined) {
    const result = JSON.parse(line.slice(RESULT_MARKER.length)) as EngineResult;
    const polled = polledMB(p);
    if (polled !== null) result.peakRssMB = Math.max(result.peakRssMB, polled);
    return { status: 'ok', elapsedMs: p.elapsedMs, result };
  }
  if (p.timedOut) {
    return { status: 'timeout', elapsedMs: p.elapsedMs, peakRssMB: polledMB(p), message: `killed after the ${Math.round(timeoutMs / 1000)} s timeout` };
  }
  const oom = looksOutOfMemory(p);
  return {
    status: oom ? 'out-of-memory' : 'failed',
    elapsedMs: p.elapsedMs,
    peakRssMB: polledMB(p),
    message: `exit ${p.code ?? p.signal}: ${lastLines(p.stderr, 3) || '(no stderr)'}`,
  };
}

// ---------------------------------------------------------------------------------------------------
// scikit-learn (optional; the bench installs nothing)

export const SKLEARN_INSTALL_HINT =
  'scikit-learn is not installed for python3; to add the anchor: `apt-get install python3-sklearn` (Debian/Ubuntu, for /usr/bin/python3) or `pip install scikit-learn`';

/** Interpreters tried in order: $BENCH_PYTHON, the python3 on PATH, then the system one (where apt installs python3-sklearn). */
function pythonCandidates(): string[] {
  const list = [process.env.BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => p !== undefined && p !== '');
  return [...new Set(list)];
}

/** The first python3 that has scikit-learn and numpy, with the version, or null with the reason none does. */
export function findSklearn(): { python: string; version: string } | { python: null; version: null; reason: string } {
  const tried: string[] = [];
  for (const python of pythonCandidates()) {
    const p = spawnSync(python, ['-c', 'import sklearn, numpy; print(sklearn.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (!p.error && p.status === 0) return { python, version: p.stdout.trim() };
    tried.push(python);
  }
  return { python: null, version: null, reason: `${SKLEARN_INSTALL_HINT} (tried ${tried.join(', ')}; set BENCH_PYTHON to choose another)` };
}

const SKLEARN_SCRIPT = String.raw`
import json, resource, sys, time
import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest
path, rows, cols, out, trees, samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
seeds = [int(s) for s in sys.argv[7].split(',')]
X = np.fromfile(path, dtype=np.float64).reshape(rows, cols)
rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
runs = []
for i, seed in enumerate(seeds):
    model = IsolationForest(n_estimators=trees, max_samples=samples, random_state=seed)
    t0 = time.perf_counter()
    model.fit(X)
    t1 = time.perf_counter()
    scores = -model.score_samples(X)  # the paper's s(x), higher = more anomalous
    t2 = time.perf_counter()
    np.ascontiguousarray(scores, dtype=np.float64).tofile(out + "." + str(i))
    runs.append({"seed": seed, "fitMs": (t1 - t0) * 1000, "scoreMs": (t2 - t1) * 1000})
print("${RESULT_MARKER}" + json.dumps({"version": sklearn.__version__, "runs": runs, "rssAfterLoadMB": rss_after_load,
      "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

/**
 * scikit-learn's IsolationForest on the same matrix (written to a temporary float64 file), one thread
 * (OMP/BLAS threads pinned to 1, n_jobs left at 1). Scores come back through files so ROC-AUC and AP
 * are computed by the same code as for the other engines.
 */
export async function runSklearn(python: string, data: LabelledMatrix, trees: number, sampleSize: number, seeds: number[], timeoutMs: number): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'trade-anomaly-bench-'));
  try {
    const { matrix, labels } = data;
    const input = join(dir, 'matrix.f64');
    const scoresBase = join(dir, 'scores');
    writeFileSync(input, new Uint8Array(matrix.values.buffer, matrix.values.byteOffset, matrix.values.byteLength));
    const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const args = ['-c', SKLEARN_SCRIPT, input, String(matrix.rows), String(matrix.cols), scoresBase, String(trees), String(sampleSize), seeds.join(',')];
    const p = await runMeasured(python, args, timeoutMs, env);
    const line = p.stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
    if (p.code !== 0 || line === undefined) {
      if (p.timedOut) return { status: 'timeout', elapsedMs: p.elapsedMs, peakRssMB: polledMB(p), message: `killed after the ${Math.round(timeoutMs / 1000)} s timeout` };
      return { status: 'failed', elapsedMs: p.elapsedMs, peakRssMB: polledMB(p), message: `exit ${p.code ?? p.signal}: ${lastLines(p.stderr, 3)}` };
    }
    const raw = JSON.parse(line.slice(RESULT_MARKER.length)) as {
      version: string;
      runs: { seed: number; fitMs: number; scoreMs: number }[];
      rssAfterLoadMB: number;
      peakRssMB: number;
    };
    const runs: RunMeasure[] = raw.runs.map((run, i) => {
      const buf = readFileSync(`${scoresBase}.${i}`);
      const scores = Array.from(new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8));
      return { ...run, rocAuc: rocAuc(scores, labels), averagePrecision: averagePrecision(scores, labels) };
    });
    return {
      status: 'ok',
      elapsedMs: p.elapsedMs,
      result: {
        engine: 'scikit-learn',
        engineVersion: raw.version,
        settings: `n_estimators=${trees}, max_samples=${Math.min(sampleSize, matrix.rows)}, random_state=${new Set(seeds).size === 1 ? seeds[0] : 'seed'}, 1 thread`,
        rows: matrix.rows,
        cols: matrix.cols,
        fingerprint: matrixFingerprint(matrix),
        runs,
        rssAfterLoadMB: raw.rssAfterLoadMB,
        peakRssMB: Math.max(raw.peakRssMB, polledMB(p) ?? 0),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// Summaries

export interface EngineSummary {
  engine: string;
  engineVersion: string;
  settings: string;
  runs: number;
  fitMsMedian: number;
  scoreMsMedian: number;
  scoreRowsPerSec: number;
  rocAucMean: number;
  rocAucSd: number;
  apMean: number;
  apSd: number;
  rssAfterLoadMB: number;
  peakRssMB: number;
}

/** Median times and mean ± sd quality over the runs of one or more outcomes of the same engine. */
export function summarise(results: EngineResult[]): EngineSummary {
  const runs = results.flatMap((r) => r.runs);
  const first = results[0];
  const scoreMsMedian = median(runs.map((r) => r.scoreMs));
  return {
    engine: first.engine,
    engineVersion: first.engineVersion,
    settings: first.settings,
    runs: runs.length,
    fitMsMedian: median(runs.map((r) => r.fitMs)),
    scoreMsMedian,
    scoreRowsPerSec: first.rows / (scoreMsMedian / 1000),
    rocAucMean: mean(runs.map((r) => r.rocAuc)),
    rocAucSd: sd(runs.map((r) => r.rocAuc)),
    apMean: mean(runs.map((r) => r.averagePrecision)),
    apSd: sd(runs.map((r) => r.averagePrecision)),
    rssAfterLoadMB: median(results.map((r) => r.rssAfterLoadMB)),
    peakRssMB: median(results.map((r) => r.peakRssMB)),
  };
}

// ---------------------------------------------------------------------------------------------------
// Child entry

if (process.argv[2] === '--child' && process.argv[1] !== undefined && resolve(process.argv[1]) === THIS_FILE) {
  const spec = JSON.parse(process.argv[3]) as ChildSpec;
  const result = runEngine(spec);
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}
