import type { Table } from 'apache-arrow';
import { runAlert } from '../alerts/run-alerts.js';
import { decodeScoredChunk } from '../chunks/chunk-format.js';
import type { Verdict } from '../feedback/feedback-file.js';
import { loadFeedbackFromStore } from '../feedback/feedback-store.js';
import type { ModelCache } from '../model/model-store.js';
import { featureBinsKey, scoredChunkKey, type AggregateTaskInput, type ChunkFeatureBins, type Manifest } from '../pipeline/manifest.js';
import { fileStem } from '../pipeline/run-id.js';
import type { AlertSink } from '../ports/alert-sink.js';
import { getJson, ObjectNotFoundError, putJson, type ObjectStore } from '../ports/object-store.js';
import { tableToParquet } from '../result/parquet-result.js';
import { DEFAULT_DRIFT_THRESHOLD, runDrift } from './run-drift.js';
import type { RunSummary, TopAnomaly } from './run-summary.js';

/**
 * Step 3, aggregate: merges the scored chunks in input order into one Parquet file under results/,
 * writes the summary, publishes one alert. The Parquet is built whole in memory and written with
 * one PutObject, which S3 makes visible atomically: a failure before or during the write leaves no
 * partial result, and the summary and the alert are written only after it.
 *
 * Two inputs shape the alert but never the result: the analysts' feedback files under feedback/ (a
 * flagged row they marked as a false positive stays flagged in the Parquet, the result contract, but
 * is left out of the alert's examples and its severity), and the model's drift report.
 */
export const RESULTS_PREFIX = 'results/';
export const REPORTS_PREFIX = 'reports/';
const TOP_ANOMALIES = 10;
const QUALITY_EXAMPLES = 5;
/** When a run with anomalies is HIGH rather than LOW. Configurable per stage (cdk.json `severity`). */
export interface SeverityLevels {
  /** A model score this high (and at least the model's threshold) is a strong outlier: HIGH. */
  highScore: number;
  /** Over this share of rows breaking rules, the file itself is suspect: HIGH. */
  highBadRowShare: number;
}

export const DEFAULT_SEVERITY: SeverityLevels = { highScore: 0.7, highBadRowShare: 0.01 };

export interface AggregateDeps {
  storeFor(bucket: string): ObjectStore;
  alerts: AlertSink;
  models: ModelCache;
  stage: string;
  /** Default: DEFAULT_SEVERITY. */
  severity?: SeverityLevels;
  /** PSI at or above which a feature's drift is warned about (cdk.json driftThreshold). Default: DEFAULT_DRIFT_THRESHOLD. */
  driftThreshold?: number;
}

export function resultKey(manifest: Manifest): string {
  return `${RESULTS_PREFIX}date=${manifest.day}/${fileStem(manifest.input.key)}.parquet`;
}

export function summaryKey(manifest: Manifest): string {
  return `${REPORTS_PREFIX}date=${manifest.day}/${fileStem(manifest.input.key)}/summary.json`;
}

function rowOf(table: Table, i: number, verdict?: Verdict): TopAnomaly {
  const get = <T>(name: string): T | null => (table.getChild(name)?.get(i) ?? null) as T | null;
  const ts = get<number>('timestamp');
  const issues = get<{ toArray(): string[] }>('quality_issues');
  return {
    sourceRow: get<number>('source_row')!,
    tradeId: get<string>('trade_id'),
    symbol: get<string>('symbol'),
    timestamp: ts === null ? null : new Date(Number(ts)).toISOString(),
    side: get<string>('side'),
    quantity: get<number>('quantity'),
    price: get<number>('price'),
    score: get<number>('score'),
    reasons: get<string>('reasons') ?? '',
    qualityIssues: issues ? Array.from(issues.toArray()) : [],
    ...(verdict === 'confirmed' ? { feedback: 'confirmed' as const } : {}),
  };
}

