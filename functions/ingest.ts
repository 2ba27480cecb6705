import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { S3Event } from 'aws-lambda';
import { parseSchemaText } from '../src/schema/schema-settings.js';
import { ingestS3Event, type IngestOutcome } from '../src/steps/ingest-step.js';
import { logger, requireEnv, sfnExecutionStarter, snsAlertSink, stage, storeFor } from './runtime.js';

/** S3 ObjectCreated on incoming/ -> chunks, context and manifest under runs/<runId>/, then the execution. */
const deps = {
  storeFor,
  // The stage's schema (cdk.json schemaFile); checked in full here, so a bad one fails at cold start.
  schema: process.env.TRADE_SCHEMA ? parseSchemaText(process.env.TRADE_SCHEMA, 'environment variable TRADE_SCHEMA') : undefined,
  alerts: snsAlertSink(requireEnv('TOPIC_ARN')),
  executions: sfnExecutionStarter(requireEnv('STATE_MACHINE_ARN')),
  stage,
  chunkRows: Number(requireEnv('CHUNK_ROWS')),
};
if (!Number.isInteger(deps.chunkRows) || deps.chunkRows < 1) throw new RangeError(`CHUNK_ROWS must be a positive integer, got ${process.env.CHUNK_ROWS}`);

async function ingest(event: S3Event): Promise<IngestOutcome[]> {
  const outcomes = await ingestS3Event(event, deps);
  for (const outcome of outcomes) logger.info('ingest outcome', { ...outcome });
  return outcomes;
}

export const handler = middy(ingest).use(injectLambdaContext(logger, { clearState: true }));
