import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { ModelCache } from '../src/model/model-store.js';
import type { AggregateTaskInput } from '../src/pipeline/manifest.js';
import { aggregateRun } from '../src/steps/aggregate-step.js';
import { logger, requireEnv, snsAlertSink, stage, storeFor } from './runtime.js';

/** After the Map: one Parquet result, the summary and one alert per file. */
const deps = { storeFor, alerts: snsAlertSink(requireEnv('TOPIC_ARN')), models: new ModelCache(), stage };

/** Returns only what the state machine needs; the full summary is in S3. */
async function aggregate(event: AggregateTaskInput): Promise<{ runId: string; rows: number; anomalies: number; result: string; summary: string }> {
  logger.appendKeys({ runId: event.runId });
  const summary = await aggregateRun(event, deps);
  logger.info('run aggregated', { rows: summary.rows, anomalies: summary.anomalies, result: summary.result });
  return { runId: summary.runId, rows: summary.rows, anomalies: summary.anomalies, result: summary.result, summary: summary.summaryUri };
}

export const handler = middy(aggregate).use(injectLambdaContext(logger, { clearState: true }));
