import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DescribeExecutionCommand, ListExecutionsCommand, ListMapRunsCommand } from '@aws-sdk/client-sfn';
import type { EventBridgeEvent } from 'aws-lambda';
import { alertFailedExecution, type ExecutionFailureDeps, type ExecutionStatusDetail } from '../src/operations/execution-failure.js';
import { METRIC } from './metric-names.js';
import { logger, metrics, requireEnv, sfn, snsAlertSink, stage } from './runtime.js';

/**
 * EventBridge: an execution of the stage's state machine FAILED, TIMED_OUT or was ABORTED -> one
 * failure alert on the alert topic (runId, file, cause, the redrive command). When its Distributed Map
 * failed, the cause is the failed chunk's, found through the Map Run's failed child execution.
 */
const deps: ExecutionFailureDeps = {
  alerts: snsAlertSink(requireEnv('TOPIC_ARN')),
  stage,
  describe: async (executionArn) => {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return { input: out.input, error: out.error, cause: out.cause };
  },
  // An execution starts one Map Run per Distributed Map state it enters (one here): the first page is all of them.
  listMapRuns: async (executionArn) => {
    const out = await sfn.send(new ListMapRunsCommand({ executionArn }));
    return (out.mapRuns ?? []).flatMap((run) => (run.mapRunArn ? [run.mapRunArn] : []));
  },
  // One failed child is enough to name the cause: with no tolerated failure, the first one stops the run.
  findFailedChild: async (mapRunArn) => {
    const out = await sfn.send(new ListExecutionsCommand({ mapRunArn, statusFilter: 'FAILED', maxResults: 1 }));
    return out.executions?.[0]?.executionArn;
  },
};

async function runFailed(event: EventBridgeEvent<'Step Functions Execution Status Change', ExecutionStatusDetail>): Promise<void> {
  logger.appendKeys({ runId: event.detail.name });
  const run = await alertFailedExecution(event.detail, deps);
  if (run.lookupProblem) logger.warn("the Map Run's failed child could not be looked up: the alert quotes the run's own cause", { problem: run.lookupProblem });
  logger.warn('run failed: alert published', { status: event.detail.status, file: run.file, executionArn: event.detail.executionArn, failedChild: run.failedChild });
  metrics.addMetric(METRIC.runFailureAlerts, MetricUnit.Count, 1);
}

export const handler = middy(runFailed)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics));
