import { DEFAULT_MODEL_FEATURES } from '../../src/model/anomaly-model.js';
import type { FeatureMatrix } from '../../src/model/isolation-forest.js';
import { rng } from './seeded-rng.js';

/**
 * Rows of the default model's five trade features for the model-kind tests: robust z-like values,
 * standard normal, except that notional_deviation follows quantity_deviation (notional = price x
 * quantity), so a detector that learns combinations can tell a row that breaks the pairing.
 */
export const KIND_FEATURES = DEFAULT_MODEL_FEATURES;
const QTY = KIND_FEATURES.indexOf('quantity_deviation');
const NOTIONAL = KIND_FEATURES.indexOf('notional_deviation');

export function correlatedRows(rows: number, seed: number): FeatureMatrix {
  const random = rng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const cols = KIND_FEATURES.length;
  const values = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) values[r * cols + c] = gauss();
    values[r * cols + NOTIONAL] = values[r * cols + QTY] + 0.2 * gauss();
  }
  return { values, rows, cols };
}

/** One row of the five features: all 0 but the ones given by name. */
export function rowOf(values: Partial<Record<string, number>>): number[] {
  return KIND_FEATURES.map((f) => values[f] ?? 0);
}

export function matrixOfRows(rows: number[][]): FeatureMatrix {
  return { values: Float64Array.from(rows.flat()), rows: rows.length, cols: rows[0].length };
}

/** A fresh copy (scoring and training consume their input). */
export function copyOf(m: FeatureMatrix): FeatureMatrix {
  return { values: Float64Array.from(m.values), rows: m.rows, cols: m.cols };
}

/**
 * A row breaking the quantity-notional pairing (quantity 2.5 sigma up, notional 2.5 down: neither is
 * extreme alone) and an ordinary one.
 */
export const BROKEN_PAIR = rowOf({ quantity_deviation: 2.5, notional_deviation: -2.5 });
export const ORDINARY = rowOf({ quantity_deviation: 0.5, notional_deviation: 0.5 });
