import { readCsvBatches, type CsvRecord } from '../parse/csv-reader.js';
import { fileStem } from '../pipeline/run-id.js';

/**
 * The analysts' feedback file: their verdicts on flagged trades, so that a trade they already
 * cleared (false positive) or confirmed is marked as such when it shows up again.
 *
 * Format: CSV with a header (column names are case-insensitive; spaces and hyphens count as
 * underscores; the delimiter is detected as for trade files; columns not listed here are ignored,
 * so analysts may keep their own). Per line:
 * - `trade_id` and/or `source_row` (the 1-based data-row number in the trade file): which trade;
 * - `verdict`: `false_positive` or `confirmed`, in any of the spellings of VERDICT_SPELLINGS;
 * - `file` (optional): the trade file the line is about, by name with or without its extension
 *   (`trades-2024-05-02`, `trades-2024-05-02.csv`) or by key (`incoming/trades-2024-05-02.csv`);
 *   without it, a trade_id line applies to every file;
 * - `note` (optional): free text; quote it when it contains the delimiter, a quote or a newline.
 *
 * A source_row without a file is refused: row numbers repeat in every daily file, so such a line
 * would silently attach its verdict to an unrelated trade of every other day. When a line gives
 * both trade_id and source_row, a trade must match both (the row disambiguates a repeated id).
 *
 * Every bad line is an error naming the feedback file, the line, the field and the value: a
 * verdict that is silently dropped would leave an analyst's decision unapplied with no trace.
 */

export type Verdict = 'false_positive' | 'confirmed';

/** Accepted spellings, after trimming, lower-casing and turning runs of spaces and hyphens into '_'. */
export const VERDICT_SPELLINGS: Readonly<Record<string, Verdict>> = Object.freeze({
  false_positive: 'false_positive',
  fp: 'false_positive',
  not_anomaly: 'false_positive',
  not_an_anomaly: 'false_positive',
  false_alarm: 'false_positive',
  confirmed: 'confirmed',
  true_positive: 'confirmed',
  tp: 'confirmed',
  anomaly: 'confirmed',
});

export interface FeedbackEntry {
  /** null when the line gives none. */
  tradeId: string | null;
  /** 1-based data-row number in the trade file; null when the line gives none. */
  sourceRow: number | null;
  /** The trade file the line is limited to (as written), or null for every file. */
  file: string | null;
  verdict: Verdict;
  /** '' when there is none. */
  note: string;
  /** Where the line is: the feedback file's name and the line's 1-based physical line number. */
  origin: { file: string; line: number };
}

export interface FeedbackFileErrorDetails {
  /** The feedback file's name. */
  file: string;
  line: number;
  field?: string;
  value?: string;
}

export class FeedbackFileError extends Error {
  override readonly name = 'FeedbackFileError';
  readonly file: string;
  readonly line: number;
  readonly field: string | undefined;
  readonly value: string | undefined;

  constructor(details: FeedbackFileErrorDetails, problem: string, options?: ErrorOptions) {
    const where = `${details.file}: line ${details.line}${details.field === undefined ? '' : `, field ${details.field}`}`;
    super(`${where}: ${details.value === undefined ? '' : `'${details.value}' `}${problem}`, options);
    this.file = details.file;
    this.line = details.line;
    this.field = details.field;
    this.value = details.value;
  }
}

const COLUMNS = ['trade_id', 'source_row', 'verdict', 'file', 'note'] as const;
type Column = (typeof COLUMNS)[number];
type ColumnIndex = Partial<Record<Column, number>>;

/**
 * Parses a feedback file (text, bytes, or a byte stream such as an S3 body). `fileName` names the
 * file in errors and in each entry's origin. Entries come in file order: later lines override
 * earlier ones (FeedbackIndex). Throws FeedbackFileError at the first bad line.
 */
