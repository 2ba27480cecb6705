import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { CANONICAL_FIELDS, CORE_FIELDS, type CanonicalField } from './trade-schema.js';
import { QUALITY_CODES, type QualityCode } from '../quality/quality-issues.js';

/**
 * A schema file (JSON or YAML): how to read one kind of trade file (column mapping, timestamp,
 * side, number formats, delimiter, header) and what to expect of it (session, calendar, reference
 * symbols, the cleaning policy). A stage config names one for the files its bucket receives; the
 * CLI takes one with --schema. Without one, the default schema applies.
 */
export interface TimestampFormat {
  /**
   * auto: ISO 8601 (with or without a zone) or epoch seconds/milliseconds, told apart by length;
   * iso; epoch_ms; epoch_s; or a pattern of yyyy MM dd HH mm ss SSS (fraction of any length), e.g.
   * "dd/MM/yyyy HH:mm:ss.SSS".
   */
  format: string;
  /** IANA zone of timestamps written without one (default UTC). */
  timeZone: string;
}

export interface SessionConfig {
  /** IANA zone of the session hours and of the trading day (e.g. Europe/London). */
  timeZone: string;
  /** HH:MM local time; trades before open or at/after close break OUTSIDE_SESSION. */
  open: string;
  close: string;
  /** ISO weekdays the market trades (1 = Monday ... 7 = Sunday); default Monday to Friday. */
  weekdays: number[];
  /** Closed dates (YYYY-MM-DD, local). */
  holidays: string[];
}

/** score: flag the row and still score it; flag_only: flag it, do not score it; ignore: do not apply the rule. */
export type PolicyAction = 'score' | 'flag_only' | 'ignore';

/** What happens to a row that broke a rule: scored by the model (with what imputation), only flagged, or the rule is off. */
export interface RulePolicy {
  action: PolicyAction;
  /** For a missing or unusable price or quantity: score with the symbol's median of that field. */
  impute?: 'symbol_median';
}

export interface QualitySettings {
  /** Every trade should fall on the file's trading day (the most common date, in the session's zone). */
  singleDay: boolean;
  session?: SessionConfig;
  /** Symbols a file may hold; others break UNKNOWN_SYMBOL. */
  knownSymbols?: string[];
  /** Largest relative gap between notional and price x quantity before INCONSISTENT_NOTIONAL. */
  notionalTolerance: number;
  /** Per-rule overrides of DEFAULT_POLICY. */
  policy: Partial<Record<QualityCode, RulePolicy>>;
}

export interface TradeSchema {
  name?: string;
  /** One of , ; tab | — detected from the first line when absent. */
  delimiter?: string;
  /** Whether the first row names the columns (default true). */
  header: boolean;
  /**
   * Canonical field -> the file's column (name, or 1-based position). Absent: the default names.
   * A mapping must cover timestamp, symbol, side, quantity and price; trade_id may be left out.
   */
  columns?: Partial<Record<CanonicalField, string | number>>;
  timestamp: TimestampFormat;
  /** Spellings of each side (case-insensitive). */
  side: { buy: string[]; sell: string[] };
  numbers: { decimal: '.' | ','; thousands: '' | ',' | '.' | ' ' | "'" };
  quality: QualitySettings;
}

/** What happens by default to a row that broke each rule. A row missing a value it needs is not scored. */
export const DEFAULT_POLICY: Record<QualityCode, RulePolicy> = {
  MALFORMED_ROW: { action: 'flag_only' },
  MISSING_FIELD: { action: 'flag_only' },
  UNPARSABLE_NUMBER: { action: 'flag_only' },
  UNPARSABLE_TIMESTAMP: { action: 'flag_only' },
  NON_FINITE_NUMBER: { action: 'flag_only' },
  NON_POSITIVE_VALUE: { action: 'flag_only' },
  UNKNOWN_SIDE: { action: 'score' },
  DUPLICATE_TRADE_ID: { action: 'score' },
  DUPLICATE_ROW: { action: 'score' },
  OUTSIDE_TRADING_DAY: { action: 'score' },
  OUTSIDE_SESSION: { action: 'score' },
  INCONSISTENT_NOTIONAL: { action: 'score' },
  UNKNOWN_SYMBOL: { action: 'score' },
};

export const DEFAULT_SCHEMA: TradeSchema = {
  header: true,
  timestamp: { format: 'auto', timeZone: 'UTC' },
  side: { buy: ['buy', 'b', '1', 'bid'], sell: ['sell', 's', '-1', '2', 'ask', 'offer'] },
  numbers: { decimal: '.', thousands: '' },
  quality: { singleDay: true, notionalTolerance: 0.001, policy: {} },
};

export class SchemaFileError extends Error {
  override readonly name = 'SchemaFileError';
}

