import { describe, expect, it } from 'vitest';
import { fieldReaders } from '../../src/parse/field-readers.js';
import { localToUtc, utcToLocal, zoneOffsetMs } from '../../src/parse/time-zones.js';
import { DEFAULT_SCHEMA, validateSchema } from '../../src/schema/schema-settings.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

function readersFor(doc: Record<string, unknown>) {
  return fieldReaders(validateSchema(doc, 'test.yaml'));
}

const ok = <T>(value: T) => ({ ok: true, value });
const unparsable = { ok: false, problem: 'unparsable' };
const missing = { ok: false, problem: 'missing' };

describe('number reader: decimal comma, thousands dot', () => {
  const read = readersFor({ numbers: { decimal: ',', thousands: '.' } }).number;

  it.each<[string, number]>([
    ['1.234.567,89', 1234567.89],
    ['57,32', 57.32],
    ['1.200', 1200],
    ['-1.234,5', -1234.5],
    ['+12.000,25', 12000.25],
    ['  3,5  ', 3.5],
    ['42', 42],
  ])('reads %j as %d', (text, value) => {
    expect(read(text)).toEqual(ok(value));
  });

  it.each([
    ['1,5.3', 'a dot after the decimal comma'],
    ['12.5', 'a dot that is not a thousands group'],
    ['1.23', 'a group of two digits'],
    ['1234.567', 'a first group of four digits'],
    ['1,2,3', 'two decimal commas'],
    ['abc', 'text'],
  ])('does not read %j (%s)', (text) => {
    expect(read(text)).toEqual(unparsable);
  });

  it('says an empty value is missing', () => {
    expect(read('  ')).toEqual(missing);
  });
});

describe('number reader: thousands comma, decimal dot', () => {
  const read = readersFor({ numbers: { decimal: '.', thousands: ',' } }).number;

  it.each<[string, number]>([
    ['1,000.50', 1000.5],
    ['1,234,567', 1234567],
    ['999', 999],
    ['1000.5', 1000.5],
  ])('reads %j as %d', (text, value) => {
    expect(read(text)).toEqual(ok(value));
  });

  it.each(['1,00.5', ',100', '1,000,0', '10,00'])('does not read %j', (text) => {
    expect(read(text)).toEqual(unparsable);
  });
});

describe('number reader: other thousands separators', () => {
  it.each<[string, string, string, number]>([
    [' ', '.', '1 234 567.5', 1234567.5],
    [' ', ',', '1 234,5', 1234.5],
    ["'", '.', "1'234'567.25", 1234567.25],
    ["'", ',', "12'000,75", 12000.75],
  ])('thousands %j, decimal %j: reads %j as %d', (thousands, decimal, text, value) => {
    expect(readersFor({ numbers: { decimal, thousands } }).number(text)).toEqual(ok(value));
  });

  it.each<[string, string]>([
    [' ', '1 23'],
    ["'", "12'34"],
  ])('thousands %j: does not read a badly grouped %j', (thousands, text) => {
    expect(readersFor({ numbers: { thousands } }).number(text)).toEqual(unparsable);
  });

  it('decimal comma without thousands: reads "57,32", refuses a dot', () => {
    const read = readersFor({ numbers: { decimal: ',' } }).number;

    expect(read('57,32')).toEqual(ok(57.32));
    expect(read('1.5')).toEqual(unparsable);
  });
});

describe('number reader: the default schema', () => {
  const read = fieldReaders(DEFAULT_SCHEMA).number;

  it('keeps a thousands-grouped number unparsable', () => {
    expect(read('1,000.50')).toEqual(unparsable);
  });

  it('reads a plain decimal number', () => {
    expect(read('1000.50')).toEqual(ok(1000.5));
  });
});

describe('timestamp reader: epoch formats', () => {
  // 1614013209849 ms after the epoch is 2021-02-22T17:00:09.849Z (the Binance sample's first trade).
  const INSTANT = Date.UTC(2021, 1, 22, 17, 0, 9, 849);

  it('epoch_ms reads milliseconds', () => {
    const read = readersFor({ timestamp: { format: 'epoch_ms' } }).timestamp;

    expect(read('1614013209849')).toEqual(ok(INSTANT));
    expect(read('  1614013209849 ')).toEqual(ok(INSTANT));
  });

  it('epoch_s reads seconds, fractional seconds included', () => {
    const read = readersFor({ timestamp: { format: 'epoch_s' } }).timestamp;

    expect(read('1614013209.849')).toEqual(ok(INSTANT));
    expect(read('1614013209')).toEqual(ok(INSTANT - 849));
    expect(read('1614013209.5')).toEqual(ok(INSTANT - 349));
  });

  it.each(['epoch_ms', 'epoch_s'])('%s refuses ISO text and says empty text is missing', (format) => {
    const read = readersFor({ timestamp: { format } }).timestamp;

    expect(read('2021-02-22T17:00:09.849Z')).toEqual(unparsable);
    expect(read('1.6e12')).toEqual(unparsable);
    expect(read('')).toEqual(missing);
  });
});

