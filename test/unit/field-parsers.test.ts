import { describe, expect, it } from 'vitest';
import { parseNumber, parseSide, parseTimestamp } from '../../src/parse/field-parsers.js';

describe('parseNumber', () => {
  it.each([
    ['12', 12],
    ['-0.5', -0.5],
    ['+7', 7],
    ['1e3', 1000],
    ['2.5E-2', 0.025],
    ['.5', 0.5],
    ['5.', 5],
    ['0', 0],
    ['  42.25  ', 42.25],
    ['1e308', 1e308],
  ])('reads %j as %d', (text, value) => {
    expect(parseNumber(text)).toEqual({ ok: true, value });
  });

  it.each(['', '   ', '\t'])('reports %j as missing', (text) => {
    expect(parseNumber(text)).toEqual({ ok: false, problem: 'missing' });
  });

  it.each(['abc', '1,000.50', '1 000', '12abc', '0x1F', '--1', '1e', 'e5', '.', '1.2.3', '$5', '5%'])('reports %j as unparsable', (text) => {
    expect(parseNumber(text)).toEqual({ ok: false, problem: 'unparsable' });
  });

  it.each(['NaN', 'nan', 'Infinity', '-Infinity', 'inf', '-inf', '+INF', '1e309', '-1e309'])('reports %j as non-finite', (text) => {
    expect(parseNumber(text)).toEqual({ ok: false, problem: 'non_finite' });
  });
});

