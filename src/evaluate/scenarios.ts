/**
 * Named generator scenarios: the kinds of book a detector must handle, not only the generator's
 * defaults. Each varies one trait of the market (or, for the session one, the two that go together)
 * against the default, with the same seed, so a figure that differs from the default's is the
 * trait's doing.
 */

import { previousTradingDays, type GenerateOptions } from '../generate/trading-day.js';

/** A market to measure detection on: the generator's options apart from rows, seed and day. */
export interface DetectionScenario {
  name: string;
  /** One line a reader of the results table understands. */
  description: string;
  market: Omit<GenerateOptions, 'rows' | 'seed' | 'day'>;
}

/** The default anomaly rate of `trade-anomaly generate` (0.2%); the high-rate scenario uses 1%. */
const RATE = 0.002;

export const DETECTION_SCENARIOS: readonly DetectionScenario[] = [
  { name: 'default', description: 'generator defaults (symbols = rows/300, prices ~1-3,000)', market: { anomalyRate: RATE } },
  { name: 'few-symbols', description: '5 symbols, so thousands of trades each', market: { anomalyRate: RATE, symbols: 5 } },
  { name: 'many-symbols', description: '1,000 symbols, so a few dozen trades each in the tail', market: { anomalyRate: RATE, symbols: 1000 } },
  { name: 'penny-prices', description: 'prices ~0.01-2, where a tick is a sizeable share of the price', market: { anomalyRate: RATE, priceLevels: 'penny' } },
  { name: 'high-prices', description: 'every price level x1000 (~1,000-3,000,000), sizes of a few shares', market: { anomalyRate: RATE, priceScale: 1000 } },
  { name: 'wide-prices', description: 'prices ~0.01-100,000 in one book', market: { anomalyRate: RATE, priceLevels: 'wide' } },
  { name: 'large-volumes', description: 'typical trade value x100', market: { anomalyRate: RATE, volumeScale: 100 } },
  { name: 'thin-volumes', description: 'typical trade value x0.01: most trades a few lots', market: { anomalyRate: RATE, volumeScale: 0.01 } },
  { name: 'high-anomaly-rate', description: '1% of rows are anomalies (5x the default)', market: { anomalyRate: 0.01 } },
  { name: 'us-session-flat', description: 'session 14:30-21:00 UTC, trades spread evenly over it', market: { anomalyRate: RATE, session: '14:30-21:00', activity: 'flat' } },
  { name: 'afternoon-activity', description: 'quiet first half of the session, busy second half', market: { anomalyRate: RATE, activity: 'afternoon' } },
];

/** The day the scenarios' labelled files are generated for (history days precede it). */
export const SCENARIO_DAY = '2026-12-01';
export const SCENARIO_SEED = 7;

/** What to generate for one scenario: history days to train on, and the labelled day. */
export interface ScenarioDays {
  history: GenerateOptions[];
  day: GenerateOptions;
}

/**
 * The generator options of a scenario's history days and labelled day, `rows` rows each. History
 * days share the scenario's market (same symbols, price levels and sizes) as a firm's past files
 * share its book.
 */
export function scenarioDays(scenario: DetectionScenario, options: { rows: number; historyDays: number; seed?: number; day?: string }): ScenarioDays {
  const seed = options.seed ?? SCENARIO_SEED;
  const day = options.day ?? SCENARIO_DAY;
  const at = (d: string): GenerateOptions => ({ ...scenario.market, rows: options.rows, seed, day: d });
  return { history: previousTradingDays(day, options.historyDays).map(at), day: at(day) };
}

/** The scenarios with these names, in the list's order; throws RangeError naming an unknown one. */
export function pickScenarios(names: readonly string[]): DetectionScenario[] {
  const known = new Set(DETECTION_SCENARIOS.map((s) => s.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new RangeError(`unknown scenario(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  return DETECTION_SCENARIOS.filter((s) => names.includes(s.name));
}
