/**
 * The failure alert of a run whose Distributed Map failed: the parent execution only says that the
 * Map Run's tolerated failure threshold was exceeded, so the alert looks up the failed child execution
 * (the chunk) and quotes its cause, keeping the parent's redrive command; when the lookup fails or
 * finds nothing, the alert is the plain one (never lost).
 */
import { describe, expect, it, vi } from 'vitest';
import { alertFailedExecution, isMapRunFailure, type ExecutionDescription, type ExecutionFailureDeps } from '../../src/operations/execution-failure.js';
import type { Alert } from '../../src/ports/alert-sink.js';

const RUN_ID = 'day-0123456789abcdef';
const PARENT_ARN = `arn:aws:states:eu-west-2:123456789012:execution:PipelineStateMachine-abc:${RUN_ID}`;
const MAP_RUN_ARN = 'arn:aws:states:eu-west-2:123456789012:mapRun:PipelineStateMachine-abc/ScoreChunks:2d6f0c1e-8a1b-4c39-9a51-0f6e7d1c2b3a';
const CHILD_ARN = 'arn:aws:states:eu-west-2:123456789012:execution:PipelineStateMachine-abc/ScoreChunks:7c1d9e2f-33aa-4b0c-8d21-5e6f7a8b9c0d';
const INPUT = JSON.stringify({ runId: RUN_ID, bucket: 'data-bucket', manifestKey: `runs/${RUN_ID}/manifest.json`, input: { bucket: 'data-bucket', key: 'incoming/big day.csv' } });

/** What Step Functions records on the parent when one child failed with ToleratedFailurePercentage 0. */
const THRESHOLD_FAILURE: ExecutionDescription = {
  input: INPUT,
  error: 'States.ExceedToleratedFailureThreshold',
  cause: 'The specified tolerated failure threshold was exceeded',
};

/** The failed child: its Lambda task's error, and the chunk it scored as its input. */
const CHILD_FAILURE: ExecutionDescription = {
  input: JSON.stringify({ runId: RUN_ID, bucket: 'data-bucket', manifestKey: `runs/${RUN_ID}/manifest.json`, chunk: { index: 17, key: `runs/${RUN_ID}/chunks/00017.arrow`, rows: 50_000, firstRow: 850_001 } }),
  error: 'ChunkFormatError',
  cause: JSON.stringify({ errorType: 'ChunkFormatError', errorMessage: `runs/${RUN_ID}/chunks/00017.arrow: not an Arrow IPC stream`, trace: ['at decode (chunk-format.ts:1)'] }),
};

interface Fakes {
  describe?: (arn: string) => Promise<ExecutionDescription>;
  listMapRuns?: ExecutionFailureDeps['listMapRuns'];
  findFailedChild?: ExecutionFailureDeps['findFailedChild'];
}

async function alertFor(parent: ExecutionDescription, fakes: Fakes = {}) {
  const alerts: Alert[] = [];
  const describe = vi.fn(fakes.describe ?? (async (arn: string) => (arn === PARENT_ARN ? parent : arn === CHILD_ARN ? CHILD_FAILURE : {})));
  const listMapRuns = vi.fn(fakes.listMapRuns ?? (async () => [MAP_RUN_ARN]));
  const findFailedChild = vi.fn(fakes.findFailedChild ?? (async (mapRunArn: string) => (mapRunArn === MAP_RUN_ARN ? CHILD_ARN : undefined)));
  const run = await alertFailedExecution(
    { executionArn: PARENT_ARN, name: RUN_ID, status: 'FAILED', input: INPUT },
    { describe, listMapRuns, findFailedChild, alerts: { publish: async (a) => void alerts.push(a) }, stage: 'prod' },
  );
  expect(alerts).toHaveLength(1);
  return { alert: alerts[0]!, run, describe, listMapRuns, findFailedChild };
}

const REDRIVE_PARENT = `aws stepfunctions redrive-execution --execution-arn ${PARENT_ARN}`;

