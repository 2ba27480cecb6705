/**
 * One synthetic trading day: the trade file (and its anomaly labels) behind
 * `trade-anomaly generate`, the demo and the tests.
 *
 * File layout: morning off-hours anomalies (00:00-06:30 for the default session), then the session
 * rows in timestamp order with duplicates a few rows after their originals, then evening off-hours
 * anomalies (19:00-24:00). Output is a pure function of the options: the same options give the same
 * bytes, and the market-shape options at their defaults give the bytes they gave before they existed.
 *
 * Market-shape options, to measure a detector on more than one kind of book (each documented where
 * it acts: symbol-universe.ts for prices and sizes, session-clock.ts for time):
 * - symbols: how many instruments (1 to 10,000);
 * - priceLevels ('default' | 'penny' | 'wide') and priceScale (0.001 to 10,000): price levels;
 * - volumeScale (0.001 to 1,000): typical trade value, hence sizes;
 * - activity ('u-shape' | 'flat' | 'afternoon'): how trades spread over the session;
 * - session ('HH:MM-HH:MM' UTC, default 08:00-16:30): when the market trades, and so where
 *   off-hours anomalies fall.
 *
 * Labels file: `source_row,trade_id,anomaly_type`, one line per planted anomaly, source_row being
 * the 1-based data row. source_row is the key: a missing_field row whose trade_id was blanked has
 * an empty trade_id in its label, and a duplicate_trade label names the copy, which shares its
 * trade_id with the original.
 */

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ANOMALY_TYPES, AnomalySchedule, corruptFields, emptyAnomalyCounts, splitAnomalyCounts, type AnomalyType } from './anomaly-injection.js';
import { BatchedFileWriter } from './batched-writer.js';
import { parseDay } from './calendar.js';
import { MarketDay, type TradeDraft } from './market-day.js';
import { buildParticipants } from './participants.js';
import { Rng } from './random.js';
import { CSV_HEADER, csvLine, FIELD, FIELD_COUNT, formatScaled, formatTimestamp, LABELS_HEADER } from './row-format.js';
import { ACTIVITY_PROFILES, DEFAULT_ACTIVITY, DEFAULT_SESSION_HOURS, SessionClock, sampleOffHoursTimes, tradingSession, type ActivityProfile, type TradingSession } from './session-clock.js';
import { buildSymbolUniverse, DEFAULT_MARKET_SHAPE, defaultSymbolCount, PRICE_LEVELS, type MarketShape, type PriceLevels } from './symbol-universe.js';

export { ANOMALY_TYPES, type AnomalyType } from './anomaly-injection.js';
export { previousTradingDays } from './calendar.js';
export { ACTIVITY_PROFILES, DEFAULT_ACTIVITY, DEFAULT_SESSION_HOURS, type ActivityProfile } from './session-clock.js';
export { PRICE_LEVELS, type PriceLevels } from './symbol-universe.js';

export const DEFAULT_ANOMALY_RATE = 0.002;
/** Above this, anomalies stop being anomalous and duplicates run out of originals to copy. */
export const MAX_ANOMALY_RATE = 0.5;
const MAX_SYMBOLS = 10_000;
/** Scale ranges: wide enough for penny books and four-digit denominations, narrow enough that prices and sizes stay exact integers of units. */
export const PRICE_SCALE_RANGE: readonly [number, number] = [0.001, 10_000];
export const VOLUME_SCALE_RANGE: readonly [number, number] = [0.001, 1000];
/** A duplicate is inserted at most this many rows after its original. */
const DUPLICATE_MAX_GAP = 20;
// ~90 KB of text per batch. Measured: 1,000-row batches write 1M rows ~30% faster than 10,000-row
// ones, because short-lived row strings then die young instead of being promoted by the GC.
const DEFAULT_BATCH_ROWS = 1000;

