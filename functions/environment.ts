/**
 * Reading the functions' configuration from the environment: once, when a module loads, failing fast
 * with the variable's name. Pure functions of an environment object, so they are tested without
 * loading a handler.
 */
import type { SeverityLevels } from '../src/steps/aggregate-step.js';

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

/** The stage's severity levels (set by the stack from cdk.json `severity`); each unset one keeps its default. */
export function severityFromEnv(defaults: SeverityLevels, env: Environment = process.env): SeverityLevels {
  return {
    highScore: shareEnv('SEVERITY_HIGH_SCORE', defaults.highScore, env),
    highBadRowShare: shareEnv('SEVERITY_HIGH_BAD_ROW_SHARE', defaults.highBadRowShare, env),
  };
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
