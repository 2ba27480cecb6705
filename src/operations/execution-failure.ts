import { MAX_REASON_CHARS, failureAlert } from '../alerts/run-alerts.js';
import type { ExecutionInput, ScoreTaskInput } from '../pipeline/manifest.js';
import type { AlertSink } from '../ports/alert-sink.js';

/**
 * The failure alert for a run whose execution FAILED, TIMED_OUT or was ABORTED, built from the
 * EventBridge "Step Functions Execution Status Change" event. The alert is the same one the local
 * orchestrator publishes (failureAlert), plus the execution and the command that redrives it.
 *
 * A run of more than 40 chunks scores them in a Distributed Map whose child executions each score one
 * chunk; when one fails for good, the parent fails with States.ExceedToleratedFailureThreshold and a
 * generic cause. The alert then quotes the failed child's cause (what a person can act on) and names
 * the child, and still gives the parent's redrive command (a redrive of the parent reruns the failed
 * children). The lookup never costs the alert: when it fails or finds nothing, the parent's cause is quoted.
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
  /** The ARNs of the Map Runs an execution started (Step Functions ListMapRuns). */
  listMapRuns(executionArn: string): Promise<string[]>;
  /** The ARN of one FAILED child execution of a Map Run (ListExecutions filtered on FAILED), or undefined. */
  findFailedChild(mapRunArn: string): Promise<string | undefined>;
  alerts: AlertSink;
  stage: string;
  /** How long the failed chunk's lookup may take before the alert goes out without it (default LOOKUP_TIMEOUT_MS). */
  lookupTimeoutMs?: number;
}

/**
 * A third of the function's 30 s: the SDK retries throttled calls with back-off, and three calls in a
 * row must not use up the time the alert itself needs.
 */
export const LOOKUP_TIMEOUT_MS = 10_000;

/** The failed chunk's lookup took longer than its budget. */
export class LookupTimeoutError extends Error {
  constructor(ms: number) {
    super(`the failed chunk was not found within ${ms} ms`);
    this.name = 'LookupTimeoutError';
  }
}

/** Longest cause quoted in an alert: a Lambda stack trace adds nothing a person reads in an email. */
const MAX_CAUSE_CHARS = 1500;
/** The least of a failed chunk's cause quoted, however long the ARNs around it (they stay far shorter in practice). */
const MIN_CHILD_CAUSE_CHARS = 200;

export interface FailedRun {
  runId: string;
  /** s3://bucket/key of the input file, or a note that the input could not be read. */
  file: string;
  cause: string;
  /** The failed child execution (a chunk of the Distributed Map) whose cause the alert quotes. */
  failedChild?: string;
  /** Why the failed child could not be looked up (the alert then quotes the parent's cause), for the log. */
  lookupProblem?: string;
}

/** The error Step Functions gives a parent execution when a Map Run had more failed children than it tolerates. */
export const MAP_RUN_THRESHOLD_ERROR = 'States.ExceedToleratedFailureThreshold';

/**
 * Whether an execution failed because its Distributed Map's Map Run failed: its own error and cause
 * then say only that, and the reason a person can act on is in the failed child execution.
 */
export function isMapRunFailure(error: string | undefined, cause: string | undefined): boolean {
  return error === MAP_RUN_THRESHOLD_ERROR || /\bmap ?run\b.*\bfail/i.test(cause ?? '');
}

/** A failed chunk's child execution, as described. */
interface FailedChild {
  executionArn: string;
  described: ExecutionDescription;
}

/** Describes the failed run and publishes one alert; returns what it published about. */
export async function alertFailedExecution(detail: ExecutionStatusDetail, deps: ExecutionFailureDeps): Promise<FailedRun> {
  const described = await deps.describe(detail.executionArn);
  let child: FailedChild | undefined;
  let lookupProblem: string | undefined;
  if (isMapRunFailure(described.error, described.cause)) {
    // The lookup only improves the text: whatever goes wrong in it, the alert goes out with the parent's cause.
    try {
      child = await withinBudget(findFailedChild(detail.executionArn, deps), deps.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS);
    } catch (e: unknown) {
      lookupProblem = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
  }
  const redrive = [
    `Execution: ${detail.executionArn}`,
    `Redrive it once the cause is fixed (only the failed steps run again): aws stepfunctions redrive-execution --execution-arn ${detail.executionArn}`,
  ];
  let causeLines = [`${detail.status}: ${readableCause(described.error, described.cause)}`];
  if (child) {
    const chunkLines = [
      `Failed chunk: ${chunkOf(child.described.input)}scored in child execution ${child.executionArn}`,
      `The Distributed Map stopped the run${described.error ? ` (${described.error})` : ''}: a run tolerates no failed chunk. The run's other chunks may have succeeded; a redrive of the run reruns only the failed ones.`,
    ];
    // The alert quotes at most MAX_REASON_CHARS of all this: the chunk's cause gets what the lines
    // after it leave, so that the parent's redrive command is never the part cut off.
    const status = `${detail.status}: `;
    const room = MAX_REASON_CHARS - status.length - [...chunkLines, ...redrive].join('\n').length - 1;
    causeLines = [`${status}${readableCause(child.described.error, child.described.cause, Math.max(MIN_CHILD_CAUSE_CHARS, Math.min(MAX_CAUSE_CHARS, room)))}`, ...chunkLines];
  }
  const run: FailedRun = {
    runId: detail.name,
    file: inputFile(detail.input ?? described.input),
    cause: [...causeLines, ...redrive].join('\n'),
    ...(child ? { failedChild: child.executionArn } : {}),
    ...(lookupProblem ? { lookupProblem } : {}),
  };
  await deps.alerts.publish(failureAlert(deps.stage, run.runId, run.file, run.cause));
  return run;
}

/** The first failed child execution of the execution's Map Runs (there is one Distributed Map), described. */
async function findFailedChild(executionArn: string, deps: ExecutionFailureDeps): Promise<FailedChild | undefined> {
  for (const mapRunArn of await deps.listMapRuns(executionArn)) {
    const childArn = await deps.findFailedChild(mapRunArn);
    if (childArn) return { executionArn: childArn, described: await deps.describe(childArn) };
  }
  return undefined;
}

/** The lookup's result, or a LookupTimeoutError once `ms` have passed (the lookup is left to finish unheard). */
async function withinBudget<T>(lookup: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LookupTimeoutError(ms)), ms);
  });
  try {
    return await Promise.race([lookup, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** "17 (runs/<runId>/chunks/00017.arrow), " from a child's input (a ScoreTaskInput); empty when it is not readable. */
function chunkOf(input: string | undefined): string {
  try {
    const { chunk } = JSON.parse(input ?? '') as Partial<ScoreTaskInput>;
    if (typeof chunk?.index === 'number' && typeof chunk.key === 'string') return `${chunk.index} (${chunk.key}), `;
  } catch {
    // Not JSON: the child execution alone names the chunk.
  }
  return '';
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
export function readableCause(error: string | undefined, cause: string | undefined, maxChars = MAX_CAUSE_CHARS): string {
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
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 3)}...`;
}
