import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  DEFAULT_SCHEMA,
  SchemaFileError,
  loadSchemaFile,
  parseSchemaText,
  policyOf,
  validateSchema,
  type TradeSchema,
} from '../../src/schema/schema-settings.js';
import { QUALITY_CODES, type QualityCode } from '../../src/quality/quality-issues.js';

const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

/** Core columns mapped by name: a valid `columns` section to build on. */
const CORE_COLUMNS = { timestamp: 'ts', symbol: 'sym', side: 'dir', quantity: 'qty', price: 'px' };

/** The SchemaFileError's message for a document, or a failure when it validates. */
function problemsOf(doc: unknown, where = 'test.yaml'): string {
  try {
    validateSchema(doc, where);
  } catch (e: unknown) {
    expect(e).toBeInstanceOf(SchemaFileError);
    return (e as Error).message;
  }
  throw new Error('expected a SchemaFileError, but the document validated');
}

describe('parseSchemaText: JSON and YAML', () => {
  it('reads the same document from JSON text and from YAML text', () => {
    const json = JSON.stringify({
      name: 'broker-x',
      delimiter: ';',
      columns: { trade_id: 'Ref', ...CORE_COLUMNS },
      timestamp: { format: 'dd/MM/yyyy HH:mm:ss', timeZone: 'Europe/Paris' },
      numbers: { decimal: ',', thousands: '.' },
    });
    const yaml = [
      'name: broker-x',
      'delimiter: ";"',
      'columns:',
      '  trade_id: Ref',
      '  timestamp: ts',
      '  symbol: sym',
      '  side: dir',
      '  quantity: qty',
      '  price: px',
      'timestamp:',
      '  format: dd/MM/yyyy HH:mm:ss',
      '  timeZone: Europe/Paris',
      'numbers:',
      '  decimal: ","',
      '  thousands: "."',
    ].join('\n');

    const fromJson = parseSchemaText(json, 'x.json');
    const fromYaml = parseSchemaText(yaml, 'x.yaml');

    expect(fromYaml).toEqual(fromJson);
    expect(fromJson.name).toBe('broker-x');
    expect(fromJson.delimiter).toBe(';');
    expect(fromJson.columns).toEqual({ trade_id: 'Ref', ...CORE_COLUMNS });
    expect(fromJson.timestamp).toEqual({ format: 'dd/MM/yyyy HH:mm:ss', timeZone: 'Europe/Paris' });
    expect(fromJson.numbers).toEqual({ decimal: ',', thousands: '.' });
  });

  it('rejects text that is neither JSON nor YAML, naming the place', () => {
    expect(() => parseSchemaText('columns: [price, 1', 'bad.yaml')).toThrow(SchemaFileError);
    expect(() => parseSchemaText('columns: [price, 1', 'bad.yaml')).toThrow(/^bad\.yaml: not valid JSON or YAML/);
  });

  it.each([
    ['a list', '- price\n- quantity\n'],
    ['a scalar', 'just text'],
    ['an empty document', ''],
  ])('rejects %s: a schema is a mapping', (_what, text) => {
    expect(() => parseSchemaText(text, 'odd.yaml')).toThrow(/^odd\.yaml: a schema is an object/);
  });
});

