import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { EventBridgeEvent } from 'aws-lambda';
import { alertFailedExecution, type ExecutionStatusDetail } from '../src/operations/execution-failure.js';
import { METRIC } from './metric-names.js';
import { logger, metrics, requireEnv, sfn, snsAlertSink, stage } from './runtime.js';

/**
 * EventBridge: an execution of the stage's state machine FAILED, TIMED_OUT or was ABORTED -> one
 * failure alert on the alert topic (runId, file, cause, the redrive command).
 */
const deps = {
  alerts: snsAlertSink(requireEnv('TOPIC_ARN')),
  stage,
  describe: async (executionArn: string) => {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return { input: out.input, error: out.error, cause: out.cause };
  },
};

async function runFailed(event: EventBridgeEvent<'Step Functions Execution Status Change', ExecutionStatusDetail>): Promise<void> {
  logger.appendKeys({ runId: event.detail.name });
  const run = await alertFailedExecution(event.detail, deps);
  logger.warn('run failed: alert published', { status: event.detail.status, file: run.file, executionArn: event.detail.executionArn });
  metrics.addMetric(METRIC.runFailureAlerts, MetricUnit.Count, 1);
}

export const handler = middy(runFailed)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics));
