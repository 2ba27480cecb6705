import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { S3Event } from 'aws-lambda';
import { parseSchemaText } from '../src/schema/schema-settings.js';
import { trainStep, type TrainOutcome } from '../src/steps/train-step.js';
import { algorithmFromEnv } from './environment.js';
import { logger, metrics, requireEnv, snsAlertSink, stage, storeFor } from './runtime.js';

/**
 * S3 ObjectCreated on training/ -> a new model version under models/ with its metadata, NOT promoted;
 * the ops topic is told the version and the promote command.
 */
const deps = {
  storeFor,
  // The stage's schema (cdk.json schemaFile), as ingest reads it; checked in full at cold start.
  schema: process.env.TRADE_SCHEMA ? parseSchemaText(process.env.TRADE_SCHEMA, 'environment variable TRADE_SCHEMA') : undefined,
  alerts: snsAlertSink(requireEnv('OPS_TOPIC_ARN')),
  stage,
  // The kind of model the stage trains (cdk.json algorithm), checked at cold start.
  algorithm: algorithmFromEnv(),
};

/**
 * This function's metrics (namespace and dimensions as the others'). Nothing alarms on them: a crash
 * alarms through the function's Errors and the dead-letter queue, a rejected file reaches the ops topic.
 */
export const TRAIN_METRIC = {
  modelsTrained: 'ModelsTrained',
  trainingRows: 'TrainingRows',
  trainingRejected: 'TrainingFilesRejected',
} as const;

async function train(event: S3Event): Promise<TrainOutcome[]> {
  const outcomes = await trainStep(event, deps);
  for (const outcome of outcomes) {
    if (outcome.status === 'trained') {
      logger.info('model trained (not promoted)', { ...outcome });
      metrics.addMetric(TRAIN_METRIC.modelsTrained, MetricUnit.Count, 1);
      metrics.addMetric(TRAIN_METRIC.trainingRows, MetricUnit.Count, outcome.rows);
      metrics.addMetadata('modelVersion', outcome.version);
    } else if (outcome.status === 'rejected') {
      logger.warn('training file rejected', { ...outcome });
      metrics.addMetric(TRAIN_METRIC.trainingRejected, MetricUnit.Count, 1);
    } else {
      logger.info('object ignored', { ...outcome });
    }
  }
  return outcomes;
}

export const handler = middy(train)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics));
