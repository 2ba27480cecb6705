/**
 * What a clean day (a CLEAR run) publishes, per stage (cdk.json `alerts.allClear`, ALERT_ALL_CLEAR):
 * - `send`: the full alert, as for any other run;
 * - `quiet`: a short "all clear" summary (counts, model, where the result and report are);
 * - `none`: nothing, unless there is something to act on even on a clean day (a drift warning, a
 *   feedback file that could not be read): then the quiet summary, so that it is not missed.
 * The summary and the report are written whatever the mode.
 */
export const ALL_CLEAR_MODES = ['send', 'quiet', 'none'] as const;
export type AllClearMode = (typeof ALL_CLEAR_MODES)[number];

export const DEFAULT_ALL_CLEAR: AllClearMode = 'quiet';

export function isAllClearMode(value: unknown): value is AllClearMode {
  return typeof value === 'string' && (ALL_CLEAR_MODES as readonly string[]).includes(value);
}