export interface GenerateOptions {
  /** data rows in the day's file (anomalies included) */
  rows: number;
  /** integer; same seed + options => byte-identical files */
  seed: number;
  /** 'YYYY-MM-DD' trading day (UTC) */
  day: string;
  /** share of rows that are injected anomalies, default 0.002 */
  anomalyRate: number;
  /** size of the symbol universe; default scales with rows: clamp(round(rows/300), 20, 500) */
  symbols?: number;
  /** how price levels spread across symbols: 'default' (~1 to ~3,000), 'penny' (~0.01 to ~2), 'wide' (~0.01 to ~100,000) */
  priceLevels?: PriceLevels;
  /** multiplies every symbol's price level, 0.001 to 10,000; default 1 */
  priceScale?: number;
  /** multiplies every symbol's typical trade value (so its sizes), 0.001 to 1,000; default 1 */
  volumeScale?: number;
  /** how trades spread over the session: 'u-shape' (default), 'flat', 'afternoon' */
  activity?: ActivityProfile;
  /** session hours, 'HH:MM-HH:MM' in UTC; default '08:00-16:30' */
  session?: string;
}

export interface GenerateReport {
  path: string;
  labelsPath?: string;
  rows: number;
  anomalies: number;
  byType: Record<AnomalyType, number>;
}

/** A slice of the output: CSV text and label text (either may be empty), each ending in LF. */
export interface TradingDayChunk {
  csv: string;
  labels: string;
}

/** What a finished generation produced. */
export interface TradingDaySummary {
  rows: number;
  anomalies: number;
  byType: Record<AnomalyType, number>;
}

interface ResolvedOptions {
  rows: number;
  seed: number;
  day: ReturnType<typeof parseDay>;
  anomalyRate: number;
  symbols: number;
  shape: MarketShape;
  session: TradingSession;
}

