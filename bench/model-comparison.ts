/**
 * The model kinds compared (docs/model.md, "Other model kinds"): the isolation forest, a One-Class SVM,
 * an autoencoder, PCA reconstruction error and their ensemble, on the same features and folds.
 *
 *   node --import tsx bench/model-comparison.ts [sections...]
 *
 * Sections (default: all, in this order):
 *   svm-sample  One-Class SVM fit time, support vectors, scoring speed and ranking by sample size
 *   history     each kind trained on 3 generated history days, run on the labelled day (the pipeline's use)
 *   cv-trades   3-fold cross-validation on the labelled day with the evaluate machinery
 *   shuttle     5-fold cross-validation on the shared ODDS shuttle benchmark (skipped if absent)
 *   binance     each kind fitted on the real Binance BRD/BTC file, how its scores concentrate in the pump window
 *   bars        the detection bars (src/evaluate/detection-bars.ts) on every generator scenario, per kind
 *               (30,000 rows a day, 2 history days, as test/e2e/detection-bars.test.ts)
 *   bundle      the score and train Lambda bundles: size, and whether tfjs or libsvm got in
 *
 * Tables go to stdout as Markdown; the figures also to bench/results/model-comparison.json.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';
import { predictionsFrom, recallByTypeOverFolds } from '../src/cli/commands/evaluate-command.js';
import { crossValidate, type CrossValidationResult } from '../src/evaluate/cross-validate.js';
import { runDetectionBars, type ScenarioResult } from '../src/evaluate/detection-bars.js';
import { detectionMetrics, type DetectionMetrics } from '../src/evaluate/detection-metrics.js';
import { SCENARIO_SEED } from '../src/evaluate/scenarios.js';
import { windowConcentration } from '../src/evaluate/window-concentration.js';
import { loadSchemaFile } from '../src/schema/schema-settings.js';
import { isolationForestDetector, type Detector } from '../src/evaluate/detectors.js';
import { readLabelledTrades } from '../src/evaluate/labelled-trades.js';
import { readLabels } from '../src/evaluate/labels.js';
import { anomalyModelDetector, modelKindDetector, onTrades, tradeMatrix } from '../src/evaluate/trade-detectors.js';
import { selectColumns } from '../src/features/feature-matrix.js';
import { FEATURE_NAMES } from '../src/features/trade-features.js';
import { previousTradingDays, writeTradingDay } from '../src/generate/trading-day.js';
import { DEFAULT_MODEL_FEATURES, prepareTraining, scoreWithModel, serialiseModel, type AnomalyModel } from '../src/model/anomaly-model.js';
import type { FeatureMatrix } from '../src/model/isolation-forest.js';
import { MODEL_KINDS, sampleRows, type ModelKind } from '../src/model/model-kind.js';
import { fitOneClassSvm } from '../src/model/one-class-svm-training.js';
import { oneClassSvmNovelty } from '../src/model/one-class-svm.js';
import { SeededRandom } from '../src/model/random.js';
import { extractTrainingFeatures, trainOnFeaturesOfKind } from '../src/model/train-model.js';
import { scoreFileInProcess } from '../src/scoring/score-file.js';
import { PROJECT_ROOT, SHUTTLE_PATH, parseShuttleCsv, shuttleMissingReason } from './shuttle.js';

const SECTIONS = ['svm-sample', 'history', 'cv-trades', 'shuttle', 'binance', 'bars', 'bundle'] as const;
type Section = (typeof SECTIONS)[number];
const ROWS = 50_000;
const HISTORY_DAYS = 3;
const DAY = '2026-12-01';
const SEED = 7;
const OTHER_KINDS = MODEL_KINDS.filter((k) => k !== 'isolation-forest');

const results: Record<string, unknown> = { date: new Date().toISOString(), cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version };

function fmt(x: number, digits = 4): string {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}
function int(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a';
}
function table(header: string[], rows: string[][]): string {
  const align = header.map((_, i) => (i === 0 ? '---' : '---:'));
  return [header, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
function copy(m: FeatureMatrix): FeatureMatrix {
  return { values: Float64Array.from(m.values.subarray(0, m.rows * m.cols)), rows: m.rows, cols: m.cols };
}

interface Days {
  dir: string;
  history: string[];
  day: string;
  labels: string;
}

async function generate(): Promise<Days> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'model-comparison-'));
  const history: string[] = [];
  for (const d of previousTradingDays(DAY, HISTORY_DAYS)) {
    const file = path.join(dir, `history-${d}.csv`);
    await writeTradingDay({ rows: ROWS, seed: SEED, day: d, anomalyRate: 0.002 }, file);
    history.push(file);
  }
  const day = path.join(dir, 'trades.csv');
  const labels = path.join(dir, 'trades.labels.csv');
  await writeTradingDay({ rows: ROWS, seed: SEED, day: DAY, anomalyRate: 0.002 }, day, labels);
  return { dir, history, day, labels };
}

/** One-Class SVM by sample size: libsvm's fit, support vectors, our scoring speed, ranking of the day's rows. */
async function svmSample(days: Days): Promise<void> {
  const t0 = performance.now();
  await import('libsvm-js/asm.js');
  const loadMs = performance.now() - t0;
  const extracted = await extractTrainingFeatures(days.history.map((f) => ({ name: f, open: () => createReadStream(f) })));
  const prep = prepareTraining(selectColumns(extracted.matrix, FEATURE_NAMES, DEFAULT_MODEL_FEATURES), { features: DEFAULT_MODEL_FEATURES });
  const labelled = await readLabelledTrades(createReadStream(days.day), days.day, { labels: await readLabels(days.labels) });
  // The day's scorable rows, normalised as the model normalises them.
  const scorable: number[] = [];
  for (let r = 0; r < labelled.rows; r++) if (labelled.scorable[r]) scorable.push(r);
  const dayFeatures = selectColumns(labelled.features, FEATURE_NAMES, DEFAULT_MODEL_FEATURES);
  const probe = new Float64Array(scorable.length * dayFeatures.cols);
  const probeModel = await trainOnFeaturesOfKind(
    { matrix: { ...extracted.matrix, values: Float64Array.from(extracted.matrix.values) }, sources: [], excluded: 0 },
    { algorithm: 'pca' },
  );
  scorable.forEach((r, k) => probe.set(dayFeatures.values.subarray(r * dayFeatures.cols, (r + 1) * dayFeatures.cols), k * dayFeatures.cols));
  const probeMatrix = { values: probe, rows: scorable.length, cols: dayFeatures.cols };
  // Normalise the probe rows as scoring does (scoreWithModel consumes the matrix into the normalised one).
  scoreWithModel(probeModel, probeMatrix);
  const labels = scorable.map((r) => labelled.labels[r]);
  const rows: string[][] = [];
  const figures: unknown[] = [];
  for (const n of [1000, 2000, 4000, 8000, 16000]) {
    const sample = sampleRows(prep.normalised, n, new SeededRandom(1));
    const f0 = performance.now();
    const { model } = await fitOneClassSvm(sample, { nu: 0.05, sampleRows: n }, 1);
    const fitMs = performance.now() - f0;
    const s0 = performance.now();
    const novelty = oneClassSvmNovelty(model, probeMatrix);
    const scoreMs = performance.now() - s0;
    const m = detectionMetrics(labels.map((label, k) => ({ score: novelty[k], flagged: false, label })));
    const rowsPerSec = probeMatrix.rows / (scoreMs / 1000);
    rows.push([int(n), int(fitMs), int(model.coefficients.length), int(rowsPerSec), fmt(m.rocAuc), fmt(m.averagePrecision)]);
    figures.push({ sampleRows: n, fitMs, supportVectors: model.coefficients.length, rowsPerSec, rocAuc: m.rocAuc, averagePrecision: m.averagePrecision });
  }
  results.svmSample = { libsvmLoadMs: loadMs, trainingRows: prep.normalised.rows, scoredRows: probeMatrix.rows, figures };
  console.log(`\n### One-Class SVM by sample size (nu 0.05, gamma 1/5; libsvm-js asm load ${int(loadMs)} ms)\n`);
  console.log(`Fitted on a seeded sample of the ${int(prep.normalised.rows)} history rows; scored on the day's ${int(probeMatrix.rows)} scorable rows (learned part alone, all ${labels.filter((l) => l !== null).length} labelled anomalies among them counted).\n`);
  console.log(table(['sample rows', 'fit ms (libsvm)', 'support vectors', 'score rows/s (ours)', 'ROC-AUC', 'PR-AUC'], rows));
}

