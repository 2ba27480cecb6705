import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** Schema files in a stage config are named relative to the project's root. */
const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The context key in cdk.json under which each stage's config lives. */
export const STAGES_CONTEXT_KEY = 'stages';

/** The three Lambda functions of the pipeline. */
export const FUNCTION_NAMES = ['ingest', 'score', 'aggregate'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** Memory and timeout of one Lambda function. */
export interface FunctionSizing {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

/** Step Functions retry policy for the score task. */
export interface RetryConfig {
  /** Retries after the first attempt (Step Functions' MaxAttempts); 0 disables retrying. */
  readonly maxAttempts: number;
  readonly intervalSeconds: number;
  readonly backoffRate: number;
}

/** Everything that may differ between dev, staging and prod. Read from cdk.json, validated. */
export interface StageConfig {
  /** The stage's name (the key in cdk.json), e.g. `prod`. */
  readonly stage: string;
  /** Email addresses subscribed to the alert topic. May be empty (other subscribers can be added). */
  readonly alertEmails: readonly string[];
  /** Rows per chunk written by ingest; one score invocation per chunk. */
  readonly chunkRows: number;
  /** How many chunks are scored at once (the Map state's MaxConcurrency). */
  readonly mapConcurrency: number;
  readonly functions: Readonly<Record<FunctionName, FunctionSizing>>;
  /** Retention of every log group of the stage; one of the values CloudWatch Logs accepts. */
  readonly logRetentionDays: RetentionDays;
  /** true: the bucket and log groups survive stack deletion. false: they are deleted with their contents. */
  readonly retainData: boolean;
  /** Object versioning on the data bucket. */
  readonly versioned: boolean;
  readonly scoreRetry: RetryConfig;
  /**
   * How the stage's files are read: a schema file (JSON or YAML, path relative to the project),
   * passed to ingest as JSON in TRADE_SCHEMA. Absent: the default schema. Ingest checks it in full
   * when it starts (the schema's validator is runtime code, which lib/ does not import).
   */
  readonly schemaFile?: string;
  /** The schema file's document as compact JSON, read at synth. */
  readonly schemaJson?: string;
}

/** Lambda's environment is 4 KB in all; leave room for the other variables. */
export const MAX_SCHEMA_JSON_BYTES = 3000;

/** A stage config that cannot be used; the message names the stage and every bad field. */
export class StageConfigError extends Error {
  override readonly name = 'StageConfigError';
  constructor(
    message: string,
    /** One line per problem, each naming the field. */
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

/*
 * Bounds and why:
 * - chunkRows: the manifest's chunk list and the per-chunk summaries travel in the execution's state,
 *   which Step Functions caps at 256 KiB, and each Map iteration adds ~6 history events (25,000 max
 *   for a Standard execution). 10,000 rows keeps the busiest desk (10M rows) at 1,000 chunks; above
 *   1,000,000 a chunk no longer fits a score function's memory comfortably.
 * - mapConcurrency: an inline Map runs at most 40 iterations at once, so a larger value has no effect.
 * - memoryMb / timeoutSeconds: Lambda's own limits.
 * - backoffRate: Step Functions requires >= 1.
 */
const LIMITS = {
  chunkRows: { min: 10_000, max: 1_000_000 },
  mapConcurrency: { min: 1, max: 40 },
  memoryMb: { min: 128, max: 10_240 },
  timeoutSeconds: { min: 1, max: 900 },
  maxAttempts: { min: 0, max: 10 },
  intervalSeconds: { min: 1, max: 300 },
  backoffRate: { min: 1, max: 10 },
} as const;

const RETENTION_VALUES: readonly number[] = Object.values(RetentionDays).filter(
  (v): v is number => typeof v === 'number',
);

const STAGE_NAME = /^[a-z][a-z0-9-]{0,20}$/;
// Deliberately loose: catches typos and placeholders, not every RFC 5322 corner.
const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;

/** Stage names defined in the `stages` context value, in their cdk.json order. */
export function knownStages(stages: unknown): string[] {
  return isRecord(stages) ? Object.keys(stages) : [];
}

/**
 * Validates and returns the config of one stage.
 *
 * @param stages the value of the `stages` context key (cdk.json `context.stages`)
 * @param stage  the stage to load, e.g. the value of `-c stage=NAME`
 * @throws StageConfigError for an unknown stage or any invalid field; the message lists all problems.
 */
export function loadStageConfig(stages: unknown, stage: string, projectRoot = PROJECT_ROOT): StageConfig {
  if (!isRecord(stages) || Object.keys(stages).length === 0) {
    throw new StageConfigError(
      `No stage configs found: cdk.json must define context "${STAGES_CONTEXT_KEY}" as an object of stage name -> config.`,
    );
  }
  const known = knownStages(stages);
  if (!Object.hasOwn(stages, stage)) {
    throw new StageConfigError(
      `Unknown stage "${stage}": known stages are ${known.join(', ')} (cdk.json context "${STAGES_CONTEXT_KEY}"). ` +
        `Choose one with -c stage=NAME.`,
    );
  }
  const raw = stages[stage];
  const problems: string[] = [];
  if (!STAGE_NAME.test(stage)) {
    problems.push(`stage name must match ${STAGE_NAME} (it becomes part of the stack name)`);
  }
  if (!isRecord(raw)) {
    throw invalid(stage, [`the stage's value must be an object, got ${describe(raw)}`]);
  }

  const c = new Checker(problems);
  c.onlyKeys('', raw, [
    'alertEmails',
    'chunkRows',
    'mapConcurrency',
    'functions',
    'logRetentionDays',
    'retainData',
    'versioned',
    'scoreRetry',
    'schemaFile',
  ]);

  const alertEmails = c.emails('alertEmails', raw.alertEmails);
  const chunkRows = c.integer('chunkRows', raw.chunkRows, LIMITS.chunkRows);
  const mapConcurrency = c.integer('mapConcurrency', raw.mapConcurrency, LIMITS.mapConcurrency);

  const rawFunctions = c.object('functions', raw.functions);
  c.onlyKeys('functions', rawFunctions, FUNCTION_NAMES);
  const functions = {} as Record<FunctionName, FunctionSizing>;
  for (const name of FUNCTION_NAMES) {
    const path = `functions.${name}`;
    const sizing = c.object(path, rawFunctions[name]);
    c.onlyKeys(path, sizing, ['memoryMb', 'timeoutSeconds']);
    functions[name] = {
      memoryMb: c.integer(`${path}.memoryMb`, sizing.memoryMb, LIMITS.memoryMb),
      timeoutSeconds: c.integer(`${path}.timeoutSeconds`, sizing.timeoutSeconds, LIMITS.timeoutSeconds),
    };
  }

  const logRetentionDays = c.oneOf('logRetentionDays', raw.logRetentionDays, RETENTION_VALUES) as RetentionDays;
  const retainData = c.boolean('retainData', raw.retainData);
  const versioned = c.boolean('versioned', raw.versioned);

  const rawRetry = c.object('scoreRetry', raw.scoreRetry);
  c.onlyKeys('scoreRetry', rawRetry, ['maxAttempts', 'intervalSeconds', 'backoffRate']);
  const scoreRetry: RetryConfig = {
    maxAttempts: c.integer('scoreRetry.maxAttempts', rawRetry.maxAttempts, LIMITS.maxAttempts),
    intervalSeconds: c.integer('scoreRetry.intervalSeconds', rawRetry.intervalSeconds, LIMITS.intervalSeconds),
    backoffRate: c.number('scoreRetry.backoffRate', rawRetry.backoffRate, LIMITS.backoffRate),
  };

  let schemaFile: string | undefined;
  let schemaJson: string | undefined;
  if (raw.schemaFile !== undefined) {
    if (typeof raw.schemaFile !== 'string' || raw.schemaFile.trim() === '') problems.push('schemaFile must be a path to a JSON or YAML schema file');
    else {
      schemaFile = raw.schemaFile;
      const file = path.resolve(projectRoot, schemaFile);
      if (!existsSync(file)) problems.push(`schemaFile ${schemaFile}: no such file (paths are relative to ${projectRoot})`);
      else {
        try {
          const doc: unknown = parseYaml(readFileSync(file, 'utf8'));
          if (!isRecord(doc)) problems.push(`schemaFile ${schemaFile}: a schema is a JSON or YAML mapping`);
          else {
            schemaJson = JSON.stringify(doc);
            if (Buffer.byteLength(schemaJson) > MAX_SCHEMA_JSON_BYTES) {
              problems.push(`schemaFile ${schemaFile}: ${Buffer.byteLength(schemaJson)} bytes as JSON, more than the ${MAX_SCHEMA_JSON_BYTES} a Lambda environment can hold`);
            }
          }
        } catch (e: unknown) {
          problems.push(`schemaFile ${schemaFile}: not valid JSON or YAML (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
        }
      }
    }
  }

  // Production data must survive a mistaken `cdk destroy` or a replaced bucket, and an overwritten
  // object must be recoverable: these two are not a matter of taste for prod.
  if (stage === 'prod') {
    if (raw.retainData === false) problems.push('retainData must be true for prod');
    if (raw.versioned === false) problems.push('versioned must be true for prod');
  }

  if (problems.length > 0) throw invalid(stage, problems);
  return {
    stage,
    alertEmails,
    chunkRows,
    mapConcurrency,
    functions,
    logRetentionDays,
    retainData,
    versioned,
    scoreRetry,
    ...(schemaFile ? { schemaFile, schemaJson } : {}),
  };
}

function invalid(stage: string, problems: string[]): StageConfigError {
  return new StageConfigError(
    `Invalid config for stage "${stage}" (cdk.json context.${STAGES_CONTEXT_KEY}.${stage}):\n` +
      problems.map((p) => `  - ${p}`).join('\n'),
    problems,
  );
}

/** Collects problems instead of stopping at the first, so one run shows everything to fix. */
class Checker {
  constructor(private readonly problems: string[]) {}

  onlyKeys(path: string, value: Record<string, unknown>, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        const where = path ? `${path}.${key}` : key;
        this.problems.push(`${where} is not a known field (allowed: ${allowed.join(', ')})`);
      }
    }
  }

  object(path: string, value: unknown): Record<string, unknown> {
    if (value === undefined) this.problems.push(`${path} is missing`);
    else if (!isRecord(value)) this.problems.push(`${path} must be an object, got ${describe(value)}`);
    else return value;
    return {};
  }

  number(path: string, value: unknown, range: { min: number; max: number }): number {
    if (value === undefined) {
      this.problems.push(`${path} is missing`);
    } else if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.problems.push(`${path} must be a number, got ${describe(value)}`);
    } else if (value < range.min || value > range.max) {
      this.problems.push(`${path} must be between ${range.min} and ${range.max}, got ${value}`);
    }
    return value as number;
  }

  integer(path: string, value: unknown, range: { min: number; max: number }): number {
    const before = this.problems.length;
    this.number(path, value, range);
    if (this.problems.length === before && !Number.isInteger(value)) {
      this.problems.push(`${path} must be a whole number, got ${value as number}`);
    }
    return value as number;
  }

  boolean(path: string, value: unknown): boolean {
    if (value === undefined) this.problems.push(`${path} is missing`);
    else if (typeof value !== 'boolean') this.problems.push(`${path} must be true or false, got ${describe(value)}`);
    return value === true;
  }

  oneOf(path: string, value: unknown, allowed: readonly number[]): number {
    if (value === undefined) this.problems.push(`${path} is missing`);
    else if (typeof value !== 'number' || !allowed.includes(value)) {
      this.problems.push(`${path} must be one of ${allowed.join(', ')}, got ${describe(value)}`);
    }
    return value as number;
  }

  emails(path: string, value: unknown): string[] {
    if (value === undefined) {
      this.problems.push(`${path} is missing`);
      return [];
    }
    if (!Array.isArray(value)) {
      this.problems.push(`${path} must be a list of email addresses, got ${describe(value)}`);
      return [];
    }
    value.forEach((email: unknown, i) => {
      if (typeof email !== 'string' || !EMAIL.test(email)) {
        this.problems.push(`${path}[${i}] ${describe(email)} is not an email address`);
      }
    });
    if (new Set(value).size !== value.length) this.problems.push(`${path} lists an address twice`);
    return value as string[];
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
