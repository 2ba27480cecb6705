/**
 * Reading the functions' configuration from the environment: once, when a module loads, failing fast
 * with the variable's name. Pure functions of an environment object, so they are tested without
 * loading a handler.
 */
import { ALL_CLEAR_MODES, isAllClearMode, type AllClearMode } from '../src/alerts/all-clear.js';
import { severityLevelsProblem, type SeverityLevels } from '../src/alerts/severity.js';
import { DEFAULT_MODEL_KIND, isModelKind, MODEL_KINDS, type ModelKind } from '../src/model/model-kind.js';

type Environment = Readonly<Record<string, string | undefined>>;

export class MissingEnvironmentError extends Error {
  override readonly name = 'MissingEnvironmentError';
}

export class InvalidEnvironmentError extends Error {
  override readonly name = 'InvalidEnvironmentError';
}

export function requireEnv(name: string, env: Environment = process.env): string {
  const value = env[name];
  if (!value) throw new MissingEnvironmentError(`environment variable ${name} is not set`);
  return value;
}

/** A whole number >= min, from a variable that must be set. */
export function integerEnv(name: string, min: number, env: Environment = process.env): number {
  const text = requireEnv(name, env);
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new InvalidEnvironmentError(`${name} must be a whole number >= ${min}, got ${JSON.stringify(text)}`);
  return value;
}

/** A share in (0, 1]; `fallback` when the variable is unset. */
function shareEnv(name: string, fallback: number, env: Environment): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!(value > 0 && value <= 1)) throw new InvalidEnvironmentError(`${name} must be a number in (0, 1], got ${JSON.stringify(text)}`);
  return value;
}

/**
 * The stage's severity levels (set by the stack from cdk.json `severity`); each unset one keeps its
 * default, except that an unset medium level never sits above a high level the stage lowered.
 */
export function severityFromEnv(defaults: SeverityLevels, env: Environment = process.env): SeverityLevels {
  const highScore = shareEnv('SEVERITY_HIGH_SCORE', defaults.highScore, env);
  const levels = {
    highScore,
    mediumScore: shareEnv('SEVERITY_MEDIUM_SCORE', Math.min(defaults.mediumScore, highScore), env),
    highBadRowShare: shareEnv('SEVERITY_HIGH_BAD_ROW_SHARE', defaults.highBadRowShare, env),
  };
  const problem = severityLevelsProblem(levels);
  if (problem) throw new InvalidEnvironmentError(`SEVERITY_MEDIUM_SCORE and SEVERITY_HIGH_SCORE: ${problem}`);
  return levels;
}

/** What a clean day publishes (cdk.json alerts.allClear, ALERT_ALL_CLEAR); `fallback` when unset. */
export function allClearFromEnv(fallback: AllClearMode, env: Environment = process.env): AllClearMode {
  const text = env.ALERT_ALL_CLEAR;
  if (text === undefined || text === '') return fallback;
  if (!isAllClearMode(text)) throw new InvalidEnvironmentError(`ALERT_ALL_CLEAR must be one of ${ALL_CLEAR_MODES.join(', ')}, got ${JSON.stringify(text)}`);
  return text;
}

/** The stage's anomaly threshold (cdk.json anomalyThreshold), overriding the model's; undefined when unset. */
export function thresholdFromEnv(env: Environment = process.env): number | undefined {
  if (env.ANOMALY_THRESHOLD === undefined || env.ANOMALY_THRESHOLD === '') return undefined;
  return shareEnv('ANOMALY_THRESHOLD', Number.NaN, env);
}

/** Drift thresholds are PSI values; above 10 no realistic day would ever warn. */
export const MAX_DRIFT_THRESHOLD = 10;

/** The stage's drift threshold (cdk.json driftThreshold, a PSI in (0, 10]); `fallback` when unset. */
export function driftThresholdFromEnv(fallback: number, env: Environment = process.env): number {
  const text = env.DRIFT_THRESHOLD;
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!(value > 0 && value <= MAX_DRIFT_THRESHOLD)) {
    throw new InvalidEnvironmentError(`DRIFT_THRESHOLD must be a PSI in (0, ${MAX_DRIFT_THRESHOLD}], got ${JSON.stringify(text)}`);
  }
  return value;
}

/** The model kind the train function fits (cdk.json algorithm, MODEL_ALGORITHM); the forest when unset. */
export function algorithmFromEnv(env: Environment = process.env): ModelKind {
  const text = env.MODEL_ALGORITHM;
  if (text === undefined || text === '') return DEFAULT_MODEL_KIND;
  if (!isModelKind(text)) throw new InvalidEnvironmentError(`MODEL_ALGORITHM must be one of ${MODEL_KINDS.join(', ')}, got ${JSON.stringify(text)}`);
  return text;
}
