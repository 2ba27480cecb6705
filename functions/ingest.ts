import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { S3Event } from 'aws-lambda';
import { parseSchemaText } from '../src/schema/schema-settings.js';
import { ingestS3Event, type IngestOutcome } from '../src/steps/ingest-step.js';
import { integerEnv, thresholdFromEnv } from './environment.js';
import { METRIC } from './metric-names.js';
import { logger, metrics, requireEnv, sfnExecutionStarter, snsAlertSink, stage, storeFor } from './runtime.js';

/** S3 ObjectCreated on incoming/ -> chunks, context and manifest under runs/<runId>/, then the execution. */
const deps = {
  storeFor,
  // The stage's schema (cdk.json schemaFile); checked in full here, so a bad one fails at cold start.
  schema: process.env.TRADE_SCHEMA ? parseSchemaText(process.env.TRADE_SCHEMA, 'environment variable TRADE_SCHEMA') : undefined,
  alerts: snsAlertSink(requireEnv('TOPIC_ARN')),
  executions: sfnExecutionStarter(requireEnv('STATE_MACHINE_ARN')),
  stage,
  chunkRows: integerEnv('CHUNK_ROWS', 1),
  // cdk.json anomalyThreshold: pinned in each run's manifest, so score and aggregate apply the same value.
  threshold: thresholdFromEnv(),
};

const OUTCOME_METRIC = {
  started: METRIC.filesStarted,
  duplicate: METRIC.filesDuplicate,
  rejected: METRIC.filesRejected,
  ignored: METRIC.filesIgnored,
} as const satisfies Record<IngestOutcome['status'], string>;

async function ingest(event: S3Event): Promise<IngestOutcome[]> {
  const outcomes = await ingestS3Event(event, deps);
  for (const outcome of outcomes) {
    logger.info('ingest outcome', { ...outcome });
    metrics.addMetric(OUTCOME_METRIC[outcome.status], MetricUnit.Count, 1);
    if (outcome.status === 'started') {
      metrics.addMetric(METRIC.ingestedRows, MetricUnit.Count, outcome.rows);
      metrics.addMetric(METRIC.ingestedChunks, MetricUnit.Count, outcome.chunks);
    }
  }
  return outcomes;
}

export const handler = middy(ingest)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