export async function parseFeedback(source: string | Uint8Array | AsyncIterable<Uint8Array>, fileName: string): Promise<FeedbackEntry[]> {
  const entries: FeedbackEntry[] = [];
  let columns: ColumnIndex | undefined;
  let width = 0;
  for await (const batch of readCsvBatches(asByteStream(source))) {
    for (const record of batch) {
      if (columns === undefined) {
        columns = readHeader(record, fileName);
        width = record.fields.length;
        continue;
      }
      const entry = readLine(record, columns, width, fileName);
      if (entry !== undefined) entries.push(entry);
    }
  }
  if (columns === undefined) throw new FeedbackFileError({ file: fileName, line: 1 }, 'the file is empty: expected a header line');
  return entries;
}

/** All entries of several feedback files, in the order given: a later file overrides an earlier one. */
export function mergeFeedback(lists: readonly (readonly FeedbackEntry[])[]): FeedbackEntry[] {
  return lists.flat();
}

/**
 * Looks up the analysts' verdict on a trade. When several lines match a trade, the last one wins
 * (the last line of the last file given to mergeFeedback).
 */
export class FeedbackIndex {
  private readonly byTradeId = new Map<string, IndexedEntry[]>();
  /** Lines with a source_row and no trade_id (they always name a file). */
  private readonly byRow = new Map<number, IndexedEntry[]>();
  readonly size: number;

  constructor(entries: readonly FeedbackEntry[]) {
    this.size = entries.length;
    entries.forEach((entry, order) => {
      const indexed: IndexedEntry = { entry, order, filter: entry.file === null ? null : fileFilter(entry.file) };
      if (entry.tradeId !== null) push(this.byTradeId, entry.tradeId, indexed);
      else if (entry.sourceRow !== null) push(this.byRow, entry.sourceRow, indexed);
    });
  }

  /**
   * The last line matching the trade at `sourceRow` (1-based data row) of trade file `file` (its
   * name, path or S3 key) with `tradeId` (null when the file has no trade ids), or undefined.
   */
  verdictFor(file: string, tradeId: string | null, sourceRow: number): FeedbackEntry | undefined {
    let best: IndexedEntry | undefined;
    let target: FileName | undefined;
    const consider = (candidates: IndexedEntry[] | undefined): void => {
      if (candidates === undefined) return;
      // Candidates are in line order: the last match wins, so search from the end.
      for (let i = candidates.length - 1; i >= 0; i--) {
        const c = candidates[i];
        if (best !== undefined && c.order < best.order) return;
        if (c.entry.sourceRow !== null && c.entry.sourceRow !== sourceRow) continue;
        if (c.filter !== null && !c.filter((target ??= fileName(file)))) continue;
        best = c;
        return;
      }
    };
    if (tradeId !== null) consider(this.byTradeId.get(tradeId.trim()));
    consider(this.byRow.get(sourceRow));
    return best?.entry;
  }
}

interface IndexedEntry {
  entry: FeedbackEntry;
  order: number;
  filter: ((file: FileName) => boolean) | null;
}

/** A trade file's name in the forms a filter compares with. */
interface FileName {
  key: string;
  stem: string;
}

function fileName(file: string): FileName {
  return { key: normaliseKey(file), stem: fileStem(file) };
}

/**
 * What a `file` value matches. A bare name (no '/') matches any trade file with the same stem, so
 * `trades-2024-05-02`, `trades-2024-05-02.csv` and `.csv.gz` are all the same day; names compare
 * case-sensitively, as S3 keys do. A value with a '/' is a key and matches that key only (also when
 * one side carries an s3://bucket/ prefix or a longer local path ending in it).
 */
function fileFilter(value: string): (file: FileName) => boolean {
  if (!value.includes('/')) {
    const stem = fileStem(value);
    return (file) => file.stem === stem;
  }
  const key = normaliseKey(value);
  return (file) => file.key === key || file.key.endsWith(`/${key}`) || key.endsWith(`/${file.key}`);
}