function modelSize(model: AnomalyModel): number {
  return Buffer.byteLength(serialiseModel(model));
}

/** Each kind trained on the history days and run on the labelled day, as the pipeline does. */
async function history(days: Days): Promise<void> {
  const labels = await readLabels(days.labels);
  const extracted = await extractTrainingFeatures(days.history.map((f) => ({ name: f, open: () => createReadStream(f) })));
  const rows: string[][] = [];
  const typeRows: string[][] = [];
  const figures: Record<string, unknown> = {};
  let types: string[] = [];
  for (const kind of MODEL_KINDS) {
    const t0 = performance.now();
    const model = await trainOnFeaturesOfKind({ ...extracted, matrix: copy(extracted.matrix) }, { algorithm: kind });
    const trainMs = performance.now() - t0;
    const s0 = performance.now();
    const scored = await scoreFileInProcess(createReadStream(days.day), days.day, model);
    const fileMs = performance.now() - s0;
    // The learned part + extremeness alone on the day's scorable rows: throughput of the model itself.
    const dayMatrix = (await readLabelledTrades(createReadStream(days.day), days.day, { labels })).features;
    const matrix = selectColumns(dayMatrix, FEATURE_NAMES, model.features);
    // Best of three (the first pays for compilation; a shared machine adds noise).
    let bestMs = Infinity;
    for (let i = 0; i < 3; i++) {
      const input = copy(matrix);
      const m0 = performance.now();
      scoreWithModel(model, input);
      bestMs = Math.min(bestMs, performance.now() - m0);
    }
    const modelRowsPerSec = matrix.rows / (bestMs / 1000);
    const pipeline = detectionMetrics(predictionsFrom(scored.rows, labels));
    // The model alone: rows it could not score count 0, rule flags ignored.
    const modelOnly = detectionMetrics(scored.rows.map((r) => ({ score: r.score ?? 0, flagged: r.score !== null && r.score >= model.threshold, label: labels.get(r.sourceRow) ?? null })));
    types = Object.keys(pipeline.recallByType).sort();
    rows.push([
      kind,
      fmt(pipeline.rocAuc),
      fmt(pipeline.averagePrecision),
      fmt(pipeline.precision, 3),
      fmt(pipeline.recall, 3),
      fmt(modelOnly.rocAuc),
      fmt(modelOnly.averagePrecision),
      String(modelOnly.falsePositives),
      fmt(trainMs / 1000, 1),
      int(modelRowsPerSec),
      int(scored.rows.length / (fileMs / 1000)),
      `${(modelSize(model) / 1024).toFixed(0)} KB`,
    ]);
    typeRows.push([kind, ...types.map((t) => `${modelOnly.recallByType[t]?.found ?? 0}/${modelOnly.recallByType[t]?.total ?? 0}`)]);
    figures[kind] = { trainMs, modelRowsPerSec, fileRowsPerSec: scored.rows.length / (fileMs / 1000), modelBytes: modelSize(model), threshold: model.threshold, pipeline: summary(pipeline), modelOnly: summary(modelOnly) };
  }
  results.history = figures;
  console.log(`\n### Trained on ${HISTORY_DAYS} history days, run on the labelled day (${int(ROWS)} rows a day, seed ${SEED}, 0.2% anomalies)\n`);
  console.log(
    table(
      ['kind', 'pipeline ROC-AUC', 'pipeline PR-AUC', 'precision', 'recall', 'model-only ROC-AUC', 'model-only PR-AUC', 'model FP', 'train s', 'model rows/s', 'file rows/s', 'model.json'],
      rows,
    ),
  );
  console.log('\nRecall per type of the model alone (no rules), same runs:\n');
  console.log(table(['kind', ...types], typeRows));
}

