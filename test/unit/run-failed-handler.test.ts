/**
 * The run-failed Lambda's wiring of the Step Functions calls behind the failure alert: DescribeExecution
 * of the run, and for a failed Distributed Map ListMapRuns -> ListExecutions (FAILED, one) ->
 * DescribeExecution of the child. The Step Functions client and SNS are faked at the runtime module.
 */
import { DescribeExecutionCommand, ListExecutionsCommand, ListMapRunsCommand } from '@aws-sdk/client-sfn';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExecutionStatusDetail } from '../../src/operations/execution-failure.js';
import type { Alert } from '../../src/ports/alert-sink.js';

const { published, sent, answers } = vi.hoisted(() => {
  process.env.TOPIC_ARN = 'arn:aws:sns:eu-west-2:123456789012:alerts';
  return {
    published: [] as Alert[],
    sent: [] as Array<{ command: string; input: Record<string, unknown> }>,
    /** What the fake Step Functions answers, by command name; a function of the request, or an error to throw. */
    answers: new Map<string, (input: Record<string, unknown>) => unknown>(),
  };
});

vi.mock('../../functions/runtime.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../functions/runtime.js')>();
  return {
    ...actual,
    snsAlertSink: () => ({ publish: async (alert: Alert) => void published.push(alert) }),
    sfn: {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        const name = command.constructor.name;
        sent.push({ command: name, input: command.input });
        const answer = answers.get(name);
        if (!answer) throw new Error(`unexpected ${name}`);
        return answer(command.input);
      },
    },
  };
});

const { handler } = await import('../../functions/run-failed.js');

const PARENT = 'arn:aws:states:eu-west-2:123456789012:execution:Pipeline-abc:day-0123456789abcdef';
const MAP_RUN = 'arn:aws:states:eu-west-2:123456789012:mapRun:Pipeline-abc/ScoreChunks:1f2e3d4c';
const CHILD = 'arn:aws:states:eu-west-2:123456789012:execution:Pipeline-abc/ScoreChunks:9a8b7c6d';
const INPUT = JSON.stringify({ runId: 'day-0123456789abcdef', input: { bucket: 'data', key: 'incoming/day.csv' } });

const event = { detail: { executionArn: PARENT, name: 'day-0123456789abcdef', status: 'FAILED', input: INPUT } } as EventBridgeEvent<
  'Step Functions Execution Status Change',
  ExecutionStatusDetail
>;
const context = { functionName: 'run-failed', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

/** Runs the handler; returns its structured log records (warnings go to stderr). */
async function invoke(): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => (lines.push(String(chunk)), true);
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await handler(event, context);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeEach(() => {
  published.length = 0;
  sent.length = 0;
  answers.clear();
  answers.set(DescribeExecutionCommand.name, ({ executionArn }) =>
    executionArn === PARENT
      ? { input: INPUT, error: 'States.ExceedToleratedFailureThreshold', cause: 'The specified tolerated failure threshold was exceeded' }
      : { input: '{}', error: 'ChunkFormatError', cause: JSON.stringify({ errorType: 'ChunkFormatError', errorMessage: 'chunk 3 is not an Arrow IPC stream' }) },
  );
  answers.set(ListMapRunsCommand.name, () => ({ mapRuns: [{ mapRunArn: MAP_RUN, executionArn: PARENT }] }));
  answers.set(ListExecutionsCommand.name, () => ({ executions: [{ executionArn: CHILD, status: 'FAILED' }] }));
});

describe('the run-failed handler', () => {
  it("asks Step Functions for the Map Run's failed child and alerts with the chunk's cause", async () => {
    const logs = await invoke();

    expect(sent).toEqual([
      { command: 'DescribeExecutionCommand', input: { executionArn: PARENT } },
      { command: 'ListMapRunsCommand', input: { executionArn: PARENT } },
      { command: 'ListExecutionsCommand', input: { mapRunArn: MAP_RUN, statusFilter: 'FAILED', maxResults: 1 } },
      { command: 'DescribeExecutionCommand', input: { executionArn: CHILD } },
    ]);
    expect(published).toHaveLength(1);
    expect(published[0]!.message).toContain('FAILED: ChunkFormatError: chunk 3 is not an Arrow IPC stream');
    expect(published[0]!.message).toContain(`child execution ${CHILD}`);
    expect(published[0]!.message).toContain(`redrive-execution --execution-arn ${PARENT}`);
    expect(logs).toContainEqual(expect.objectContaining({ message: 'run failed: alert published', failedChild: CHILD }));
  });

  it('still alerts, with the parent cause, when Step Functions refuses the lookup', async () => {
    answers.set(ListMapRunsCommand.name, () => {
      throw Object.assign(new Error('not authorized to perform states:ListMapRuns'), { name: 'AccessDeniedException' });
    });
    const logs = await invoke();

    expect(logs).toContainEqual(expect.objectContaining({ level: 'WARN', problem: 'AccessDeniedException: not authorized to perform states:ListMapRuns' }));
    expect(published).toHaveLength(1);
    expect(published[0]!.message).toContain('FAILED: States.ExceedToleratedFailureThreshold: The specified tolerated failure threshold was exceeded');
    expect(published[0]!.message).toContain(`redrive-execution --execution-arn ${PARENT}`);
  });
});