function normaliseKey(key: string): string {
  return key.replace(/^s3:\/\/[^/]+\//i, '').replace(/^\/+/, '');
}

function push<K>(map: Map<K, IndexedEntry[]>, key: K, value: IndexedEntry): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function asByteStream(source: string | Uint8Array | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (typeof source === 'string') return once(new TextEncoder().encode(source));
  if (source instanceof Uint8Array) return once(source);
  return source;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

function normaliseName(name: string): string {
  return name.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

function readHeader(record: CsvRecord, fileName: string): ColumnIndex {
  const at = { file: fileName, line: record.line };
  if (record.issue !== undefined) throw new FeedbackFileError(at, `the header is not valid CSV (${record.issue})`);
  const columns: ColumnIndex = {};
  record.fields.forEach((raw, i) => {
    const name = normaliseName(raw);
    if (!(COLUMNS as readonly string[]).includes(name)) return;
    const column = name as Column;
    if (columns[column] !== undefined) throw new FeedbackFileError({ ...at, field: column }, 'the header has this column twice');
    columns[column] = i;
  });
  const found = record.fields.map((f) => f.trim()).join(', ');
  if (columns.verdict === undefined) throw new FeedbackFileError(at, `the header has no verdict column (found: ${found})`);
  if (columns.trade_id === undefined && columns.source_row === undefined) {
    throw new FeedbackFileError(at, `the header has neither a trade_id nor a source_row column (found: ${found})`);
  }
  return columns;
}

/** One data line as an entry; undefined for a line whose fields are all empty (a spreadsheet's blank row). */
function readLine(record: CsvRecord, columns: ColumnIndex, width: number, fileName: string): FeedbackEntry | undefined {
  const at = { file: fileName, line: record.line };
  if (record.issue !== undefined) {
    throw new FeedbackFileError(at, `the line is not valid CSV (${record.issue}); quote a field that contains the delimiter, a quote or a newline`);
  }
  const { fields } = record;
  if (fields.every((f) => f.trim() === '')) return undefined;
  if (fields.length !== width) {
    throw new FeedbackFileError(
      at,
      `the line has ${fields.length} fields, the header has ${width}; quote a note that contains the delimiter`,
    );
  }
  const text = (column: Column): string => {
    const i = columns[column];
    return i === undefined ? '' : fields[i].trim();
  };

  const verdictText = text('verdict');
  const spelling = normaliseName(verdictText);
  // hasOwn: a verdict such as 'constructor' must not find Object.prototype's members.
  const verdict = Object.hasOwn(VERDICT_SPELLINGS, spelling) ? VERDICT_SPELLINGS[spelling] : undefined;
  if (verdict === undefined) {
    throw new FeedbackFileError(
      { ...at, field: 'verdict', value: verdictText },
      `is not a verdict (accepted: ${Object.keys(VERDICT_SPELLINGS).join(', ')}; case, spaces and hyphens do not matter)`,
    );
  }
  const rowText = text('source_row');
  let sourceRow: number | null = null;
  if (rowText !== '') {
    sourceRow = /^\d+$/.test(rowText) ? Number(rowText) : Number.NaN;
    if (!Number.isSafeInteger(sourceRow) || sourceRow < 1) {
      throw new FeedbackFileError({ ...at, field: 'source_row', value: rowText }, 'is not a row number (1 for the first data row)');
    }
  }
  const tradeId = text('trade_id') || null;
  const file = text('file') || null;
  if (tradeId === null && sourceRow === null) {
    throw new FeedbackFileError({ ...at, field: 'trade_id' }, 'the line names no trade: give a trade_id or a source_row');
  }
  if (tradeId === null && file === null) {
    throw new FeedbackFileError(
      { ...at, field: 'file' },
      'a source_row without a trade_id needs the trade file it refers to (row numbers repeat in every daily file)',
    );
  }
  return { tradeId, sourceRow, file, verdict, note: text('note'), origin: at };
}
