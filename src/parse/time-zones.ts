/**
 * Local wall-clock times in an IANA zone to UTC and back, with Intl only (no time-zone database of
 * our own). Offsets are cached per zone and UTC hour: a 10-million-row file asks for a handful.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, Map<number, number>>();
const HOUR = 3_600_000;

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC (local - UTC, in ms) at a UTC instant. */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return 0;
  let byHour = offsets.get(zone);
  if (!byHour) {
    byHour = new Map();
    offsets.set(zone, byHour);
  }
  // Zone transitions happen on whole UTC quarter-hours at the worst; cache per quarter-hour.
  const key = Math.floor(utcMs / (HOUR / 4));
  let offset = byHour.get(key);
  if (offset === undefined) {
    const parts: Record<string, number> = {};
    for (const p of formatter(zone).formatToParts(new Date(key * (HOUR / 4)))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const local = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    offset = local - key * (HOUR / 4);
    byHour.set(key, offset);
  }
  return offset;
}

/**
 * The UTC instant of a wall-clock time in a zone (given as if it were UTC). Where the wall-clock
 * time is ambiguous (an autumn overlap) or does not exist (a spring-forward gap), the earlier of the
 * two readings is taken.
 */
export function localToUtc(localAsUtcMs: number, zone: string): number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return localAsUtcMs;
  // The offsets in force half a day before and after: no zone changes twice within 12 hours, so one
  // of them is right, or both are (an overlap), or neither is (a gap).
  const candidates = [localAsUtcMs - zoneOffsetMs(zone, localAsUtcMs - HOUR * 12), localAsUtcMs - zoneOffsetMs(zone, localAsUtcMs + HOUR * 12)];
  const valid = candidates.filter((utc) => utc + zoneOffsetMs(zone, utc) === localAsUtcMs);
  return Math.min(...(valid.length ? valid : candidates));
}

/** The wall-clock time in a zone of a UTC instant, as if it were UTC (for date and time-of-day arithmetic). */
export function utcToLocal(utcMs: number, zone: string): number {
  return utcMs + zoneOffsetMs(zone, utcMs);
}
