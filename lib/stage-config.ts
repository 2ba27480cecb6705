import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** Schema files in a stage config are named relative to the project's root. */
const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The stage whose config must meet the production rules in loadStageConfig. */
export const PROD_STAGE = 'prod';

/** The context key in cdk.json under which each stage's config lives. */
export const STAGES_CONTEXT_KEY = 'stages';

/** The three Lambda functions of the pipeline, each sized in every stage's config. */
export const FUNCTION_NAMES = ['ingest', 'score', 'aggregate'] as const;
/** Functions a stage may size, and otherwise get these defaults. */
export const OPTIONAL_FUNCTION_SIZING = {
  /**
   * Training on a file dropped under training/ holds the features of every valid row of the file:
   * measured peaks of 340 MB for a 150,000-row day and 0.9 GB for 1 million rows, so the default
   * covers days of a few million rows; the busiest (10 million) want the maximum, 10,240 MB.
   */
  train: { memoryMb: 3008, timeoutSeconds: 900 },
} as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number] | keyof typeof OPTIONAL_FUNCTION_SIZING;

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

/**
 * The severity levels of flagged rows and of a run (LOW, MEDIUM, HIGH; CLEAR without anomalies).
 * Passed to aggregate (SEVERITY_HIGH_SCORE, SEVERITY_MEDIUM_SCORE, SEVERITY_HIGH_BAD_ROW_SHARE); the
 * defaults in src/alerts/severity.ts apply locally.
 */
export interface SeverityConfig {
  /** A model score at or above this (and the model's threshold) makes a row, and the run, HIGH. */
  readonly highScore: number;
  /** A model score at or above this (and the threshold), below highScore, is MEDIUM. At most highScore. */
  readonly mediumScore: number;
  /** More than this share of rows breaking data-quality rules makes the run HIGH. */
  readonly highBadRowShare: number;
}

/** What a clean day (a CLEAR run) publishes; see src/alerts/all-clear.ts. */
export const ALL_CLEAR_MODES = ['send', 'quiet', 'none'] as const;
export type AllClearMode = (typeof ALL_CLEAR_MODES)[number];

/** The run alerts of the stage. Passed to aggregate (ALERT_ALL_CLEAR). */
export interface AlertsConfig {
  /** `send`: the full alert; `quiet` (default): a short all-clear summary; `none`: nothing (unless drift or feedback errors need a look). */
  readonly allClear: AllClearMode;
}

/** CloudWatch alarms of the stage. Each alarm fires when its metric reaches the threshold in one period. */
export interface AlarmConfig {
  /**
   * true: alarms notify the ops topic. false: the alarms exist (the dashboard shows their state)
   * but notify nobody.
   */
  readonly enabled: boolean;
  /** The period over which each metric is summed, in minutes. */
  readonly periodMinutes: number;
  /** Errors of any one function in a period. */
  readonly lambdaErrors: number;
  /** Throttled invocations of any one function in a period. */
  readonly lambdaThrottles: number;
  /** Failed or timed-out executions in a period (an abort is someone's decision: it alerts, it does not alarm). */
  readonly failedExecutions: number;
  /** Messages waiting in ingest's dead-letter queue (ingest crashed or timed out for good). */
  readonly deadLetterMessages: number;
}

/** The days a weekly schedule can name, in EventBridge Scheduler's spelling. */
export const WEEK_DAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
export type WeekDay = (typeof WEEK_DAYS)[number];

/** When the day's file is expected, so that its absence raises an alarm. */
export interface DailyFileConfig {
  /** Local time by which the file should be under incoming/, `HH:MM` (24 h). */
  readonly expectedBy: string;
  /** IANA time zone of expectedBy, e.g. `Europe/London` (daylight saving handled by the scheduler). */
  readonly timeZone: string;
  /** The days a file is expected. */
  readonly days: readonly WeekDay[];
  /** A file that arrived within this many hours before the check counts as the day's file. */
  readonly lookbackHours: number;
}

