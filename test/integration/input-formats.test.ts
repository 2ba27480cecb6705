import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSchemaText } from '../../src/schema/schema-settings.js';
import { generateDays, tempDir, trainOn } from '../support/fixtures.js';
import { PipelineHarness } from '../support/pipeline-harness.js';

/**
 * Trade files as they really come, through ingest, score and aggregate on the embedded S3: each
 * format is read into the same rows, each malformed row is kept and flagged, each unreadable file is
 * rejected with a reason naming it, and the input object is never changed.
 */
const HEADER = 'trade_id,timestamp,symbol,side,quantity,price';

/** 40 ordinary trades of two symbols on 2026-12-01, in the default schema. */
function goodRows(): string[] {
  const rows: string[] = [];
  for (let i = 0; i < 40; i++) {
    const symbol = i % 2 ? 'ACME' : 'BOLT';
    const price = (symbol === 'ACME' ? 101.25 : 9.5) * (1 + ((i % 5) - 2) / 1000);
    const minute = String(10 + Math.floor(i / 4)).padStart(2, '0');
    rows.push(`T${i + 1},2026-12-01T${minute}:0${i % 4}:00.000Z,${symbol},${i % 3 ? 'BUY' : 'SELL'},${100 + (i % 7) * 10},${price.toFixed(3)}`);
  }
  return rows;
}

const lf = (lines: string[]) => `${lines.join('\n')}\n`;