function summary(m: DetectionMetrics): Record<string, unknown> {
  return { rocAuc: m.rocAuc, averagePrecision: m.averagePrecision, precision: m.precision, recall: m.recall, tp: m.truePositives, fp: m.falsePositives, recallByType: m.recallByType };
}

function cvTable(result: CrossValidationResult): string {
  return table(
    ['detector', 'ROC-AUC', 'PR-AUC', 'precision', 'recall', 'fit ms', 'rows/s'],
    result.detectors.map((d) => [
      d.name,
      `${fmt(d.mean.rocAuc)} ± ${fmt(d.sd.rocAuc)}`,
      `${fmt(d.mean.averagePrecision)} ± ${fmt(d.sd.averagePrecision)}`,
      fmt(d.mean.precision, 3),
      fmt(d.mean.recall, 3),
      int(d.fitMsMean),
      int(d.scoreRowsPerSec),
    ]),
  );
}

/** Cross-validation on the labelled day with the evaluate machinery: the same folds for every detector. */
async function cvTrades(days: Days): Promise<void> {
  const data = await readLabelledTrades(createReadStream(days.day), days.day, { labels: await readLabels(days.labels) });
  const seed = 1;
  const detectors: Detector[] = [
    onTrades(isolationForestDetector({ seed, threshold: 0.6 }), { withRules: false }),
    ...OTHER_KINDS.map((k) => onTrades(modelKindDetector(k, { forest: { seed } }, 'learned'), { withRules: false })),
    onTrades(anomalyModelDetector({ forest: { seed } }), { withRules: false }),
    ...OTHER_KINDS.map((k) => onTrades(modelKindDetector(k, { forest: { seed } }, 'model'), { withRules: false })),
    onTrades(anomalyModelDetector({ forest: { seed } }), { withRules: true }),
    ...OTHER_KINDS.map((k) => onTrades(modelKindDetector(k, { forest: { seed } }, 'model'), { withRules: true })),
  ];
  const result = await crossValidate(tradeMatrix(data, DEFAULT_MODEL_FEATURES), detectors, { folds: 3, seed });
  const types = [...new Set(data.labels.filter((l): l is string => l !== null))].sort();
  const typeRows = result.detectors
    .filter((d) => d.name.startsWith('model') && !d.name.endsWith('+rules'))
    .map((d) => {
      const byType = recallByTypeOverFolds(result, d.name);
      return [d.name, ...types.map((t) => `${byType[t]?.found ?? 0}/${byType[t]?.total ?? 0}`)];
    });
  results.cvTrades = { rows: data.rows, detectors: result.detectors.map((d) => ({ name: d.name, mean: d.mean, sd: d.sd, fitMsMean: d.fitMsMean, scoreRowsPerSec: d.scoreRowsPerSec })) };
  console.log(`\n### 3-fold cross-validation on the labelled day (${int(data.rows)} rows, ${result.positives} anomalies; evaluate --folds 3 --detectors ...)\n`);
  console.log(cvTable(result));
  console.log('\nRecall per type over the held-out folds (model-only detectors, at their trained thresholds):\n');
  console.log(table(['detector', ...types], typeRows));
}

