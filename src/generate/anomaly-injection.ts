/**
 * The anomaly catalogue and how each kind is planted. Anomalies are made from normal trades so
 * that, apart from the planted defect, they look like everything around them.
 */

import { priceToUnits, roundToLot, type TradeDraft } from './market-day.js';
import type { Rng } from './random.js';
import { FIELD, formatScaled } from './row-format.js';

export const ANOMALY_TYPES = [
  'fat_finger',
  'price_spike',
  'quantity_spike',
  'off_hours',
  'impossible_value',
  'missing_field',
  'duplicate_trade',
] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

/** A zero count for every type. */
export function emptyAnomalyCounts(): Record<AnomalyType, number> {
  return Object.fromEntries(ANOMALY_TYPES.map((t) => [t, 0])) as Record<AnomalyType, number>;
}

/**
 * Splits `total` anomalies into equal shares per type; the remainder goes to distinct types chosen
 * at random, so every type is present once total >= number of types.
 */
export function splitAnomalyCounts(total: number, rng: Rng): Record<AnomalyType, number> {
  const counts = emptyAnomalyCounts();
  const share = Math.floor(total / ANOMALY_TYPES.length);
  for (const type of ANOMALY_TYPES) counts[type] = share;
  const order = [...ANOMALY_TYPES];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (let r = 0; r < total - share * ANOMALY_TYPES.length; r++) counts[order[r]] += 1;
  return counts;
}

/**
 * Decides, row by row, which rows carry an anomaly, for exact per-type counts over a known number
 * of candidate rows with O(1) memory (Knuth's selection sampling: take the row with probability
 * remaining anomalies / remaining rows). A 10M-row day needs no list of positions.
 */
export class AnomalySchedule {
  private readonly remaining: Record<AnomalyType, number>;
  private remainingTotal = 0;
  private candidatesLeft: number;

  /**
   * @param counts anomalies to place per type (their sum must not exceed `candidates`)
   * @param candidates number of rows `next` will be called for
   * @param rng the stream that places anomalies
   */
  constructor(
    counts: Record<AnomalyType, number>,
    candidates: number,
    private readonly rng: Rng,
  ) {
    this.remaining = { ...counts };
    for (const type of ANOMALY_TYPES) this.remainingTotal += counts[type];
    if (this.remainingTotal > candidates) {
      throw new RangeError(`cannot place ${this.remainingTotal} anomalies in ${candidates} rows`);
    }
    this.candidatesLeft = candidates;
  }

  /** The anomaly for the next candidate row, or null for a normal row. */
  next(): AnomalyType | null {
    const left = this.candidatesLeft;
    this.candidatesLeft -= 1;
    if (this.remainingTotal === 0 || this.rng.next() * left >= this.remainingTotal) return null;
    let pick = this.rng.int(this.remainingTotal);
    for (const type of ANOMALY_TYPES) {
      const count = this.remaining[type];
      if (pick < count) {
        this.remaining[type] -= 1;
        this.remainingTotal -= 1;
        return type;
      }
      pick -= count;
    }
    throw new Error('unreachable: anomaly schedule counts out of sync');
  }
}

const MISSABLE_FIELDS = [FIELD.symbol, FIELD.side, FIELD.quantity, FIELD.price, FIELD.timestamp, FIELD.tradeId] as const;

/**
 * Plants a row-level anomaly into a normal row's fields, in place. off_hours and duplicate_trade
 * are not row edits (they are placed by time and by copying) and leave the fields alone.
 */
export function corruptFields(type: AnomalyType, fields: string[], draft: TradeDraft, rng: Rng): void {
  const symbol = draft.symbol;
  switch (type) {
    case 'fat_finger': {
      const power = 1 + rng.int(3);
      if (rng.chance(0.5)) {
        fields[FIELD.price] = formatScaled(draft.priceUnits * 10 ** power, symbol.priceDecimals);
        return;
      }
      // Shifted down, the price is printed with the symbol's usual decimals like any other row,
      // unless that would round away most of its digits (or to zero, which would be a different
      // anomaly); then the extra decimals stay, as a booking system would store them.
      const shifted = Math.round(draft.priceUnits / 10 ** power);
      fields[FIELD.price] =
        shifted >= 100
          ? formatScaled(shifted, symbol.priceDecimals)
          : formatScaled(draft.priceUnits, symbol.priceDecimals + power);
      return;
    }
    case 'price_spike': {
      const move = rng.range(0.08, 0.25);
      const spiked = draft.midPrice * (rng.chance(0.5) ? 1 + move : 1 - move);
      fields[FIELD.price] = formatScaled(priceToUnits(symbol, spiked), symbol.priceDecimals);
      return;
    }
    case 'quantity_spike':
      fields[FIELD.quantity] = String(roundToLot(symbol, symbol.typicalQuantity * rng.logUniform(100, 2000)));
      return;
    case 'impossible_value':
      switch (rng.int(4)) {
        case 0:
          fields[FIELD.price] = formatScaled(0, symbol.priceDecimals);
          return;
        case 1:
          fields[FIELD.price] = formatScaled(-draft.priceUnits, symbol.priceDecimals);
          return;
        case 2:
          fields[FIELD.quantity] = '0';
          return;
        default:
          fields[FIELD.quantity] = String(-draft.quantity);
          return;
      }
    case 'missing_field':
      fields[rng.pick(MISSABLE_FIELDS)] = '';
      return;
    case 'off_hours':
    case 'duplicate_trade':
      return;
  }
}
