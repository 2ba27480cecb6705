import { DEFAULT_CONTAMINATION, DEFAULT_MODEL_FEATURES, DEFAULT_THRESHOLD_Z } from '../model/anomaly-model.js';
import { DEFAULT_FOREST_PARAMS } from '../model/isolation-forest.js';
import { FEATURE_NAMES } from '../features/trade-features.js';
import { crossValidate, type MetricSet } from './cross-validate.js';
import type { LabelledTrades } from './labelled-trades.js';
import { anomalyModelDetector, onTrades, tradeMatrix } from './trade-detectors.js';

/**
 * `tune`: chooses the model's features, forest size and threshold by cross-validation on a labelled
 * trade file. The search is staged, each stage starting from the previous stage's best:
 *   1. features: the default set, each other trade feature added to it, each of its features removed;
 *   2. forest: trees x subsample size;
 *   3. threshold: contamination x thresholdZ.
 * Stages 1 and 2 maximise the cross-validated PR-AUC (average precision) of the model joined with the
 * rules (the score the pipeline ranks alerts by); PR-AUC does not depend on the threshold, so stage 3
 * maximises F1 at the trained threshold. A candidate replaces the incumbent only when it is better by
 * more than MIN_GAIN, so noise between folds does not pick a larger model.
 */
export interface TuneConfig {
  features: string[];
  trees: number;
  sampleSize: number;
  contamination: number;
  thresholdZ: number;
}

export interface TrialResult {
  stage: 'features' | 'forest' | 'threshold';
  config: TuneConfig;
  mean: MetricSet;
  sd: MetricSet;
}

export interface TuneResult {
  objective: string;
  folds: number;
  seed: number;
  chosen: TuneConfig;
  best: TrialResult;
  /** The default configuration's figures, for comparison. */
  baseline: TrialResult;
  trials: TrialResult[];
}

export interface TuneOptions {
  folds?: number;
  seed?: number;
  trees?: readonly number[];
  sampleSizes?: readonly number[];
  contaminations?: readonly number[];
  thresholdZs?: readonly number[];
  /** Called after each trial (progress). */
  onTrial?: (trial: TrialResult, done: number, total: number) => void;
}

const MIN_GAIN = 0.002;

export const DEFAULT_TUNE_GRID = {
  trees: [50, 100, 200],
  sampleSizes: [128, 256, 512],
  contaminations: [0.00005, DEFAULT_CONTAMINATION, 0.0005, 0.001],
  thresholdZs: [4, DEFAULT_THRESHOLD_Z, 5, 6],
} as const;

export function defaultTuneConfig(): TuneConfig {
  return {
    features: [...DEFAULT_MODEL_FEATURES],
    trees: DEFAULT_FOREST_PARAMS.trees,
    sampleSize: DEFAULT_FOREST_PARAMS.sampleSize,
    contamination: DEFAULT_CONTAMINATION,
    thresholdZ: DEFAULT_THRESHOLD_Z,
  };
}

/** Feature sets of stage 1, from a starting set. */
export function featureCandidates(start: readonly string[]): string[][] {
  const sets: string[][] = [[...start]];
  for (const f of FEATURE_NAMES) if (!start.includes(f)) sets.push(FEATURE_NAMES.filter((x) => start.includes(x) || x === f));
  if (start.length > 1) for (const f of start) sets.push(start.filter((x) => x !== f));
  return sets;
}

export async function tuneModel(data: LabelledTrades, options: TuneOptions = {}): Promise<TuneResult> {
  const folds = options.folds ?? 3;
  const seed = options.seed ?? 1;
  const grid = {
    trees: options.trees ?? DEFAULT_TUNE_GRID.trees,
    sampleSizes: options.sampleSizes ?? DEFAULT_TUNE_GRID.sampleSizes,
    contaminations: options.contaminations ?? DEFAULT_TUNE_GRID.contaminations,
    thresholdZs: options.thresholdZs ?? DEFAULT_TUNE_GRID.thresholdZs,
  };
  const trials: TrialResult[] = [];
  const start = defaultTuneConfig();
  const featureSets = featureCandidates(start.features);
  const total = featureSets.length + grid.trees.length * grid.sampleSizes.length + grid.contaminations.length * grid.thresholdZs.length;

  const run = async (stage: TrialResult['stage'], config: TuneConfig): Promise<TrialResult> => {
    const detector = onTrades(
      anomalyModelDetector({
        forest: { trees: config.trees, sampleSize: config.sampleSize, seed },
        contamination: config.contamination,
        thresholdZ: config.thresholdZ,
      }),
      { withRules: true },
    );
    const cv = await crossValidate(tradeMatrix(data, config.features), [detector], { folds, seed });
    const trial: TrialResult = { stage, config, mean: cv.detectors[0].mean, sd: cv.detectors[0].sd };
    trials.push(trial);
    options.onTrial?.(trial, trials.length, total);
    return trial;
  };
  const better = (a: TrialResult, b: TrialResult, key: keyof MetricSet): boolean => a.mean[key] > b.mean[key] + MIN_GAIN;

  let best = await run('features', start);
  const baseline = best;
  for (const features of featureSets.slice(1)) {
    const t = await run('features', { ...best.config, features });
    if (better(t, best, 'averagePrecision')) best = t;
  }
  const afterFeatures = best.config;
  for (const trees of grid.trees) {
    for (const sampleSize of grid.sampleSizes) {
      if (trees === afterFeatures.trees && sampleSize === afterFeatures.sampleSize) continue;
      const t = await run('forest', { ...afterFeatures, trees, sampleSize });
      if (better(t, best, 'averagePrecision')) best = t;
    }
  }
  const afterForest = best.config;
  for (const contamination of grid.contaminations) {
    for (const thresholdZ of grid.thresholdZs) {
      if (contamination === afterForest.contamination && thresholdZ === afterForest.thresholdZ) continue;
      const t = await run('threshold', { ...afterForest, contamination, thresholdZ });
      if (better(t, best, 'f1')) best = t;
    }
  }
  return { objective: 'cross-validated PR-AUC of model+rules (features, forest), then F1 (threshold)', folds, seed, chosen: best.config, best, baseline, trials };
}
