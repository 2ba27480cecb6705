/**
 * The ODDS "shuttle" anomaly-detection benchmark (ADBench's 32_shuttle, as CSV): 49,097 rows, 9 numeric
 * features f0..f8 and a `label` column (1 = anomaly, 3,511 rows). It lives outside the repository, in
 * ../shared/data/benchmarks/ (see ../shared/data/README.md for its source and reference figures), and is
 * never copied into the project.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FeatureMatrix } from '../src/model/isolation-forest.js';

/** The project's root (this file is in <root>/bench/). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the shared test data is expected: a sibling of the project's root. */
export const SHARED_DATA_DIR = resolve(PROJECT_ROOT, '../shared/data');

export const SHUTTLE_PATH = resolve(SHARED_DATA_DIR, 'benchmarks/adbench_shuttle.csv');

export const SHUTTLE_HEADER = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'label'] as const;

/**
 * Reference figures for an isolation forest on all rows (100 trees, 256 samples, fit on all rows,
 * scored on all rows, 5 seeds), scikit-learn 1.2.1, from ../shared/data/README.md.
 */
export const SHUTTLE_SKLEARN_REFERENCE = {
  rocAuc: 0.9971,
  rocAucSd: 0.0004,
  averagePrecision: 0.977,
  averagePrecisionSd: 0.003,
} as const;

export interface ShuttleData {
  path: string;
  matrix: FeatureMatrix;
  /** true = anomaly (label 1). */
  labels: boolean[];
}

/** Why the shuttle data is not available, or null when it is. */
export function shuttleMissingReason(path: string = SHUTTLE_PATH): string | null {
  if (existsSync(path)) return null;
  return `shuttle benchmark data not found at ${path} (it is shared test data beside the project, ../shared/data; see its README)`;
}

/** Parses the shuttle CSV. Throws on a malformed file; check `shuttleMissingReason` first for absence. */
export function parseShuttleCsv(text: string, path = '<text>'): ShuttleData {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim();
  if (header !== SHUTTLE_HEADER.join(',')) {
    throw new Error(`${path}: expected header "${SHUTTLE_HEADER.join(',')}", got "${header}"`);
  }
  const cols = SHUTTLE_HEADER.length - 1;
  const dataLines = lines.slice(1).filter((line) => line.trim() !== '');
  const values = new Float64Array(dataLines.length * cols);
  const labels: boolean[] = new Array(dataLines.length);
  for (let r = 0; r < dataLines.length; r++) {
    const fields = dataLines[r].split(',');
    if (fields.length !== cols + 1) {
      throw new Error(`${path}: row ${r + 1} has ${fields.length} fields, expected ${cols + 1}`);
    }
    for (let c = 0; c < cols; c++) {
      const v = Number(fields[c]);
      if (!Number.isFinite(v) || fields[c].trim() === '') {
        throw new Error(`${path}: row ${r + 1}, ${SHUTTLE_HEADER[c]}: not a number: "${fields[c]}"`);
      }
      values[r * cols + c] = v;
    }
    const label = fields[cols].trim();
    if (label !== '0' && label !== '1') throw new Error(`${path}: row ${r + 1}, label: expected 0 or 1, got "${label}"`);
    labels[r] = label === '1';
  }
  return { path, matrix: { values, rows: dataLines.length, cols }, labels };
}

/** Loads the shuttle data, or returns null when the file is absent. */
export function loadShuttle(path: string = SHUTTLE_PATH): ShuttleData | null {
  if (shuttleMissingReason(path) !== null) return null;
  return parseShuttleCsv(readFileSync(path, 'utf8'), path);
}
