import type { Table } from 'apache-arrow';
import { runAlert } from '../alerts/run-alerts.js';
import { decodeScoredChunk } from '../chunks/chunk-format.js';
import type { ModelCache } from '../model/model-store.js';
import { scoredChunkKey, type AggregateTaskInput, type Manifest } from '../pipeline/manifest.js';
import { fileStem } from '../pipeline/run-id.js';
import type { AlertSink } from '../ports/alert-sink.js';
import { getJson, putJson, type ObjectStore } from '../ports/object-store.js';
import { tableToParquet } from '../result/parquet-result.js';
import type { RunSummary, TopAnomaly } from './run-summary.js';

/**
 * Step 3, aggregate: merges the scored chunks in input order into one Parquet file under results/,
 * writes the summary, publishes one alert. The Parquet is built whole in memory and written with
 * one PutObject, which S3 makes visible atomically: a failure before or during the write leaves no
 * partial result, and the summary and the alert are written only after it.
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
}

export function resultKey(manifest: Manifest): string {
  return `${RESULTS_PREFIX}date=${manifest.day}/${fileStem(manifest.input.key)}.parquet`;
}

export function summaryKey(manifest: Manifest): string {
  return `${REPORTS_PREFIX}date=${manifest.day}/${fileStem(manifest.input.key)}/summary.json`;
}

function rowOf(table: Table, i: number): TopAnomaly {
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
  };
}

export async function aggregateRun(input: AggregateTaskInput, deps: AggregateDeps): Promise<RunSummary> {
  const store = deps.storeFor(input.bucket);
  const manifest = await getJson<Manifest>(store, input.manifestKey);
  const model = await deps.models.get(store, manifest.modelVersion);
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
  const byReason: Record<string, number> = {};
  for (const s of input.scored) for (const [code, n] of Object.entries(s.byReason)) byReason[code] = (byReason[code] ?? 0) + n;
  let anomalies = 0;
  let badRows = 0;
  let scored = 0;
  let modelAnomalies = 0;
  let maxScore = 0;
  const modelFlagged: { i: number; score: number }[] = [];
  const qualityRows: number[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const s = score.get(i) as number | null;
    if (s !== null) {
      scored++;
      if (s > maxScore) maxScore = s;
      if (s >= threshold) {
        modelAnomalies++;
        modelFlagged.push({ i, score: s });
      }
    }
    if (isAnomaly.get(i)) anomalies++;
    if ((issues.get(i) as { length: number } | null)?.length) {
      badRows++;
      if (qualityRows.length < QUALITY_EXAMPLES) qualityRows.push(i);
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
    severity: runSeverity({ anomalies, maxScore, badRows, rows: table.numRows, threshold }, deps.severity ?? DEFAULT_SEVERITY),
    threshold,
    modelVersion: model.version,
    modelFittedOnInput: model.training.sources.includes(inputUri),
    byReason,
    topAnomalies: modelFlagged.slice(0, TOP_ANOMALIES).map((f) => rowOf(table, f.i)),
    qualityExamples: qualityRows.map((i) => rowOf(table, i)),
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

/** CLEAR without anomalies; HIGH for a strong outlier or a suspect file (see SeverityLevels); else LOW. */
export function runSeverity(
  run: { anomalies: number; maxScore: number; badRows: number; rows: number; threshold: number },
  levels: SeverityLevels,
): RunSummary['severity'] {
  if (run.anomalies === 0) return 'CLEAR';
  const strongOutlier = run.maxScore >= Math.max(levels.highScore, run.threshold);
  const suspectFile = run.badRows > levels.highBadRowShare * run.rows;
  return strongOutlier || suspectFile ? 'HIGH' : 'LOW';
}
