import type { FeatureMatrix } from '../model/isolation-forest.js';

/**
 * Column selection on row-major feature matrices: the pipeline computes every trade feature, and a
 * model reads the subset it was trained on, in its own order.
 */

/** Indices of `wanted` among `names`; throws naming the first one missing. */
export function columnIndices(names: readonly string[], wanted: readonly string[]): number[] {
  return wanted.map((w) => {
    const i = names.indexOf(w);
    if (i < 0) throw new RangeError(`feature ${w} is not among ${names.join(', ')}`);
    return i;
  });
}

/** A new matrix holding the `wanted` columns of `data` (whose columns are `names`), in that order. */
export function selectColumns(data: FeatureMatrix, names: readonly string[], wanted: readonly string[]): FeatureMatrix {
  const index = columnIndices(names, wanted);
  const cols = index.length;
  const values = new Float64Array(data.rows * cols);
  for (let r = 0; r < data.rows; r++) {
    const from = r * data.cols;
    const to = r * cols;
    for (let c = 0; c < cols; c++) values[to + c] = data.values[from + index[c]];
  }
  return { values, rows: data.rows, cols };
}

/** A new matrix holding the given rows of `data`, in that order. */
export function selectRows(data: FeatureMatrix, rows: ArrayLike<number>): FeatureMatrix {
  const values = new Float64Array(rows.length * data.cols);
  for (let i = 0; i < rows.length; i++) values.set(data.values.subarray(rows[i] * data.cols, (rows[i] + 1) * data.cols), i * data.cols);
  return { values, rows: rows.length, cols: data.cols };
}
