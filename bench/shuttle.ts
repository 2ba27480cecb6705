/**
 * The ODDS "shuttle" anomaly-detection benchmark (ADBench's 32_shuttle, as CSV): 49,097 rows, 9 numeric
 * features f0..f8 and a `label` column (1 = anomaly, 3,511 rows). It lives outside the repository, in
 * ../shared/data/benchmarks/ (see ../shared/data/README.md for its source and reference figures), and is
 * never copied into the project.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NumericCsvError, numericTableFromRecords } from '../src/evaluate/numeric-csv.js';
import type { FeatureMatrix } from '../src/model/isolation-forest.js';
import type { CsvRecord } from '../src/parse/csv-reader.js';

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

/**
 * Parses the shuttle CSV with the generic numeric-CSV reader's rules (src/evaluate/numeric-csv.ts), and
 * checks the shuttle's own header. Throws NumericCsvError (file, line, column) on a malformed file;
 * check `shuttleMissingReason` first for absence.
 *
 * Synchronous because its callers (the bench's child processes, run-benchmarks) are: the lines are
 * split here, which is exact for this file (plain numbers, no quoting); readNumericCsv is the streaming
 * equivalent, and the tests check that the two agree on the real file.
 */
export function parseShuttleCsv(text: string, path = '<text>'): ShuttleData {
  const table = numericTableFromRecords(lineRecords(text), path, { labelColumn: 'label' });
  const header = [...table.names, 'label'];
  if (header.join(',') !== SHUTTLE_HEADER.join(',')) {
    throw new NumericCsvError(`${path}: expected header "${SHUTTLE_HEADER.join(',')}", got "${header.join(',')}"`);
  }
  return { path, matrix: table.matrix, labels: table.labels.map((label) => label !== null) };
}

/** Comma-split records of the non-blank lines, with their 1-based line numbers. */
function* lineRecords(text: string): Generator<CsvRecord> {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) if (lines[i].trim() !== '') yield { fields: lines[i].split(','), line: i + 1 };
}

/** Loads the shuttle data, or returns null when the file is absent. */
export function loadShuttle(path: string = SHUTTLE_PATH): ShuttleData | null {
  if (shuttleMissingReason(path) !== null) return null;
  return parseShuttleCsv(readFileSync(path, 'utf8'), path);
}
