import { SeededRandom } from '../model/random.js';
import { QUALITY_CODES, type QualityIssue } from '../quality/quality-issues.js';
import type { CheckedTrade } from '../quality/trade-checks.js';
import { CANONICAL_FIELDS } from '../schema/trade-schema.js';
import { ColumnProfile, DEFAULT_COLUMN_OPTIONS, type ColumnSummary } from './column-profile.js';
import { CoMoments } from './correlation.js';
import { Histogram, logHistogram, type HistogramSummary } from './histogram.js';
import { SymbolTable, type SymbolSummary } from './symbol-profile.js';
import { definedOnly } from '../defined-only.js';

/**
 * The exploratory summary of one trade file: what is in it (columns, symbols, distributions,
 * correlations, time of day) and what is wrong with it (data-quality findings). ExploreAccumulator
 * takes the rows one at a time in file order and keeps bounded state, so a 10-million-row file
 * costs no more memory than a small one beyond the caps below; finish() returns a JSON-serialisable
 * ExploreSummary (no NaN, no Infinity: absent values are null).
 */

/** Where the columns sit: structurally a ColumnLayout from the schema, reduced to what is read here. */
export interface ExploreLayout {
  header: readonly string[];
  /** Column index of each canonical field present. */
  index: Partial<Record<string, number>>;
  /** Canonical fields present, in canonical order. */
  present: readonly string[];
}

export interface ExploreOptions {
  /** The file's name, for the summary. */
  source?: string;
  /** Header positions to profile; default every column. */
  profiledColumns?: readonly number[];
  /** Why some columns are not profiled, when profiledColumns leaves some out. */
  notProfiledReason?: string;
  distinctCap?: number;
  reservoirSize?: number;
  seed?: number;
  /** Symbols tracked individually; rows of later new symbols are only counted. */
  maxSymbols?: number;
  /** Consecutive-trade moves kept per symbol for its spread median. */
  movesKept?: number;
  /** Example rows of data-quality findings kept. */
  maxExamples?: number;
  /** Rows read before choosing which extra columns join the correlation. */
  warmupRows?: number;
  /** Features in the correlation matrix, at most. */
  maxFeatures?: number;
  /** Caveats from the caller (e.g. rules it could not apply), shown in the report. */
  notes?: string[];
}

const DEFAULTS = {
  distinctCap: DEFAULT_COLUMN_OPTIONS.distinctCap,
  reservoirSize: DEFAULT_COLUMN_OPTIONS.reservoirSize,
  seed: 1,
  maxSymbols: 10_000,
  movesKept: 512,
  maxExamples: 20,
  warmupRows: 1000,
  maxFeatures: 8,
};
/** Distinct dates counted (a file with garbage timestamps could hold thousands); the busiest are listed. */
const MAX_DATES = 1000;
const LISTED_DATES = 31;

/**
 * Rows whose values are trusted for prices, distributions and correlations: the row's symbol,
 * timestamp, price and quantity parse and are positive (CheckedTrade.scorable), and the row is
 * neither malformed CSV nor a repeat of an earlier trade (a repeat would count its trade twice).
 * Other findings (an unknown side, a missing trade_id) leave the values usable.
 */
export const VALID_ROW_DEFINITION =
  'symbol, timestamp, price and quantity present and parsed, price and quantity positive, the row well-formed and not a repeat of an earlier trade';
const UNTRUSTED_CODES = new Set<string>(['MALFORMED_ROW', 'DUPLICATE_TRADE_ID', 'DUPLICATE_ROW']);

/** The correlation features every file has, in matrix order; extra numeric columns follow. */
export const CORE_FEATURES = ['price', 'quantity', 'notional', 'log_dev_vwap', 'hour_utc'] as const;

const MS_PER_DAY = 86_400_000;
const MS_PER_HOUR = 3_600_000;
const LOG_MIN_EXP = -6;
const LOG_MAX_EXP = 15;
const LOG_BINS_PER_DECADE = 10;
const TIME_BINS = 96;

export interface QualityFinding {
  code: string;
  /** What the rule checks (QUALITY_CODES). */
  description: string;
  count: number;
}

export interface QualityExample {
  sourceRow: number;
  code: string;
  field: string | null;
  message: string;
}

export interface SideTotals {
  trades: number;
  notional: number;
}

