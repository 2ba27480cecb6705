/**
 * Trade times within the day. Normal trades happen in the 08:00-16:30 UTC session with a
 * U-shaped intensity (busy at the open and the close, a lunch lull, a bump when US markets open at
 * 14:30 UTC); off-hours anomalies fall in windows well clear of the session.
 */

import type { Rng } from './random.js';

const MS_PER_HOUR = 3_600_000;
export const SESSION_OPEN_MS = 8 * MS_PER_HOUR;
export const SESSION_CLOSE_MS = 16.5 * MS_PER_HOUR;
export const SESSION_LENGTH_MS = SESSION_CLOSE_MS - SESSION_OPEN_MS;

/** Off-hours windows [from, to) in ms of the day: 00:00-06:30 and 19:00-24:00 UTC. */
export const OFF_HOURS_MORNING: readonly [number, number] = [0, 6.5 * MS_PER_HOUR];
export const OFF_HOURS_EVENING: readonly [number, number] = [19 * MS_PER_HOUR, 24 * MS_PER_HOUR];

const SESSION_SECONDS = SESSION_LENGTH_MS / 1000;

/** Relative trade intensity s seconds after the open. */
function intensity(s: number): number {
  const fromClose = SESSION_SECONDS - s;
  return (
    1 +
    2.5 * Math.exp(-s / 1800) +
    2.0 * Math.exp(-fromClose / 1500) +
    0.6 * Math.exp(-((s - 23_400) ** 2) / (2 * 900 ** 2)) -
    0.25 * Math.exp(-((s - 14_400) ** 2) / (2 * 2700 ** 2))
  );
}

// Cumulative intensity at each whole second of the session; inverted piecewise-linearly.
const CUMULATIVE = (() => {
  const cumulative = new Float64Array(SESSION_SECONDS + 1);
  for (let s = 0; s < SESSION_SECONDS; s++) cumulative[s + 1] = cumulative[s] + intensity(s + 0.5);
  return cumulative;
})();

/**
 * Yields `count` session timestamps (ms of the day) in ascending order, one at a time, without
 * holding them: descending uniform order statistics are generated sequentially
 * (X(n) = U^(1/n), X(k-1) = X(k) * U^(1/(k-1))), flipped to ascending by 1 - X, and mapped through
 * the inverse of the intensity's cumulative distribution, which preserves order.
 */
export class SessionClock {
  private remaining: number;
  private descending = 1;
  private bin = 0;
  private last = SESSION_OPEN_MS;

  constructor(
    count: number,
    private readonly rng: Rng,
  ) {
    this.remaining = count;
  }

  /** The next timestamp; repeats the last one if called more than `count` times. */
  next(): number {
    if (this.remaining <= 0) return this.last;
    this.descending *= Math.pow(this.rng.next(), 1 / this.remaining);
    this.remaining -= 1;
    const target = (1 - this.descending) * CUMULATIVE[SESSION_SECONDS];
    while (this.bin < SESSION_SECONDS - 1 && CUMULATIVE[this.bin + 1] < target) this.bin += 1;
    const lo = CUMULATIVE[this.bin];
    const fraction = Math.min(1, Math.max(0, (target - lo) / (CUMULATIVE[this.bin + 1] - lo)));
    const ms = SESSION_OPEN_MS + Math.floor((this.bin + fraction) * 1000);
    this.last = Math.max(this.last, Math.min(SESSION_CLOSE_MS - 1, ms));
    return this.last;
  }
}

/**
 * Draws `count` off-hours times, split between the morning and evening windows in proportion to
 * their length, each list ascending (they go at the start and the end of the file).
 */
export function sampleOffHoursTimes(count: number, rng: Rng): { morning: number[]; evening: number[] } {
  const morningLength = OFF_HOURS_MORNING[1] - OFF_HOURS_MORNING[0];
  const eveningLength = OFF_HOURS_EVENING[1] - OFF_HOURS_EVENING[0];
  const morning: number[] = [];
  const evening: number[] = [];
  for (let i = 0; i < count; i++) {
    if (rng.chance(morningLength / (morningLength + eveningLength))) {
      morning.push(OFF_HOURS_MORNING[0] + rng.int(morningLength));
    } else {
      evening.push(OFF_HOURS_EVENING[0] + rng.int(eveningLength));
    }
  }
  const ascending = (a: number, b: number): number => a - b;
  return { morning: morning.sort(ascending), evening: evening.sort(ascending) };
}