describe('timestamp reader: iso and auto', () => {
  it('iso refuses text of digits only, which auto reads as epoch', () => {
    const iso = readersFor({ timestamp: { format: 'iso' } }).timestamp;
    const auto = readersFor({ timestamp: { format: 'auto' } }).timestamp;

    expect(iso('1614013209849')).toEqual(unparsable);
    expect(iso('1614013209')).toEqual(unparsable);
    expect(auto('1614013209849')).toEqual(ok(Date.UTC(2021, 1, 22, 17, 0, 9, 849)));
    expect(iso('2021-02-22T17:00:09.849Z')).toEqual(ok(Date.UTC(2021, 1, 22, 17, 0, 9, 849)));
  });

  describe('with timeZone Europe/Paris', () => {
    const auto = readersFor({ timestamp: { format: 'auto', timeZone: 'Europe/Paris' } }).timestamp;
    const iso = readersFor({ timestamp: { format: 'iso', timeZone: 'Europe/Paris' } }).timestamp;

    it.each<[string, number]>([
      // Summer (CEST, +02:00): 10:00 local is 08:00Z.
      ['2026-07-01T10:00:00', Date.UTC(2026, 6, 1, 8, 0, 0)],
      ['2026-07-01 10:00:00.250', Date.UTC(2026, 6, 1, 8, 0, 0, 250)],
      // Winter (CET, +01:00): 10:00 local is 09:00Z.
      ['2026-12-01T10:00:00', Date.UTC(2026, 11, 1, 9, 0, 0)],
      ['2026-12-01T00:30', Date.UTC(2026, 10, 30, 23, 30, 0)],
    ])('reads zone-less %j as wall-clock time in Paris', (text, expected) => {
      expect(auto(text)).toEqual(ok(expected));
      expect(iso(text)).toEqual(ok(expected));
    });

    it.each<[string, number]>([
      ['2026-07-01T10:00:00Z', Date.UTC(2026, 6, 1, 10, 0, 0)],
      ['2026-07-01T10:00:00z', Date.UTC(2026, 6, 1, 10, 0, 0)],
      ['2026-07-01T10:00:00+05:30', Date.UTC(2026, 6, 1, 4, 30, 0)],
      ['2026-12-01 10:00:00 -0400', Date.UTC(2026, 11, 1, 14, 0, 0)],
      ['2026-12-01T10:00:00+01', Date.UTC(2026, 11, 1, 9, 0, 0)],
    ])('keeps the explicit zone of %j', (text, expected) => {
      expect(auto(text)).toEqual(ok(expected));
    });

    it('reads epoch digits as UTC instants, whatever the zone', () => {
      expect(auto('1782900000000')).toEqual(ok(1782900000000));
    });

    it('still refuses what is not a timestamp', () => {
      expect(auto('01/07/2026 10:00')).toEqual(unparsable);
      expect(auto('2026-02-30T10:00:00')).toEqual(unparsable);
      expect(auto('')).toEqual(missing);
    });
  });
});

