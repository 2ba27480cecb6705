import type { Table } from 'apache-arrow';
import { DEFAULT_ALL_CLEAR, type AllClearMode } from '../alerts/all-clear.js';
import { runAlertFor } from '../alerts/run-alerts.js';
import { DEFAULT_SEVERITY, rowSeverity, runSeverity, type SeverityLevels } from '../alerts/severity.js';
import { boolValues, int64Values, listLengths, numberValues, utf8Values } from '../chunks/arrow-columns.js';
import { decodeScoredChunk } from '../chunks/chunk-format.js';
import type { Verdict } from '../feedback/feedback-file.js';
import { loadFeedbackFromStore } from '../feedback/feedback-store.js';
import type { ModelCache } from '../model/model-store.js';
import { featureBinsKey, scoredChunkKey, type AggregateTaskInput, type ChunkFeatureBins, type Manifest } from '../pipeline/manifest.js';
import { fileStem } from '../pipeline/run-id.js';
import type { AlertSink } from '../ports/alert-sink.js';
import { getJson, getJsonIfPresent, putJson, putStreamed, type ObjectStore } from '../ports/object-store.js';
import { PARQUET_CONTENT_TYPE, RESULT_ROW_GROUP_ROWS } from '../result/parquet-result.js';
import { ParquetStream } from '../result/parquet-stream.js';
import { renderDailyReport, REPORT_CONTENT_TYPE } from '../report/daily-report.js';
import { BreakdownTally } from '../report/result-breakdown.js';
import { DEFAULT_DRIFT_THRESHOLD, runDrift } from './run-drift.js';
import type { RunSummary, TopAnomaly } from './run-summary.js';

/**
 * Step 3, aggregate: merges the scored chunks in input order into one Parquet file under results/,
 * writes the summary, publishes one alert.
 *
 * The result is never held whole: each scored chunk is counted for the summary and handed to the
 * Parquet writer, which writes out each row group (~1 million rows) as soon as it is full, and the
 * bytes go to S3 as they are encoded (a multipart upload). The file is byte for byte the one the
 * whole table written at once would give.
 * They go to a staging key under runs/<runId>/ first; once the file is complete and its footer checked,
 * one CopyObject publishes it under results/ (S3 makes the copy visible whole, at once), then the
 * report and summary under reports/ are written (the report first: the summary names it) and the alert
 * published; the run's summary under runs/ comes last
 * and marks the aggregate as done. A failure at any point leaves nothing new under results/ or
 * reports/ (or, after the copy, the complete result without its summary), and a rerun is safe: it
 * writes the same bytes again, or, once done, returns the summary without alerting twice.
 *
 * Two inputs shape the alert but never the result: the analysts' feedback files under feedback/ (a
 * flagged row they marked as a false positive stays flagged in the Parquet, the result contract, but
 * is left out of the alert's examples and its severity), and the model's drift report.
 */
export const RESULTS_PREFIX = 'results/';
export const REPORTS_PREFIX = 'reports/';
/** Top anomalies and quality examples in summary.json (and so in the alert). */
const TOP_ANOMALIES = 10;
const QUALITY_EXAMPLES = 5;
/** The report lists more of each: it is read at a desk, not on a phone. */
export const REPORT_TOP_ANOMALIES = 50;
export const REPORT_QUALITY_EXAMPLES = 20;

export interface AggregateDeps {
  storeFor(bucket: string): ObjectStore;
  alerts: AlertSink;
  models: ModelCache;
  stage: string;
  /** Default: DEFAULT_SEVERITY. */
  severity?: SeverityLevels;
  /** What a CLEAR run publishes (cdk.json alerts.allClear). Default: DEFAULT_ALL_CLEAR. */
  allClear?: AllClearMode;
  /** The AWS region of the bucket, for console links in the alert and summary; none locally. */
  region?: string;
  /** PSI at or above which a feature's drift is warned about (cdk.json driftThreshold). Default: DEFAULT_DRIFT_THRESHOLD. */
  driftThreshold?: number;
  /** Rows in a row group of the result. Default: RESULT_ROW_GROUP_ROWS (1,048,576). */
  rowGroupRows?: number;
  /**
   * Resolves once the chunk (by index) is scored; rejects if it never will be. In AWS the state
   * machine starts aggregate after the Map, so every chunk is there and this is absent. The local
   * orchestrator starts aggregate while the last chunks are still being scored, on a core their
   * threads leave idle: aggregate waits here before reading each chunk. Nothing is published before
   * every chunk has been read, so a chunk that fails leaves no result.
   */
  chunkScored?(index: number): Promise<void>;
}