function scaleOption(name: string, value: number | undefined, [min, max]: readonly [number, number]): number {
  if (value === undefined) return 1;
  if (!Number.isFinite(value) || value < min || value > max) throw new RangeError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function resolveShape(options: GenerateOptions): MarketShape {
  const priceLevels = options.priceLevels ?? DEFAULT_MARKET_SHAPE.priceLevels;
  if (!PRICE_LEVELS.includes(priceLevels)) throw new RangeError(`priceLevels must be one of ${PRICE_LEVELS.join(', ')}, got '${String(priceLevels)}'`);
  return {
    priceLevels,
    priceScale: scaleOption('priceScale', options.priceScale, PRICE_SCALE_RANGE),
    volumeScale: scaleOption('volumeScale', options.volumeScale, VOLUME_SCALE_RANGE),
  };
}

function resolveOptions(options: GenerateOptions): ResolvedOptions {
  const { rows, seed } = options;
  if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError(`rows must be a non-negative integer, got ${rows}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const anomalyRate = options.anomalyRate ?? DEFAULT_ANOMALY_RATE;
  if (!Number.isFinite(anomalyRate) || anomalyRate < 0 || anomalyRate > MAX_ANOMALY_RATE) {
    throw new RangeError(`anomalyRate must be between 0 and ${MAX_ANOMALY_RATE}, got ${anomalyRate}`);
  }
  const symbols = options.symbols ?? defaultSymbolCount(rows);
  if (!Number.isInteger(symbols) || symbols < 1 || symbols > MAX_SYMBOLS) {
    throw new RangeError(`symbols must be an integer between 1 and ${MAX_SYMBOLS}, got ${symbols}`);
  }
  const activity = options.activity ?? DEFAULT_ACTIVITY;
  if (!ACTIVITY_PROFILES.includes(activity)) throw new RangeError(`activity must be one of ${ACTIVITY_PROFILES.join(', ')}, got '${String(activity)}'`);
  const session = tradingSession(options.session ?? DEFAULT_SESSION_HOURS, activity);
  return { rows, seed, day: parseDay(options.day), anomalyRate, symbols, shape: resolveShape(options), session };
}

/** Trims counts, largest type first, until they fit in `capacity` rows (only tiny files need it). */
function fitCounts(counts: Record<AnomalyType, number>, capacity: number): void {
  let total = ANOMALY_TYPES.reduce((sum, t) => sum + counts[t], 0);
  while (total > capacity) {
    const largest = ANOMALY_TYPES.reduce((a, b) => (counts[b] > counts[a] ? b : a));
    counts[largest] -= 1;
    total -= 1;
  }
}

/**
 * The day as a sequence of text chunks of about `batchRows` rows, for writing to a file or any
 * other sink; the generator's return value summarises what was written. Options are validated
 * before the first chunk is requested (a RangeError names the bad option).
 */
export function tradingDayChunks(
  options: GenerateOptions,
  batchRows: number = DEFAULT_BATCH_ROWS,
): Generator<TradingDayChunk, TradingDaySummary, void> {
  return generateChunks(resolveOptions(options), Math.max(1, Math.floor(batchRows)));
}

function* generateChunks(options: ResolvedOptions, batchRows: number): Generator<TradingDayChunk, TradingDaySummary, void> {
  const { rows, seed, day } = options;
  const dayPrefix = `${day.iso}T`;
  const idPrefix = `T${day.compact}-`;
  const universe = buildSymbolUniverse(seed, options.symbols, options.shape);
  const participants = buildParticipants(seed);
  // Separate streams, so that e.g. a different anomaly rate leaves the normal trades' prices,
  // sizes and parties where they were as far as possible.
  const planRng = Rng.fromParts(seed, 'plan', day.epochDay);
  const clockRng = Rng.fromParts(seed, 'clock', day.epochDay);
  const anomalyRng = Rng.fromParts(seed, 'anomalies', day.epochDay);
  const market = new MarketDay(universe, participants, seed, day.epochDay, Rng.fromParts(seed, 'trades', day.epochDay), options.session);

  const planned = splitAnomalyCounts(Math.round(rows * options.anomalyRate), planRng);
  const offHours = sampleOffHoursTimes(planned.off_hours, planRng, options.session);
  const bodyRows = rows - planned.off_hours;
  const bodyCandidates = Math.max(0, bodyRows - 1); // the first body row has nothing to duplicate
  const bodyCounts = { ...planned, off_hours: 0 };
  fitCounts(bodyCounts, bodyCandidates);
  const schedule = new AnomalySchedule(bodyCounts, bodyCandidates, anomalyRng);
  // Duplicates reuse an earlier row's timestamp, so only the other rows draw from the clock.
  const clock = new SessionClock(bodyRows - bodyCounts.duplicate_trade, clockRng, options.session);

  const byType = emptyAnomalyCounts();
  let rowNumber = 0;
  let tradeSequence = 0;
  let csv: string[] = [CSV_HEADER];
  let labels: string[] = [LABELS_HEADER];
  const fields = new Array<string>(FIELD_COUNT).fill('');

  const flush = (): TradingDayChunk => {
    const chunk = {
      csv: csv.length > 0 ? csv.join('\n') + '\n' : '',
      labels: labels.length > 0 ? labels.join('\n') + '\n' : '',
    };
    csv = [];
    labels = [];
    return chunk;
  };
  const emit = (line: string, tradeId: string, type: AnomalyType | null): void => {
    rowNumber += 1;
    csv.push(line);
    if (type !== null) {
      labels.push(`${rowNumber},${tradeId},${type}`);
      byType[type] += 1;
    }
  };
  const render = (draft: TradeDraft): void => {
    tradeSequence += 1;
    fields[FIELD.tradeId] = idPrefix + String(tradeSequence).padStart(8, '0');
    fields[FIELD.timestamp] = formatTimestamp(dayPrefix, draft.timeMs);
    fields[FIELD.symbol] = draft.symbol.ticker;
    fields[FIELD.side] = draft.side;
    fields[FIELD.quantity] = String(draft.quantity);
    fields[FIELD.price] = formatScaled(draft.priceUnits, draft.symbol.priceDecimals);
    fields[FIELD.currency] = draft.symbol.currency;
    fields[FIELD.account] = draft.account;
    fields[FIELD.venue] = draft.venue;
    fields[FIELD.trader] = draft.trader;
  };

  for (const timeMs of offHours.morning) {
    render(market.draw(timeMs));
    emit(csvLine(fields), fields[FIELD.tradeId], 'off_hours');
    if (csv.length >= batchRows) yield flush();
  }

  // The last DUPLICATE_MAX_GAP body rows, so a duplicate can copy one of them exactly.
  const recentLine = new Array<string>(DUPLICATE_MAX_GAP).fill('');
  const recentId = new Array<string>(DUPLICATE_MAX_GAP).fill('');
  const recentNormal = new Array<boolean>(DUPLICATE_MAX_GAP).fill(false);
  const recentIsCopy = new Array<boolean>(DUPLICATE_MAX_GAP).fill(false);
  const recentCopied = new Array<boolean>(DUPLICATE_MAX_GAP).fill(false);
  const candidates: number[] = [];

  for (let j = 1; j <= bodyRows; j++) {
    const type = j >= 2 ? schedule.next() : null;
    const slot = j % DUPLICATE_MAX_GAP;
    if (type === 'duplicate_trade') {
      // Prefer a clean, not yet copied original; fall back to any earlier row so a planned
      // duplicate is always placed (only matters in tiny or very anomaly-dense files).
      const filled = Math.min(j - 1, DUPLICATE_MAX_GAP);
      candidates.length = 0;
      for (let back = 1; back <= filled; back++) {
        const s = (j - back) % DUPLICATE_MAX_GAP;
        if (recentNormal[s] && !recentCopied[s]) candidates.push(s);
      }
      if (candidates.length === 0) {
        for (let back = 1; back <= filled; back++) {
          const s = (j - back) % DUPLICATE_MAX_GAP;
          if (!recentIsCopy[s]) candidates.push(s);
        }
      }
      if (candidates.length === 0) candidates.push((j - 1) % DUPLICATE_MAX_GAP);
      const source = candidates[anomalyRng.int(candidates.length)];
      recentCopied[source] = true;
      const line = recentLine[source];
      const tradeId = recentId[source];
      emit(line, tradeId, type);
      recentLine[slot] = line;
      recentId[slot] = tradeId;
      recentNormal[slot] = false;
      recentIsCopy[slot] = true;
      recentCopied[slot] = false;
    } else {
      const draft = market.draw(clock.next());
      render(draft);
      if (type !== null) corruptFields(type, fields, draft, anomalyRng);
      const line = csvLine(fields);
      emit(line, fields[FIELD.tradeId], type);
      recentLine[slot] = line;
      recentId[slot] = fields[FIELD.tradeId];
      recentNormal[slot] = type === null;
      recentIsCopy[slot] = false;
      recentCopied[slot] = false;
    }
    if (csv.length >= batchRows) yield flush();
  }

  for (const timeMs of offHours.evening) {
    render(market.draw(timeMs));
    emit(csvLine(fields), fields[FIELD.tradeId], 'off_hours');
    if (csv.length >= batchRows) yield flush();
  }

  if (csv.length > 0 || labels.length > 0) yield flush();
  const anomalies = ANOMALY_TYPES.reduce((sum, t) => sum + byType[t], 0);
  return { rows: rowNumber, anomalies, byType };
}

/**
 * Streams one day to csvPath (and the labels to labelsPath if given). Handles 10 million rows
 * with flat memory: rows are built in batches and written through a WriteStream that is allowed
 * to drain. Parent folders are created. On failure the partial files are left closed, not removed.
 */
export async function writeTradingDay(
  options: GenerateOptions,
  csvPath: string,
  labelsPath?: string,
  /** Called after each batch is written, with the data rows written so far and the rows asked for. */
  onProgress?: (rowsWritten: number, rows: number) => void,
): Promise<GenerateReport> {
  const chunks = tradingDayChunks(options);
  await mkdir(dirname(csvPath), { recursive: true });
  if (labelsPath !== undefined) await mkdir(dirname(labelsPath), { recursive: true });
  const csvWriter = new BatchedFileWriter(csvPath);
  const labelsWriter = labelsPath !== undefined ? new BatchedFileWriter(labelsPath) : null;
  // CSV lines written, the header included (so data rows are one fewer).
  let linesWritten = 0;
  try {
    let step = chunks.next();
    while (!step.done) {
      await csvWriter.write(step.value.csv);
      if (labelsWriter && step.value.labels.length > 0) await labelsWriter.write(step.value.labels);
      if (onProgress) onProgress((linesWritten += lineCount(step.value.csv)) - 1, options.rows);
      step = chunks.next();
    }
    await Promise.all([csvWriter.close(), labelsWriter?.close()]);
    const summary = step.value;
    const report: GenerateReport = { path: csvPath, rows: summary.rows, anomalies: summary.anomalies, byType: summary.byType };
    if (labelsPath !== undefined) report.labelsPath = labelsPath;
    return report;
  } catch (e: unknown) {
    csvWriter.destroy();
    labelsWriter?.destroy();
    throw e;
  }
}

function lineCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