describe('validateSchema: defaults', () => {
  it('fills every default into an empty document', () => {
    const schema = validateSchema({}, 'empty.yaml');

    expect(schema).toEqual<TradeSchema>({
      header: true,
      timestamp: { format: 'auto', timeZone: 'UTC' },
      side: { buy: ['buy', 'b', '1', 'bid'], sell: ['sell', 's', '-1', '2', 'ask', 'offer'] },
      numbers: { decimal: '.', thousands: '' },
      quality: { singleDay: true, notionalTolerance: 0.001, policy: {} },
    });
    expect(schema.columns).toBeUndefined();
    expect(schema.delimiter).toBeUndefined();
  });

  it('keeps the defaults of the settings a document leaves out', () => {
    const schema = validateSchema({ timestamp: { timeZone: 'Asia/Tokyo' }, numbers: { thousands: ',' } }, 'partial.yaml');

    expect(schema.timestamp).toEqual({ format: 'auto', timeZone: 'Asia/Tokyo' });
    expect(schema.numbers).toEqual({ decimal: '.', thousands: ',' });
    expect(schema.header).toBe(true);
    expect(schema.quality.singleDay).toBe(true);
  });

  it('gives a session Monday to Friday and no holidays by default', () => {
    const schema = validateSchema({ quality: { session: { timeZone: 'Europe/London', open: '08:00', close: '16:30' } } }, 's.yaml');

    expect(schema.quality.session).toEqual({ timeZone: 'Europe/London', open: '08:00', close: '16:30', weekdays: [1, 2, 3, 4, 5], holidays: [] });
  });

  it('returns a fresh object: changing one schema leaves DEFAULT_SCHEMA and the next schema alone', () => {
    const first = validateSchema({}, 'a.yaml');
    first.side.buy.push('long');
    first.quality.policy.DUPLICATE_ROW = { action: 'ignore' };

    const second = validateSchema({}, 'b.yaml');

    expect(second.side.buy).toEqual(['buy', 'b', '1', 'bid']);
    expect(second.quality.policy).toEqual({});
    expect(DEFAULT_SCHEMA.side.buy).toEqual(['buy', 'b', '1', 'bid']);
    expect(DEFAULT_SCHEMA.quality.policy).toEqual({});
  });

  it('accepts "tab" as the tab delimiter, and each of , ; |', () => {
    expect(validateSchema({ delimiter: 'tab' }, 't.yaml').delimiter).toBe('\t');
    expect(validateSchema({ delimiter: '\t' }, 't.yaml').delimiter).toBe('\t');
    for (const d of [',', ';', '|']) expect(validateSchema({ delimiter: d }, 'd.yaml').delimiter).toBe(d);
  });

  it('lower-cases and trims side spellings, and reads numbers as text', () => {
    const schema = validateSchema({ side: { buy: [' B ', 'Achat', 1], sell: ['S', 'VENTE', -1] } }, 's.yaml');

    expect(schema.side).toEqual({ buy: ['b', 'achat', '1'], sell: ['s', 'vente', '-1'] });
  });

  it('reads thousands: null as no thousands separator', () => {
    expect(validateSchema({ numbers: { decimal: ',', thousands: null } }, 'n.yaml').numbers).toEqual({ decimal: ',', thousands: '' });
  });

  it.each(['auto', 'iso', 'epoch_ms', 'epoch_s', 'dd/MM/yyyy HH:mm:ss,SSS', 'yyyyMMdd-HHmmss'])('accepts timestamp format %j', (format) => {
    expect(validateSchema({ timestamp: { format } }, 'f.yaml').timestamp.format).toBe(format);
  });

  it('allows a mapping without trade_id, and drops fields mapped to null', () => {
    const schema = validateSchema({ columns: { ...CORE_COLUMNS, trade_id: null } }, 'c.yaml');

    expect(schema.columns).toEqual(CORE_COLUMNS);
  });

  it('takes positions for a file without a header', () => {
    const schema = validateSchema({ header: false, columns: { timestamp: 1, symbol: 2, side: 3, quantity: 4, price: 5 } }, 'h.yaml');

    expect(schema.header).toBe(false);
    expect(schema.columns).toEqual({ timestamp: 1, symbol: 2, side: 3, quantity: 4, price: 5 });
  });

  it('trims the known symbols and keeps a tolerance of 0', () => {
    const schema = validateSchema({ quality: { knownSymbols: [' ACME', 'GLOBX '], notionalTolerance: 0, singleDay: false } }, 'q.yaml');

    expect(schema.quality.knownSymbols).toEqual(['ACME', 'GLOBX']);
    expect(schema.quality.notionalTolerance).toBe(0);
    expect(schema.quality.singleDay).toBe(false);
  });
});

