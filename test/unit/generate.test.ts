import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANOMALY_TYPES,
  previousTradingDays,
  writeTradingDay,
  type AnomalyType,
  type GenerateOptions,
  type GenerateReport,
} from '../../src/generate/trading-day.js';

const HEADER = 'trade_id,timestamp,symbol,side,quantity,price,currency,account,venue,trader';
const LABELS_HEADER = 'source_row,trade_id,anomaly_type';
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SESSION_OPEN_MS = 8 * 3_600_000;
const SESSION_CLOSE_MS = 16.5 * 3_600_000;

interface Trade {
  line: string;
  row: number;
  tradeId: string;
  timestamp: string;
  symbol: string;
  side: string;
  quantity: string;
  price: string;
}

interface GeneratedDay {
  report: GenerateReport;
  csv: string;
  labelsText: string;
  header: string;
  trades: Trade[];
  /** source_row -> anomaly type */
  labels: Map<number, AnomalyType>;
  labelRows: string[][];
}

let dir: string;
let fileCounter = 0;

async function generate(options: Partial<GenerateOptions> & { rows: number }): Promise<GeneratedDay> {
  fileCounter += 1;
  const csvPath = join(dir, `day-${fileCounter}.csv`);
  const labelsPath = join(dir, `day-${fileCounter}.labels.csv`);
  const report = await writeTradingDay({ seed: 7, day: '2026-12-03', anomalyRate: 0.002, ...options }, csvPath, labelsPath);
  const csv = await readFile(csvPath, 'utf8');
  const labelsText = await readFile(labelsPath, 'utf8');
  const lines = csv.split('\n');
  expect(lines.pop()).toBe(''); // file ends with LF
  const header = lines.shift() as string;
  const trades = lines.map((line, i) => {
    const [tradeId, timestamp, symbol, side, quantity, price] = line.split(',');
    return { line, row: i + 1, tradeId, timestamp, symbol, side, quantity, price };
  });
  const labelLines = labelsText.split('\n');
  expect(labelLines.pop()).toBe('');
  expect(labelLines.shift()).toBe(LABELS_HEADER);
  const labelRows = labelLines.map((l) => l.split(','));
  const labels = new Map(labelRows.map(([row, , type]) => [Number(row), type as AnomalyType]));
  return { report, csv, labelsText, header, trades, labels, labelRows };
}