export function resultKey(manifest: Manifest): string {
  return `${RESULTS_PREFIX}date=${manifest.day}/${fileStem(manifest.input.key)}.parquet`;
}

/** reports/date=<day>/<file stem>/: the file's summary and report. */
function reportsFolder(manifest: Manifest): string {
  return `${REPORTS_PREFIX}date=${manifest.day}/${fileStem(manifest.input.key)}/`;
}

export function summaryKey(manifest: Manifest): string {
  return `${reportsFolder(manifest)}summary.json`;
}

/** The day's report, beside the summary. */
export function reportKey(manifest: Manifest): string {
  return `${reportsFolder(manifest)}report.html`;
}

/** A link that opens the object in the S3 console (the user signs in as usual). */
export function consoleLink(region: string, bucket: string, key: string): string {
  return `https://${region}.console.aws.amazon.com/s3/object/${encodeURIComponent(bucket)}?region=${encodeURIComponent(region)}&bucketType=general&prefix=${encodeURIComponent(key)}`;
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

/** Where aggregate writes the result before it is complete: under runs/, which no reader of results/ sees. */
export function stagingKey(runId: string): string {
  return `runs/${runId}/staging/result.parquet`;
}

/** The run's summary under runs/: written last, so its presence means aggregate finished, alert included. */
export function runSummaryKey(runId: string): string {
  return `runs/${runId}/summary.json`;
}

/**
 * The summary's counts and examples, added up one scored chunk at a time in input order, so no
 * table of the whole result is ever held: what is kept is a few counters, the REPORT_TOP_ANOMALIES
 * highest-scoring rows, the first REPORT_QUALITY_EXAMPLES rows with quality issues, and the
 * report's breakdown (a score histogram, counts per hour, per symbol and per rule).
 */
export class ResultTally {
  rows = 0;
  anomalies = 0;
  badRows = 0;
  scored = 0;
  modelAnomalies = 0;
  /** What the severity is decided on: the rows that are not known false positives. */
  readonly open = { anomalies: 0, modelAnomalies: 0, badRows: 0, maxScore: 0 };
  falsePositives = 0;
  confirmed = 0;
  /** Highest score first; equal scores in input order (as a stable sort of every flagged row would give). */
  private readonly top: { score: number; row: TopAnomaly }[] = [];
  /** The first REPORT_QUALITY_EXAMPLES rows with quality issues (the summary holds the first QUALITY_EXAMPLES). */
  readonly reportQualityExamples: TopAnomaly[] = [];
  readonly breakdown = new BreakdownTally();

  constructor(
    private readonly threshold: number,
    /** The analysts' verdict on a flagged row, by trade id and source row. */
    private readonly verdictOf: (tradeId: string | null, sourceRow: number) => Verdict | undefined,
    private readonly levels: SeverityLevels = DEFAULT_SEVERITY,
  ) {}

  /** The TOP_ANOMALIES highest-scoring flagged rows (not known false positives), for the summary and alert. */
  get topAnomalies(): TopAnomaly[] {
    return this.top.slice(0, TOP_ANOMALIES).map((t) => t.row);
  }

  /** The REPORT_TOP_ANOMALIES highest-scoring, for the report. */
  get reportTopAnomalies(): TopAnomaly[] {
    return this.top.map((t) => t.row);
  }

  get qualityExamples(): TopAnomaly[] {
    return this.reportQualityExamples.slice(0, QUALITY_EXAMPLES);
  }

  /** Adds one scored chunk (the rows after those already added). */
  add(table: Table): void {
    // Whole columns into plain arrays first: Arrow's get() per value on every row cost seconds at
    // 10 million rows. Columns read only for flagged rows (a handful a day) keep get().
    const isAnomaly = boolValues(table.getChild('is_anomaly')!);
    const score = numberValues(table.getChild('score')!);
    const issueCount = listLengths(table.getChild('quality_issues')!);
    const tradeIds = table.getChild('trade_id');
    const sourceRows = table.getChild('source_row')!;
    const symbolColumn = table.getChild('symbol');
    const symbols = symbolColumn ? utf8Values(symbolColumn) : undefined;
    const timestampColumn = table.getChild('timestamp');
    const timestamps = timestampColumn ? int64Values(timestampColumn) : undefined;
    for (let i = 0; i < table.numRows; i++) {
      const s = score[i];
      const flagged = isAnomaly[i];
      // Every row scoring at or above the threshold is flagged, so unflagged rows need no verdict.
      const verdict = flagged ? this.verdictOf((tradeIds?.get(i) as string | null | undefined) ?? null, sourceRows.get(i) as number) : undefined;
      const known = verdict === 'false_positive';
      if (flagged) {
        this.anomalies++;
        if (known) this.falsePositives++;
        else this.open.anomalies++;
        if (verdict === 'confirmed') this.confirmed++;
      }
      if (s !== null) {
        this.scored++;
        if (!known && s > this.open.maxScore) this.open.maxScore = s;
        if (s >= this.threshold) {
          this.modelAnomalies++;
          if (!known) {
            this.open.modelAnomalies++;
            this.offerTop(s, table, i, verdict);
          }
        }
      }
      if (issueCount[i] > 0) {
        this.badRows++;
        if (!known) {
          this.open.badRows++;
          if (this.reportQualityExamples.length < REPORT_QUALITY_EXAMPLES) this.reportQualityExamples.push(rowOf(table, i, verdict));
        }
      }
      this.breakdown.add(
        symbols ? symbols[i] : null,
        timestamps ? timestamps[i] : null,
        s,
        flagged,
        flagged && !known ? rowSeverity(s, this.threshold, this.levels) : undefined,
      );
    }
    this.rows += table.numRows;
  }

  private offerTop(score: number, table: Table, i: number, verdict: Verdict | undefined): void {
    let at = this.top.length;
    while (at > 0 && this.top[at - 1].score < score) at--;
    if (at >= REPORT_TOP_ANOMALIES) return;
    this.top.splice(at, 0, { score, row: rowOf(table, i, verdict) });
    if (this.top.length > REPORT_TOP_ANOMALIES) this.top.pop();
  }
}

export async function aggregateRun(input: AggregateTaskInput, deps: AggregateDeps): Promise<RunSummary> {
  const store = deps.storeFor(input.bucket);
  const manifest = await getJson<Manifest>(store, input.manifestKey);
  // A rerun of an aggregate that finished (a Lambda retry after a lost response, a redrive): the
  // result, summary and alert are out already; publishing again would alert twice.
  const finished = await getJsonIfPresent<RunSummary>(store, runSummaryKey(manifest.runId));
  if (finished) return finished;

  const [model, feedback] = await Promise.all([deps.models.get(store, manifest.modelVersion), loadFeedbackFromStore(store)]);
  // The stage's override, pinned in the manifest at ingest, or the model's own.
  const threshold = manifest.threshold ?? model.threshold;
  const levels = deps.severity ?? DEFAULT_SEVERITY;
  // The analysts' verdict on a flagged row of this file (only flagged rows are looked up: a handful a day).
  const tally = new ResultTally(
    threshold,
    (tradeId, sourceRow) => (feedback.index.size === 0 ? undefined : feedback.index.verdictFor(manifest.input.key, tradeId, sourceRow)?.verdict),
    levels,
  );

  // The manifest, not the order results arrived in, fixes the order of chunks. Each chunk is counted
  // and handed to the Parquet writer, then let go: memory is about one chunk and the row group being
  // filled, whatever the file's size.
  async function* scoredChunks(): AsyncGenerator<Uint8Array> {
    for (const chunk of manifest.chunks) {
      await deps.chunkScored?.(chunk.index);
      const bytes = await store.get(scoredChunkKey(manifest.runId, chunk.index));
      const table = decodeScoredChunk(bytes);
      if (table.numRows !== chunk.rows) {
        throw new Error(`run ${manifest.runId}: scored chunk ${chunk.index} holds ${table.numRows} rows, the manifest says ${chunk.rows}`);
      }
      tally.add(table);
      yield bytes;
    }
  }
  const parquet = new ParquetStream(scoredChunks(), { maxRowGroupRows: deps.rowGroupRows ?? RESULT_ROW_GROUP_ROWS });

  // Atomic publish: the Parquet is written (streamed, multipart) under runs/<runId>/staging/, and
  // only once it is complete and checked is it copied to results/ (a CopyObject makes the whole object
  // visible at once). A failure before the copy leaves nothing under results/ or reports/; a rerun
  // writes the same bytes again and copies them, so a redrive is safe.
  const staged = stagingKey(manifest.runId);
  await putStreamed(store, staged, parquet, PARQUET_CONTENT_TYPE);
  if (tally.rows !== manifest.rows || parquet.totals?.rows !== manifest.rows) {
    throw new Error(`run ${manifest.runId}: scored chunks hold ${tally.rows} rows (${parquet.totals?.rows ?? 'none'} written), the input has ${manifest.rows}`);
  }
  const resultKeyName = resultKey(manifest);
  await store.copy(staged, resultKeyName);

  const reportKeyName = reportKey(manifest);
  const bins = await chunkFeatureBins(store, manifest);
  const byReason = runByReason(manifest.chunks, bins, input);
  const inputUri = `s3://${manifest.input.bucket}/${manifest.input.key}`;
  const finishedAt = new Date();
  const summary: RunSummary = {
    runId: manifest.runId,
    stage: deps.stage,
    input: { bucket: manifest.input.bucket, key: manifest.input.key },
    day: manifest.day,
    rows: tally.rows,
    badRows: tally.badRows,
    scored: tally.scored,
    anomalies: tally.anomalies,
    modelAnomalies: tally.modelAnomalies,
    open: { anomalies: tally.open.anomalies, modelAnomalies: tally.open.modelAnomalies, badRows: tally.open.badRows },
    severity: runSeverity({ ...tally.open, rows: tally.rows, threshold }, levels),
    severityLevels: levels,
    threshold,
    modelVersion: model.version,
    modelFittedOnInput: model.training.sources.includes(inputUri),
    byReason,
    topAnomalies: tally.topAnomalies,
    qualityExamples: tally.qualityExamples,
    drift: runDrift(bins, model, deps.driftThreshold ?? DEFAULT_DRIFT_THRESHOLD),
    feedback: { files: feedback.files, falsePositivesSuppressed: tally.falsePositives, confirmed: tally.confirmed, errors: feedback.errors },
    breakdown: tally.breakdown.finish(byReason),
    result: `s3://${store.bucket}/${resultKeyName}`,
    report: `s3://${store.bucket}/${reportKeyName}`,
    summaryUri: `s3://${store.bucket}/${summaryKey(manifest)}`,
    ...(deps.region
      ? { consoleLinks: { result: consoleLink(deps.region, store.bucket, resultKeyName), report: consoleLink(deps.region, store.bucket, reportKeyName) } }
      : {}),
    startedAt: manifest.createdAt,
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - Date.parse(manifest.createdAt),
  };
  // The report before the summary that names it; both after the result they describe.
  const report = renderDailyReport(summary, { topAnomalies: tally.reportTopAnomalies, qualityExamples: tally.reportQualityExamples });
  await store.put(reportKeyName, new TextEncoder().encode(report), REPORT_CONTENT_TYPE);
  await putJson(store, summaryKey(manifest), summary);
  // One alert per file, or none for a clean day when the stage says so (runAlertFor decides).
  const alert = runAlertFor(summary, deps.allClear ?? DEFAULT_ALL_CLEAR);
  if (alert) await deps.alerts.publish(alert);
  await putJson(store, runSummaryKey(manifest.runId), summary);
  return summary;
}

/**
 * Flagged rows per reason code, summed over the chunks. Each score step writes its chunk's counts
 * beside the scored chunk (with its drift bins), so aggregate needs nothing from the Map's output
 * (a Distributed Map does not return its iterations' results into the state); a chunk scored by a
 * score function older than that falls back to the Map's per-chunk results, when they are there.
 */
export function runByReason(
  chunks: readonly { index: number }[],
  bins: readonly Partial<ChunkFeatureBins>[],
  input: Partial<Pick<AggregateTaskInput, 'scored'>>,
): Record<string, number> {
  const fromMap = new Map((input.scored ?? []).map((s) => [s.index, s.byReason]));
  const byReason: Record<string, number> = {};
  chunks.forEach((chunk, i) => {
    const counts = bins[i]?.byReason ?? fromMap.get(chunk.index) ?? {};
    for (const [code, n] of Object.entries(counts)) byReason[code] = (byReason[code] ?? 0) + n;
  });
  return byReason;
}

/** Each chunk's drift counts; a chunk scored before drift existed has none (runDrift then says so). */
async function chunkFeatureBins(store: ObjectStore, manifest: Manifest): Promise<Partial<ChunkFeatureBins>[]> {
  return Promise.all(
    manifest.chunks.map(async (c) => (await getJsonIfPresent<ChunkFeatureBins>(store, featureBinsKey(manifest.runId, c.index))) ?? {}),
  );
}
