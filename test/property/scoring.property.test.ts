import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RawChunkRow, ScoredRow } from '../../src/chunks/chunk-format.js';
import type { DayContext } from '../../src/features/day-context.js';
import { deserialiseModel, scoreWithModel, serialiseModel, type AnomalyModel } from '../../src/model/anomaly-model.js';
import { trainFromSources } from '../../src/model/train-model.js';
import { previousTradingDays, tradingDayChunks } from '../../src/generate/trading-day.js';
import { TradeFileScanner } from '../../src/pipeline/trade-file-scanner.js';
import { scoreRows, type FileShape } from '../../src/scoring/score-rows.js';
import { REQUIRED_FIELDS, type CanonicalField } from '../../src/schema/trade-schema.js';
import { propertySettings } from './property-settings.js';

/**
 * Properties of scoring: a model's score is a number in [0, 1] whatever finite features it is given;
 * a row's result (score bit for bit, flag, reasons, rule codes) depends only on the row, the day's
 * context and the model, not on which rows share its chunk, their order, or how often the model was
 * loaded; and scoring rows with any field text never throws (bad rows are data, not crashes).
 */

const DAY = '2026-12-01';
let model: AnomalyModel;
let day: { rows: RawChunkRow[]; ctx: DayContext; shape: FileShape };
/** The whole day scored at once: the reference each property compares against. */
let reference: ScoredRow[];

const csvOf = (rows: number, seed: number, d: string) => new TextEncoder().encode([...tradingDayChunks({ rows, seed, day: d, anomalyRate: 0.03 })].map((c) => c.csv).join(''));

beforeAll(async () => {
  const history = csvOf(1500, 21, previousTradingDays(DAY, 1)[0]);
  model = await trainFromSources([{ name: 'history.csv', open: async function* () { yield history; } }]);
  const scanner = new TradeFileScanner('day.csv');
  const rows: RawChunkRow[] = [];
  for await (const batch of scanner.scan((async function* () { yield csvOf(300, 22, DAY); })())) rows.push(...batch);
  scanner.duplicateMarks().apply(rows);
  day = { rows, ctx: scanner.dayContext(), shape: { present: scanner.layout!.present, hasTradeIds: scanner.hasTradeIds, schema: scanner.schema } };
  reference = scoreRows(rows, day.shape, day.ctx, model).rows;
  expect(reference.some((r) => r.isAnomaly && r.score !== null && r.score >= model.threshold)).toBe(true);
});

/** The bits of each score (null as a marker), so that equality is bit for bit, not merely ==. */
function scoreBits(rows: readonly ScoredRow[]): string[] {
  const cell = new Float64Array(1);
  return rows.map((r) => {
    if (r.score === null) return 'null';
    cell[0] = r.score;
    return Buffer.from(cell.buffer).toString('hex');
  });
}

const copy = (rows: readonly RawChunkRow[]): RawChunkRow[] => structuredClone(rows) as RawChunkRow[];

describe('model scores', () => {
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
  const plausible = fc.double({ min: -60, max: 60, noNaN: true });

  it('are in [0, 1] and never NaN for arbitrary finite feature vectors, extreme magnitudes included', () => {
    const cols = () => model.features.length;
    const matrix = fc.array(fc.array(fc.oneof(finite, plausible, fc.constantFrom(0, -0, Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE)), { minLength: cols(), maxLength: cols() }), { minLength: 1, maxLength: 25 });
    fc.assert(
      fc.property(matrix, (rows) => {
        const values = Float64Array.from(rows.flat());
        const { scores, forestScores, z } = scoreWithModel(model, { values, rows: rows.length, cols: cols() });
        for (const s of scores) expect(s >= 0 && s <= 1, `score ${s}`).toBe(true);
        for (const s of forestScores) expect(s > 0 && s <= 1, `forest score ${s}`).toBe(true);
        for (const v of z) expect(v >= 0, `|z| ${v}`).toBe(true);
      }),
      propertySettings(300),
    );
  });

  /**
   * Trade features are log ratios over scales with floors (src/features/day-context.ts), and the
   * extremeness scale is at least 1, so a trade's |z| stays below ~1e7: the property covers up to 1e9.
   */
  it('flag a row whose one extremeness feature lies at least thresholdZ robust sigmas out (up to 1e9 sigmas)', () => {
    const extreme = model.features.map((f, c) => ({ f, c })).filter(({ f }) => model.extremeFeatures.includes(f));
    const row = fc.record({
      others: fc.array(plausible, { minLength: model.features.length, maxLength: model.features.length }),
      which: fc.constantFrom(...extreme),
      sigmas: fc.double({ min: model.extremeness.thresholdZ * (1 + 1e-9), max: 1e9, noNaN: true }),
      sign: fc.constantFrom(1, -1),
    });
    fc.assert(
      fc.property(row, ({ others, which, sigmas, sign }) => {
        const values = Float64Array.from(others);
        values[which.c] = model.extremeness.center[which.c] + sign * sigmas * model.extremeness.scale[which.c];
        const { scores } = scoreWithModel(model, { values, rows: 1, cols: model.features.length });
        expect(scores[0]).toBeGreaterThanOrEqual(model.threshold);
      }),
      propertySettings(200),
    );
  });

  // Found by a property: past ~1.3e154 sigmas z*z overflowed to Infinity and Infinity/Infinity gave
  // NaN, so the row kept only its forest score; the score is now 1 / (1 + (halfScoreZ / z)^2).
  it('flags a row 1e155 robust sigmas out', () => {
    const c = model.features.indexOf(model.extremeFeatures[0]);
    const values = new Float64Array(model.features.length);
    values[c] = model.extremeness.center[c] + 1e155 * model.extremeness.scale[c];
    expect(scoreWithModel(model, { values, rows: 1, cols: model.features.length }).scores[0]).toBeGreaterThanOrEqual(model.threshold);
  });
});