async function shuttle(): Promise<void> {
  const missing = shuttleMissingReason();
  if (missing) {
    console.log(`\n(shuttle skipped: ${missing})`);
    return;
  }
  const data = parseShuttleCsv(readFileSync(SHUTTLE_PATH, 'utf8'), SHUTTLE_PATH);
  const seed = 1;
  const detectors: Detector[] = [
    isolationForestDetector({ seed }),
    ...OTHER_KINDS.map((k) => modelKindDetector(k, { forest: { seed }, transform: 'none' }, 'learned')),
    anomalyModelDetector({ forest: { seed }, transform: 'none' }),
    ...OTHER_KINDS.map((k) => modelKindDetector(k, { forest: { seed }, transform: 'none' }, 'model')),
  ];
  const names = Array.from({ length: data.matrix.cols }, (_, c) => `f${c}`);
  const result = await crossValidate({ matrix: data.matrix, labels: data.labels.map((l) => (l ? 'anomaly' : null)), names }, detectors, { folds: 5, seed });
  results.shuttle = { detectors: result.detectors.map((d) => ({ name: d.name, mean: d.mean, sd: d.sd, fitMsMean: d.fitMsMean, scoreRowsPerSec: d.scoreRowsPerSec })) };
  console.log(`\n### 5-fold cross-validation on ODDS shuttle (${int(data.matrix.rows)} rows, ${result.positives} anomalies; evaluate ${path.relative(PROJECT_ROOT, SHUTTLE_PATH)} --folds 5 --detectors ...)\n`);
  console.log(cvTable(result));
}

