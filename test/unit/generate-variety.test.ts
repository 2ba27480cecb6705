import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tradingDayChunks, type AnomalyType, type GenerateOptions } from '../../src/generate/trading-day.js';

/**
 * The market-shape options of the generator: each changes what a detector sees, and left at their
 * defaults none changes a byte of what the generator wrote before they existed.
 */

interface Row {
  row: number;
  timestamp: string;
  symbol: string;
  quantity: number;
  price: number;
  priceText: string;
  line: string;
}

interface Day {
  csv: string;
  labels: string;
  rows: Row[];
  label: Map<number, AnomalyType>;
}

const BASE: GenerateOptions = { rows: 12_000, seed: 7, day: '2026-12-03', anomalyRate: 0.005 };

function generate(options: Partial<GenerateOptions> = {}): Day {
  let csv = '';
  let labels = '';
  for (const chunk of tradingDayChunks({ ...BASE, ...options })) {
    csv += chunk.csv;
    labels += chunk.labels;
  }
  const rows = csv
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line, i) => {
      const f = line.split(',');
      return { row: i + 1, timestamp: f[1], symbol: f[2], quantity: Number(f[4]), price: Number(f[5]), priceText: f[5], line };
    });
  const label = new Map(
    labels
      .trimEnd()
      .split('\n')
      .slice(1)
      .filter((l) => l !== '')
      .map((l) => l.split(','))
      .map(([row, , type]) => [Number(row), type as AnomalyType]),
  );
  return { csv, labels, rows, label };
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
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

const normal = (d: Day): Row[] => d.rows.filter((r) => !d.label.has(r.row));
const ofType = (d: Day, type: AnomalyType): Row[] => d.rows.filter((r) => d.label.get(r.row) === type);

function medianBySymbol(d: Day, field: 'price' | 'quantity'): Map<string, number> {
  const by = new Map<string, number[]>();
  for (const r of normal(d)) by.set(r.symbol, [...(by.get(r.symbol) ?? []), r[field]]);
  return new Map([...by].map(([s, v]) => [s, median(v)]));
}

describe('generator defaults are unchanged', () => {
  it('writes the bytes it wrote before the market-shape options existed', () => {
    // Digests of csv + '|' + labels taken before the options were added.
    const digest = (o: GenerateOptions): string => {
      const h = createHash('sha256');
      for (const chunk of tradingDayChunks(o)) h.update(chunk.csv).update('|').update(chunk.labels);
      return h.digest('hex').slice(0, 16);
    };
    expect(digest({ rows: 5000, seed: 3, day: '2026-12-03', anomalyRate: 0.01 })).toBe('61e7b16e10cfcf6c');
    expect(digest({ rows: 20_000, seed: 7, day: '2026-12-03', anomalyRate: 0.002 })).toBe('5f5a3d5a62b04c13');
    expect(digest({ rows: 40_000, seed: 5, day: '2026-11-30', anomalyRate: 0.3, symbols: 3 })).toBe('1aa406166207151c');
  });

  it('gives the same file when every option is spelled out at its default', () => {
    const spelled = generate({ priceLevels: 'default', priceScale: 1, volumeScale: 1, activity: 'u-shape', session: '08:00-16:30' });
    const implicit = generate();
    expect(sha(spelled.csv)).toBe(sha(implicit.csv));
    expect(spelled.labels).toBe(implicit.labels);
  });
});

