/**
 * The canonical trade schema: the fields every input file is mapped onto, and how a file's header is
 * matched against it. Column mapping from other headers (schema files) deepens this later; for now a
 * header matches when every required field is present (case-insensitive, surrounding spaces ignored).
 */

export const REQUIRED_FIELDS = ['trade_id', 'timestamp', 'symbol', 'side', 'quantity', 'price'] as const;
export const OPTIONAL_FIELDS = ['currency', 'account', 'venue', 'trader'] as const;

export type RequiredField = (typeof REQUIRED_FIELDS)[number];
export type OptionalField = (typeof OPTIONAL_FIELDS)[number];
export type CanonicalField = RequiredField | OptionalField;

export const CANONICAL_FIELDS: readonly CanonicalField[] = [...REQUIRED_FIELDS, ...OPTIONAL_FIELDS];

/** Where each canonical field sits in a file's records; optional fields absent from the file are missing. */
export interface ColumnLayout {
  /** The file's header, as read. */
  header: string[];
  /** Index of each canonical field present in the file. */
  index: Partial<Record<CanonicalField, number>>;
  /** Canonical fields present in the file, in canonical order. */
  present: CanonicalField[];
  /** Header columns that are not canonical fields (carried through later issues). */
  extra: string[];
}

export class SchemaMismatchError extends Error {
  override readonly name = 'SchemaMismatchError';
  constructor(
    readonly file: string,
    readonly missing: string[],
    readonly header: string[],
  ) {
    super(
      `${file}: header is missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
        `(found: ${header.length ? header.join(', ') : 'no columns'}; expected at least: ${REQUIRED_FIELDS.join(', ')})`,
    );
  }
}

function normaliseName(name: string): string {
  return name.trim().toLowerCase();
}

/**
 * Matches a header row against the canonical schema.
 * @throws SchemaMismatchError naming every missing required column.
 */
export function resolveColumns(file: string, header: string[]): ColumnLayout {
  const positions = new Map<string, number>();
  header.forEach((name, i) => {
    const key = normaliseName(name);
    if (!positions.has(key)) positions.set(key, i);
  });
  const index: Partial<Record<CanonicalField, number>> = {};
  const present: CanonicalField[] = [];
  for (const field of CANONICAL_FIELDS) {
    const at = positions.get(field);
    if (at !== undefined) {
      index[field] = at;
      present.push(field);
    }
  }
  const missing = REQUIRED_FIELDS.filter((f) => index[f] === undefined);
  if (missing.length > 0) throw new SchemaMismatchError(file, missing, header);
  const canonical = new Set<string>(CANONICAL_FIELDS);
  const extra = header.filter((h) => !canonical.has(normaliseName(h)));
  return { header, index, present, extra };
}
