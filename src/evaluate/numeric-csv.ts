import { createReadStream } from 'node:fs';
import { readCsvBatches, type CsvRecord } from '../parse/csv-reader.js';
import type { FeatureMatrix } from '../model/isolation-forest.js';

/**
 * A generic labelled numeric table (a benchmark such as ADBench's CSVs: feature columns and one label
 * column) read into a feature matrix for model selection. Nothing is skipped or guessed: every bad
 * value stops the read with the file, line and column.
 */
export interface NumericTable {
  /** Feature column names, in matrix column order. */
  names: string[];
  matrix: FeatureMatrix;
  /** Per row: null = normal, otherwise the anomaly type ('anomaly' when the label is only 1/true). */
  labels: (string | null)[];
}

export interface NumericCsvOptions {
  /** Label column; by default the first of `label`, `is_anomaly`, `anomaly`, `y` (any case) in the header. */
  labelColumn?: string;
  /** Feature columns, in this order; by default every column but the label. */
  featureColumns?: string[];
  /** Name shown in errors for a stream input (a path input is named by its path). */
  file?: string;
}

export class NumericCsvError extends Error {
  override readonly name = 'NumericCsvError';
}

export const DEFAULT_LABEL_COLUMNS = ['label', 'is_anomaly', 'anomaly', 'y'] as const;

const NORMAL_LABELS = new Set(['', '0', 'false', 'normal']);
const ANOMALY_LABELS = new Set(['1', 'true', 'anomaly']);

/**
 * A label value as the table holds it: 0/false/normal/empty = normal (null); 1/true/anomaly =
 * 'anomaly'; any other text is the anomaly's type. Numeric spellings of 0 and 1 ("0.0", "1.0", as
 * some exports write them) count as 0 and 1.
 */
export function parseLabel(text: string): string | null {
  const t = text.trim();
  const lower = t.toLowerCase();
  if (NORMAL_LABELS.has(lower)) return null;
  if (ANOMALY_LABELS.has(lower)) return 'anomaly';
  const n = Number(t);
  if (n === 0) return null;
  if (n === 1) return 'anomaly';
  return t;
}

/**
 * Reads a numeric CSV with a header from a path or a byte stream, with the project's streaming CSV
 * reader (delimiter detected from the header line). Throws NumericCsvError for a missing or unreadable
 * file, a bad header or any bad row.
 */