describe('market-shape options', () => {
  const base = generate();

  it('priceScale multiplies every symbol level and leaves sizes and anomalies where they were', () => {
    const scaled = generate({ priceScale: 1000 });
    const before = medianBySymbol(base, 'price');
    const after = medianBySymbol(scaled, 'price');
    for (const [symbol, price] of before) {
      expect(after.get(symbol)! / price, symbol).toBeGreaterThan(950);
      expect(after.get(symbol)! / price, symbol).toBeLessThan(1050);
    }
    expect(scaled.labels.split('\n').map((l) => l.split(',')[2])).toEqual(base.labels.split('\n').map((l) => l.split(',')[2]));
  });

  it("priceLevels 'penny' prices every symbol below ~3, with 4-6 decimals", () => {
    const penny = normal(generate({ priceLevels: 'penny' }));
    expect(Math.max(...penny.map((r) => r.price))).toBeLessThan(3);
    expect(Math.min(...penny.map((r) => r.price))).toBeGreaterThan(0);
    expect(median(penny.map((r) => r.price))).toBeLessThan(0.5);
    expect(penny.every((r) => /^\d+\.\d{4,6}$/.test(r.priceText))).toBe(true);
  });

  it("priceLevels 'wide' spans at least five orders of magnitude", () => {
    const levels = [...medianBySymbol(generate({ priceLevels: 'wide' }), 'price').values()];
    expect(Math.max(...levels) / Math.min(...levels)).toBeGreaterThan(1e5);
  });

  it('volumeScale multiplies sizes (above the 5-lot floor)', () => {
    const large = medianBySymbol(generate({ volumeScale: 100 }), 'quantity');
    const ratios = [...medianBySymbol(base, 'quantity')].map(([s, q]) => large.get(s)! / q);
    expect(median(ratios)).toBeGreaterThan(50);
    expect(median(ratios)).toBeLessThan(200);
    const thin = normal(generate({ volumeScale: 0.01 }));
    expect(median(thin.map((r) => r.quantity))).toBeLessThan(median(normal(base).map((r) => r.quantity)));
  });

  it('anomalies keep their shape in another market: fat fingers a power of ten, spikes 50x+ the median size', () => {
    const day = generate({ priceLevels: 'penny', volumeScale: 0.01, anomalyRate: 0.02 });
    const prices = medianBySymbol(day, 'price');
    const sizes = medianBySymbol(day, 'quantity');
    for (const r of ofType(day, 'fat_finger')) {
      const k = Math.log10(r.price / prices.get(r.symbol)!);
      expect(Math.abs(Math.round(k)), r.line).toBeGreaterThanOrEqual(1);
      expect(Math.abs(k - Math.round(k)), r.line).toBeLessThan(0.15);
    }
    for (const r of ofType(day, 'quantity_spike')) expect(r.quantity, r.line).toBeGreaterThanOrEqual(50 * sizes.get(r.symbol)!);
  });

  it('session moves normal trades into its hours, and off-hours anomalies clear of them', () => {
    const day = generate({ session: '14:30-21:00' });
    const open = 14.5 * 3_600_000;
    const close = 21 * 3_600_000;
    expect(normal(day).every((r) => msOfDay(r.timestamp) >= open && msOfDay(r.timestamp) < close)).toBe(true);
    const offHours = ofType(day, 'off_hours');
    expect(offHours.length).toBeGreaterThan(0);
    expect(offHours.every((r) => msOfDay(r.timestamp) < open - 90 * 60_000 || msOfDay(r.timestamp) >= close + 150 * 60_000)).toBe(true);
  });

  it("activity 'flat' evens out the half-hours; 'afternoon' loads the second half of the session", () => {
    const perHalfHour = (d: Day): number[] => {
      const counts = new Array<number>(17).fill(0);
      for (const r of normal(d)) counts[Math.floor((msOfDay(r.timestamp) - 8 * 3_600_000) / 1_800_000)] += 1;
      return counts;
    };
    const flat = perHalfHour(generate({ activity: 'flat' }));
    expect(Math.max(...flat) / Math.min(...flat)).toBeLessThan(1.4);
    const uShape = perHalfHour(base);
    expect(Math.max(...uShape) / Math.min(...uShape)).toBeGreaterThan(1.8);
    const afternoon = perHalfHour(generate({ activity: 'afternoon' }));
    const firstHalf = afternoon.slice(0, 8).reduce((a, b) => a + b, 0);
    const secondHalf = afternoon.slice(9).reduce((a, b) => a + b, 0);
    expect(secondHalf).toBeGreaterThan(3 * firstHalf);
  });

  it.each([
    ['priceScale 0', { priceScale: 0 }, /priceScale must be between/],
    ['priceScale above 10,000', { priceScale: 20_000 }, /priceScale must be between/],
    ['priceScale NaN', { priceScale: Number.NaN }, /priceScale/],
    ['volumeScale negative', { volumeScale: -1 }, /volumeScale must be between/],
    ['unknown priceLevels', { priceLevels: 'cheap' as GenerateOptions['priceLevels'] }, /priceLevels must be one of/],
    ['unknown activity', { activity: 'busy' as GenerateOptions['activity'] }, /activity must be one of/],
    ['malformed session', { session: '8-16' }, /session must be HH:MM-HH:MM/],
    ['session closing before it opens', { session: '16:00-08:00' }, /must open before it closes/],
    ['impossible session time', { session: '08:00-25:00' }, /impossible time/],
    ['session leaving no off hours', { session: '01:00-22:00' }, /off-hours/],
  ])('rejects %s with a RangeError naming the option', (_name, bad, message) => {
    expect(() => tradingDayChunks({ ...BASE, ...bad })).toThrow(RangeError);
    expect(() => tradingDayChunks({ ...BASE, ...bad })).toThrow(message);
  });
});