describe('timestamp reader: patterns', () => {
  const paris = readersFor({ timestamp: { format: 'dd/MM/yyyy HH:mm:ss,SSS', timeZone: 'Europe/Paris' } }).timestamp;

  it.each<[string, number]>([
    ['01/12/2026 09:00:01,250', Date.UTC(2026, 11, 1, 8, 0, 1, 250)],
    ['01/12/2026 09:00:01,5', Date.UTC(2026, 11, 1, 8, 0, 1, 500)],
    ['01/12/2026 09:00:01,123456', Date.UTC(2026, 11, 1, 8, 0, 1, 123)],
    ['01/07/2026 09:00:01,250', Date.UTC(2026, 6, 1, 7, 0, 1, 250)],
    ['  31/12/2026 23:59:59,999 ', Date.UTC(2026, 11, 31, 22, 59, 59, 999)],
  ])('reads %j as Paris wall-clock time', (text, expected) => {
    expect(paris(text)).toEqual(ok(expected));
  });

  it.each([
    ['2026-12-01 09:00:01,250', 'another layout'],
    ['01/12/2026 09:00:01.250', 'a dot where the pattern has a comma'],
    ['1/12/2026 09:00:01,250', 'a one-digit day'],
    ['31/02/2026 09:00:01,250', 'a date that does not exist'],
    ['01/13/2026 09:00:01,250', 'month 13'],
  ])('refuses %j (%s)', (text) => {
    expect(paris(text)).toEqual(unparsable);
  });

  it('says empty text is missing', () => {
    expect(paris('')).toEqual(missing);
  });

  it('matches literal text around the tokens, regex characters included', () => {
    const read = readersFor({ timestamp: { format: 'Trade on yyyy.MM.dd at HH:mm' } }).timestamp;
    const bracketed = readersFor({ timestamp: { format: '[yyyy-MM-dd] (HH:mm:ss)' } }).timestamp;

    expect(read('Trade on 2026.12.01 at 14:30')).toEqual(ok(Date.UTC(2026, 11, 1, 14, 30)));
    expect(read('Trade on 2026x12x01 at 14:30')).toEqual(unparsable);
    expect(read('2026.12.01 at 14:30')).toEqual(unparsable);
    expect(bracketed('[2026-12-01] (14:30:05)')).toEqual(ok(Date.UTC(2026, 11, 1, 14, 30, 5)));
    expect(bracketed('2026-12-01 14:30:05')).toEqual(unparsable);
  });

  it('fills missing time tokens with zero', () => {
    const read = readersFor({ timestamp: { format: 'yyyyMMdd' } }).timestamp;

    expect(read('20261201')).toEqual(ok(Date.UTC(2026, 11, 1)));
  });
});

describe('time zones: daylight-saving edges (the earlier of two readings)', () => {
  // Europe/London 2026: clocks go forward at 01:00Z on Sunday 29 March (GMT -> BST) and back at
  // 01:00Z on Sunday 25 October (BST -> GMT).
  it('reads 01:30 on 2026-03-29 in London, which does not exist, as 00:30Z (the BST reading; GMT would give 01:30Z)', () => {
    const local = Date.UTC(2026, 2, 29, 1, 30);

    expect(localToUtc(local, 'Europe/London')).toBe(Date.UTC(2026, 2, 29, 0, 30));
    expect(readersFor({ timestamp: { timeZone: 'Europe/London' } }).timestamp('2026-03-29T01:30:00')).toEqual(ok(Date.UTC(2026, 2, 29, 0, 30)));
  });

  // Regression: the overlap's earlier reading was once never tried for zones east of UTC.
  it('reads 01:30 on 2026-10-25 in London, which occurs twice, as 00:30Z (the earlier, BST reading)', () => {
    expect(localToUtc(Date.UTC(2026, 9, 25, 1, 30), 'Europe/London')).toBe(Date.UTC(2026, 9, 25, 0, 30));
  });

  // Regression: same cause; the example Paris schema reads zone-less times this way.
  it('reads 02:30 on 2026-10-25 in Paris, which occurs twice, as 00:30Z (the earlier, CEST reading)', () => {
    const read = readersFor({ timestamp: { format: 'dd/MM/yyyy HH:mm:ss,SSS', timeZone: 'Europe/Paris' } }).timestamp;

    expect(read('25/10/2026 02:30:00,000')).toEqual(ok(Date.UTC(2026, 9, 25, 0, 30)));
  });

  // America/New_York 2026: forward at 07:00Z on 8 March (EST -> EDT), back at 06:00Z on 1 November.
  it('reads 02:30 on 2026-03-08 in New York, which does not exist, as 06:30Z (EDT reading; EST would give 07:30Z)', () => {
    expect(localToUtc(Date.UTC(2026, 2, 8, 2, 30), 'America/New_York')).toBe(Date.UTC(2026, 2, 8, 6, 30));
  });

  it('reads 01:30 on 2026-11-01 in New York, which occurs twice, as 05:30Z (EDT reading; EST would give 06:30Z)', () => {
    expect(localToUtc(Date.UTC(2026, 10, 1, 1, 30), 'America/New_York')).toBe(Date.UTC(2026, 10, 1, 5, 30));
  });

  it('reads the hours either side of the London transitions with the offset then in force', () => {
    expect(localToUtc(Date.UTC(2026, 2, 29, 0, 59), 'Europe/London')).toBe(Date.UTC(2026, 2, 29, 0, 59));
    expect(localToUtc(Date.UTC(2026, 2, 29, 2, 0), 'Europe/London')).toBe(Date.UTC(2026, 2, 29, 1, 0));
    expect(localToUtc(Date.UTC(2026, 9, 25, 0, 30), 'Europe/London')).toBe(Date.UTC(2026, 9, 24, 23, 30));
    expect(localToUtc(Date.UTC(2026, 9, 25, 2, 0), 'Europe/London')).toBe(Date.UTC(2026, 9, 25, 2, 0));
  });
});