describe('scoring rows', () => {
  /** A sample of the day's rows, in any order: a chunk, as far as scoring can tell. */
  const sample = fc.shuffledSubarray(Array.from({ length: 300 }, (_, i) => i), { minLength: 1, maxLength: 60 });

  it('is deterministic: the same rows give the same scores bit for bit, and the same flags, reasons and codes', () => {
    fc.assert(
      fc.property(sample, (picked) => {
        const rows = picked.map((i) => day.rows[i]);
        const first = scoreRows(copy(rows), day.shape, day.ctx, model).rows;
        const again = scoreRows(copy(rows), day.shape, day.ctx, model).rows;
        // Each score worker loads the model from S3 on its own: a reloaded model scores the same.
        const reloaded = scoreRows(copy(rows), day.shape, day.ctx, deserialiseModel(serialiseModel(model), 'reloaded')).rows;

        expect(scoreBits(again)).toEqual(scoreBits(first));
        expect(scoreBits(reloaded)).toEqual(scoreBits(first));
        expect(again).toEqual(first);
        expect(reloaded).toEqual(first);
      }),
      propertySettings(40),
    );
  });

  it("gives each row the result it gets with the whole day: a row's score does not depend on its chunk", () => {
    fc.assert(
      fc.property(sample, (picked) => {
        const scored = scoreRows(copy(picked.map((i) => day.rows[i])), day.shape, day.ctx, model).rows;
        const expected = picked.map((i) => reference[i]);

        expect(scoreBits(scored)).toEqual(scoreBits(expected));
        expect(scored).toEqual(expected);
      }),
      propertySettings(40),
    );
  });

  it('never throws on any field text, keeps every row, and scores only within [0, 1]', () => {
    const junk = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.double().map(String),
      fc.constantFrom('', ' ', '-0', '1e309', 'NaN', 'Infinity', '0x10', '1,5', '2026-02-30T10:00:00Z', '9999-12-31T23:59:59Z', 'buy', 'S'),
    );
    const mutation = fc.record({ row: fc.nat(), field: fc.constantFrom<CanonicalField>(...REQUIRED_FIELDS), value: fc.option(junk, { nil: undefined }) });
    fc.assert(
      fc.property(sample, fc.array(mutation, { maxLength: 12 }), (picked, mutations) => {
        const rows = copy(picked.map((i) => day.rows[i]));
        for (const m of mutations) {
          const row = rows[m.row % rows.length];
          if (m.value === undefined) delete row.fields[m.field];
          else row.fields[m.field] = m.value;
        }
        const first = scoreRows(copy(rows), day.shape, day.ctx, model);
        const again = scoreRows(copy(rows), day.shape, day.ctx, model);

        expect(first.rows.map((r) => r.sourceRow)).toEqual(rows.map((r) => r.sourceRow));
        for (const r of first.rows) if (r.score !== null) expect(r.score >= 0 && r.score <= 1).toBe(true);
        expect(scoreBits(again.rows)).toEqual(scoreBits(first.rows));
        expect(again).toEqual(first);
      }),
      propertySettings(60),
    );
  });
});