function msOfDay(timestamp: string): number {
  const [h, m, s] = timestamp.slice(11, 23).split(':');
  return (Number(h) * 60 + Number(m)) * 60_000 + Math.round(Number(s) * 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function normalTrades(day: GeneratedDay): Trade[] {
  return day.trades.filter((t) => !day.labels.has(t.row));
}

function rowsOfType(day: GeneratedDay, type: AnomalyType): Trade[] {
  return day.trades.filter((t) => day.labels.get(t.row) === type);
}

/** Per symbol, the median price and quantity over the day's normal rows. */
function symbolMedians(day: GeneratedDay): Map<string, { price: number; quantity: number }> {
  const bySymbol = new Map<string, Trade[]>();
  for (const t of normalTrades(day)) {
    const list = bySymbol.get(t.symbol) ?? [];
    list.push(t);
    bySymbol.set(t.symbol, list);
  }
  return new Map(
    [...bySymbol].map(([symbol, list]) => [
      symbol,
      { price: median(list.map((t) => Number(t.price))), quantity: median(list.map((t) => Number(t.quantity))) },
    ]),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trade-anomaly-generate-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeTradingDay: file shape', () => {
  let day: GeneratedDay;
  beforeAll(async () => {
    day = await generate({ rows: 20_000 });
  });

  it('writes the exact header, LF line endings and exactly `rows` data rows', () => {
    expect(day.header).toBe(HEADER);
    expect(day.csv.includes('\r')).toBe(false);
    expect(day.trades).toHaveLength(20_000);
    expect(day.report.rows).toBe(20_000);
    expect(day.trades.every((t) => t.line.split(',').length === 10)).toBe(true);
  });

  it('reports the paths and the labelled counts', () => {
    expect(day.report.path).toMatch(/day-\d+\.csv$/);
    expect(day.report.labelsPath).toMatch(/\.labels\.csv$/);
    expect(day.report.anomalies).toBe(day.labelRows.length);
    expect(day.report.anomalies).toBe(40); // 20,000 x 0.002
    for (const type of ANOMALY_TYPES) {
      expect(day.report.byType[type]).toBe(rowsOfType(day, type).length);
    }
  });

  it('plants every anomaly type at the default rate, in about equal shares', () => {
    for (const type of ANOMALY_TYPES) {
      expect(day.report.byType[type], type).toBeGreaterThanOrEqual(5);
      expect(day.report.byType[type], type).toBeLessThanOrEqual(6);
    }
  });

  it('labels point at the row and trade id they name, in file order', () => {
    const rows = day.labelRows.map(([row]) => Number(row));
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    for (const [row, tradeId] of day.labelRows) {
      expect(day.trades[Number(row) - 1].tradeId).toBe(tradeId);
    }
  });

  it('normal rows are complete, inside the 08:00-16:30 UTC session and in timestamp order', () => {
    const normal = normalTrades(day);
    const broken = normal.filter((t) => {
      const ms = msOfDay(t.timestamp);
      return !(
        /^T20261203-\d{8}$/.test(t.tradeId) &&
        TIMESTAMP.test(t.timestamp) &&
        t.timestamp.startsWith('2026-12-03T') &&
        ms >= SESSION_OPEN_MS &&
        ms < SESSION_CLOSE_MS &&
        (t.side === 'BUY' || t.side === 'SELL') &&
        /^[1-9]\d*$/.test(t.quantity) &&
        /^\d+\.\d{2,4}$/.test(t.price) &&
        Number(t.price) > 0 &&
        t.line.split(',').every((f) => f !== '')
      );
    });
    expect(broken.map((t) => t.line)).toEqual([]);
    const times = normal.map((t) => t.timestamp);
    expect(times).toEqual([...times].sort());
  });

  it('trade ids are unique apart from duplicate_trade copies', () => {
    const ids = day.trades.filter((t) => day.labels.get(t.row) !== 'duplicate_trade' && t.tradeId !== '').map((t) => t.tradeId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('prints each symbol with one price precision', () => {
    const decimals = new Map<string, Set<number>>();
    for (const t of normalTrades(day)) {
      const set = decimals.get(t.symbol) ?? new Set<number>();
      set.add(t.price.split('.')[1].length);
      decimals.set(t.symbol, set);
    }
    expect([...decimals.values()].every((set) => set.size === 1)).toBe(true);
  });

  it('uses a universe of at least 50 symbols, each trading, at 20,000 rows', () => {
    expect(new Set(normalTrades(day).map((t) => t.symbol)).size).toBeGreaterThanOrEqual(50);
  });

  it('fills the optional columns with varied, plausible values', () => {
    const column = (i: number) => new Set(day.trades.map((t) => t.line.split(',')[i]));
    expect([...column(6)].every((c) => /^[A-Z]{3}$/.test(c))).toBe(true);
    expect(column(6).size).toBeGreaterThanOrEqual(4);
    expect(column(7).size).toBeGreaterThan(1000);
    expect(column(8)).toEqual(new Set(['XLON', 'XPAR', 'XETR', 'XAMS', 'BATE', 'CHIX', 'TRQX']));
    expect(column(9).size).toBeGreaterThan(100);
    const buys = day.trades.filter((t) => t.side === 'BUY').length;
    expect(buys / day.trades.length).toBeGreaterThan(0.45);
    expect(buys / day.trades.length).toBeLessThan(0.55);
  });
});

describe('writeTradingDay: each labelled row shows its anomaly', () => {
  let day: GeneratedDay;
  let medians: Map<string, { price: number; quantity: number }>;
  beforeAll(async () => {
    day = await generate({ rows: 30_000, seed: 11, anomalyRate: 0.01 });
    medians = symbolMedians(day);
  });

  it('fat_finger: price is about 10^k times the symbol median, k in +-1..3', () => {
    const rows = rowsOfType(day, 'fat_finger');
    expect(rows.length).toBeGreaterThan(0);
    for (const t of rows) {
      const exponent = Math.log10(Number(t.price) / (medians.get(t.symbol) as { price: number }).price);
      const k = Math.round(exponent);
      expect(Math.abs(k), t.line).toBeGreaterThanOrEqual(1);
      expect(Math.abs(k), t.line).toBeLessThanOrEqual(3);
      expect(Math.abs(exponent - k), t.line).toBeLessThan(0.1);
    }
  });

  it('price_spike: 8-25% away from the same symbol trades around it, not a power of ten', () => {
    const rows = rowsOfType(day, 'price_spike');
    expect(rows.length).toBeGreaterThan(0);
    const normal = normalTrades(day);
    for (const t of rows) {
      const around = normal.filter((n) => n.symbol === t.symbol && Math.abs(n.row - t.row) < 2000);
      const nearest = around.sort((a, b) => Math.abs(a.row - t.row) - Math.abs(b.row - t.row)).slice(0, 3);
      const level = median(nearest.map((n) => Number(n.price)));
      const move = Math.abs(Number(t.price) / level - 1);
      expect(move, t.line).toBeGreaterThan(0.06);
      expect(move, t.line).toBeLessThan(0.3);
    }
  });

  it('quantity_spike: quantity at least 50x the symbol median quantity', () => {
    const rows = rowsOfType(day, 'quantity_spike');
    expect(rows.length).toBeGreaterThan(0);
    for (const t of rows) {
      expect(Number(t.quantity), t.line).toBeGreaterThanOrEqual(50 * (medians.get(t.symbol) as { quantity: number }).quantity);
    }
  });

  it('normal sizes stay below 50x the symbol median (blocks are normal, spikes are not)', () => {
    const outsized = normalTrades(day).filter(
      (t) => Number(t.quantity) >= 50 * (medians.get(t.symbol) as { quantity: number }).quantity,
    );
    expect(outsized.map((t) => t.line)).toEqual([]);
  });

  it('off_hours: timestamp outside the session, rows at the start or the end of the file', () => {
    const rows = rowsOfType(day, 'off_hours');
    expect(rows.length).toBeGreaterThan(0);
    const sessionRows = day.trades.filter((t) => t.timestamp !== '' && day.labels.get(t.row) !== 'off_hours').map((t) => t.row);
    const firstSession = Math.min(...sessionRows);
    const lastSession = Math.max(...sessionRows);
    for (const t of rows) {
      const ms = msOfDay(t.timestamp);
      const morning = ms < 6.5 * 3_600_000;
      const evening = ms >= 19 * 3_600_000;
      expect(morning || evening, t.line).toBe(true);
      expect(morning ? t.row < firstSession : t.row > lastSession, t.line).toBe(true);
      expect(t.line.split(',').every((f) => f !== ''), t.line).toBe(true);
    }
  });

  it('impossible_value: price or quantity is zero or negative', () => {
    const rows = rowsOfType(day, 'impossible_value');
    expect(rows.length).toBeGreaterThan(0);
    for (const t of rows) expect(Number(t.price) <= 0 || Number(t.quantity) <= 0, t.line).toBe(true);
  });

  it('missing_field: exactly one required field is empty', () => {
    const rows = rowsOfType(day, 'missing_field');
    expect(rows.length).toBeGreaterThan(0);
    for (const t of rows) {
      const empty = [t.tradeId, t.timestamp, t.symbol, t.side, t.quantity, t.price].filter((f) => f === '');
      expect(empty, t.line).toHaveLength(1);
    }
  });

  it('duplicate_trade: an exact copy of a row 1-20 rows earlier', () => {
    const rows = rowsOfType(day, 'duplicate_trade');
    expect(rows.length).toBeGreaterThan(0);
    for (const t of rows) {
      const earlier = day.trades.slice(Math.max(0, t.row - 21), t.row - 1);
      expect(
        earlier.some((e) => e.line === t.line),
        t.line,
      ).toBe(true);
    }
  });

  it('only labelled rows break the rules above', () => {
    const broken = normalTrades(day).filter((t) => {
      const ms = msOfDay(t.timestamp);
      return !(ms >= SESSION_OPEN_MS && ms < SESSION_CLOSE_MS && Number(t.price) > 0 && Number(t.quantity) > 0);
    });
    expect(broken.map((t) => t.line)).toEqual([]);
  });
});

describe('writeTradingDay: determinism and realism', () => {
  it('same options give byte-identical files; another seed gives another file', async () => {
    const a = await generate({ rows: 5000, seed: 3, anomalyRate: 0.01 });
    const b = await generate({ rows: 5000, seed: 3, anomalyRate: 0.01 });
    const c = await generate({ rows: 5000, seed: 4, anomalyRate: 0.01 });
    expect(b.csv).toBe(a.csv);
    expect(b.labelsText).toBe(a.labelsText);
    expect(c.csv).not.toBe(a.csv);
  });

  it('days of one seed share the symbol universe but not the prices', async () => {
    const [previous] = previousTradingDays('2026-12-03', 1);
    const today = await generate({ rows: 12_000, seed: 5 });
    const yesterday = await generate({ rows: 12_000, seed: 5, day: previous });
    const symbols = (d: GeneratedDay) => [...new Set(d.trades.map((t) => t.symbol).filter((s) => s !== ''))].sort();
    expect(symbols(yesterday)).toEqual(symbols(today));
    expect(yesterday.trades[0].tradeId.startsWith('T20261202-')).toBe(true);
    const todayMedians = symbolMedians(today);
    const yesterdayMedians = symbolMedians(yesterday);
    let moved = 0;
    for (const [symbol, m] of todayMedians) {
      const ratio = m.price / (yesterdayMedians.get(symbol) as { price: number }).price;
      expect(ratio).toBeGreaterThan(0.7);
      expect(ratio).toBeLessThan(1.4);
      if (Math.abs(ratio - 1) > 0.002) moved += 1;
    }
    expect(moved / todayMedians.size).toBeGreaterThan(0.8);
  });

  it('a 150,000-row day has hundreds of symbols, Zipf-like activity, a U-shaped day', async () => {
    const day = await generate({ rows: 150_000, seed: 21 });
    const counts = new Map<string, number>();
    for (const t of normalTrades(day)) counts.set(t.symbol, (counts.get(t.symbol) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    expect(counts.size).toBeGreaterThanOrEqual(300);
    expect(sorted[sorted.length - 1]).toBeGreaterThanOrEqual(24); // every symbol a few dozen trades
    expect(sorted[0]).toBeGreaterThan(20 * median(sorted)); // a few symbols get many
    const prices = [...symbolMedians(day).values()].map((m) => m.price);
    expect(Math.min(...prices)).toBeLessThan(3);
    expect(Math.max(...prices)).toBeGreaterThan(1000);
    const perHalfHour = new Array<number>(17).fill(0);
    for (const t of normalTrades(day)) perHalfHour[Math.floor((msOfDay(t.timestamp) - SESSION_OPEN_MS) / 1_800_000)] += 1;
    const midday = Math.min(...perHalfHour.slice(6, 10));
    expect(perHalfHour[0]).toBeGreaterThan(1.8 * midday);
    expect(perHalfHour[16]).toBeGreaterThan(1.5 * midday);
  });

  it('handles tiny files and an empty one', async () => {
    const empty = await generate({ rows: 0 });
    expect(empty.trades).toHaveLength(0);
    expect(empty.header).toBe(HEADER);
    const tiny = await generate({ rows: 9, anomalyRate: 0.5 });
    expect(tiny.trades).toHaveLength(9);
    expect(tiny.report.anomalies).toBe(tiny.labelRows.length);
    expect(tiny.report.anomalies).toBeGreaterThanOrEqual(4);
  });

  it.each([
    ['negative rows', { rows: -1 }],
    ['fractional rows', { rows: 1.5 }],
    ['fractional seed', { rows: 10, seed: 0.5 }],
    ['malformed day', { rows: 10, day: '2026-12-3' }],
    ['impossible day', { rows: 10, day: '2026-02-30' }],
    ['anomaly rate above 0.5', { rows: 10, anomalyRate: 0.9 }],
    ['negative anomaly rate', { rows: 10, anomalyRate: -0.1 }],
    ['zero symbols', { rows: 10, symbols: 0 }],
  ])('rejects %s before creating any file', async (_name, bad) => {
    const path = join(dir, 'rejected.csv');
    const options = { seed: 1, day: '2026-12-03', anomalyRate: 0.002, ...bad } as GenerateOptions;
    await expect(writeTradingDay(options, path)).rejects.toThrow(RangeError);
    expect(existsSync(path)).toBe(false);
  });
});

describe('previousTradingDays', () => {
  it('returns earlier weekdays, newest last, skipping the weekend', () => {
    expect(previousTradingDays('2026-12-07', 2)).toEqual(['2026-12-03', '2026-12-04']);
  });

  it('crosses month and year ends and excludes the day itself', () => {
    expect(previousTradingDays('2027-01-04', 3)).toEqual(['2026-12-30', '2026-12-31', '2027-01-01']);
    expect(previousTradingDays('2026-12-09', 1)).toEqual(['2026-12-08']);
  });

  it('never returns a Saturday or Sunday', () => {
    const days = previousTradingDays('2026-12-03', 60);
    expect(days).toHaveLength(60);
    expect(days.every((d) => ![0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay()))).toBe(true);
    expect(new Set(days).size).toBe(60);
  });

  it('returns nothing for a count of 0 and rejects bad input', () => {
    expect(previousTradingDays('2026-12-03', 0)).toEqual([]);
    expect(() => previousTradingDays('03/12/2026', 1)).toThrow(RangeError);
    expect(() => previousTradingDays('2026-12-03', -1)).toThrow(RangeError);
  });
});