/** Everything that may differ between dev, staging and prod. Read from cdk.json, validated. */
export interface StageConfig {
  /** The stage's name (the key in cdk.json), e.g. `prod`. */
  readonly stage: string;
  /** Email addresses subscribed to the alert topic (run summaries, rejections, failed runs). */
  readonly alertEmails: readonly string[];
  /** Email addresses subscribed to the ops topic (CloudWatch alarms). */
  readonly opsEmails: readonly string[];
  /** Rows per chunk written by ingest; one score invocation per chunk. */
  readonly chunkRows: number;
  /** How many chunks are scored at once by the inline Map (a run of at most 40 chunks; its MaxConcurrency). */
  readonly mapConcurrency: number;
  /**
   * How many chunks are scored at once by the Distributed Map (a run of more than 40 chunks, or a chunk
   * list near the 256 KiB state limit): its MaxConcurrency, i.e. concurrent score invocations.
   */
  readonly distributedMapConcurrency: number;
  readonly functions: Readonly<Record<FunctionName, FunctionSizing>>;
  /** Retention of every log group of the stage; one of the values CloudWatch Logs accepts. */
  readonly logRetentionDays: RetentionDays;
  /** true: the bucket and log groups survive stack deletion. false: they are deleted with their contents. */
  readonly retainData: boolean;
  /** Object versioning on the data bucket. */
  readonly versioned: boolean;
  readonly scoreRetry: RetryConfig;
  readonly severity: SeverityConfig;
  /** Absent in cdk.json: `{ allClear: 'quiet' }`. */
  readonly alerts: AlertsConfig;
  readonly alarms: AlarmConfig;
  /** When the day's file is expected; absent: no arrival check (a stage that gets files only on demand). */
  readonly dailyFile?: DailyFileConfig;
  /**
   * How the stage's files are read: a schema file (JSON or YAML, path relative to the project),
   * passed to ingest as JSON in TRADE_SCHEMA. Absent: the default schema. Ingest checks it in full
   * when it starts (the schema's validator is runtime code, which lib/ does not import).
   */
  readonly schemaFile?: string;
  /**
   * The stage's anomaly threshold (a score in (0, 1)), overriding the one each model carries;
   * absent: the model's. Ingest pins it in each run's manifest.
   */
  readonly anomalyThreshold?: number;
  /**
   * The PSI at or above which a model feature's drift from the training data is warned about in the
   * run's summary and alert (a PSI in (0, 10]; default DEFAULT_DRIFT_THRESHOLD). Passed to aggregate
   * as DRIFT_THRESHOLD. Drift never changes a run's severity.
   */
  readonly driftThreshold: number;
  /**
   * The kind of model the stage's train function fits (cdk.json `algorithm`, one of MODEL_ALGORITHMS;
   * default isolation-forest). Passed to it as MODEL_ALGORITHM. Scoring reads the kind from each model.
   */
  readonly algorithm: ModelAlgorithm;
  /** The schema file's document as compact JSON, read at synth. */
  readonly schemaJson?: string;
}

/**
 * The conventional "significant" PSI, as src/steps/run-drift.ts has it (lib/ does not import runtime
 * code; a test checks that the two agree).
 */
export const DEFAULT_DRIFT_THRESHOLD = 0.25;
/** A PSI above this would never warn on any realistic day. */
export const MAX_DRIFT_THRESHOLD = 10;

/**
 * The model kinds a stage can train, as src/model/model-kind.ts has them (lib/ does not import runtime
 * code; a test checks that the two agree). docs/model.md compares them.
 */
export const MODEL_ALGORITHMS = ['isolation-forest', 'ocsvm', 'autoencoder', 'pca', 'ensemble'] as const;
export type ModelAlgorithm = (typeof MODEL_ALGORITHMS)[number];
export const DEFAULT_MODEL_ALGORITHM: ModelAlgorithm = 'isolation-forest';

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
 * - chunkRows: one score invocation per chunk. Up to 40 chunks are scored by the inline Map (the chunk
 *   list and per-chunk summaries in the execution's 256 KiB state), more by the Distributed Map (the
 *   list read from S3, each chunk a child execution, nothing per chunk in the parent's state or
 *   history). 10,000 rows keeps the busiest desk (10M rows) at 1,000 chunks, each invocation's start
 *   and model load a small share of its work; above 1,000,000 a chunk no longer fits a score
 *   function's memory comfortably. See docs/scaling.md.
 * - mapConcurrency: an inline Map runs at most 40 iterations at once, so a larger value has no effect.
 * - distributedMapConcurrency: a Distributed Map allows 10,000 child executions at once, but each is a
 *   score invocation, and an account's Lambda concurrency is 1,000 by default, shared by every function;
 *   more than that would only be throttled (and retried).
 * - memoryMb / timeoutSeconds: Lambda's own limits.
 * - backoffRate: Step Functions requires >= 1.
 */
const LIMITS = {
  chunkRows: { min: 10_000, max: 1_000_000 },
  mapConcurrency: { min: 1, max: 40 },
  distributedMapConcurrency: { min: 1, max: 1_000 },
  memoryMb: { min: 128, max: 10_240 },
  timeoutSeconds: { min: 1, max: 900 },
  maxAttempts: { min: 0, max: 10 },
  intervalSeconds: { min: 1, max: 300 },
  backoffRate: { min: 1, max: 10 },
  severityShare: { min: 0.000001, max: 1 },
  periodMinutes: { min: 1, max: 1440 },
  alarmThreshold: { min: 1, max: 10_000 },
  lookbackHours: { min: 1, max: 24 },
} as const;

