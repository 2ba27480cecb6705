import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ModelCache } from '../src/model/model-store.js';
import type { ChunkSummary, ScoreTaskInput } from '../src/pipeline/manifest.js';
import { scoreChunk } from '../src/steps/score-step.js';
import { METRIC } from './metric-names.js';
import { logger, metrics, storeFor } from './runtime.js';

/** One Map iteration: score one chunk. The model cache lives as long as the warm container. */
const models = new ModelCache();

async function score(event: ScoreTaskInput): Promise<ChunkSummary> {
  logger.appendKeys({ runId: event.runId, chunk: event.chunk.index });
  const started = performance.now();
  const summary = await scoreChunk(event, { storeFor, models });
  const durationMs = performance.now() - started;
  logger.info('chunk scored', { ...summary, byReason: undefined, durationMs: Math.round(durationMs) });
  metrics.addMetric(METRIC.chunkRows, MetricUnit.Count, summary.rows);
  metrics.addMetric(METRIC.chunkBadRows, MetricUnit.Count, summary.badRows);
  metrics.addMetric(METRIC.chunkAnomalies, MetricUnit.Count, summary.anomalies);
  metrics.addMetric(METRIC.chunkDuration, MetricUnit.Milliseconds, durationMs);
  return summary;
}

export const handler = middy(score)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics));