export interface ExploreSummary {
  format: 'trade-anomaly-explore/1';
  facts: {
    file: string | null;
    rows: number;
    columns: number;
    header: string[];
    canonicalPresent: string[];
    canonicalAbsent: string[];
    /** Header columns that are not canonical fields. */
    extraColumns: string[];
    /** Columns not profiled, and why (empty when all were). */
    notProfiled: { columns: string[]; reason: string | null };
    /** Earliest and latest parsed timestamps (ISO 8601, UTC), whatever else is wrong with the row. */
    timeRange: { first: string; last: string } | null;
    rowsWithTimestamp: number;
    /** Rows per UTC date, busiest first (at most 31 dates listed). */
    dates: { date: string; rows: number }[];
    /** Distinct UTC dates (a lower bound when distinctDatesExact is false). */
    distinctDates: number;
    distinctDatesExact: boolean;
    distinctSymbols: number;
    distinctSymbolsExact: boolean;
    validRows: number;
    rowsWithFindings: number;
  };
  quality: {
    rowsWithFindings: number;
    /** Findings per rule, most frequent first; a row may break several rules. */
    findings: QualityFinding[];
    /** The first findings in file order (one line per finding). */
    examples: QualityExample[];
  };
  columns: ColumnSummary[];
  symbols: {
    /** Symbols listed below (every symbol seen, unless capped). */
    tracked: number;
    capped: boolean;
    /** Rows whose symbol was first seen after the cap was reached. */
    untrackedTrades: number;
    list: SymbolSummary[];
  };
  correlation: {
    features: string[];
    /** Valid rows of tracked symbols whose extra features were all numbers. */
    rows: number;
    /** Pearson r; null where a feature does not vary. */
    matrix: (number | null)[][];
  };
  distributions: {
    log10Price: HistogramSummary;
    log10Quantity: HistogramSummary;
    log10Notional: HistogramSummary;
    sides: { buy: SideTotals; sell: SideTotals; unknown: SideTotals };
  };
  timeOfDay: {
    /** Minutes per bin; bin i starts at i*binMinutes after 00:00 UTC. */
    binMinutes: number;
    buy: number[];
    sell: number[];
    unknown: number[];
  };
  method: {
    validRow: string;
    distinctCap: number;
    reservoirSize: number;
    quantiles: string;
    seed: number;
    maxSymbols: number;
    spread: string;
    spreadMovesKept: number;
    correlation: string;
    warmupRows: number;
    notes: string[];
  };
}

/** A pending valid row, kept until the extra correlation features are chosen. */
interface PendingRow {
  symbol: string;
  price: number;
  quantity: number;
  timestampMs: number;
  extras: (string | undefined)[];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

// The same reading of a number as the column profiles (parseNumber), so a column counted numeric
// there is numeric here.
const numberOrNull = ColumnProfile.numberOf;

/** Accumulates the exploratory summary of one file, a row at a time. */
export class ExploreAccumulator {
  private readonly o: typeof DEFAULTS;
  private readonly columns: ColumnProfile[];
  private rows = 0;
  private validRows = 0;
  private rowsWithFindings = 0;
  private readonly findings = new Map<string, number>();
  /** Rows with a finding, as a bitset (1 bit a row): late findings must not count a row twice. */
  private readonly flaggedRows = new RowBitset();
  private readonly examples: QualityExample[] = [];
  private firstMs = Infinity;
  private lastMs = -Infinity;
  private rowsWithTimestamp = 0;
  /** Rows per day number (days since 1970-01-01 UTC). */
  private readonly days = new Map<number, number>();
  private daysCapped = false;
  private readonly symbols: SymbolTable;
  private readonly logPrice = logHistogram(LOG_MIN_EXP, LOG_MAX_EXP, LOG_BINS_PER_DECADE);
  private readonly logQuantity = logHistogram(LOG_MIN_EXP, LOG_MAX_EXP, LOG_BINS_PER_DECADE);
  private readonly logNotional = logHistogram(LOG_MIN_EXP, LOG_MAX_EXP, LOG_BINS_PER_DECADE);
  private readonly hours = { buy: new Histogram(0, 24, TIME_BINS), sell: new Histogram(0, 24, TIME_BINS), unknown: new Histogram(0, 24, TIME_BINS) };
  private readonly sides = { buy: { trades: 0, notional: 0 }, sell: { trades: 0, notional: 0 }, unknown: { trades: 0, notional: 0 } };
  /** Non-canonical profiled columns: candidates for the correlation. */
  private readonly candidates: number[];
  private readonly candidateSeen: { nonEmpty: number; numeric: number }[];
  /** Chosen extra features (header positions), once the warm-up is over. */
  private extras: number[] | undefined;
  /** Where each chosen extra sits among the candidates. */
  private extraSlots: number[] = [];
  private pending: PendingRow[] = [];
  private readonly moments = new Map<string, CoMoments>();
  private correlationRows = 0;
  private readonly feature: Float64Array;