describe('input formats and malformed rows', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let harness: PipelineHarness;

  beforeAll(async () => {
    tmp = await tempDir('formats');
    const days = await generateDays(tmp.dir, { rows: 3000, seed: 21, day: '2026-11-30', historyDays: 0 });
    harness = await PipelineHarness.start(tmp.dir, await trainOn([days.day.path]));
  });

  afterAll(async () => {
    await harness?.stop();
    await tmp?.cleanup();
  });

  const reference = lf([HEADER, ...goodRows()]);

  it.each([
    ['LF', reference],
    ['CRLF', reference.replace(/\n/g, '\r\n')],
    ['a UTF-8 byte-order mark', `\ufeff${reference}`],
    ['semicolons (detected)', reference.replace(/,/g, ';')],
    ['tabs (detected)', reference.replace(/,/g, '\t')],
    ['pipes (detected)', reference.replace(/,/g, '|')],
    ['no final newline', reference.slice(0, -1)],
    ['gzip', gzipSync(Buffer.from(reference))],
  ])('reads %s into the same 40 clean rows', async (_name, body) => {
    const run = await harness.run(`format-${_name.replace(/\W+/g, '-')}.csv`, body);
    expect(run.outcome.status).toBe('started');
    expect(run.rows).toHaveLength(40);
    expect(run.rows!.map((r) => r.trade_id)).toEqual(Array.from({ length: 40 }, (_, i) => `T${i + 1}`));
    expect(run.rows!.every((r) => (r.quality_issues as string[]).length === 0)).toBe(true);
    expect(Buffer.from(run.inputAfter)).toEqual(Buffer.from(body));
  });

  it('keeps quoted commas, quotes and newlines inside fields, and carries extra columns untouched', async () => {
    const body = lf([
      `${HEADER},note`,
      ...goodRows().slice(0, 10).map((r, i) => `${r},${i === 3 ? '"line one\nline two, with ""quotes"""' : `plain ${i}`}`),
    ]);
    const run = await harness.run('quoted.csv', body);
    expect(run.rows).toHaveLength(10);
    expect(run.rows![3].note).toBe('line one\nline two, with "quotes"');
    expect(run.rows![4].note).toBe('plain 4');
    expect(run.rows![4].source_row).toBe(5);
  });

  it.each([
    ['a truncated last line', `${reference}T41,2026-12-01T11:00:00Z,ACME`, 'MALFORMED_ROW', /cut short/],
    ['a row with too many fields', lf([HEADER, ...goodRows(), 'T41,2026-12-01T11:00:00Z,ACME,BUY,100,101.2,extra']), 'MALFORMED_ROW', /7 fields, the header has 6/],
    ['an unterminated quote', `${reference}T41,2026-12-01T11:00:00Z,"ACME,BUY,100,101.2\n`, 'MALFORMED_ROW', /never closed/],
    ['a thousands separator', lf([HEADER, ...goodRows(), 'T41,2026-12-01T11:00:00Z,ACME,BUY,"1,000.50",101.2']), 'UNPARSABLE_NUMBER', /quantity '1,000.50' is not a number/],
    ['NaN', lf([HEADER, ...goodRows(), 'T41,2026-12-01T11:00:00Z,ACME,BUY,100,NaN']), 'NON_FINITE_NUMBER', /price 'NaN'/],
    ['Infinity', lf([HEADER, ...goodRows(), 'T41,2026-12-01T11:00:00Z,ACME,BUY,Infinity,101.2']), 'NON_FINITE_NUMBER', /quantity 'Infinity'/],
    ['1e309', lf([HEADER, ...goodRows(), 'T41,2026-12-01T11:00:00Z,ACME,BUY,100,1e309']), 'NON_FINITE_NUMBER', /price '1e309'/],
    ['a negative price', lf([HEADER, ...goodRows(), 'T41,2026-12-01T11:00:00Z,ACME,BUY,100,-101.2']), 'NON_POSITIVE_VALUE', /price '-101.2' is not positive/],
    ['a zero quantity', lf([HEADER, ...goodRows(), 'T41,2026-12-01T11:00:00Z,ACME,BUY,0,101.2']), 'NON_POSITIVE_VALUE', /quantity '0' is not positive/],
    ['an impossible date', lf([HEADER, ...goodRows(), 'T41,2026-02-30T11:00:00Z,ACME,BUY,100,101.2']), 'UNPARSABLE_TIMESTAMP', /2026-02-30/],
    ['a timestamp on another day', lf([HEADER, ...goodRows(), 'T41,2026-12-02T11:00:00Z,ACME,BUY,100,101.2']), 'OUTSIDE_TRADING_DAY', /trading day 2026-12-01/],
    ['an unknown side', lf([HEADER, ...goodRows(), 'T41,2026-12-01T11:00:00Z,ACME,HOLD,100,101.2']), 'UNKNOWN_SIDE', /side 'HOLD'/],
    ['a missing symbol', lf([HEADER, ...goodRows(), 'T41,2026-12-01T11:00:00Z,,BUY,100,101.2']), 'MISSING_FIELD', /symbol is missing/],
    ['a repeated trade id', lf([HEADER, ...goodRows(), 'T7,2026-12-01T11:00:00Z,ACME,BUY,100,101.2']), 'DUPLICATE_TRADE_ID', /repeats row 7/],
    ['an exact duplicate row', lf([HEADER, ...goodRows(), goodRows()[9]]), 'DUPLICATE_ROW', /repeats row 10 exactly/],
  ])('keeps and flags %s', async (_name, body, code, message) => {
    const run = await harness.run(`bad-row-${_name.replace(/\W+/g, '-')}.csv`, body);
    expect(run.outcome.status).toBe('started');
    const rows = run.rows!;
    expect(rows.length).toBeGreaterThanOrEqual(41);
    const flagged = rows.filter((r) => (r.quality_issues as string[]).includes(code));
    expect(flagged).toHaveLength(1);
    expect(flagged[0].is_anomaly).toBe(true);
    expect(flagged[0].reasons).toMatch(message);
    expect(run.summary!.byReason[code]).toBe(1);
    expect(run.alerts.at(-1)!.message).toContain(code);
  });

  it.each([
    ['an empty file', '', /empty/],
    ['a header only', `${HEADER}\n`, /no data rows/],
    ['a header that is not a trade header', lf(['id,when,what', '1,2,3']), /missing required columns trade_id, timestamp, symbol, side, quantity, price/],
    ['data without a header', lf(goodRows()), /missing required columns/],
    ['binary data', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00, 0xff, 0x10, 0x00, 0x00]), /binary/],
    ['UTF-16 text', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(reference, 'utf16le')]), /UTF-16/],
    ['bytes that are not UTF-8', Buffer.from(Array.from({ length: 400 }, (_, i) => 0x80 + (i % 100))), /not UTF-8/],
    ['a corrupt gzip', Buffer.concat([gzipSync(Buffer.from(reference)).subarray(0, 40), Buffer.from('garbage')]), /gzip data is corrupt/],
    ['a gzip cut short', gzipSync(Buffer.from(reference)).subarray(0, 60), /gzip data is corrupt or cut short/],
  ])('rejects %s with a reason naming the file, and keeps it', async (name, body, reason) => {
    const file = `unreadable-${name.replace(/\W+/g, '-')}.csv`;
    const run = await harness.run(file, body);
    expect(run.outcome.status).toBe('rejected');
    if (run.outcome.status !== 'rejected') return;
    expect(run.outcome.reason).toMatch(reason);
    expect(run.outcome.reason).toContain(file);
    expect(Buffer.from(run.inputAfter)).toEqual(Buffer.from(body));
    expect(Buffer.from(await harness.store.get(run.outcome.rejectedKey))).toEqual(Buffer.from(body));
    expect(run.alerts).toHaveLength(1);
  });

  it("applies a stage's anomaly threshold instead of the model's, in the scores' flags and the summary alike", async () => {
    const own = await harness.run('threshold-model.csv', reference);
    const lowered = await harness.run('threshold-stage.csv', reference, { threshold: 0.3 });
    expect(lowered.summary!.threshold).toBe(0.3);
    expect(own.summary!.threshold).toBeGreaterThan(0.3);
    const flaggedAt = (rows: Record<string, unknown>[], t: number) => rows.filter((r) => (r.score as number) >= t).length;
    expect(lowered.summary!.modelAnomalies).toBe(flaggedAt(lowered.rows!, 0.3));
    expect(lowered.summary!.modelAnomalies).toBeGreaterThan(own.summary!.modelAnomalies);
    expect(lowered.rows!.filter((r) => r.is_anomaly)).toHaveLength(lowered.summary!.anomalies);
  });

  it('reads a headerless, semicolon-separated file with decimal commas and local times through a schema', async () => {
    const schema = parseSchemaText(
      [
        'header: false',
        'delimiter: ";"',
        'columns: { trade_id: 1, timestamp: 2, symbol: 3, side: 4, quantity: 5, price: 6 }',
        'timestamp: { format: "dd/MM/yyyy HH:mm:ss", timeZone: Europe/Paris }',
        'side: { buy: [A], sell: [V] }',
        'numbers: { decimal: ",", thousands: "." }',
      ].join('\n'),
      'inline schema',
    );
    const body = lf(
      goodRows().map((r) => {
        const [id, ts, symbol, side, qty, price] = r.split(',');
        const d = new Date(ts);
        const local = `01/12/2026 ${String(d.getUTCHours() + 1).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')}`;
        return [id, local, symbol, side === 'BUY' ? 'A' : 'V', `1.${qty}`, price.replace('.', ',')].join(';');
      }),
    );
    const run = await harness.run('headerless-paris.csv', body, { schema });
    expect(run.rows).toHaveLength(40);
    expect(run.rows!.every((r) => (r.quality_issues as string[]).length === 0)).toBe(true);
    const first = run.rows![0];
    expect((first.timestamp as Date).toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(first.quantity).toBe(1100);
    expect(first.side).toBe('SELL');
    expect(first.price).toBeCloseTo(9.481, 6);
  });
});