const DELIMITERS = [',', ';', '\t', '|'];
const PATTERN_TOKENS = /yyyy|MM|dd|HH|mm|ss|SSS/g;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks a parsed schema document and fills in the defaults. Every problem is collected, so one
 * error lists them all, each with its place in the document.
 */
export function validateSchema(doc: unknown, where: string): TradeSchema {
  const problems: string[] = [];
  const at = (path: string, message: string) => problems.push(`${path}: ${message}`);
  if (!isObject(doc)) throw new SchemaFileError(`${where}: a schema is an object (JSON or YAML mapping)`);
  const known = new Set(['name', 'delimiter', 'header', 'columns', 'timestamp', 'side', 'numbers', 'quality']);
  for (const key of Object.keys(doc)) if (!known.has(key)) at(key, `unknown setting (known: ${[...known].join(', ')})`);

  const schema: TradeSchema = structuredClone(DEFAULT_SCHEMA);
  if (doc.name !== undefined) schema.name = String(doc.name);
  if (doc.delimiter !== undefined) {
    const d = doc.delimiter === 'tab' ? '\t' : doc.delimiter;
    if (typeof d !== 'string' || !DELIMITERS.includes(d)) at('delimiter', `must be one of , ; tab | (got ${JSON.stringify(doc.delimiter)})`);
    else schema.delimiter = d;
  }
  if (doc.header !== undefined) {
    if (typeof doc.header !== 'boolean') at('header', 'must be true or false');
    else schema.header = doc.header;
  }
  if (doc.columns !== undefined) {
    if (!isObject(doc.columns)) at('columns', 'must map canonical fields to column names or positions');
    else {
      const columns: Partial<Record<CanonicalField, string | number>> = {};
      for (const [field, column] of Object.entries(doc.columns)) {
        if (!CANONICAL_FIELDS.includes(field as CanonicalField)) at(`columns.${field}`, `not a canonical field (known: ${CANONICAL_FIELDS.join(', ')})`);
        else if (column === null || column === undefined) continue;
        else if (typeof column === 'number' ? !(Number.isInteger(column) && column >= 1) : typeof column !== 'string' || column.trim() === '') {
          at(`columns.${field}`, 'must be a column name or a 1-based position');
        } else columns[field as CanonicalField] = column as string | number;
      }
      for (const f of CORE_FIELDS) if (columns[f] === undefined) at(`columns.${f}`, 'is required (the model needs it)');
      if (!schema.header) {
        for (const [field, column] of Object.entries(columns)) if (typeof column !== 'number') at(`columns.${field}`, 'must be a 1-based position when header is false');
      }
      schema.columns = columns;
    }
  } else if (!schema.header) at('columns', 'is required when header is false');

  if (doc.timestamp !== undefined) {
    if (!isObject(doc.timestamp)) at('timestamp', 'must be an object with format and timeZone');
    else {
      const { format, timeZone } = doc.timestamp;
      if (format !== undefined) {
        if (typeof format !== 'string') at('timestamp.format', 'must be a string');
        else if (!['auto', 'iso', 'epoch_ms', 'epoch_s'].includes(format) && !((format.match(PATTERN_TOKENS) ?? []) as string[]).includes('yyyy')) {
          at('timestamp.format', `must be auto, iso, epoch_ms, epoch_s or a pattern with yyyy MM dd HH mm ss SSS (got ${JSON.stringify(format)})`);
        } else schema.timestamp.format = format;
      }
      if (timeZone !== undefined) {
        if (typeof timeZone !== 'string' || !isTimeZone(timeZone)) at('timestamp.timeZone', `not an IANA time zone: ${JSON.stringify(timeZone)}`);
        else schema.timestamp.timeZone = timeZone;
      }
    }
  }
  if (doc.side !== undefined) {
    const side = doc.side;
    const list = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' || typeof s === 'number');
    if (!isObject(side) || !list(side.buy) || !list(side.sell)) at('side', 'must list the spellings of buy and sell, e.g. { buy: [B, 1], sell: [S, -1] }');
    else {
      schema.side = { buy: (side.buy as unknown[]).map((s) => String(s).trim().toLowerCase()), sell: (side.sell as unknown[]).map((s) => String(s).trim().toLowerCase()) };
      const both = schema.side.buy.filter((s) => schema.side.sell.includes(s));
      if (both.length) at('side', `spellings on both sides: ${both.join(', ')}`);
    }
  }
  if (doc.numbers !== undefined) {
    const n = doc.numbers;
    if (!isObject(n)) at('numbers', 'must be an object with decimal and thousands');
    else {
      if (n.decimal !== undefined) {
        if (n.decimal !== '.' && n.decimal !== ',') at('numbers.decimal', 'must be . or ,');
        else schema.numbers.decimal = n.decimal;
      }
      if (n.thousands !== undefined) {
        const t = n.thousands === null ? '' : n.thousands;
        if (!['', ',', '.', ' ', "'"].includes(t as string)) at('numbers.thousands', `must be one of "", ",", ".", " ", "'"`);
        else schema.numbers.thousands = t as TradeSchema['numbers']['thousands'];
      }
      if (schema.numbers.thousands === schema.numbers.decimal) at('numbers', 'decimal and thousands separators must differ');
    }
  }
  if (doc.quality !== undefined) validateQuality(doc.quality, schema.quality, at);
  if (problems.length) throw new SchemaFileError(`${where}: ${problems.join('; ')}`);
  return schema;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function validateQuality(q: unknown, out: QualitySettings, at: (path: string, message: string) => void): void {
  if (!isObject(q)) {
    at('quality', 'must be an object');
    return;
  }
  if (q.singleDay !== undefined) {
    if (typeof q.singleDay !== 'boolean') at('quality.singleDay', 'must be true or false');
    else out.singleDay = q.singleDay;
  }
  if (q.notionalTolerance !== undefined) {
    if (typeof q.notionalTolerance !== 'number' || !(q.notionalTolerance >= 0 && q.notionalTolerance < 1)) at('quality.notionalTolerance', 'must be a number in [0, 1)');
    else out.notionalTolerance = q.notionalTolerance;
  }
  if (q.knownSymbols !== undefined) {
    if (!Array.isArray(q.knownSymbols) || !q.knownSymbols.every((s) => typeof s === 'string')) at('quality.knownSymbols', 'must be a list of symbols');
    else out.knownSymbols = q.knownSymbols.map((s) => s.trim());
  }
  if (q.session !== undefined) {
    const s = q.session;
    if (!isObject(s)) at('quality.session', 'must be an object with timeZone, open, close');
    else {
      const session: SessionConfig = { timeZone: 'UTC', open: '', close: '', weekdays: [1, 2, 3, 4, 5], holidays: [] };
      if (typeof s.timeZone !== 'string' || !isTimeZone(s.timeZone)) at('quality.session.timeZone', `not an IANA time zone: ${JSON.stringify(s.timeZone)}`);
      else session.timeZone = s.timeZone;
      for (const key of ['open', 'close'] as const) {
        if (typeof s[key] !== 'string' || !HHMM.test(s[key] as string)) at(`quality.session.${key}`, 'must be HH:MM');
        else session[key] = s[key] as string;
      }
      if (session.open && session.close && session.open >= session.close) at('quality.session', 'open must be before close');
      if (s.weekdays !== undefined) {
        if (!Array.isArray(s.weekdays) || !s.weekdays.every((d) => Number.isInteger(d) && d >= 1 && d <= 7)) at('quality.session.weekdays', 'must list ISO weekdays 1 (Monday) to 7 (Sunday)');
        else session.weekdays = s.weekdays as number[];
      }
      if (s.holidays !== undefined) {
        if (!Array.isArray(s.holidays) || !s.holidays.every((d) => typeof d === 'string' && DATE.test(d))) at('quality.session.holidays', 'must list dates YYYY-MM-DD');
        else session.holidays = s.holidays as string[];
      }
      out.session = session;
    }
  }
  if (q.policy !== undefined) {
    if (!isObject(q.policy)) at('quality.policy', 'must map rule codes to { action, impute }');
    else {
      for (const [code, rule] of Object.entries(q.policy)) {
        if (!Object.hasOwn(QUALITY_CODES, code)) {
          at(`quality.policy.${code}`, `not a rule code (known: ${Object.keys(QUALITY_CODES).join(', ')})`);
          continue;
        }
        if (!isObject(rule) || (rule.action !== 'score' && rule.action !== 'flag_only' && rule.action !== 'ignore')) {
          at(`quality.policy.${code}`, 'action must be score, flag_only or ignore');
          continue;
        }
        if (rule.impute !== undefined && rule.impute !== 'symbol_median') at(`quality.policy.${code}.impute`, 'the only imputation is symbol_median');
        out.policy[code as QualityCode] = { action: rule.action, ...(rule.impute ? { impute: 'symbol_median' as const } : {}) };
      }
    }
  }
}

/** Parses a schema document from JSON or YAML text (YAML is a superset of JSON). */
export function parseSchemaText(text: string, where: string): TradeSchema {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e: unknown) {
    throw new SchemaFileError(`${where}: not valid JSON or YAML (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`, { cause: e });
  }
  return validateSchema(doc, where);
}

export async function loadSchemaFile(file: string): Promise<TradeSchema> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e: unknown) {
    throw new SchemaFileError(`${file}: cannot read the schema file`, { cause: e });
  }
  return parseSchemaText(text, file);
}

/** The policy of a rule, defaults included. */
export function policyOf(schema: TradeSchema, code: QualityCode): RulePolicy {
  return schema.quality.policy[code] ?? DEFAULT_POLICY[code];
}
