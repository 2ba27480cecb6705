import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DEFAULT_ALL_CLEAR } from '../src/alerts/all-clear.js';
import { ModelCache } from '../src/model/model-store.js';
import type { AggregateTaskInput } from '../src/pipeline/manifest.js';
import { DEFAULT_SEVERITY } from '../src/alerts/severity.js';
import { aggregateRun } from '../src/steps/aggregate-step.js';
import { DEFAULT_DRIFT_THRESHOLD } from '../src/steps/run-drift.js';
import { allClearFromEnv, driftThresholdFromEnv, severityFromEnv } from './environment.js';
import { METRIC } from './metric-names.js';
import { logger, metrics, requireEnv, snsAlertSink, stage, storeFor } from './runtime.js';

/** After the Map: one Parquet result, the summary and one alert per file. */
const deps = {
  storeFor,
  alerts: snsAlertSink(requireEnv('TOPIC_ARN')),
  models: new ModelCache(),
  stage,
  // The stage's severity levels (cdk.json severity); checked here, so a bad value fails at cold start.
  severity: severityFromEnv(DEFAULT_SEVERITY),
  // The stage's drift threshold (cdk.json driftThreshold), checked at cold start too.
  driftThreshold: driftThresholdFromEnv(DEFAULT_DRIFT_THRESHOLD),
  // What a clean day publishes (cdk.json alerts.allClear).
  allClear: allClearFromEnv(DEFAULT_ALL_CLEAR),
  // Lambda sets AWS_REGION: the alert and the summary link to the result and report in the console.
  region: process.env.AWS_REGION,
};

/** Returns only what the state machine needs; the full summary is in S3. */
async function aggregate(event: AggregateTaskInput): Promise<{ runId: string; rows: number; anomalies: number; result: string; summary: string }> {
  logger.appendKeys({ runId: event.runId });
  const summary = await aggregateRun(event, deps);
  logger.info('run aggregated', { rows: summary.rows, anomalies: summary.anomalies, severity: summary.severity, modelVersion: summary.modelVersion, result: summary.result, report: summary.report });
  // A bad feedback file does not fail the run; it is logged here and reported in the summary and the alert.
  for (const error of summary.feedback.errors) logger.warn('feedback file not applied', { ...error });
  if (summary.drift.warnings.length) logger.warn('feature drift', { warnings: summary.drift.warnings, features: summary.drift.features });
  metrics.addMetric(METRIC.runRows, MetricUnit.Count, summary.rows);
  metrics.addMetric(METRIC.runBadRows, MetricUnit.Count, summary.badRows);
  metrics.addMetric(METRIC.runAnomalies, MetricUnit.Count, summary.anomalies);
  metrics.addMetric(METRIC.runDuration, MetricUnit.Milliseconds, summary.durationMs);
  // Metadata, not a dimension: a dimension per model version would start a new metric series on every
  // promotion; in the EMF record the version stays searchable with Logs Insights next to the counts.
  metrics.addMetadata('modelVersion', summary.modelVersion);
  metrics.addMetadata('runId', summary.runId);
  metrics.addMetadata('severity', summary.severity);
  return { runId: summary.runId, rows: summary.rows, anomalies: summary.anomalies, result: summary.result, summary: summary.summaryUri };
}

export const handler = middy(aggregate)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics));
