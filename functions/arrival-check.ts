import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { checkArrivals, expectedAtOf, type StoredObject } from '../src/operations/daily-file-arrival.js';
import { integerEnv, requireEnv } from './environment.js';
import { METRIC } from './metric-names.js';
import { logger, metrics, s3 } from './runtime.js';

/**
 * Run by an EventBridge schedule at the stage's expected arrival time: publishes DailyFileMissing
 * (1 when no file landed under incoming/ in the lookback window, else 0), which an alarm watches.
 * A metric rather than a direct SNS message, so the alarm (and its state on the dashboard) is the one
 * place that says the file is late, and alarm actions follow the stage's alarms.enabled like the others.
 */
const bucket = requireEnv('BUCKET_NAME');
const prefix = requireEnv('INCOMING_PREFIX');
const lookbackHours = integerEnv('LOOKBACK_HOURS', 1);

/**
 * incoming/ keeps every file the pipeline was given (it never deletes an input), so the listing grows
 * by one page of 1,000 keys every few years of daily files: cheap enough to list whole once a day.
 */
async function* incomingObjects(): AsyncIterable<StoredObject> {
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const o of page.Contents ?? []) {
      if (o.Key && o.LastModified) yield { key: o.Key, lastModified: o.LastModified };
    }
  }
}

async function arrivalCheck(event: unknown): Promise<{ missing: boolean; arrived: string[] }> {
  const now = new Date();
  const check = await checkArrivals(incomingObjects(), { expectedAt: expectedAtOf(event, now), now, lookbackHours });
  const missing = check.arrived.length === 0;
  const window = { from: check.windowStart.toISOString(), to: check.windowEnd.toISOString() };
  if (missing) logger.warn(`no file arrived under s3://${bucket}/${prefix} in the window`, { window });
  else logger.info('daily file arrived', { window, files: check.arrived.map((o) => o.key) });
  metrics.addMetric(METRIC.dailyFileMissing, MetricUnit.Count, missing ? 1 : 0);
  metrics.addMetric(METRIC.filesArrived, MetricUnit.Count, check.arrived.length);
  return { missing, arrived: check.arrived.map((o) => o.key) };
}

export const handler = middy(arrivalCheck)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics));
