import { selectColumns, selectRows } from '../features/feature-matrix.js';
import { FEATURE_NAMES } from '../features/trade-features.js';
import { scoreWithModel, trainAnomalyModel, type AnomalyModel, type TrainOptions } from '../model/anomaly-model.js';
import type { FeatureMatrix } from '../model/isolation-forest.js';
import type { ModelKind } from '../model/model-kind.js';
import { trainModelOfKind, type KindTrainOptions } from '../model/train-kind.js';
import type { LabelledData } from './cross-validate.js';
import type { Detector, FittedDetector } from './detectors.js';
import type { LabelledTrades } from './labelled-trades.js';

/**
 * Detectors on trade files, for cross-validation and tuning. A trade matrix carries, after the
 * model's feature columns, two bookkeeping columns: whether a data-quality rule flagged the row and
 * whether the model can score it. Wrapped detectors fit on the clean, scorable training rows (as
 * `train` does), score 0 for rows the model cannot score, and, with rules, rank every rule-flagged
 * row above every model score (1 + score): the pipeline's own decision, where a broken rule flags
 * a row whatever its score.
 */
export const RULE_COLUMN = 'rule_flagged';
export const SCORABLE_COLUMN = 'scorable';

/** The evaluation matrix of a labelled trade file for some features: those columns, then the two bookkeeping columns. */
export function tradeMatrix(data: LabelledTrades, features: readonly string[]): LabelledData {
  const chosen = selectColumns(data.features, FEATURE_NAMES, features);
  const cols = features.length + 2;
  const values = new Float64Array(data.rows * cols);
  for (let r = 0; r < data.rows; r++) {
    values.set(chosen.values.subarray(r * features.length, (r + 1) * features.length), r * cols);
    values[r * cols + features.length] = data.ruleFlagged[r];
    values[r * cols + features.length + 1] = data.scorable[r];
  }
  return { matrix: { values, rows: data.rows, cols }, labels: data.labels, names: [...features, RULE_COLUMN, SCORABLE_COLUMN] };
}

function splitBookkeeping(data: FeatureMatrix): { features: FeatureMatrix; rule: Uint8Array; scorable: Uint8Array } {
  const k = data.cols - 2;
  const features = new Float64Array(data.rows * k);
  const rule = new Uint8Array(data.rows);
  const scorable = new Uint8Array(data.rows);
  for (let r = 0; r < data.rows; r++) {
    features.set(data.values.subarray(r * data.cols, r * data.cols + k), r * k);
    rule[r] = data.values[r * data.cols + k];
    scorable[r] = data.values[r * data.cols + k + 1];
  }
  return { features: { values: features, rows: data.rows, cols: k }, rule, scorable };
}

/** A detector on the trade matrix: `base` on the feature columns, optionally joined with the rules. */
export function onTrades(base: Detector, options: { withRules: boolean }): Detector {
  return {
    name: options.withRules ? `${base.name}+rules` : base.name,
    description: options.withRules ? `${base.description}, and every row breaking a data-quality rule flagged` : base.description,
    async fit(train: FeatureMatrix, names: string[]): Promise<FittedDetector> {
      const parts = splitBookkeeping(train);
      const clean: number[] = [];
      for (let r = 0; r < train.rows; r++) if (parts.scorable[r] && !parts.rule[r]) clean.push(r);
      const fitted = await base.fit(selectRows(parts.features, clean), names.slice(0, -2));
      return {
        threshold: fitted.threshold,
        score(data: FeatureMatrix): Float64Array {
          const test = splitBookkeeping(data);
          const rows: number[] = [];
          for (let r = 0; r < data.rows; r++) if (test.scorable[r]) rows.push(r);
          const scored = fitted.score(selectRows(test.features, rows));
          const out = new Float64Array(data.rows);
          rows.forEach((r, k) => (out[r] = scored[k]));
          if (options.withRules) for (let r = 0; r < data.rows; r++) if (test.rule[r]) out[r] += 1;
          return out;
        },
      };
    },
  };
}

/** The production model (forest + extremeness + threshold) as a detector on any named columns. */
export function anomalyModelDetector(options: TrainOptions = {}, name = 'model'): Detector {
  return {
    name,
    description: 'production model: isolation forest on compressed robust features + extremeness score, with its trained threshold',
    fit(train: FeatureMatrix, names: string[]): FittedDetector {
      const model: AnomalyModel = trainAnomalyModel({ ...train, values: Float64Array.from(train.values) }, { ...options, features: names });
      return {
        threshold: model.threshold,
        score: (data: FeatureMatrix) => scoreWithModel(model, { ...data, values: Float64Array.from(data.values) }).scores,
      };
    },
  };
}

/**
 * A model of any kind (model-kind.ts) as a detector on any named columns: with `part: 'model'`, the
 * whole model (the kind's learned part + extremeness, with its trained threshold), named
 * `model:<kind>`; with `part: 'learned'`, the learned part alone on the model's normalised columns
 * (what the kind itself ranks, as `isolation-forest` is the forest alone), named `<kind>`.
 */
export function modelKindDetector(kind: ModelKind, options: TrainOptions & KindTrainOptions, part: 'model' | 'learned'): Detector {
  const whole = part === 'model';
  return {
    name: whole ? `model:${kind}` : kind,
    description: whole
      ? `production model of kind ${kind}: its learned part + extremeness score, with its trained threshold`
      : `${kind} alone on the compressed, normalised columns (calibrated to [0, 1], threshold as the model's)`,
    async fit(train: FeatureMatrix, names: string[]): Promise<FittedDetector> {
      const model = await trainModelOfKind({ ...train, values: Float64Array.from(train.values) }, { ...options, algorithm: kind, features: names });
      return {
        threshold: model.threshold,
        score(data: FeatureMatrix): Float64Array {
          const scored = scoreWithModel(model, { ...data, values: Float64Array.from(data.values) });
          return whole ? scored.scores : scored.forestScores;
        },
      };
    },
  };
}
