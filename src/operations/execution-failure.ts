import { failureAlert } from '../alerts/run-alerts.js';
import type { ExecutionInput } from '../pipeline/manifest.js';
import type { AlertSink } from '../ports/alert-sink.js';

/**
 * The failure alert for a run whose execution FAILED, TIMED_OUT or was ABORTED, built from the
 * EventBridge "Step Functions Execution Status Change" event. The alert is the same one the local
 * orchestrator publishes (failureAlert), plus the execution and the command that redrives it.
 */

/** The part of the event's detail used here. The event carries no error or cause: those come from DescribeExecution. */
export interface ExecutionStatusDetail {
  executionArn: string;
  /** The execution's name: the runId. */
  name: string;
  status: string;
  /** The execution input as JSON text; null when it was too large for the event. */
  input?: string | null;
}

export interface ExecutionDescription {
  input?: string;
  error?: string;
  cause?: string;
}

export interface ExecutionFailureDeps {
  describe(executionArn: string): Promise<ExecutionDescription>;
  alerts: AlertSink;
  stage: string;
}

/** Longest cause quoted in an alert: a Lambda stack trace adds nothing a person reads in an email. */
const MAX_CAUSE_CHARS = 1500;

export interface FailedRun {
  runId: string;
  /** s3://bucket/key of the input file, or a note that the input could not be read. */
  file: string;
  cause: string;
}

/** Describes the failed run and publishes one alert; returns what it published about. */
export async function alertFailedExecution(detail: ExecutionStatusDetail, deps: ExecutionFailureDeps): Promise<FailedRun> {
  const described = await deps.describe(detail.executionArn);
  const run: FailedRun = {
    runId: detail.name,
    file: inputFile(detail.input ?? described.input),
    cause: [
      `${detail.status}: ${readableCause(described.error, described.cause)}`,
      `Execution: ${detail.executionArn}`,
      `Redrive it once the cause is fixed (only the failed steps run again): aws stepfunctions redrive-execution --execution-arn ${detail.executionArn}`,
    ].join('\n'),
  };
  await deps.alerts.publish(failureAlert(deps.stage, run.runId, run.file, run.cause));
  return run;
}

/** The input file named by an execution input (ExecutionInput), or a note when it cannot be read. */
export function inputFile(input: string | undefined | null): string {
  if (!input) return '(input not available)';
  try {
    const parsed = JSON.parse(input) as Partial<ExecutionInput>;
    const { bucket, key } = parsed.input ?? {};
    if (typeof bucket === 'string' && typeof key === 'string') return `s3://${bucket}/${key}`;
  } catch {
    // Not JSON: fall through to the note; the alert still names the run and the cause.
  }
  return '(input not readable)';
}

/**
 * A Lambda failure's cause is JSON ({errorType, errorMessage, trace}); people need the type and message.
 * Other causes (States.Timeout, an abort) are plain text.
 */
export function readableCause(error: string | undefined, cause: string | undefined): string {
  let text = [error, cause].filter((part) => part !== undefined && part.length > 0).join(': ');
  try {
    const parsed = JSON.parse(cause ?? '') as { errorType?: unknown; errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') {
      const type = typeof parsed.errorType === 'string' ? parsed.errorType : error;
      text = type ? `${type}: ${parsed.errorMessage}` : parsed.errorMessage;
    }
  } catch {
    // Plain text: kept as it is.
  }
  if (text === '') return 'no error was recorded';
  return text.length <= MAX_CAUSE_CHARS ? text : `${text.slice(0, MAX_CAUSE_CHARS - 3)}...`;
}