export async function readNumericCsv(input: string | AsyncIterable<Uint8Array>, options: NumericCsvOptions = {}): Promise<NumericTable> {
  const file = typeof input === 'string' ? input : (options.file ?? '<stream>');
  const source = typeof input === 'string' ? createReadStream(input) : input;
  const builder = new NumericTableBuilder(file, options);
  try {
    for await (const batch of readCsvBatches(source)) for (const record of batch) builder.add(record);
  } catch (e: unknown) {
    if (e instanceof NumericCsvError) throw e;
    throw new NumericCsvError(`${file}: cannot read: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return builder.finish();
}

/**
 * The same as readNumericCsv over records already split (the header first), for callers that must stay
 * synchronous. `file` names the source in errors.
 */
export function numericTableFromRecords(records: Iterable<CsvRecord>, file: string, options: NumericCsvOptions = {}): NumericTable {
  const builder = new NumericTableBuilder(file, options);
  for (const record of records) builder.add(record);
  return builder.finish();
}

/** Where each wanted column is in a record, decided from the header. */
interface Layout {
  headerFields: number;
  names: string[];
  featureIndex: number[];
  labelIndex: number;
}

class NumericTableBuilder {
  private layout: Layout | undefined;
  private values = new Float64Array(1024);
  private rows = 0;
  private readonly labels: (string | null)[] = [];
  /**
   * One string per anomaly type: a field is a slice of its source chunk and keeps the chunk alive, so
   * keeping every row's own type string would hold on to the whole file's text.
   */
  private readonly types = new Map<string, string>();

  constructor(
    private readonly file: string,
    private readonly options: NumericCsvOptions,
  ) {}

  add(record: CsvRecord): void {
    if (this.layout === undefined) {
      this.layout = this.readHeader(record);
      return;
    }
    const { headerFields, names, featureIndex, labelIndex } = this.layout;
    const where = `${this.file}: line ${record.line}`;
    if (record.issue !== undefined) throw new NumericCsvError(`${where}: malformed CSV record (${record.issue})`);
    if (record.fields.length !== headerFields) {
      throw new NumericCsvError(`${where}: ${record.fields.length} fields, the header has ${headerFields}`);
    }
    const cols = featureIndex.length;
    if ((this.rows + 1) * cols > this.values.length) this.grow();
    const offset = this.rows * cols;
    for (let c = 0; c < cols; c++) {
      const text = record.fields[featureIndex[c]];
      const trimmed = text.trim();
      const v = Number(trimmed);
      if (trimmed === '' || !Number.isFinite(v)) {
        throw new NumericCsvError(`${where}, column ${names[c]}: '${text}' is not a ${trimmed === '' || Number.isNaN(v) ? '' : 'finite '}number`);
      }
      this.values[offset + c] = v;
    }
    this.labels.push(this.intern(parseLabel(record.fields[labelIndex])));
    this.rows++;
  }

  finish(): NumericTable {
    if (this.layout === undefined) throw new NumericCsvError(`${this.file}: empty file, expected a header line`);
    if (this.rows === 0) throw new NumericCsvError(`${this.file}: no data rows after the header`);
    const cols = this.layout.names.length;
    return {
      names: [...this.layout.names],
      matrix: { values: this.values.slice(0, this.rows * cols), rows: this.rows, cols },
      labels: this.labels,
    };
  }

  private intern(label: string | null): string | null {
    if (label === null) return null;
    let kept = this.types.get(label);
    if (kept === undefined) this.types.set(label, (kept = label));
    return kept;
  }

  private grow(): void {
    const next = new Float64Array(this.values.length * 2);
    next.set(this.values);
    this.values = next;
  }

  private readHeader(record: CsvRecord): Layout {
    const where = `${this.file}: line ${record.line} (header)`;
    if (record.issue !== undefined) throw new NumericCsvError(`${where}: malformed CSV record (${record.issue})`);
    const header = record.fields.map((f) => f.trim());
    const found = `columns found: ${header.join(', ')}`;
    const duplicate = header.find((name, i) => header.indexOf(name) !== i);
    if (duplicate !== undefined) throw new NumericCsvError(`${where}: column '${duplicate}' appears twice (${found})`);

    const { labelColumn, featureColumns } = this.options;
    let labelIndex: number;
    if (labelColumn !== undefined) {
      labelIndex = header.indexOf(labelColumn);
      if (labelIndex < 0) throw new NumericCsvError(`${where}: no label column '${labelColumn}' (${found})`);
    } else {
      const lower = header.map((h) => h.toLowerCase());
      const candidate = DEFAULT_LABEL_COLUMNS.find((name) => lower.includes(name));
      if (candidate === undefined) {
        throw new NumericCsvError(`${where}: no label column (looked for ${DEFAULT_LABEL_COLUMNS.join(', ')}, any case; ${found}); name it with labelColumn`);
      }
      labelIndex = lower.indexOf(candidate);
    }

    let featureIndex: number[];
    if (featureColumns !== undefined) {
      if (featureColumns.length === 0) throw new NumericCsvError(`${where}: featureColumns is empty`);
      featureIndex = featureColumns.map((name) => {
        const i = header.indexOf(name);
        if (i < 0) throw new NumericCsvError(`${where}: no feature column '${name}' (${found})`);
        if (i === labelIndex) throw new NumericCsvError(`${where}: '${name}' is the label column, it cannot also be a feature`);
        return i;
      });
      const twice = featureColumns.find((name, i) => featureColumns.indexOf(name) !== i);
      if (twice !== undefined) throw new NumericCsvError(`${where}: feature column '${twice}' is listed twice`);
    } else {
      featureIndex = header.map((_, i) => i).filter((i) => i !== labelIndex);
      if (featureIndex.length === 0) throw new NumericCsvError(`${where}: no feature columns besides the label (${found})`);
    }
    return { headerFields: header.length, names: featureIndex.map((i) => header[i]), featureIndex, labelIndex };
  }
}