describe('validateSchema: each problem names its place', () => {
  const session = { timeZone: 'Europe/Paris', open: '09:00', close: '17:30' };

  it.each<[string, unknown, string]>([
    ['an unknown setting', { colums: CORE_COLUMNS }, 'colums: unknown setting'],
    ['an unknown canonical field', { columns: { ...CORE_COLUMNS, qty_traded: 'q' } }, 'columns.qty_traded: not a canonical field'],
    ['a missing core field when columns are given', { columns: { timestamp: 'ts', symbol: 'sym', side: 'dir', quantity: 'qty' } }, 'columns.price: is required'],
    ['a column position of 0', { columns: { ...CORE_COLUMNS, price: 0 } }, 'columns.price: must be a column name or a 1-based position'],
    ['a fractional column position', { columns: { ...CORE_COLUMNS, price: 2.5 } }, 'columns.price: must be a column name or a 1-based position'],
    ['a blank column name', { columns: { ...CORE_COLUMNS, symbol: '  ' } }, 'columns.symbol: must be a column name or a 1-based position'],
    ['columns that are not a mapping', { columns: ['ts', 'sym'] }, 'columns: must map canonical fields'],
    [
      'a column name when header is false',
      { header: false, columns: { timestamp: 1, symbol: 'sym', side: 3, quantity: 4, price: 5 } },
      'columns.symbol: must be a 1-based position when header is false',
    ],
    ['header false without columns', { header: false }, 'columns: is required when header is false'],
    ['a header that is not a boolean', { header: 'yes' }, 'header: must be true or false'],
    ['a bad delimiter', { delimiter: ':' }, 'delimiter: must be one of , ; tab |'],
    ['a two-character delimiter', { delimiter: ',,' }, 'delimiter: must be one of'],
    ['a bad timestamp time zone', { timestamp: { timeZone: 'Mars/Olympus_Mons' } }, 'timestamp.timeZone: not an IANA time zone: "Mars/Olympus_Mons"'],
    ['a pattern without yyyy', { timestamp: { format: 'dd/MM/yy HH:mm' } }, 'timestamp.format: must be auto, iso, epoch_ms, epoch_s or a pattern'],
    ['a format that is not a string', { timestamp: { format: 42 } }, 'timestamp.format: must be a string'],
    ['a timestamp that is not an object', { timestamp: 'iso' }, 'timestamp: must be an object'],
    ['a spelling on both sides', { side: { buy: ['B', 'X'], sell: ['S', 'x'] } }, 'side: spellings on both sides: x'],
    ['an empty list of sell spellings', { side: { buy: ['B'], sell: [] } }, 'side: must list the spellings of buy and sell'],
    ['decimal equal to thousands', { numbers: { decimal: ',', thousands: ',' } }, 'numbers: decimal and thousands separators must differ'],
    ['thousands equal to the default decimal', { numbers: { thousands: '.' } }, 'numbers: decimal and thousands separators must differ'],
    ['a bad decimal separator', { numbers: { decimal: ';' } }, 'numbers.decimal: must be . or ,'],
    ['a bad thousands separator', { numbers: { thousands: '_' } }, 'numbers.thousands: must be one of'],
    ['session open after close', { quality: { session: { ...session, open: '17:30', close: '09:00' } } }, 'quality.session: open must be before close'],
    ['session open equal to close', { quality: { session: { ...session, open: '09:00', close: '09:00' } } }, 'quality.session: open must be before close'],
    ['an open without a leading zero', { quality: { session: { ...session, open: '9:00' } } }, 'quality.session.open: must be HH:MM'],
    ['a close at 24:00', { quality: { session: { ...session, close: '24:00' } } }, 'quality.session.close: must be HH:MM'],
    ['a close at minute 60', { quality: { session: { ...session, close: '17:60' } } }, 'quality.session.close: must be HH:MM'],
    ['a session without a time zone', { quality: { session: { open: '09:00', close: '17:30' } } }, 'quality.session.timeZone: not an IANA time zone'],
    ['a bad session time zone', { quality: { session: { ...session, timeZone: 'Paris' } } }, 'quality.session.timeZone: not an IANA time zone: "Paris"'],
    ['weekday 0', { quality: { session: { ...session, weekdays: [0, 1, 2] } } }, 'quality.session.weekdays: must list ISO weekdays'],
    ['weekday 8', { quality: { session: { ...session, weekdays: [1, 8] } } }, 'quality.session.weekdays: must list ISO weekdays'],
    ['a weekday name', { quality: { session: { ...session, weekdays: ['Mon'] } } }, 'quality.session.weekdays: must list ISO weekdays'],
    ['a holiday in another date format', { quality: { session: { ...session, holidays: ['2026-12-25', '31/12/2026'] } } }, 'quality.session.holidays: must list dates YYYY-MM-DD'],
    ['an unknown policy code', { quality: { policy: { MISSING_FEILD: { action: 'score' } } } }, 'quality.policy.MISSING_FEILD: not a rule code'],
    ['a bad action', { quality: { policy: { MISSING_FIELD: { action: 'drop' } } } }, 'quality.policy.MISSING_FIELD: action must be score, flag_only or ignore'],
    ['a rule given as a bare word', { quality: { policy: { DUPLICATE_ROW: 'ignore' } } }, 'quality.policy.DUPLICATE_ROW: action must be score, flag_only or ignore'],
    ['an imputation other than symbol_median', { quality: { policy: { MISSING_FIELD: { action: 'flag_only', impute: 'mean' } } } }, 'quality.policy.MISSING_FIELD.impute: the only imputation is symbol_median'],
    ['a tolerance of 1', { quality: { notionalTolerance: 1 } }, 'quality.notionalTolerance: must be a number in [0, 1)'],
    ['a negative tolerance', { quality: { notionalTolerance: -0.01 } }, 'quality.notionalTolerance: must be a number in [0, 1)'],
    ['known symbols that are not a list of strings', { quality: { knownSymbols: 'ACME' } }, 'quality.knownSymbols: must be a list of symbols'],
    ['singleDay that is not a boolean', { quality: { singleDay: 'yes' } }, 'quality.singleDay: must be true or false'],
    ['quality that is not an object', { quality: true }, 'quality: must be an object'],
  ])('reports %s', (_what, doc, expected) => {
    const message = problemsOf(doc, 'schemas/x.yaml');

    expect(message.startsWith('schemas/x.yaml: ')).toBe(true);
    expect(message).toContain(expected);
  });

  it('collects every problem of a document into one error', () => {
    const message = problemsOf({
      colour: 'blue',
      delimiter: ':',
      columns: { timestamp: 'ts', symbol: 'sym', side: 'dir', quantity: 'qty', qty: 'q' },
      timestamp: { timeZone: 'Nowhere/Land' },
      numbers: { decimal: ',', thousands: ',' },
      quality: {
        session: { timeZone: 'Europe/Paris', open: '18:00', close: '9:00', weekdays: [9], holidays: ['tomorrow'] },
        policy: { NOT_A_RULE: { action: 'score' }, MISSING_FIELD: { action: 'explode' } },
      },
    });

    for (const place of [
      'colour:',
      'delimiter:',
      'columns.qty:',
      'columns.price:',
      'timestamp.timeZone:',
      'numbers:',
      'quality.session.close:',
      'quality.session.weekdays:',
      'quality.session.holidays:',
      'quality.policy.NOT_A_RULE:',
      'quality.policy.MISSING_FIELD:',
    ]) {
      expect(message).toContain(place);
    }
    expect(message.split('; ').length).toBeGreaterThanOrEqual(11);
  });

  // Regression: `in` once accepted Object.prototype's members as rule codes.
  it('rejects a policy key that is only a member of Object.prototype (constructor)', () => {
    const message = problemsOf({ quality: { policy: { constructor: { action: 'ignore' } } } });

    expect(message).toContain('quality.policy.constructor: not a rule code');
  });
});