describe('time zones: offsets and round trips', () => {
  it.each<[string, number, number]>([
    ['America/New_York', Date.UTC(2026, 0, 15, 12), -5 * HOUR],
    ['America/New_York', Date.UTC(2026, 6, 15, 12), -4 * HOUR],
    ['Europe/Paris', Date.UTC(2026, 11, 1, 8), 1 * HOUR],
    ['Europe/Paris', Date.UTC(2026, 6, 1, 8), 2 * HOUR],
    ['Asia/Tokyo', Date.UTC(2026, 6, 1, 8), 9 * HOUR],
    ['Asia/Kolkata', Date.UTC(2026, 0, 1, 0), 5 * HOUR + 30 * MINUTE],
    ['Asia/Kathmandu', Date.UTC(2026, 0, 1, 0), 5 * HOUR + 45 * MINUTE],
    ['UTC', Date.UTC(2026, 6, 1, 8), 0],
  ])('%s at %d is %d ms from UTC', (zone, instant, offset) => {
    expect(zoneOffsetMs(zone, instant)).toBe(offset);
  });

  it('switches New York from -5h to -4h exactly at 07:00Z on 2026-03-08', () => {
    expect(zoneOffsetMs('America/New_York', Date.UTC(2026, 2, 8, 6, 59, 59))).toBe(-5 * HOUR);
    expect(zoneOffsetMs('America/New_York', Date.UTC(2026, 2, 8, 7, 0, 0))).toBe(-4 * HOUR);
  });

  it('gives the wall-clock time of an instant', () => {
    expect(utcToLocal(Date.UTC(2026, 11, 1, 8, 0), 'Europe/Paris')).toBe(Date.UTC(2026, 11, 1, 9, 0));
    expect(utcToLocal(Date.UTC(2026, 0, 15, 3, 0), 'America/New_York')).toBe(Date.UTC(2026, 0, 14, 22, 0));
  });

  const zones = ['Europe/Paris', 'Europe/London', 'America/New_York', 'Asia/Tokyo', 'Asia/Kolkata', 'Australia/Sydney', 'UTC'];
  const instants = [
    Date.UTC(2026, 0, 15, 12, 34, 56, 789),
    Date.UTC(2026, 5, 30, 23, 59, 59, 999),
    Date.UTC(2026, 11, 1, 8, 0, 1, 250),
    Date.UTC(2000, 1, 29, 0, 0),
  ];

  it.each(zones)('round-trips ordinary instants through %s wall-clock time', (zone) => {
    for (const instant of instants) {
      expect(localToUtc(utcToLocal(instant, zone), zone)).toBe(instant);
    }
  });
});

describe('side reader', () => {
  const read = readersFor({ side: { buy: ['B', 'Achat'], sell: ['S', 'Vente'] } }).side;

  it.each<[string, 'BUY' | 'SELL']>([
    ['B', 'BUY'],
    ['b', 'BUY'],
    [' ACHAT ', 'BUY'],
    ['S', 'SELL'],
    ['vEnTe', 'SELL'],
  ])('reads %j as %s', (text, side) => {
    expect(read(text)).toEqual(ok(side));
  });

  it.each(['buy', 'sell', '1', 'X', 'constructor', '__proto__', 'toString'])('does not read %j, a spelling the schema does not list', (text) => {
    expect(read(text)).toEqual(unparsable);
  });

  it('says an empty side is missing', () => {
    expect(read('   ')).toEqual(missing);
  });

  it('reads the default spellings with the default schema', () => {
    const side = fieldReaders(DEFAULT_SCHEMA).side;

    expect(side('Buy')).toEqual(ok('BUY'));
    expect(side('-1')).toEqual(ok('SELL'));
    expect(side('constructor')).toEqual(unparsable);
  });
});