export async function aggregateRun(input: AggregateTaskInput, deps: AggregateDeps): Promise<RunSummary> {
  const store = deps.storeFor(input.bucket);
  const manifest = await getJson<Manifest>(store, input.manifestKey);
  const [model, feedback] = await Promise.all([deps.models.get(store, manifest.modelVersion), loadFeedbackFromStore(store)]);
  // The stage's override, pinned in the manifest at ingest, or the model's own.
  const threshold = manifest.threshold ?? model.threshold;

  // The manifest, not the order results arrived in, fixes the order of chunks.
  const tables: Table[] = [];
  for (const chunk of manifest.chunks) tables.push(decodeScoredChunk(await store.get(scoredChunkKey(manifest.runId, chunk.index))));
  const table = tables.length === 1 ? tables[0] : tables[0].concat(...tables.slice(1));
  if (table.numRows !== manifest.rows) {
    throw new Error(`run ${manifest.runId}: scored chunks hold ${table.numRows} rows, the input has ${manifest.rows}`);
  }

  const isAnomaly = table.getChild('is_anomaly')!;
  const score = table.getChild('score')!;
  const issues = table.getChild('quality_issues')!;
  const tradeIds = table.getChild('trade_id');
  const sourceRows = table.getChild('source_row')!;
  // The analysts' verdict on a flagged row of this file (only flagged rows are looked up: a handful a day).
  const verdictOf = (i: number): Verdict | undefined =>
    feedback.index.size === 0
      ? undefined
      : feedback.index.verdictFor(manifest.input.key, (tradeIds?.get(i) as string | null | undefined) ?? null, sourceRows.get(i) as number)?.verdict;
  const byReason: Record<string, number> = {};
  for (const s of input.scored) for (const [code, n] of Object.entries(s.byReason)) byReason[code] = (byReason[code] ?? 0) + n;
  let anomalies = 0;
  let badRows = 0;
  let scored = 0;
  let modelAnomalies = 0;
  // What the severity is decided on: the rows that are not known false positives.
  const open = { anomalies: 0, badRows: 0, maxScore: 0 };
  let falsePositives = 0;
  let confirmed = 0;
  const modelFlagged: { i: number; score: number; verdict?: Verdict }[] = [];
  const qualityRows: { i: number; verdict?: Verdict }[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const s = score.get(i) as number | null;
    const flagged = Boolean(isAnomaly.get(i));
    // Every row scoring at or above the threshold is flagged, so unflagged rows need no verdict.
    const verdict = flagged ? verdictOf(i) : undefined;
    const known = verdict === 'false_positive';
    if (flagged) {
      anomalies++;
      if (known) falsePositives++;
      else open.anomalies++;
      if (verdict === 'confirmed') confirmed++;
    }
    if (s !== null) {
      scored++;
      if (!known && s > open.maxScore) open.maxScore = s;
      if (s >= threshold) {
        modelAnomalies++;
        if (!known) modelFlagged.push({ i, score: s, verdict });
      }
    }
    if ((issues.get(i) as { length: number } | null)?.length) {
      badRows++;
      if (!known) {
        open.badRows++;
        if (qualityRows.length < QUALITY_EXAMPLES) qualityRows.push({ i, verdict });
      }
    }
  }
  modelFlagged.sort((a, b) => b.score - a.score);

  const resultKeyName = resultKey(manifest);
  await store.put(resultKeyName, tableToParquet(table), 'application/vnd.apache.parquet');

  const inputUri = `s3://${manifest.input.bucket}/${manifest.input.key}`;
  const finishedAt = new Date();
  const summary: RunSummary = {
    runId: manifest.runId,
    stage: deps.stage,
    input: { bucket: manifest.input.bucket, key: manifest.input.key },
    day: manifest.day,
    rows: table.numRows,
    badRows,
    scored,
    anomalies,
    modelAnomalies,
    severity: runSeverity({ ...open, rows: table.numRows, threshold }, deps.severity ?? DEFAULT_SEVERITY),
    threshold,
    modelVersion: model.version,
    modelFittedOnInput: model.training.sources.includes(inputUri),
    byReason,
    topAnomalies: modelFlagged.slice(0, TOP_ANOMALIES).map((f) => rowOf(table, f.i, f.verdict)),
    qualityExamples: qualityRows.map((q) => rowOf(table, q.i, q.verdict)),
    drift: runDrift(await chunkFeatureBins(store, manifest), model, deps.driftThreshold ?? DEFAULT_DRIFT_THRESHOLD),
    feedback: { files: feedback.files, falsePositivesSuppressed: falsePositives, confirmed, errors: feedback.errors },
    result: `s3://${store.bucket}/${resultKeyName}`,
    summaryUri: `s3://${store.bucket}/${summaryKey(manifest)}`,
    startedAt: manifest.createdAt,
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - Date.parse(manifest.createdAt),
  };
  await putJson(store, `runs/${manifest.runId}/summary.json`, summary);
  await putJson(store, summaryKey(manifest), summary);
  await deps.alerts.publish(runAlert(summary));
  return summary;
}

/**
 * CLEAR without anomalies; HIGH for a strong outlier or a suspect file (see SeverityLevels); else LOW.
 * The caller passes the rows that are not known false positives (analysts' feedback): a day whose
 * only anomalies are known false positives is CLEAR.
 */
export function runSeverity(
  run: { anomalies: number; maxScore: number; badRows: number; rows: number; threshold: number },
  levels: SeverityLevels,
): RunSummary['severity'] {
  if (run.anomalies === 0) return 'CLEAR';
  const strongOutlier = run.maxScore >= Math.max(levels.highScore, run.threshold);
  const suspectFile = run.badRows > levels.highBadRowShare * run.rows;
  return strongOutlier || suspectFile ? 'HIGH' : 'LOW';
}

/** Each chunk's drift counts; a chunk scored before drift existed has none (runDrift then says so). */
async function chunkFeatureBins(store: ObjectStore, manifest: Manifest): Promise<Partial<ChunkFeatureBins>[]> {
  return Promise.all(
    manifest.chunks.map(async (c) => {
      try {
        return await getJson<ChunkFeatureBins>(store, featureBinsKey(manifest.runId, c.index));
      } catch (e: unknown) {
        if (e instanceof ObjectNotFoundError) return {};
        throw e;
      }
    }),
  );
}
