import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { ModelCache } from '../src/model/model-store.js';
import type { ChunkSummary, ScoreTaskInput } from '../src/pipeline/manifest.js';
import { scoreChunk } from '../src/steps/score-step.js';
import { logger, storeFor } from './runtime.js';

/** One Map iteration: score one chunk. The model cache lives as long as the warm container. */
const models = new ModelCache();

async function score(event: ScoreTaskInput): Promise<ChunkSummary> {
  logger.appendKeys({ runId: event.runId, chunk: event.chunk.index });
  const summary = await scoreChunk(event, { storeFor, models });
  logger.info('chunk scored', { ...summary, byReason: undefined });
  return summary;
}

export const handler = middy(score).use(injectLambdaContext(logger, { clearState: true }));
