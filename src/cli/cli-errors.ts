import { S3RequestError } from '../adapters/s3-object-store.js';
import { CrossValidationError } from '../evaluate/cross-validate.js';
import { LabelColumnError } from '../evaluate/labelled-trades.js';
import { LabelFileError } from '../evaluate/labels.js';
import { NumericCsvError } from '../evaluate/numeric-csv.js';
import { FeedbackFileError } from '../feedback/feedback-file.js';
import { RunFailedError } from '../local/local-state-machine.js';
import { WorkerCrashedError } from '../local/worker-pool.js';
import { ModelFormatError } from '../model/anomaly-model.js';
import { NothingToRollBackError } from '../model/model-registry.js';
import { InvalidModelVersionError, ModelNotFoundError } from '../model/model-store.js';
import { EmptyFileError, UnreadableFileError } from '../pipeline/trade-file-scanner.js';
import { ObjectNotFoundError } from '../ports/object-store.js';
import { SchemaFileError } from '../schema/schema-settings.js';
import { SchemaMismatchError } from '../schema/trade-schema.js';
import { CliError, EXIT } from './cli-output.js';

/** What the CLI prints for a failure (one line, on stderr) and the exit code it returns. */
export interface Failure {
  line: string;
  exitCode: number;
}

/** Also printed at the end of unexpected errors: the stack is there for a bug report. */
export const DEBUG_HINT = 'run again with TRADE_ANOMALY_DEBUG=1 for the stack trace';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * The typed errors a user can meet, each with the exit code and the hint printed after its message
 * (the message already names the file, and the line or row and the field where there is one). One
 * table, so that docs/troubleshooting.md can list it and a test can check every entry has a hint.
 */
export const ERROR_HINTS: ReadonlyArray<{ type: ErrorClass; exitCode: number; hint: (e: Error) => string }> = [
  { type: SchemaMismatchError, exitCode: EXIT.REJECTED, hint: () => 'map the file\'s columns with --schema FILE (examples in schemas/; see docs/schemas-and-rules.md)' },
  { type: EmptyFileError, exitCode: EXIT.REJECTED, hint: () => 'the file needs a header row and data rows; check that the export finished' },
  { type: UnreadableFileError, exitCode: EXIT.REJECTED, hint: () => 'save the file as UTF-8 CSV text (gzip is fine); see docs/troubleshooting.md' },
  { type: SchemaFileError, exitCode: EXIT.USAGE, hint: () => 'fix the schema file; examples in schemas/, every setting in docs/schemas-and-rules.md' },
  { type: FeedbackFileError, exitCode: EXIT.USAGE, hint: () => 'fix that line of the feedback file (columns trade_id or source_row, verdict), or leave the file out' },
  { type: LabelFileError, exitCode: EXIT.USAGE, hint: () => 'a label file has a header with source_row (and anomaly_type) and one row number per line' },
  { type: LabelColumnError, exitCode: EXIT.USAGE, hint: () => 'name a column the schema does not map to a trade field with --label-column' },
  { type: NumericCsvError, exitCode: EXIT.USAGE, hint: () => 'a numeric CSV needs a header, numeric feature columns and a label column (--label-column)' },
  { type: CrossValidationError, exitCode: EXIT.USAGE, hint: () => 'use fewer --folds, or a file with more labelled anomalies' },
  { type: InvalidModelVersionError, exitCode: EXIT.USAGE, hint: () => 'list the versions with: trade-anomaly models list' },
  { type: ModelNotFoundError, exitCode: EXIT.USAGE, hint: () => 'train one with: trade-anomaly train FILE --out DIR, then pass --model DIR (or leave --model out to fit one on the file)' },
  { type: ModelFormatError, exitCode: EXIT.FAILED, hint: () => 'the model was written by another version of trade-anomaly or was edited: train it again' },
  { type: NothingToRollBackError, exitCode: EXIT.FAILED, hint: () => 'promote a version instead: trade-anomaly models promote VERSION' },
  { type: ObjectNotFoundError, exitCode: EXIT.FAILED, hint: () => 'check the bucket and key; a local run\'s objects are under --state-dir (default .trade-anomaly)' },
  { type: S3RequestError, exitCode: EXIT.FAILED, hint: (e) => s3Hint((e as S3RequestError).code) },
  { type: RunFailedError, exitCode: EXIT.FAILED, hint: () => 'the failure alert (alert.json, and .trade-anomaly/outbox.jsonl) says which step failed; the input file is unchanged, so run again' },
  { type: WorkerCrashedError, exitCode: EXIT.FAILED, hint: () => 'a score worker died (often out of memory): try --chunk-rows 20000, then run again' },
];

function s3Hint(code: string): string {
  if (code === 'AccessDenied' || code === 'Forbidden') return 'the credentials may not read or write that bucket: check AWS_PROFILE and the bucket policy';
  if (code === 'NoSuchBucket') return 'no such bucket: use the stack output BucketName of the stage';
  if (code === 'CredentialsProviderError') return 'no AWS credentials: set AWS_PROFILE (or run aws sso login), or S3_ENDPOINT for another S3 server';
  if (code === 'SlowDown' || code === 'ServiceUnavailable' || code === 'InternalError') return 'S3 is throttling or failing: run again in a minute';
  return 'check the network, the bucket name and the credentials; S3_ENDPOINT selects another S3 server';
}

/** Errors of the file system (a missing folder, a file where a folder should be), named by Node's code. */
function fileSystemFailure(e: Error): Failure | undefined {
  const { code, path } = e as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof path !== 'string') return undefined;
  const hint: Record<string, [number, string]> = {
    ENOENT: [EXIT.USAGE, 'check the path'],
    ENOTDIR: [EXIT.USAGE, 'a part of the path is a file, not a folder'],
    EISDIR: [EXIT.USAGE, 'that is a folder; name a file'],
    EACCES: [EXIT.FAILED, 'no permission: check the file\'s and folder\'s permissions'],
    EPERM: [EXIT.FAILED, 'no permission: check the file\'s and folder\'s permissions'],
    ENOSPC: [EXIT.FAILED, 'the disk is full: free space, or write the output elsewhere (--out)'],
  };
  const known = hint[code];
  if (!known) return undefined;
  // Node's message repeats the code and the path: "ENOENT: no such file or directory, open 'x'".
  const what = firstLine(e.message).replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return { line: `${path}: ${what} (hint: ${known[1]})`, exitCode: known[0] };
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}

/**
 * The one line printed for an error, and the exit code: `trade-anomaly: MESSAGE (hint: HINT)`. The
 * message comes from the error (it names the file, line or row, and field); the hint from ERROR_HINTS.
 */
export function describeFailure(e: unknown): Failure {
  if (e instanceof CliError) return { line: `trade-anomaly: ${firstLine(e.message)}${e.hint ? ` (hint: ${e.hint})` : ''}`, exitCode: e.exitCode };
  if (!(e instanceof Error)) return { line: `trade-anomaly: ${firstLine(String(e))} (hint: ${DEBUG_HINT})`, exitCode: EXIT.FAILED };
  const known = ERROR_HINTS.find((h) => e instanceof h.type);
  if (known) return { line: `trade-anomaly: ${firstLine(e.message)} (hint: ${known.hint(e)})`, exitCode: known.exitCode };
  const fs = fileSystemFailure(e);
  if (fs) return { ...fs, line: `trade-anomaly: ${fs.line}` };
  const name = e.name === 'Error' ? '' : `${e.name}: `;
  return { line: `trade-anomaly: ${name}${firstLine(e.message)} (hint: ${DEBUG_HINT})`, exitCode: EXIT.FAILED };
}
