import type { AnomalyModel } from '../model/anomaly-model.js';
import { PSI_SIGNIFICANT, driftLevel, mergeBinCounts, psi, type BinCounts, type DriftLevel } from '../model/drift.js';
import type { ChunkFeatureBins } from '../pipeline/manifest.js';

/**
 * The run's drift report: how far each model feature's distribution on this day is from the
 * training data's (PSI against the model's baseline), and a plain-words warning for each feature at
 * or above the stage's threshold. Drift never changes a run's severity: it says the model may be
 * going stale, not that a trade is wrong.
 */

/** The conventional "significant" PSI; a stage may set its own (cdk.json driftThreshold, run --drift-threshold). */
export const DEFAULT_DRIFT_THRESHOLD = PSI_SIGNIFICANT;

/**
 * Fewer scored rows than this and PSI is reported but not warned on. PSI of a sample of n rows from
 * the training distribution itself is about (bins - 1) / n (a chi-square over n): 0.09 for 100 rows in
 * 10 bins, 0.018 for 500; and with very few rows whole bins stay empty, each adding up to ~0.7 through
 * the share floor. From 500 rows a warning at 0.25 means the day really differs.
 */
export const MIN_DRIFT_ROWS = 500;

/**
 * Features whose PSI is reported but never warned on. time_rarity is relative to the day's own
 * activity by construction and takes one value per quarter-hour, so its deciles sit on a few
 * repeated values and ordinary days of 10,000-20,000 rows measured PSI up to 0.33 against earlier days.
 */
export const UNWARNED_FEATURES: readonly string[] = ['time_rarity'];

export interface FeatureDrift {
  feature: string;
  /** null when it could not be measured (no values of the feature on this day). */
  psi: number | null;
  /** The conventional reading of the PSI (< 0.1 none, < 0.25 moderate, else significant); null with psi. */
  level: DriftLevel | null;
  /** Values of the feature that were not finite numbers (not binned, so not in the PSI). */
  missing: number;
}

export interface RunDrift {
  /** The stage's threshold: a feature at or above it gets a warning. */
  threshold: number;
  /** Rows whose features were counted (the rows the model scored). */
  rows: number;
  /** One per model feature, in the model's order; empty when drift could not be measured at all. */
  features: FeatureDrift[];
  /** One sentence per feature at or above the threshold, for people (the alert). */
  warnings: string[];
  /** Why drift was not measured, or not warned on, when that is so. */
  note?: string;
}

/** A PSI as text: two decimals, or as many more as it takes not to look below the threshold it reached. */
function formatPsi(value: number, threshold: number): string {
  for (let digits = 2; digits < 8; digits++) {
    const text = value.toFixed(digits);
    if (value < threshold || Number(text) >= threshold) return text;
  }
  return String(value);
}

export function driftWarning(feature: string, value: number, threshold: number): string {
  return `${feature} has drifted from the training data (PSI ${formatPsi(value, threshold)} ≥ ${threshold}): retrain or check the feed`;
}

function isBinCounts(value: unknown): value is BinCounts {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<BinCounts>;
  return Array.isArray(v.counts) && v.counts.every((c) => Number.isFinite(c) && c >= 0) && typeof v.missing === 'number';
}

/**
 * Merges the chunks' feature bins and compares each model feature with the model's baseline.
 *
 * Guards, each reported in `note` instead of failing the run (a result must not be lost to a drift
 * report): no scored rows; a chunk summary without bins (a score function older than drift, seen on
 * a redrive across a deployment) or binned for another model; fewer than MIN_DRIFT_ROWS rows (PSI
 * shown, no warnings); a feature with no finite values (psi null).
 */
export function runDrift(chunks: readonly Partial<ChunkFeatureBins>[], model: Pick<AnomalyModel, 'features' | 'baseline'>, threshold: number): RunDrift {
  const rows = chunks.reduce((n, c) => n + (c.scored ?? 0), 0);
  const empty = (note: string): RunDrift => ({ threshold, rows, features: [], warnings: [], note });
  if (rows === 0) return empty('No rows were scored by the model, so drift from the training data could not be measured.');
  const nFeatures = model.features.length;
  const usable = chunks.every(
    (c) => Array.isArray(c.featureBins) && c.featureBins.length === nFeatures && c.featureBins.every((b, f) => isBinCounts(b) && b.counts.length === model.baseline.shares[f]?.length),
  );
  if (!usable) {
    return empty("Drift was not measured: some chunks were scored without feature counts for this model's baseline (a chunk scored by an older version).");
  }

  const features: FeatureDrift[] = model.features.map((feature, f) => {
    const merged = mergeBinCounts(chunks.map((c) => c.featureBins![f]));
    const binned = merged.counts.reduce((a, b) => a + b, 0);
    if (binned === 0) return { feature, psi: null, level: null, missing: merged.missing };
    const value = psi(model.baseline.shares[f], merged.counts);
    return { feature, psi: value, level: driftLevel(value), missing: merged.missing };
  });

  const notes: string[] = [];
  const unmeasured = features.filter((f) => f.psi === null).map((f) => f.feature);
  if (unmeasured.length) notes.push(`No values of ${unmeasured.join(', ')} on this day: drift not measured for ${unmeasured.length === 1 ? 'it' : 'them'}.`);
  let warnings: string[] = [];
  if (rows < MIN_DRIFT_ROWS) {
    notes.push(`Only ${rows} rows were scored: too few to judge drift (at least ${MIN_DRIFT_ROWS}), so the PSI values are shown without warnings.`);
  } else {
    warnings = features.flatMap((f) => (f.psi !== null && f.psi >= threshold && !UNWARNED_FEATURES.includes(f.feature) ? [driftWarning(f.feature, f.psi, threshold)] : []));
  }
  return { threshold, rows, features, warnings, ...(notes.length ? { note: notes.join(' ') } : {}) };
}
