/**
 * Trade times within the day. Normal trades happen in the session (default 08:00-16:30 UTC) with
 * an intensity set by the activity profile; off-hours anomalies fall in windows well clear of the
 * session (from midnight to 90 minutes before the open, and from 150 minutes after the close to
 * midnight: 00:00-06:30 and 19:00-24:00 for the default session).
 *
 * Activity profiles (how a day's trades spread over the session):
 * - 'u-shape' (default): busy at the open and the close, a lunch lull at about 47% of the session
 *   and a bump at about 76% (14:30 UTC, when US markets open, in the default session);
 * - 'flat': the same intensity all session, so no in-session quarter-hour is quiet;
 * - 'afternoon': a quiet first half (about a sixth of the later intensity) that ramps up past the
 *   middle of the session, as a desk trading mostly US names sees; its quiet morning is the in-session
 *   time that looks most like off hours.
 */

import type { Rng } from './random.js';

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
/** Off-hours anomalies keep this far from the open and the close, so they are not borderline. */
const OFF_HOURS_MARGIN_BEFORE_OPEN_MS = 90 * MS_PER_MINUTE;
const OFF_HOURS_MARGIN_AFTER_CLOSE_MS = 150 * MS_PER_MINUTE;
/** At least this much of the day must be off hours, so off-hours anomalies have somewhere to go. */
const MIN_OFF_HOURS_MS = 30 * MS_PER_MINUTE;
const MIN_SESSION_MS = 60 * MS_PER_MINUTE;

export const ACTIVITY_PROFILES = ['u-shape', 'flat', 'afternoon'] as const;
export type ActivityProfile = (typeof ACTIVITY_PROFILES)[number];

export const DEFAULT_SESSION_HOURS = '08:00-16:30';
export const DEFAULT_ACTIVITY: ActivityProfile = 'u-shape';

/** The session's times and its intensity, resolved once per generation. */
export interface TradingSession {
  /** ms of the day (UTC) */
  openMs: number;
  closeMs: number;
  lengthMs: number;
  /** Off-hours windows [from, to) in ms of the day; either may be empty (from === to). */
  offHoursMorning: readonly [number, number];
  offHoursEvening: readonly [number, number];
  /** Cumulative intensity at each whole second of the session (length seconds + 1). */
  cumulative: Float64Array;
}

/** The default session, as the constants older code and tests know it. */
export const SESSION_OPEN_MS = 8 * MS_PER_HOUR;
export const SESSION_CLOSE_MS = 16.5 * MS_PER_HOUR;
export const SESSION_LENGTH_MS = SESSION_CLOSE_MS - SESSION_OPEN_MS;
const DEFAULT_SESSION_SECONDS = SESSION_LENGTH_MS / 1000;

/**
 * The default U-shape: open and close bursts in absolute time, the two midday features placed and
 * sized in proportion to the session (exactly 4 h and 6.5 h after the open in the default session,
 * so the default output is unchanged).
 */
function uShape(s: number, seconds: number): number {
  const fromClose = seconds - s;
  const bump = (23_400 * seconds) / DEFAULT_SESSION_SECONDS;
  const bumpWidth = (900 * seconds) / DEFAULT_SESSION_SECONDS;
  const lull = (14_400 * seconds) / DEFAULT_SESSION_SECONDS;
  const lullWidth = (2700 * seconds) / DEFAULT_SESSION_SECONDS;
  return (
    1 +
    2.5 * Math.exp(-s / 1800) +
    2.0 * Math.exp(-fromClose / 1500) +
    0.6 * Math.exp(-((s - bump) ** 2) / (2 * bumpWidth ** 2)) -
    0.25 * Math.exp(-((s - lull) ** 2) / (2 * lullWidth ** 2))
  );
}

/** Quiet until past the middle, then a logistic ramp to six times the morning's rate, and a close burst. */
function afternoon(s: number, seconds: number): number {
  const ramp = 1 / (1 + Math.exp(-(s - 0.55 * seconds) / (0.04 * seconds)));
  return 0.3 + 1.5 * ramp + 1.0 * Math.exp(-(seconds - s) / 1500);
}

function intensity(profile: ActivityProfile, s: number, seconds: number): number {
  switch (profile) {
    case 'u-shape':
      return uShape(s, seconds);
    case 'flat':
      return 1;
    case 'afternoon':
      return afternoon(s, seconds);
  }
}

const cumulativeCache = new Map<string, Float64Array>();

function cumulativeIntensity(profile: ActivityProfile, seconds: number): Float64Array {
  const key = `${profile}:${seconds}`;
  let cumulative = cumulativeCache.get(key);
  if (!cumulative) {
    cumulative = new Float64Array(seconds + 1);
    for (let s = 0; s < seconds; s++) cumulative[s + 1] = cumulative[s] + intensity(profile, s + 0.5, seconds);
    cumulativeCache.set(key, cumulative);
  }
  return cumulative;
}