/** The one real file: each kind fitted on it (no history), as bench/binance-pump.ts does for the forest. */
async function binance(): Promise<void> {
  const file = path.resolve(PROJECT_ROOT, '../shared/data/trades/BRD_2021-02-24T1700.csv');
  if (!existsSync(file)) {
    console.log(`\n(binance skipped: ${file} is not here)`);
    return;
  }
  const window = { fromMs: Date.parse('2021-02-24T16:59:00Z'), toMs: Date.parse('2021-02-24T17:10:00Z') };
  const schema = await loadSchemaFile(path.join(PROJECT_ROOT, 'schemas/binance-spot-trades.yaml'));
  const open = () => createReadStream(file);
  const extracted = await extractTrainingFeatures([{ name: file, open }], { schema });
  const rows: string[][] = [];
  const figures: Record<string, unknown> = {};
  for (const kind of MODEL_KINDS) {
    const model = await trainOnFeaturesOfKind({ ...extracted, matrix: copy(extracted.matrix) }, { algorithm: kind });
    const scored = await scoreFileInProcess(open(), file, model, schema);
    const c = windowConcentration(scored.rows, window);
    const flagged = scored.rows.filter((r) => r.isAnomaly);
    const inWindow = flagged.filter((r) => r.timestampMs! >= window.fromMs && r.timestampMs! < window.toMs).length;
    const top = (k: number): string => {
      const t = c.topK.find((x) => x.k === k);
      return t ? `${t.inWindow} (lift ${t.lift.toFixed(2)})` : 'n/a';
    };
    rows.push([kind, `${flagged.length} (${inWindow})`, fmt(c.rocAuc, 3), `${fmt(c.averagePrecision, 3)} (${fmt(c.baseRate, 3)})`, top(10), top(100), top(1000)]);
    figures[kind] = { flagged: flagged.length, inWindow, rocAuc: c.rocAuc, averagePrecision: c.averagePrecision, topK: c.topK };
  }
  results.binance = figures;
  console.log('\n### The real Binance BRD/BTC file, each kind fitted on the file itself (pump window 16:59-17:10Z as the weak label)\n');
  console.log(table(['kind', 'flagged (in window)', 'ROC-AUC', 'PR-AUC (base rate)', 'top 10 in window', 'top 100', 'top 1000'], rows));
}

