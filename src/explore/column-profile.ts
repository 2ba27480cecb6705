import { parseNumber } from '../parse/field-parsers.js';
import { RunningStats, type NumberStats } from './running-stats.js';

/**
 * The profile of one column of a file, from its raw text values: how many there are, how many are
 * empty, how many distinct ones (exactly up to a cap, so memory stays bounded on a 10-million-row
 * file whose trade_id column never repeats), the most common values, and number statistics when
 * the column mostly holds numbers.
 */

export interface ColumnProfileOptions {
  /** Distinct values counted exactly up to this many; beyond it the count is a lower bound. */
  distinctCap: number;
  /** Numbers kept for quantiles (exact below this count, sampled above). */
  reservoirSize: number;
  seed: number;
  /** Share of non-empty values that must parse as numbers for the column to count as numeric. */
  numericShare: number;
}

export const DEFAULT_COLUMN_OPTIONS: ColumnProfileOptions = {
  distinctCap: 100_000,
  reservoirSize: 65_536,
  seed: 1,
  numericShare: 0.9,
};

const TOP_VALUES = 5;
const MAX_SHOWN_LENGTH = 60;

export interface ColumnSummary {
  /** The header's name for the column, as written. */
  name: string;
  /** 0-based position in the header. */
  index: number;
  /** The canonical field the column maps to, or null for an extra column. */
  canonical: string | null;
  /** Rows seen (every data row, whether or not it had this column). */
  count: number;
  /** Rows where the value is empty, blank, or absent because the row was short. */
  missing: number;
  /** Distinct non-empty values: exact when distinctExact, else at least this many. */
  distinct: number;
  distinctExact: boolean;
  /** The most common non-empty values with their counts; only when distinctExact (else counts are unknown). */
  topValues: { value: string; count: number }[];
  /** 'numeric' when at least numericShare of the non-empty values are numbers. */
  kind: 'numeric' | 'text' | 'empty';
  /** Non-empty values that parse as numbers. */
  numericValues: number;
  /** Number statistics over the values that parse; only for numeric columns. */
  numbers: NumberStats | null;
}

/** Whether text starting with this character can be a finite number: a digit, sign or decimal point. */
function mayBeNumber(code: number): boolean {
  return (code >= 48 && code <= 57) || code === 43 || code === 45 || code === 46;
}

/** Accumulates one column's profile, a value at a time. */
export class ColumnProfile {
  private count = 0;
  private missing = 0;
  private nonEmpty = 0;
  private readonly values = new Map<string, number>();
  private distinctCapped = false;
  private stats: RunningStats | undefined;

  constructor(
    readonly name: string,
    readonly index: number,
    readonly canonical: string | null,
    private readonly options: ColumnProfileOptions = DEFAULT_COLUMN_OPTIONS,
  ) {}

  /** @param raw the value as read; undefined when the row had no such column */
  add(raw: string | undefined): void {
    this.count++;
    const value = raw === undefined ? '' : raw.trim();
    if (value === '') {
      this.missing++;
      return;
    }
    this.nonEmpty++;
    // Once capped, the count is a lower bound and the top values are not reported: the map is left
    // alone, which also spares a hash lookup per row on columns such as trade_id.
    if (!this.distinctCapped) {
      const seen = this.values.get(value);
      if (seen !== undefined) this.values.set(value, seen + 1);
      else if (this.values.size < this.options.distinctCap) this.values.set(value, 1);
      else this.distinctCapped = true;
    }
    if (!mayBeNumber(value.charCodeAt(0))) return;
    const parsed = parseNumber(value);
    if (parsed.ok) {
      // Created on the first number only: a text column such as trade_id then costs no reservoir.
      this.stats ??= new RunningStats(this.options.reservoirSize, this.options.seed + this.index);
      this.stats.add(parsed.value);
    }
  }

  /** The value as a number when it parses, else null; for callers that need the same reading. */
  static numberOf(raw: string | undefined): number | null {
    if (raw === undefined) return null;
    const parsed = parseNumber(raw);
    return parsed.ok ? parsed.value : null;
  }

  finish(): ColumnSummary {
    const numericValues = this.stats?.count ?? 0;
    const kind = this.nonEmpty === 0 ? 'empty' : numericValues >= this.options.numericShare * this.nonEmpty ? 'numeric' : 'text';
    const topValues = this.distinctCapped
      ? []
      : [...this.values]
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
          .slice(0, TOP_VALUES)
          .map(([value, count]) => ({ value: value.length > MAX_SHOWN_LENGTH ? `${value.slice(0, MAX_SHOWN_LENGTH)}…` : value, count }));
    return {
      name: this.name,
      index: this.index,
      canonical: this.canonical,
      count: this.count,
      missing: this.missing,
      distinct: this.values.size,
      distinctExact: !this.distinctCapped,
      topValues,
      kind,
      numericValues,
      numbers: kind === 'numeric' ? (this.stats?.finish() ?? null) : null,
    };
  }
}