const HOURS_PATTERN = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

function parseClock(h: string, m: string, whole: string): number {
  const hours = Number(h);
  const minutes = Number(m);
  if (hours > 24 || minutes > 59 || (hours === 24 && minutes > 0)) throw new RangeError(`session '${whole}' has an impossible time`);
  return (hours * 60 + minutes) * MS_PER_MINUTE;
}

/**
 * Resolves session hours ('HH:MM-HH:MM', UTC) and an activity profile. Throws RangeError when the
 * hours are malformed, the session is shorter than an hour, or it leaves under 30 minutes of off
 * hours (with the margins of 90 minutes before the open and 150 after the close).
 */
export function tradingSession(hours: string = DEFAULT_SESSION_HOURS, activity: ActivityProfile = DEFAULT_ACTIVITY): TradingSession {
  const match = HOURS_PATTERN.exec(hours);
  if (!match) throw new RangeError(`session must be HH:MM-HH:MM (UTC), got '${hours}'`);
  if (!ACTIVITY_PROFILES.includes(activity)) throw new RangeError(`activity must be one of ${ACTIVITY_PROFILES.join(', ')}, got '${String(activity)}'`);
  const openMs = parseClock(match[1], match[2], hours);
  const closeMs = parseClock(match[3], match[4], hours);
  if (closeMs - openMs < MIN_SESSION_MS) throw new RangeError(`session '${hours}' must open before it closes and last at least an hour`);
  const morningEnd = Math.max(0, openMs - OFF_HOURS_MARGIN_BEFORE_OPEN_MS);
  const eveningStart = Math.min(MS_PER_DAY, closeMs + OFF_HOURS_MARGIN_AFTER_CLOSE_MS);
  if (morningEnd + (MS_PER_DAY - eveningStart) < MIN_OFF_HOURS_MS) {
    throw new RangeError(
      `session '${hours}' leaves under 30 minutes for off-hours trades (they stay 90 minutes before the open and 150 after the close, within the UTC day)`,
    );
  }
  return {
    openMs,
    closeMs,
    lengthMs: closeMs - openMs,
    offHoursMorning: [0, morningEnd],
    offHoursEvening: [eveningStart, MS_PER_DAY],
    cumulative: cumulativeIntensity(activity, (closeMs - openMs) / 1000),
  };
}

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
  private last: number;
  private readonly seconds: number;

  constructor(
    count: number,
    private readonly rng: Rng,
    private readonly session: TradingSession = tradingSession(),
  ) {
    this.remaining = count;
    this.last = session.openMs;
    this.seconds = session.cumulative.length - 1;
  }

  /** The next timestamp; repeats the last one if called more than `count` times. */
  next(): number {
    if (this.remaining <= 0) return this.last;
    const cumulative = this.session.cumulative;
    const seconds = this.seconds;
    this.descending *= Math.pow(this.rng.next(), 1 / this.remaining);
    this.remaining -= 1;
    const target = (1 - this.descending) * cumulative[seconds];
    while (this.bin < seconds - 1 && cumulative[this.bin + 1] < target) this.bin += 1;
    const lo = cumulative[this.bin];
    const fraction = Math.min(1, Math.max(0, (target - lo) / (cumulative[this.bin + 1] - lo)));
    const ms = this.session.openMs + Math.floor((this.bin + fraction) * 1000);
    this.last = Math.max(this.last, Math.min(this.session.closeMs - 1, ms));
    return this.last;
  }
}

/**
 * Draws `count` off-hours times, split between the morning and evening windows in proportion to
 * their length, each list ascending (they go at the start and the end of the file).
 */
export function sampleOffHoursTimes(count: number, rng: Rng, session: TradingSession = tradingSession()): { morning: number[]; evening: number[] } {
  const [morningFrom, morningTo] = session.offHoursMorning;
  const [eveningFrom, eveningTo] = session.offHoursEvening;
  const morningLength = morningTo - morningFrom;
  const eveningLength = eveningTo - eveningFrom;
  const morning: number[] = [];
  const evening: number[] = [];
  for (let i = 0; i < count; i++) {
    if (rng.chance(morningLength / (morningLength + eveningLength))) {
      morning.push(morningFrom + rng.int(morningLength));
    } else {
      evening.push(eveningFrom + rng.int(eveningLength));
    }
  }
  const ascending = (a: number, b: number): number => a - b;
  return { morning: morning.sort(ascending), evening: evening.sort(ascending) };
}
