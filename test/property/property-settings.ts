import type { Parameters } from 'fast-check';

/**
 * Settings for the property tests: a fixed seed, so a run is reproducible and a failure replays
 * (fast-check prints the seed and path of the counterexample), and a number of runs small enough
 * for the suite to stay fast on 2 cores. FC_SEED picks another seed; FC_RUNS_SCALE multiplies the
 * runs for a deeper search, e.g. `FC_RUNS_SCALE=20 npx vitest run test/property`.
 */
export const PROPERTY_SEED = Number(process.env.FC_SEED ?? 20261201);
const RUNS_SCALE = Number(process.env.FC_RUNS_SCALE ?? 1);

export function propertySettings<T>(numRuns: number): Parameters<T> {
  return { seed: PROPERTY_SEED, numRuns: Math.max(1, Math.round(numRuns * RUNS_SCALE)) };
}