  constructor(
    private readonly layout: ExploreLayout,
    private readonly options: ExploreOptions = {},
  ) {
    this.o = { ...DEFAULTS, ...definedOnly(options) } as typeof DEFAULTS;
    const canonicalAt = new Map<number, string>();
    for (const f of layout.present) if (layout.index[f] !== undefined) canonicalAt.set(layout.index[f]!, f);
    const profiled = options.profiledColumns ?? layout.header.map((_, i) => i);
    const columnOptions = { ...DEFAULT_COLUMN_OPTIONS, distinctCap: this.o.distinctCap, reservoirSize: this.o.reservoirSize, seed: this.o.seed };
    this.columns = profiled.map((i) => new ColumnProfile(layout.header[i] ?? `column ${i + 1}`, i, canonicalAt.get(i) ?? null, columnOptions));
    this.candidates = profiled.filter((i) => !canonicalAt.has(i));
    this.candidateSeen = this.candidates.map(() => ({ nonEmpty: 0, numeric: 0 }));
    this.symbols = new SymbolTable(this.o.maxSymbols, this.o.movesKept, new SeededRandom(this.o.seed));
    this.feature = new Float64Array(this.o.maxFeatures);
  }

  /**
   * Adds one data row.
   * @param record every column's raw text, in header order (a short row simply ends early)
   * @param trade the row after the data-quality checks
   */
  add(record: readonly (string | undefined)[], trade: CheckedTrade): void {
    this.rows++;
    for (const c of this.columns) c.add(record[c.index]);
    this.addFindings(trade);
    if (trade.timestampMs !== null) {
      this.rowsWithTimestamp++;
      if (trade.timestampMs < this.firstMs) this.firstMs = trade.timestampMs;
      if (trade.timestampMs > this.lastMs) this.lastMs = trade.timestampMs;
      // Day numbers rather than date strings: no string per row.
      const day = Math.floor(trade.timestampMs / MS_PER_DAY);
      const n = this.days.get(day);
      if (n !== undefined) this.days.set(day, n + 1);
      else if (this.days.size < MAX_DATES) this.days.set(day, 1);
      else this.daysCapped = true;
    }
    if (this.extras === undefined) this.observeCandidates(record);
    if (trade.symbol === null) return;
    const profile = this.symbols.get(trade.symbol);
    if (!trade.scorable || trade.issues.some((i) => UNTRUSTED_CODES.has(i.code))) {
      profile?.countInvalid();
      return;
    }
    const price = trade.price!;
    const quantity = trade.quantity!;
    const ts = trade.timestampMs!;
    this.validRows++;
    profile?.addValid(price, quantity, trade.side);
    const notional = price * quantity;
    this.logPrice.add(Math.log10(price));
    this.logQuantity.add(Math.log10(quantity));
    this.logNotional.add(Math.log10(notional));
    const side = trade.side === 'BUY' ? 'buy' : trade.side === 'SELL' ? 'sell' : 'unknown';
    this.hours[side].add(hourOfDay(ts));
    this.sides[side].trades++;
    this.sides[side].notional += notional;
    if (profile === undefined) return;
    const extrasRaw = this.candidates.map((i) => record[i]);
    if (this.extras === undefined) {
      this.pending.push({ symbol: trade.symbol, price, quantity, timestampMs: ts, extras: extrasRaw });
      if (this.rows >= this.o.warmupRows) this.chooseExtras();
    } else {
      this.addFeatures(trade.symbol, price, quantity, ts, extrasRaw);
    }
  }

  private addFindings(trade: CheckedTrade): void {
    if (trade.issues.length === 0) return;
    this.rowsWithFindings++;
    this.flaggedRows.add(trade.sourceRow);
    for (const issue of trade.issues) this.countFinding(trade.sourceRow, issue, false);
  }