/** The detection bars on every scenario, for each kind: precision, PR-AUC, false alarms, bars missed. */
async function bars(): Promise<void> {
  const byKind: Record<string, ScenarioResult[]> = {};
  for (const kind of MODEL_KINDS) {
    const t0 = performance.now();
    byKind[kind] = await runDetectionBars({ rows: 30_000, historyDays: 2, seed: SCENARIO_SEED, algorithm: kind });
    console.error(`(bars ${kind}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const scenarios = byKind['isolation-forest'].map((r) => r.scenario);
  const cell = (r: ScenarioResult): string => `${fmt(r.metrics.precision, 3)} / ${fmt(r.metrics.averagePrecision, 3)} / ${r.metrics.falsePositives}${r.failures.length ? ` (${r.failures.length} missed)` : ''}`;
  const rows = scenarios.map((name, i) => [name, ...MODEL_KINDS.map((k) => cell(byKind[k][i]))]);
  const totals = MODEL_KINDS.map((k) => {
    const fp = byKind[k].reduce((s, r) => s + r.metrics.falsePositives, 0);
    const missed = byKind[k].reduce((s, r) => s + r.failures.length, 0);
    const train = byKind[k].reduce((s, r) => s + r.timingsMs.train, 0) / byKind[k].length;
    return `FP ${fp}, bars missed ${missed}, train ${(train / 1000).toFixed(1)} s`;
  });
  rows.push(['all scenarios', ...totals]);
  results.bars = Object.fromEntries(MODEL_KINDS.map((k) => [k, byKind[k].map((r) => ({ scenario: r.scenario, precision: r.metrics.precision, recall: r.metrics.recall, averagePrecision: r.metrics.averagePrecision, falsePositives: r.metrics.falsePositives, failures: r.failures.map((f) => f.message), trainMs: r.timingsMs.train }))]));
  console.log('\n### Detection bars per kind (30,000 rows a day, 2 history days, seed 7; precision / PR-AUC / false alarms)\n');
  console.log(table(['scenario', ...MODEL_KINDS], rows));
}

/** The two Lambda bundles, as the brief's esbuild command builds them. */
async function bundle(): Promise<void> {
  const rows: string[][] = [];
  const figures: Record<string, unknown> = {};
  for (const fn of ['score', 'train']) {
    const outfile = path.join(os.tmpdir(), `model-comparison-${fn}.js`);
    const built = await build({
      entryPoints: [path.join(PROJECT_ROOT, 'functions', `${fn}.ts`)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      minify: true,
      outfile,
      external: ['@aws-sdk/*'],
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(built.metafile.inputs);
    const tf = inputs.filter((i) => i.includes('@tensorflow')).length;
    const svm = inputs.filter((i) => i.includes('libsvm-js')).length;
    const bytes = Object.values(built.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
    rows.push([fn, `${(bytes / 1024).toFixed(1)} KB`, String(tf), String(svm)]);
    figures[fn] = { bytes, tensorflowInputs: tf, libsvmInputs: svm };
    await rm(outfile, { force: true });
  }
  results.bundle = figures;
  console.log('\n### Lambda bundles (esbuild --bundle --platform=node --format=esm --minify --external:@aws-sdk/*)\n');
  console.log(table(['function', 'bundle', 'tfjs modules', 'libsvm-js modules'], rows));
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !(SECTIONS as readonly string[]).includes(a));
  if (unknown.length) throw new Error(`unknown section(s) ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}`);
  const sections: readonly Section[] = asked.length ? (asked as Section[]) : SECTIONS;
  const needsDays = sections.some((s) => s === 'svm-sample' || s === 'history' || s === 'cv-trades');
  const days = needsDays ? await generate() : undefined;
  try {
    for (const section of sections) {
      const t0 = performance.now();
      if (section === 'svm-sample') await svmSample(days!);
      if (section === 'history') await history(days!);
      if (section === 'cv-trades') await cvTrades(days!);
      if (section === 'shuttle') await shuttle();
      if (section === 'bars') await bars();
      if (section === 'binance') await binance();
      if (section === 'bundle') await bundle();
      console.error(`(${section}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
  } finally {
    if (days) await rm(days.dir, { recursive: true, force: true });
  }
  const dir = path.join(PROJECT_ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  // Sections not run this time keep their last figures.
  const file = path.join(dir, 'model-comparison.json');
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  await writeFile(file, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
}

await main();