describe('loadSchemaFile', () => {
  it('rejects a missing file with a SchemaFileError naming it', async () => {
    const missing = path.join(os.tmpdir(), 'trade-anomaly-no-such-schema-7f3a.yaml');

    await expect(loadSchemaFile(missing)).rejects.toThrow(SchemaFileError);
    await expect(loadSchemaFile(missing)).rejects.toThrow(`${missing}: cannot read the schema file`);
  });

  const files = readdirSync(SCHEMAS_DIR).filter((f) => /\.(ya?ml|json)$/i.test(f));

  it('finds the example schemas', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  it.each(files)('validates schemas/%s', async (file) => {
    const schema = await loadSchemaFile(path.join(SCHEMAS_DIR, file));

    expect(schema.name).toBe(file.replace(/\.(ya?ml|json)$/i, ''));
    expect(schema.columns).toBeDefined();
  });

  it('reads the Binance example: amount as quantity, btc_volume as notional, epoch ms, duplicate rows ignored', async () => {
    const schema = await loadSchemaFile(path.join(SCHEMAS_DIR, 'binance-spot-trades.yaml'));

    expect(schema.columns).toEqual({ symbol: 'symbol', timestamp: 'timestamp', side: 'side', price: 'price', quantity: 'amount', notional: 'btc_volume' });
    expect(schema.timestamp).toEqual({ format: 'epoch_ms', timeZone: 'UTC' });
    expect(schema.quality.singleDay).toBe(false);
    expect(policyOf(schema, 'DUPLICATE_ROW')).toEqual({ action: 'ignore' });
  });

  it('reads the European example: decimal comma, Paris session, B/A and S/V sides', async () => {
    const schema = await loadSchemaFile(path.join(SCHEMAS_DIR, 'european-equities-example.yaml'));

    expect(schema.delimiter).toBe(';');
    expect(schema.numbers).toEqual({ decimal: ',', thousands: '.' });
    expect(schema.side).toEqual({ buy: ['b', 'a'], sell: ['s', 'v'] });
    expect(schema.quality.session).toEqual({
      timeZone: 'Europe/Paris',
      open: '09:00',
      close: '17:30',
      weekdays: [1, 2, 3, 4, 5],
      holidays: ['2026-12-25', '2026-12-31', '2027-01-01'],
    });
    expect(policyOf(schema, 'MISSING_FIELD')).toEqual({ action: 'flag_only', impute: 'symbol_median' });
  });
});

describe('policyOf', () => {
  const codes = Object.keys(QUALITY_CODES) as QualityCode[];

  it('has a default for every rule code', () => {
    expect(Object.keys(DEFAULT_POLICY).sort()).toEqual([...codes].sort());
  });

  it.each<[QualityCode, string]>([
    // A row missing a value the model needs is only flagged...
    ['MALFORMED_ROW', 'flag_only'],
    ['MISSING_FIELD', 'flag_only'],
    ['UNPARSABLE_NUMBER', 'flag_only'],
    ['UNPARSABLE_TIMESTAMP', 'flag_only'],
    ['NON_FINITE_NUMBER', 'flag_only'],
    ['NON_POSITIVE_VALUE', 'flag_only'],
    // ...a row whose values are usable is flagged and still scored.
    ['UNKNOWN_SIDE', 'score'],
    ['DUPLICATE_TRADE_ID', 'score'],
    ['DUPLICATE_ROW', 'score'],
    ['OUTSIDE_TRADING_DAY', 'score'],
    ['OUTSIDE_SESSION', 'score'],
    ['INCONSISTENT_NOTIONAL', 'score'],
    ['UNKNOWN_SYMBOL', 'score'],
  ])('defaults %s to %s', (code, action) => {
    expect(policyOf(DEFAULT_SCHEMA, code)).toEqual({ action });
    expect(policyOf(validateSchema({}, 'x.yaml'), code)).toEqual(DEFAULT_POLICY[code]);
  });

  it('takes a schema override for the rules it names and the default for the others', () => {
    const schema = parseSchemaText(
      'quality:\n  policy:\n    DUPLICATE_ROW: { action: ignore }\n    NON_POSITIVE_VALUE: { action: flag_only, impute: symbol_median }\n    UNKNOWN_SIDE: { action: flag_only }\n',
      'p.yaml',
    );

    expect(policyOf(schema, 'DUPLICATE_ROW')).toEqual({ action: 'ignore' });
    expect(policyOf(schema, 'NON_POSITIVE_VALUE')).toEqual({ action: 'flag_only', impute: 'symbol_median' });
    expect(policyOf(schema, 'UNKNOWN_SIDE')).toEqual({ action: 'flag_only' });
    expect(policyOf(schema, 'DUPLICATE_TRADE_ID')).toEqual({ action: 'score' });
    expect(policyOf(schema, 'MISSING_FIELD')).toEqual({ action: 'flag_only' });
  });
});
