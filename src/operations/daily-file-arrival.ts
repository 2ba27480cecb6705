/**
 * Has the day's file arrived? The question the scheduled arrival check asks at the stage's expected
 * time (cdk.json dailyFile): did any object land under incoming/ in the lookback window before it?
 */
export interface StoredObject {
  key: string;
  lastModified: Date;
}

export interface ArrivalCheck {
  windowStart: Date;
  windowEnd: Date;
  /** Objects that landed in the window, oldest first. */
  arrived: StoredObject[];
}

const HOUR_MS = 3_600_000;

/**
 * @param objects    every object under the incoming prefix (listing order does not matter)
 * @param expectedAt when the file was due (the schedule's time); the window is the lookback before it
 * @param now        the window runs to now, so a file that lands while the check starts still counts
 */
export async function checkArrivals(
  objects: AsyncIterable<StoredObject>,
  options: { expectedAt: Date; now: Date; lookbackHours: number },
): Promise<ArrivalCheck> {
  const windowStart = new Date(options.expectedAt.getTime() - options.lookbackHours * HOUR_MS);
  const windowEnd = new Date(Math.max(options.now.getTime(), options.expectedAt.getTime()));
  const arrived: StoredObject[] = [];
  for await (const object of objects) {
    // A "folder" placeholder made by a console upload is not a file.
    if (object.key.endsWith('/')) continue;
    const t = object.lastModified.getTime();
    if (t >= windowStart.getTime() && t <= windowEnd.getTime()) arrived.push(object);
  }
  arrived.sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime());
  return { windowStart, windowEnd, arrived };
}

/** The schedule's time from the event (EventBridge Scheduler's <aws.scheduler.scheduled-time>), else now. */
export function expectedAtOf(event: unknown, now: Date): Date {
  const text = typeof event === 'object' && event !== null ? (event as { expectedAt?: unknown }).expectedAt : undefined;
  const parsed = typeof text === 'string' ? new Date(text) : undefined;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : now;
}