  /**
   * Counts a finding and keeps it as an example while fewer than maxExamples are kept. Findings of
   * the scan arrive in row order, so the examples stay sorted; a late one (repeats are known after
   * the whole file) may come before the kept examples: it replaces the last, and they are re-sorted.
   */
  private countFinding(sourceRow: number, issue: QualityIssue, late: boolean): void {
    this.findings.set(issue.code, (this.findings.get(issue.code) ?? 0) + 1);
    const example = { sourceRow, code: issue.code, field: issue.field ?? null, message: issue.message };
    if (this.examples.length < this.o.maxExamples) this.examples.push(example);
    else if (late && sourceRow < this.examples[this.examples.length - 1].sourceRow) this.examples[this.examples.length - 1] = example;
    else return;
    if (late) this.examples.sort((a, b) => a.sourceRow - b.sourceRow);
  }

  /**
   * Findings known only after the whole file was read (repeated trade ids and rows), added to the
   * counts and examples; a row that already had a finding is not counted twice.
   */
  addLateFindings(findings: { sourceRow: number; issue: QualityIssue }[]): void {
    for (const { sourceRow, issue } of findings) {
      if (!this.flaggedRows.has(sourceRow)) {
        this.flaggedRows.add(sourceRow);
        this.rowsWithFindings++;
      }
      this.countFinding(sourceRow, issue, true);
    }
  }

  private observeCandidates(record: readonly (string | undefined)[]): void {
    this.candidates.forEach((col, k) => {
      const v = (record[col] ?? '').trim();
      if (v === '') return;
      this.candidateSeen[k].nonEmpty++;
      if (numberOrNull(v) !== null) this.candidateSeen[k].numeric++;
    });
  }

  /**
   * Picks the extra columns for the correlation from the rows seen so far (mostly numbers, in
   * header order, up to the feature cap), then feeds the rows kept while waiting. One pass cannot
   * know a column's type before reading it, and the first rows are a fair guide to it.
   */
  private chooseExtras(): void {
    const room = this.o.maxFeatures - CORE_FEATURES.length;
    this.extraSlots = this.candidates
      .map((_, k) => k)
      .filter((k) => {
        const s = this.candidateSeen[k];
        return s.nonEmpty > 0 && s.numeric >= DEFAULT_COLUMN_OPTIONS.numericShare * s.nonEmpty;
      })
      .slice(0, Math.max(0, room));
    this.extras = this.extraSlots.map((k) => this.candidates[k]);
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) this.addFeatures(p.symbol, p.price, p.quantity, p.timestampMs, p.extras);
  }

  private addFeatures(symbol: string, price: number, quantity: number, ts: number, extrasRaw: readonly (string | undefined)[]): void {
    const f = this.feature;
    const slots = this.extraSlots;
    f[0] = price;
    f[1] = quantity;
    f[2] = price * quantity;
    // ln(price) now; each symbol's mean is shifted by -ln(VWAP) at the end (see correlation.ts).
    f[3] = Math.log(price);
    f[4] = hourOfDay(ts);
    for (let k = 0; k < slots.length; k++) {
      const v = numberOrNull(extrasRaw[slots[k]]);
      // Listwise: a row joins the matrix only with every feature, so all cells share one row set.
      if (v === null) return;
      f[CORE_FEATURES.length + k] = v;
    }
    let m = this.moments.get(symbol);
    if (m === undefined) {
      m = new CoMoments(CORE_FEATURES.length + slots.length);
      this.moments.set(symbol, m);
    }
    m.add(f);
    this.correlationRows++;
  }

  private correlation(): ExploreSummary['correlation'] {
    if (this.extras === undefined) this.chooseExtras();
    const extras = this.extras!;
    const total = new CoMoments(CORE_FEATURES.length + extras.length);
    for (const p of this.symbols.profiles()) {
      const m = this.moments.get(p.symbol);
      if (m === undefined) continue;
      m.shift(3, -Math.log(p.vwap));
      total.merge(m);
    }
    return {
      features: [...CORE_FEATURES, ...extras.map((i) => this.layout.header[i] ?? `column ${i + 1}`)],
      rows: this.correlationRows,
      matrix: total.correlation(),
    };
  }

