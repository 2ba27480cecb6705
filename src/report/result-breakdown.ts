import { MODEL_REASON_PREFIX } from '../steps/run-summary.js';
import { emptySeverityCounts, type Severity, type SeverityCounts } from '../alerts/severity.js';

/**
 * The day's figures behind the report's charts, counted one row at a time while aggregate streams the
 * scored chunks: a few hundred counters and one counter pair per symbol, never the rows themselves,
 * whatever the file's size (up to 10 million rows).
 */

/** Bins of the score histogram over [0, 1]: 0.02 wide, fine enough to show where the threshold cuts. */
export const SCORE_BINS = 50;
/** Symbols listed in the summary (most flagged first); the report charts the first 20. */
export const BREAKDOWN_SYMBOLS = 50;
/**
 * Symbols counted one by one. A real file has a few thousand; a broken one (a shifted column) may have a
 * different "symbol" on every row, and a counter per value would then grow with the file: rows of
 * symbols first seen after this many are counted together.
 */
export const MAX_TRACKED_SYMBOLS = 20_000;

export interface SymbolCount {
  /** null: rows with no symbol. */
  symbol: string | null;
  rows: number;
  /** Flagged rows (known false positives included, as in the Parquet). */
  anomalies: number;
}

export interface RunBreakdown {
  /** Scored rows per score bin: bin i covers [i/SCORE_BINS, (i+1)/SCORE_BINS); a score of 1 is in the last. */
  scoreHistogram: number[];
  /** Flagged rows per severity level, known false positives left out (they are in the feedback counts). */
  bySeverity: SeverityCounts;
  /** Rows and flagged rows by the hour (UTC) of their timestamp; rows without one apart. */
  byHour: { rows: number[]; anomalies: number[]; noTimestamp: { rows: number; anomalies: number } };
  /** Symbols with flagged rows, most flagged first (then most rows, then by name), at most BREAKDOWN_SYMBOLS. */
  bySymbol: SymbolCount[];
  symbols: {
    /** Distinct symbols counted (a lower bound when `exact` is false). */
    distinct: number;
    /** Symbols with at least one flagged row. */
    withAnomalies: number;
    /** false: more than MAX_TRACKED_SYMBOLS symbols; later ones were counted together. */
    exact: boolean;
    /** Flagged rows of symbols not in bySymbol (beyond the list, or untracked). */
    anomaliesNotListed: number;
  };
  /** Rows breaking each data-quality rule (a row may break several), most first. */
  qualityByRule: Record<string, number>;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The key under which rows without a symbol are counted (no real symbol is empty: it would be MISSING_FIELD). */
const NO_SYMBOL = '';

export class BreakdownTally {
  private readonly scores = new Float64Array(SCORE_BINS);
  private readonly bySeverity = emptySeverityCounts();
  private readonly hourRows = new Float64Array(24);
  private readonly hourAnomalies = new Float64Array(24);
  private readonly noTimestamp = { rows: 0, anomalies: 0 };
  /** Per symbol: [rows, flagged rows]. */
  private readonly symbols = new Map<string, [number, number]>();
  private readonly untracked: [number, number] = [0, 0];

  /** Counts one row. `severity` is set for a flagged row that is not a known false positive. */
  add(symbol: string | null, timestampMs: number | null, score: number | null, flagged: boolean, severity: Severity | undefined): void {
    const f = flagged ? 1 : 0;
    if (score !== null && Number.isFinite(score)) this.scores[Math.min(SCORE_BINS - 1, Math.max(0, Math.floor(score * SCORE_BINS)))]++;
    if (severity) this.bySeverity[severity]++;
    if (timestampMs === null || !Number.isFinite(timestampMs)) {
      this.noTimestamp.rows++;
      this.noTimestamp.anomalies += f;
    } else {
      const hour = Math.floor((((timestampMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
      this.hourRows[hour]++;
      this.hourAnomalies[hour] += f;
    }
    const key = symbol ?? NO_SYMBOL;
    let counts = this.symbols.get(key);
    if (!counts) {
      if (this.symbols.size >= MAX_TRACKED_SYMBOLS) counts = this.untracked;
      else this.symbols.set(key, (counts = [0, 0]));
    }
    counts[0]++;
    counts[1] += f;
  }

  /**
   * The breakdown of the rows counted. `byReason` is the run's flagged rows per reason code: every
   * row breaking a rule is flagged under each rule it broke, so its quality codes are the rows per rule.
   */
  finish(byReason: Record<string, number>): RunBreakdown {
    const quality = Object.entries(byReason).filter(([code]) => !code.startsWith(MODEL_REASON_PREFIX));
    const flagged = [...this.symbols].filter(([, c]) => c[1] > 0);
    flagged.sort((a, b) => b[1][1] - a[1][1] || b[1][0] - a[1][0] || a[0].localeCompare(b[0]));
    const listed = flagged.slice(0, BREAKDOWN_SYMBOLS);
    const allFlagged = flagged.reduce((n, [, c]) => n + c[1], 0) + this.untracked[1];
    const listedFlagged = listed.reduce((n, [, c]) => n + c[1], 0);
    return {
      scoreHistogram: Array.from(this.scores),
      bySeverity: { ...this.bySeverity },
      byHour: { rows: Array.from(this.hourRows), anomalies: Array.from(this.hourAnomalies), noTimestamp: { ...this.noTimestamp } },
      bySymbol: listed.map(([symbol, c]) => ({ symbol: symbol === NO_SYMBOL ? null : symbol, rows: c[0], anomalies: c[1] })),
      symbols: {
        distinct: this.symbols.size - (this.symbols.has(NO_SYMBOL) ? 1 : 0),
        withAnomalies: flagged.filter(([s]) => s !== NO_SYMBOL).length,
        exact: this.untracked[0] === 0,
        anomaliesNotListed: allFlagged - listedFlagged,
      },
      qualityByRule: Object.fromEntries(quality.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    };
  }
}