describe('the failure alert of a run whose Distributed Map failed', () => {
  it("quotes the failed chunk's cause, names its child execution and chunk, and redrives the parent", async () => {
    const { alert, run, listMapRuns, findFailedChild, describe } = await alertFor(THRESHOLD_FAILURE);

    expect(listMapRuns).toHaveBeenCalledWith(PARENT_ARN);
    expect(findFailedChild).toHaveBeenCalledWith(MAP_RUN_ARN);
    expect(describe).toHaveBeenCalledWith(CHILD_ARN);
    expect(alert.message).toContain(`FAILED: ChunkFormatError: runs/${RUN_ID}/chunks/00017.arrow: not an Arrow IPC stream`);
    expect(alert.message).toContain(`Failed chunk: 17 (runs/${RUN_ID}/chunks/00017.arrow), scored in child execution ${CHILD_ARN}`);
    expect(alert.message).toContain("The run's other chunks may have succeeded; a redrive of the run reruns only the failed ones.");
    expect(alert.message).toContain(REDRIVE_PARENT);
    expect(alert.message).not.toContain(`--execution-arn ${CHILD_ARN}`);
    // The Map's own generic error is named once, after the chunk's, not as the cause.
    expect(alert.message).not.toMatch(/FAILED: States\.ExceedToleratedFailureThreshold/);
    expect(alert.message).not.toContain('at decode');
    expect(alert.subject).toBe('trade-anomaly prod: run failed [FAILED] big day.csv');
    expect(run.failedChild).toBe(CHILD_ARN);
    expect(run.lookupProblem).toBeUndefined();
  });

  it('recognises a Map Run failure by its error, or by a cause that says a Map Run failed', () => {
    expect(isMapRunFailure('States.ExceedToleratedFailureThreshold', undefined)).toBe(true);
    expect(isMapRunFailure('States.Runtime', 'Map Run failed: the item reader could not read the items')).toBe(true);
    expect(isMapRunFailure('ModelNotFoundError', '{"errorMessage":"model v7 not found"}')).toBe(false);
    expect(isMapRunFailure('States.Timeout', 'The execution timed out')).toBe(false);
    expect(isMapRunFailure(undefined, undefined)).toBe(false);
  });

  it('does not look for a child when the execution failed in an ordinary state', async () => {
    const { alert, listMapRuns } = await alertFor({ input: INPUT, error: 'ModelNotFoundError', cause: JSON.stringify({ errorType: 'ModelNotFoundError', errorMessage: 'model v7 not found' }) });
    expect(listMapRuns).not.toHaveBeenCalled();
    expect(alert.message).toContain('FAILED: ModelNotFoundError: model v7 not found');
    expect(alert.message).toContain(REDRIVE_PARENT);
  });

  it('takes the first Map Run that has a failed child', async () => {
    const other = MAP_RUN_ARN.replace('2d6f0c1e', '00000000');
    const { alert, findFailedChild } = await alertFor(THRESHOLD_FAILURE, { listMapRuns: async () => [other, MAP_RUN_ARN] });
    expect(findFailedChild.mock.calls.map(([arn]) => arn)).toEqual([other, MAP_RUN_ARN]);
    expect(alert.message).toContain('FAILED: ChunkFormatError');
  });

  const plainText = `FAILED: States.ExceedToleratedFailureThreshold: The specified tolerated failure threshold was exceeded`;

  it.each<[string, Fakes, string | undefined]>([
    ['ListMapRuns throws', { listMapRuns: async () => Promise.reject(new Error('AccessDeniedException: not authorized to perform states:ListMapRuns')) }, 'AccessDeniedException'],
    ['the execution has no Map Run', { listMapRuns: async () => [] }, undefined],
    ['no child failed', { findFailedChild: async () => undefined }, undefined],
    ['ListExecutions throws', { findFailedChild: async () => Promise.reject(new Error('ThrottlingException: rate exceeded')) }, 'ThrottlingException'],
    [
      'describing the child throws',
      { describe: async (arn) => (arn === PARENT_ARN ? THRESHOLD_FAILURE : Promise.reject(new Error('ExecutionDoesNotExist: gone'))) },
      'ExecutionDoesNotExist',
    ],
  ])('falls back to the parent cause when %s', async (_name, fakes, problem) => {
    const { alert, run } = await alertFor(THRESHOLD_FAILURE, fakes);
    expect(alert.message).toContain(plainText);
    expect(alert.message).toContain(REDRIVE_PARENT);
    expect(alert.message).toContain('for s3://data-bucket/incoming/big day.csv');
    expect(alert.message).not.toContain('Failed chunk');
    expect(run.failedChild).toBeUndefined();
    if (problem) expect(run.lookupProblem).toContain(problem);
    else expect(run.lookupProblem).toBeUndefined();
  });

  it('goes out with the parent cause when the lookup takes longer than its budget', async () => {
    const alerts: Alert[] = [];
    const run = await alertFailedExecution(
      { executionArn: PARENT_ARN, name: RUN_ID, status: 'FAILED', input: INPUT },
      {
        describe: async () => THRESHOLD_FAILURE,
        listMapRuns: () => new Promise<string[]>(() => {}),
        findFailedChild: async () => CHILD_ARN,
        alerts: { publish: async (a) => void alerts.push(a) },
        stage: 'prod',
        lookupTimeoutMs: 5,
      },
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.message).toContain(plainText);
    expect(alerts[0]!.message).toContain(REDRIVE_PARENT);
    expect(run.lookupProblem).toBe('LookupTimeoutError: the failed chunk was not found within 5 ms');
  });

  it("cuts a long chunk cause, never the parent's redrive command", async () => {
    const long: ExecutionDescription = { ...CHILD_FAILURE, cause: JSON.stringify({ errorType: 'ChunkFormatError', errorMessage: 'x'.repeat(5_000) }) };
    const { alert } = await alertFor(THRESHOLD_FAILURE, { describe: async (arn) => (arn === PARENT_ARN ? THRESHOLD_FAILURE : long) });

    expect(alert.message).toContain('FAILED: ChunkFormatError: xxx');
    expect(alert.message).toMatch(/x\.\.\.\nFailed chunk: 17 /);
    expect(alert.message).toContain(`${REDRIVE_PARENT}\nThe input file is unchanged`);
  });

  it('names the child without a chunk when its input is not readable, and still quotes its cause', async () => {
    const { alert } = await alertFor(THRESHOLD_FAILURE, {
      describe: async (arn) => (arn === PARENT_ARN ? THRESHOLD_FAILURE : { ...CHILD_FAILURE, input: '{oops' }),
    });
    expect(alert.message).toContain('FAILED: ChunkFormatError');
    expect(alert.message).toContain(`Failed chunk: scored in child execution ${CHILD_ARN}`);
    expect(alert.message).toContain(REDRIVE_PARENT);
  });
});