  /** The summary of every row added. Call once. */
  finish(): ExploreSummary {
    const correlation = this.correlation();
    const columns = this.columns.map((c) => c.finish());
    const symbolColumn = this.layout.index.symbol === undefined ? undefined : columns.find((c) => c.index === this.layout.index.symbol);
    const profiledSet = new Set(this.columns.map((c) => c.index));
    const notProfiled = this.layout.header.filter((_, i) => !profiledSet.has(i));
    const canonical = new Set(this.layout.present.map((f) => this.layout.index[f]));
    const findings = [...this.findings]
      .map(([code, count]) => ({ code, description: (QUALITY_CODES as Record<string, string>)[code] ?? code, count }))
      .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1));
    const hoursOf = (h: Histogram) => h.finish().counts;
    return {
      format: 'trade-anomaly-explore/1',
      facts: {
        file: this.options.source ?? null,
        rows: this.rows,
        columns: this.layout.header.length,
        header: [...this.layout.header],
        canonicalPresent: [...this.layout.present],
        canonicalAbsent: CANONICAL_FIELDS.filter((f) => !this.layout.present.includes(f)),
        extraColumns: this.layout.header.filter((_, i) => !canonical.has(i)),
        notProfiled: { columns: notProfiled, reason: notProfiled.length ? (this.options.notProfiledReason ?? null) : null },
        timeRange: this.rowsWithTimestamp > 0 ? { first: iso(this.firstMs), last: iso(this.lastMs) } : null,
        rowsWithTimestamp: this.rowsWithTimestamp,
        dates: [...this.days]
          .sort((a, b) => b[1] - a[1] || a[0] - b[0])
          .slice(0, LISTED_DATES)
          .map(([day, rows]) => ({ date: iso(day * MS_PER_DAY).slice(0, 10), rows })),
        distinctDates: this.days.size,
        distinctDatesExact: !this.daysCapped,
        distinctSymbols: symbolColumn ? symbolColumn.distinct : this.symbols.size,
        distinctSymbolsExact: symbolColumn ? symbolColumn.distinctExact : !this.symbols.full,
        validRows: this.validRows,
        rowsWithFindings: this.rowsWithFindings,
      },
      quality: { rowsWithFindings: this.rowsWithFindings, findings, examples: this.examples },
      columns,
      symbols: { tracked: this.symbols.size, capped: this.symbols.full, untrackedTrades: this.symbols.untrackedTrades, list: this.symbols.finish() },
      correlation,
      distributions: {
        log10Price: this.logPrice.finishTrimmed(),
        log10Quantity: this.logQuantity.finishTrimmed(),
        log10Notional: this.logNotional.finishTrimmed(),
        sides: this.sides,
      },
      timeOfDay: { binMinutes: (24 * 60) / TIME_BINS, buy: hoursOf(this.hours.buy), sell: hoursOf(this.hours.sell), unknown: hoursOf(this.hours.unknown) },
      method: {
        validRow: VALID_ROW_DEFINITION,
        distinctCap: this.o.distinctCap,
        reservoirSize: this.o.reservoirSize,
        quantiles: `linear interpolation between closest ranks; exact up to ${this.o.reservoirSize} numbers per column, else from a seeded uniform sample of that many (see each column's quantilesExact)`,
        seed: this.o.seed,
        maxSymbols: this.o.maxSymbols,
        spread:
          "proxy, not a quoted spread: median of |price_t - price_t-1| / price_t-1 between consecutive valid trades of the symbol in file order, in percent",
        spreadMovesKept: this.o.movesKept,
        correlation: `Pearson r over valid rows; log_dev_vwap = ln(price / the symbol's VWAP over the file); hour_utc = time of day in hours (UTC); extra columns chosen from the first ${this.o.warmupRows} rows when at least ${DEFAULT_COLUMN_OPTIONS.numericShare * 100}% of their values are numbers, at most ${this.o.maxFeatures} features`,
        warmupRows: this.o.warmupRows,
        notes: [...(this.options.notes ?? [])],
      },
    };
  }
}

/** Hours since 00:00 UTC, fractional. */
export function hourOfDay(ms: number): number {
  return (((ms % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY) / MS_PER_HOUR;
}

/** A growable set of row numbers, one bit a row (10 million rows: 1.25 MB). */
class RowBitset {
  private bits = new Uint8Array(1 << 16);

  has(row: number): boolean {
    return row >> 3 < this.bits.length && (this.bits[row >> 3] & (1 << (row & 7))) !== 0;
  }

  add(row: number): void {
    if (row >> 3 >= this.bits.length) {
      const grown = new Uint8Array(Math.max(this.bits.length * 2, (row >> 3) + 1));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[row >> 3] |= 1 << (row & 7);
  }
}