const RETENTION_VALUES: readonly number[] = Object.values(RetentionDays).filter(
  (v): v is number => typeof v === 'number',
);

const STAGE_NAME = /^[a-z][a-z0-9-]{0,20}$/;
const CLOCK_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
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
    'opsEmails',
    'chunkRows',
    'mapConcurrency',
    'distributedMapConcurrency',
    'functions',
    'logRetentionDays',
    'retainData',
    'versioned',
    'scoreRetry',
    'severity',
    'alerts',
    'alarms',
    'dailyFile',
    'schemaFile',
    'anomalyThreshold',
    'driftThreshold',
    'algorithm',
  ]);

  const alertEmails = c.emails('alertEmails', raw.alertEmails);
  const opsEmails = c.emails('opsEmails', raw.opsEmails);
  const chunkRows = c.integer('chunkRows', raw.chunkRows, LIMITS.chunkRows);
  const mapConcurrency = c.integer('mapConcurrency', raw.mapConcurrency, LIMITS.mapConcurrency);
  const distributedMapConcurrency = c.integer('distributedMapConcurrency', raw.distributedMapConcurrency, LIMITS.distributedMapConcurrency);

  const rawFunctions = c.object('functions', raw.functions);
  const optionalFunctions = Object.keys(OPTIONAL_FUNCTION_SIZING) as Array<keyof typeof OPTIONAL_FUNCTION_SIZING>;
  c.onlyKeys('functions', rawFunctions, [...FUNCTION_NAMES, ...optionalFunctions]);
  const functions = { ...OPTIONAL_FUNCTION_SIZING } as Record<FunctionName, FunctionSizing>;
  for (const name of [...FUNCTION_NAMES, ...optionalFunctions.filter((n) => rawFunctions[n] !== undefined)]) {
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

  const rawSeverity = c.object('severity', raw.severity);
  c.onlyKeys('severity', rawSeverity, ['highScore', 'mediumScore', 'highBadRowShare']);
  const severity: SeverityConfig = {
    highScore: c.number('severity.highScore', rawSeverity.highScore, LIMITS.severityShare),
    mediumScore: c.number('severity.mediumScore', rawSeverity.mediumScore, LIMITS.severityShare),
    highBadRowShare: c.number('severity.highBadRowShare', rawSeverity.highBadRowShare, LIMITS.severityShare),
  };
  if (typeof severity.mediumScore === 'number' && typeof severity.highScore === 'number' && severity.mediumScore > severity.highScore) {
    problems.push(`severity.mediumScore (${severity.mediumScore}) must not be above severity.highScore (${severity.highScore})`);
  }

  let alerts: AlertsConfig = { allClear: 'quiet' };
  if (raw.alerts !== undefined) {
    const rawAlerts = c.object('alerts', raw.alerts);
    c.onlyKeys('alerts', rawAlerts, ['allClear']);
    if (rawAlerts.allClear !== undefined) {
      if (typeof rawAlerts.allClear === 'string' && (ALL_CLEAR_MODES as readonly string[]).includes(rawAlerts.allClear)) alerts = { allClear: rawAlerts.allClear as AllClearMode };
      else problems.push(`alerts.allClear must be one of ${ALL_CLEAR_MODES.map((m) => JSON.stringify(m)).join(', ')}, got ${describe(rawAlerts.allClear)}`);
    }
  }

  const rawAlarms = c.object('alarms', raw.alarms);
  c.onlyKeys('alarms', rawAlarms, ['enabled', 'periodMinutes', 'lambdaErrors', 'lambdaThrottles', 'failedExecutions', 'deadLetterMessages']);
  const alarms: AlarmConfig = {
    enabled: c.boolean('alarms.enabled', rawAlarms.enabled),
    periodMinutes: c.integer('alarms.periodMinutes', rawAlarms.periodMinutes, LIMITS.periodMinutes),
    lambdaErrors: c.integer('alarms.lambdaErrors', rawAlarms.lambdaErrors, LIMITS.alarmThreshold),
    lambdaThrottles: c.integer('alarms.lambdaThrottles', rawAlarms.lambdaThrottles, LIMITS.alarmThreshold),
    failedExecutions: c.integer('alarms.failedExecutions', rawAlarms.failedExecutions, LIMITS.alarmThreshold),
    deadLetterMessages: c.integer('alarms.deadLetterMessages', rawAlarms.deadLetterMessages, LIMITS.alarmThreshold),
  };
  if (alarms.enabled && Array.isArray(raw.opsEmails) && raw.opsEmails.length === 0) {
    problems.push('opsEmails must name at least one address when alarms.enabled is true (nobody would hear the alarms)');
  }

  let dailyFile: DailyFileConfig | undefined;
  if (raw.dailyFile !== undefined) {
    const rawDaily = c.object('dailyFile', raw.dailyFile);
    c.onlyKeys('dailyFile', rawDaily, ['expectedBy', 'timeZone', 'days', 'lookbackHours']);
    dailyFile = {
      expectedBy: c.clockTime('dailyFile.expectedBy', rawDaily.expectedBy),
      timeZone: c.timeZone('dailyFile.timeZone', rawDaily.timeZone),
      days: c.weekDays('dailyFile.days', rawDaily.days),
      lookbackHours: c.integer('dailyFile.lookbackHours', rawDaily.lookbackHours, LIMITS.lookbackHours),
    };
  }

  const anomalyThreshold = raw.anomalyThreshold === undefined ? undefined : c.number('anomalyThreshold', raw.anomalyThreshold, { min: 0.01, max: 0.99 });
  let driftThreshold = DEFAULT_DRIFT_THRESHOLD;
  if (raw.driftThreshold !== undefined) {
    const value = raw.driftThreshold;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_DRIFT_THRESHOLD) {
      problems.push(`driftThreshold must be a PSI greater than 0 and at most ${MAX_DRIFT_THRESHOLD} (${DEFAULT_DRIFT_THRESHOLD} is the conventional "significant" drift), got ${describe(value)}`);
    } else driftThreshold = value;
  }

  let algorithm = DEFAULT_MODEL_ALGORITHM;
  if (raw.algorithm !== undefined) {
    const value = raw.algorithm;
    if (typeof value !== 'string' || !(MODEL_ALGORITHMS as readonly string[]).includes(value)) {
      problems.push(`algorithm must be one of ${MODEL_ALGORITHMS.join(', ')} (the model kind the train function fits), got ${describe(value)}`);
    } else algorithm = value as ModelAlgorithm;
  }

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

  // What prod must have, in one place: production data must survive a mistaken `cdk destroy` or a
  // replaced bucket, an overwritten object must be recoverable, someone must hear the alarms, and a
  // missing daily file must be noticed. These are not a matter of taste for prod.
  if (stage === PROD_STAGE) {
    if (raw.retainData === false) problems.push('retainData must be true for prod');
    if (raw.versioned === false) problems.push('versioned must be true for prod');
    if (isRecord(raw.alarms) && raw.alarms.enabled === false) problems.push('alarms.enabled must be true for prod');
    if (raw.dailyFile === undefined) problems.push('dailyFile must be set for prod (when the day\'s file is expected)');
  }

  if (problems.length > 0) throw invalid(stage, problems);
  return {
    stage,
    alertEmails,
    opsEmails,
    chunkRows,
    mapConcurrency,
    distributedMapConcurrency,
    functions,
    logRetentionDays,
    retainData,
    versioned,
    scoreRetry,
    severity,
    alerts,
    alarms,
    ...(dailyFile ? { dailyFile } : {}),
    ...(schemaFile ? { schemaFile, schemaJson } : {}),
    ...(anomalyThreshold !== undefined ? { anomalyThreshold } : {}),
    driftThreshold,
    algorithm,
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

  clockTime(path: string, value: unknown): string {
    if (value === undefined) this.problems.push(`${path} is missing`);
    else if (typeof value !== 'string' || !CLOCK_TIME.test(value)) this.problems.push(`${path} must be a time HH:MM (24 h), got ${describe(value)}`);
    return value as string;
  }

  timeZone(path: string, value: unknown): string {
    if (value === undefined) this.problems.push(`${path} is missing`);
    else if (typeof value !== 'string' || !isTimeZone(value)) {
      this.problems.push(`${path} must be an IANA time zone such as "Europe/London" or "UTC", got ${describe(value)}`);
    }
    return value as string;
  }

  weekDays(path: string, value: unknown): WeekDay[] {
    if (value === undefined) {
      this.problems.push(`${path} is missing`);
      return [];
    }
    if (!Array.isArray(value) || value.length === 0) {
      this.problems.push(`${path} must be a non-empty list of ${WEEK_DAYS.join(', ')}, got ${describe(value)}`);
      return [];
    }
    value.forEach((day: unknown, i) => {
      if (typeof day !== 'string' || !(WEEK_DAYS as readonly string[]).includes(day)) {
        this.problems.push(`${path}[${i}] ${describe(day)} is not one of ${WEEK_DAYS.join(', ')}`);
      }
    });
    if (new Set(value).size !== value.length) this.problems.push(`${path} lists a day twice`);
    return value as WeekDay[];
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

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
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
