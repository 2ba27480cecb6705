import type { TradeSchema } from '../schema/schema-settings.js';
import { parseNumber, parseTimestamp, type Parsed, type Side } from './field-parsers.js';
import { localToUtc } from './time-zones.js';

/**
 * The field parsers one schema calls for: number separators, timestamp format and zone, side
 * spellings. Built once per file; each reader returns a tagged result and never throws.
 */
export interface FieldReaders {
  number(text: string): Parsed<number>;
  timestamp(text: string): Parsed<number>;
  side(text: string): Parsed<Side>;
}

function numberReader(schema: TradeSchema): FieldReaders['number'] {
  const { decimal, thousands } = schema.numbers;
  if (decimal === '.' && thousands === '') return parseNumber;
  // 1.234.567,89 -> 1234567.89: groups of three after the first, then the decimal part.
  const t = thousands === '' ? '' : `\\${thousands}`;
  const d = `\\${decimal}`;
  const grouped = t ? new RegExp(`^[+-]?\\d{1,3}(?:${t}\\d{3})+(?:${d}\\d*)?$`) : undefined;
  return (text) => {
    let s = text.trim();
    if (grouped && grouped.test(s)) s = s.split(thousands).join('');
    else if (t && s.includes(thousands)) return { ok: false, problem: 'unparsable' };
    if (decimal === ',') {
      if (s.includes('.')) return { ok: false, problem: 'unparsable' };
      s = s.replace(',', '.');
    }
    return parseNumber(s);
  };
}

const TOKEN = /yyyy|MM|dd|HH|mm|ss|SSS/g;

/** A reader for a pattern such as "dd/MM/yyyy HH:mm:ss.SSS" (SSS takes a fraction of any length). */
function patternReader(pattern: string, zone: string): FieldReaders['timestamp'] {
  const order: string[] = [];
  let source = '^';
  let last = 0;
  for (const m of pattern.matchAll(TOKEN)) {
    source += pattern.slice(last, m.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    order.push(m[0]);
    source += m[0] === 'yyyy' ? '(\\d{4})' : m[0] === 'SSS' ? '(\\d{1,9})' : '(\\d{2})';
    last = m.index + m[0].length;
  }
  source += `${pattern.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  const re = new RegExp(source);
  return (text) => {
    const s = text.trim();
    if (s === '') return { ok: false, problem: 'missing' };
    const m = re.exec(s);
    if (!m) return { ok: false, problem: 'unparsable' };
    const v: Record<string, string> = {};
    order.forEach((token, i) => (v[token] = m[i + 1]));
    const iso = `${v.yyyy}-${v.MM ?? '01'}-${v.dd ?? '01'}T${v.HH ?? '00'}:${v.mm ?? '00'}:${v.ss ?? '00'}${v.SSS ? `.${v.SSS}` : ''}`;
    const parsed = parseTimestamp(iso);
    return parsed.ok ? { ok: true, value: localToUtc(parsed.value, zone) } : parsed;
  };
}

const HAS_ZONE = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

function timestampReader(schema: TradeSchema): FieldReaders['timestamp'] {
  const { format, timeZone } = schema.timestamp;
  const utc = timeZone === 'UTC';
  // Zone-less ISO text is wall-clock time in the schema's zone.
  const auto: FieldReaders['timestamp'] = utc
    ? parseTimestamp
    : (text) => {
        const parsed = parseTimestamp(text);
        if (!parsed.ok || HAS_ZONE.test(text.trim()) || /^\d+$/.test(text.trim())) return parsed;
        return { ok: true, value: localToUtc(parsed.value, timeZone) };
      };
  switch (format) {
    case 'auto':
      return auto;
    case 'iso':
      return (text) => (/^\d+$/.test(text.trim()) ? { ok: false, problem: 'unparsable' } : auto(text));
    case 'epoch_ms':
    case 'epoch_s': {
      const scale = format === 'epoch_ms' ? 1 : 1000;
      return (text) => {
        const s = text.trim();
        if (s === '') return { ok: false, problem: 'missing' };
        if (!/^-?\d+(\.\d+)?$/.test(s)) return { ok: false, problem: 'unparsable' };
        return { ok: true, value: Math.round(Number(s) * scale) };
      };
    }
    default:
      return patternReader(format, timeZone);
  }
}

function sideReader(schema: TradeSchema): FieldReaders['side'] {
  const sides = new Map<string, Side>();
  for (const s of schema.side.buy) sides.set(s, 'BUY');
  for (const s of schema.side.sell) sides.set(s, 'SELL');
  return (text) => {
    const s = text.trim().toLowerCase();
    if (s === '') return { ok: false, problem: 'missing' };
    const side = sides.get(s);
    return side ? { ok: true, value: side } : { ok: false, problem: 'unparsable' };
  };
}

export function fieldReaders(schema: TradeSchema): FieldReaders {
  return { number: numberReader(schema), timestamp: timestampReader(schema), side: sideReader(schema) };
}