describe('parseTimestamp', () => {
  const utc = (iso: string): number => Date.parse(iso);

  it.each([
    ['2026-03-02T14:30:01Z', '2026-03-02T14:30:01.000Z'],
    ['2026-03-02T14:30:01z', '2026-03-02T14:30:01.000Z'],
    ['2026-03-02T14:30:01', '2026-03-02T14:30:01.000Z'],
    ['2026-03-02 14:30:01', '2026-03-02T14:30:01.000Z'],
    ['2026-03-02T14:30', '2026-03-02T14:30:00.000Z'],
    ['  2026-03-02T14:30:01Z  ', '2026-03-02T14:30:01.000Z'],
    ['2026-12-31T23:59:59Z', '2026-12-31T23:59:59.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('reads %j as %s', (text, iso) => {
    expect(parseTimestamp(text)).toEqual({ ok: true, value: utc(iso) });
  });

  it.each([
    ['2026-03-02T14:30:01+01:00', '2026-03-02T13:30:01.000Z'],
    ['2026-03-02T14:30:01+0100', '2026-03-02T13:30:01.000Z'],
    ['2026-03-02T14:30:01+01', '2026-03-02T13:30:01.000Z'],
    ['2026-03-02T14:30:01-05:30', '2026-03-02T20:00:01.000Z'],
    ['2026-03-02T00:30:00+02:00', '2026-03-01T22:30:00.000Z'],
    ['2026-03-02T14:30:01+00:00', '2026-03-02T14:30:01.000Z'],
  ])('converts %j with its offset to UTC %s', (text, iso) => {
    expect(parseTimestamp(text)).toEqual({ ok: true, value: utc(iso) });
  });

  it.each([
    ['.1', 100],
    ['.12', 120],
    ['.123', 123],
    ['.1234', 123],
    ['.123456', 123],
    ['.999999999', 999],
    [',5', 500],
    ['.007', 7],
  ])('reads the fraction %j as %i ms (extra digits truncated)', (fraction, ms) => {
    expect(parseTimestamp(`2026-03-02T14:30:01${fraction}Z`)).toEqual({ ok: true, value: utc('2026-03-02T14:30:01Z') + ms });
  });

  it('refuses an epoch past the dates JavaScript can hold (a row, not a crash of the run)', () => {
    expect(parseTimestamp('9999999999999999')).toEqual({ ok: false, problem: 'unparsable' });
    expect(parseTimestamp('8640000000000000')).toEqual({ ok: true, value: 8.64e15 });
  });

  it('reads every 3-digit fraction as exactly that many milliseconds', () => {
    const base = utc('2026-03-02T14:30:01Z');
    const wrong: string[] = [];
    for (let ms = 0; ms < 1000; ms++) {
      const fraction = String(ms).padStart(3, '0');
      const parsed = parseTimestamp(`2026-03-02T14:30:01.${fraction}Z`);
      if (!parsed.ok || parsed.value !== base + ms) wrong.push(fraction);
    }
    expect(wrong).toEqual([]);
  });

  it.each([
    ['1772461801', 1_772_461_801_000, 'epoch seconds (10 digits)'],
    ['1772461801123', 1_772_461_801_123, 'epoch milliseconds (13 digits)'],
    ['999999999', 999_999_999_000, 'epoch seconds (9 digits)'],
  ])('reads %j as %i: %s', (text, value) => {
    expect(parseTimestamp(text)).toEqual({ ok: true, value });
  });

  it('puts epoch seconds and milliseconds for the same instant on the same value', () => {
    const seconds = parseTimestamp('1772461801');
    const millis = parseTimestamp('1772461801000');

    expect(seconds.ok && millis.ok && seconds.value === millis.value).toBe(true);
    expect(seconds).toEqual({ ok: true, value: utc('2026-03-02T14:30:01Z') });
  });

  it.each([
    '2026-02-30T10:00:00Z',
    '2026-02-29T10:00:00Z',
    '2026-04-31T10:00:00Z',
    '2026-13-01T10:00:00Z',
    '2026-00-10T10:00:00Z',
    '2026-03-00T10:00:00Z',
    '2026-03-32T10:00:00Z',
    '2026-03-02T25:00:00Z',
    '2026-03-02T24:00:00Z',
    '2026-03-02T14:60:00Z',
    '2026-03-02T14:30:60Z',
  ])('rejects the impossible date-time %j as unparsable', (text) => {
    expect(parseTimestamp(text)).toEqual({ ok: false, problem: 'unparsable' });
  });

  it.each([
    'yesterday',
    '02/03/2026 14:30',
    '2026-03-02',
    '2026-3-2T14:30:00Z',
    '2026-03-02T14:30:01.1234567890Z',
    '2026-03-02T14:30:01 PST',
    '12345',
    '17724618011234567',
    '1.5e9',
    'T14:30:00',
  ])('rejects the garbage %j as unparsable', (text) => {
    expect(parseTimestamp(text)).toEqual({ ok: false, problem: 'unparsable' });
  });

  it.each(['', '  '])('reports %j as missing', (text) => {
    expect(parseTimestamp(text)).toEqual({ ok: false, problem: 'missing' });
  });

  // Regression: Date.UTC reads years 0-99 as 1900-1999.
  it('keeps a four-digit year below 100 as written', () => {
    expect(parseTimestamp('0050-01-01T00:00:00Z')).toEqual({ ok: true, value: Date.parse('0050-01-01T00:00:00Z') });
  });

  // Regression: offsets were once not range-checked.
  it.each(['2026-01-01T00:00:00+25:00', '2026-01-01T00:00:00+01:99'])('rejects the impossible zone offset in %j', (text) => {
    expect(parseTimestamp(text)).toEqual({ ok: false, problem: 'unparsable' });
  });
});

describe('parseSide', () => {
  it.each(['buy', 'BUY', 'Buy', 'b', 'B', '1', 'bid', ' buy '])('reads %j as BUY', (text) => {
    expect(parseSide(text)).toEqual({ ok: true, value: 'BUY' });
  });

  it.each(['sell', 'SELL', 's', 'S', '-1', '2', 'ask', 'offer'])('reads %j as SELL', (text) => {
    expect(parseSide(text)).toEqual({ ok: true, value: 'SELL' });
  });

  it.each(['x', 'buyer', '0', '3', 'short', 'toString', 'valueOf'])('reports the unknown side %j as unparsable', (text) => {
    expect(parseSide(text)).toEqual({ ok: false, problem: 'unparsable' });
  });

  // Regression: a lookup in a plain object once found Object.prototype's properties.
  it.each(['constructor', '__proto__'])('reports the unknown side %j as unparsable', (text) => {
    expect(parseSide(text)).toEqual({ ok: false, problem: 'unparsable' });
  });

  it.each(['', '   '])('reports %j as missing', (text) => {
    expect(parseSide(text)).toEqual({ ok: false, problem: 'missing' });
  });
});
