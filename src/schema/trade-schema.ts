import type { TradeSchema } from './schema-settings.js';

/**
 * The canonical trade schema: the fields every input file is mapped onto, and how a file's columns
 * are matched against it: by the default names (case-insensitive, surrounding spaces ignored), or
 * by a schema file's column mapping (names, or 1-based positions for files without a header).
 */

/** Fields the model needs: every file must provide them. */
export const CORE_FIELDS = ['timestamp', 'symbol', 'side', 'quantity', 'price'] as const;
/** Required with the default schema; a schema file may say a file has no trade ids. */
export const REQUIRED_FIELDS = ['trade_id', ...CORE_FIELDS] as const;
export const OPTIONAL_FIELDS = ['currency', 'account', 'venue', 'trader', 'notional'] as const;

export type RequiredField = (typeof REQUIRED_FIELDS)[number];
export type OptionalField = (typeof OPTIONAL_FIELDS)[number];
export type CanonicalField = RequiredField | OptionalField;

export const CANONICAL_FIELDS: readonly CanonicalField[] = [...REQUIRED_FIELDS, ...OPTIONAL_FIELDS];

/** Column names the result uses itself: an extra column with one of these names is renamed. */
const RESULT_COLUMNS = new Set<string>([...CANONICAL_FIELDS, 'source_row', 'score', 'is_anomaly', 'reasons', 'quality_issues']);

/** Where each canonical field sits in a file's records. */
export interface ColumnLayout {
  /** The file's header as read, or column_1..column_n for a file without one. */
  header: string[];
  /** Index of each canonical field present in the file. */
  index: Partial<Record<CanonicalField, number>>;
  /** Canonical fields present in the file, in canonical order. */
  present: CanonicalField[];
  /** Columns that map to no canonical field: carried into the result untouched. */
  extra: ExtraColumn[];
}

export interface ExtraColumn {
  /** Position in the record. */
  index: number;
  /** The column's name in the file. */
  source: string;
  /** Its name in the result: the source name, or source_<name> where that is a result column's name. */
  name: string;
}

/** Columns named in an error message: a "header" that is really a JSON export has thousands. */
const SHOWN_COLUMNS = 50;

function shownColumns(header: string[]): string {
  const shown = header.slice(0, SHOWN_COLUMNS).map((c) => (c.length > 80 ? `${c.slice(0, 77)}...` : c));
  return header.length > SHOWN_COLUMNS ? `${shown.join(', ')} and ${header.length - SHOWN_COLUMNS} more` : shown.join(', ');
}

export class SchemaMismatchError extends Error {
  override readonly name = 'SchemaMismatchError';
  constructor(
    readonly file: string,
    readonly missing: string[],
    readonly header: string[],
    detail?: string,
  ) {
    super(
      `${file}: ${detail ?? `header is missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`} ` +
        `(found: ${header.length ? shownColumns(header) : 'no columns'}${detail ? '' : `; expected at least: ${REQUIRED_FIELDS.join(', ')}`})`,
    );
  }
}

function normaliseName(name: string): string {
  return name.trim().toLowerCase();
}

function extraName(source: string, taken: Set<string>): string {
  let name = source.trim() === '' ? 'unnamed' : source.trim();
  if (RESULT_COLUMNS.has(name.toLowerCase())) name = `source_${name}`;
  let unique = name;
  for (let n = 2; taken.has(unique.toLowerCase()); n++) unique = `${name}_${n}`;
  taken.add(unique.toLowerCase());
  return unique;
}

function layoutFrom(header: string[], index: Partial<Record<CanonicalField, number>>): ColumnLayout {
  const present = CANONICAL_FIELDS.filter((f) => index[f] !== undefined);
  const used = new Set(Object.values(index));
  const taken = new Set<string>();
  const extra: ExtraColumn[] = [];
  header.forEach((source, i) => {
    if (!used.has(i)) extra.push({ index: i, source, name: extraName(source, taken) });
  });
  return { header, index, present, extra };
}

/**
 * Matches a file's first record against a schema. With a header, returns the layout (the record
 * is the header); without one, the record is data and the header is column_1..column_n.
 * @throws SchemaMismatchError naming every missing column.
 */
export function resolveColumns(file: string, firstRecord: string[], schema?: TradeSchema): ColumnLayout {
  if (!schema?.columns) {
    const positions = new Map<string, number>();
    firstRecord.forEach((name, i) => {
      const key = normaliseName(name);
      if (!positions.has(key)) positions.set(key, i);
    });
    const index: Partial<Record<CanonicalField, number>> = {};
    for (const field of CANONICAL_FIELDS) {
      const at = positions.get(field);
      if (at !== undefined) index[field] = at;
    }
    const missing = REQUIRED_FIELDS.filter((f) => index[f] === undefined);
    if (missing.length > 0) throw new SchemaMismatchError(file, missing, firstRecord);
    return layoutFrom(firstRecord, index);
  }

  const mapping = schema.columns;
  if (!schema.header) {
    const header = firstRecord.map((_, i) => `column_${i + 1}`);
    const index: Partial<Record<CanonicalField, number>> = {};
    const missing: string[] = [];
    for (const [field, column] of Object.entries(mapping) as [CanonicalField, string | number][]) {
      const at = Number(column) - 1;
      if (at >= firstRecord.length) missing.push(`${field} (column ${column})`);
      else index[field] = at;
    }
    if (missing.length > 0) {
      throw new SchemaMismatchError(file, missing, header, `the first row has ${firstRecord.length} columns; the schema needs ${missing.join(', ')}`);
    }
    return layoutFrom(header, index);
  }

  const positions = new Map<string, number>();
  firstRecord.forEach((name, i) => {
    const key = normaliseName(name);
    if (!positions.has(key)) positions.set(key, i);
  });
  const index: Partial<Record<CanonicalField, number>> = {};
  const missing: string[] = [];
  for (const [field, column] of Object.entries(mapping) as [CanonicalField, string | number][]) {
    const at = typeof column === 'number' ? column - 1 : positions.get(normaliseName(column));
    if (at === undefined || at >= firstRecord.length) missing.push(typeof column === 'number' ? `${field} (column ${column})` : column === field ? field : `${column} (for ${field})`);
    else index[field] = at;
  }
  if (missing.length > 0) throw new SchemaMismatchError(file, missing, firstRecord, `header is missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} named by schema ${schema.name ?? ''}`.replace(/ $/, ''));
  return layoutFrom(firstRecord, index);
}
