import type { RawChunkRow, ScoredRow } from '../chunks/chunk-format.js';
import { optionalFieldsOf } from '../chunks/chunk-format.js';
import type { DayContext } from '../features/day-context.js';
import { FEATURE_COUNT, FEATURE_NAMES, describeFeature, writeFeatures, type FeatureInput } from '../features/trade-features.js';
import { scoreWithModel, type AnomalyModel } from '../model/anomaly-model.js';
import { fieldReaders } from '../parse/field-readers.js';
import { applyFileRules, fileRuleContext } from '../quality/file-rules.js';
import { checkTrade, type CheckedTrade } from '../quality/trade-checks.js';
import { policyOf, type TradeSchema } from '../schema/schema-settings.js';
import type { CanonicalField } from '../schema/trade-schema.js';

/**
 * Cleans, checks, featurises and scores rows, and says why each flagged row was flagged.
 * A row is an anomaly when it broke a data-quality rule or when its model score reaches the model's
 * threshold. Rows the model cannot score (no valid price, say) keep a null score.
 */

/** A feature whose normalised value is this far from the training centre is named as a reason. */
const NOTABLE_DEVIATION = 4;
/** At most this many feature sentences per row: the strongest first. */
const MAX_FEATURE_REASONS = 2;

export interface ScoredBatch {
  rows: ScoredRow[];
  badRows: number;
  scored: number;
  anomalies: number;
  /** Flagged rows per reason code (quality codes, and model:<feature> for the model's reasons). */
  byReason: Record<string, number>;
}

/** The features that made a row stand out: those with the largest robust z against the training data. */
function modelReasons(z: Float64Array, offset: number, input: FeatureInput, ctx: DayContext): { codes: string[]; text: string[] } {
  const ranked = FEATURE_NAMES.map((name, i) => ({ name, i, strength: z[offset + i] }))
    .sort((a, b) => b.strength - a.strength);
  const chosen = ranked.filter((r) => r.strength >= NOTABLE_DEVIATION).slice(0, MAX_FEATURE_REASONS);
  // A row flagged for an unusual combination, with no single extreme feature: name the strongest one.
  if (chosen.length === 0) chosen.push(ranked[0]);
  return {
    codes: chosen.map((c) => `model:${c.name}`),
    text: chosen.map((c) => describeFeature(c.name, input, ctx)),
  };
}

/** How a file's rows are read: the parts of the manifest (or of a scan) that scoring needs. */
export interface FileShape {
  present: readonly CanonicalField[];
  hasTradeIds: boolean;
  schema: TradeSchema;
  /** The run's threshold when the stage overrides the model's. */
  threshold?: number;
}

/**
 * The values the model scores a checked row with, by the cleaning policy: undefined when the row
 * is only flagged. A rule whose policy is flag_only keeps the row out, unless its policy imputes a
 * missing or unusable price or quantity with the symbol's median of the day.
 */
function modelInput(t: CheckedTrade, refPrice: number | null, schema: TradeSchema, ctx: DayContext): { input: FeatureInput; imputed: string[] } | undefined {
  const imputed: string[] = [];
  let price = t.price !== null && t.price > 0 ? t.price : null;
  let quantity = t.quantity !== null && t.quantity > 0 ? t.quantity : null;
  const sym = t.symbol === null ? undefined : ctx.symbols[t.symbol];
  for (const issue of t.issues) {
    const policy = policyOf(schema, issue.code);
    if (policy.action === 'score') continue;
    const canImpute = policy.impute === 'symbol_median' && sym !== undefined && (issue.field === 'price' || issue.field === 'quantity');
    if (!canImpute) return undefined;
    if (issue.field === 'price' && price === null) {
      price = sym.medianPrice;
      imputed.push(`price imputed with the symbol's median ${Number(sym.medianPrice.toPrecision(6))}`);
    }
    if (issue.field === 'quantity' && quantity === null) {
      quantity = sym.medianQuantity;
      imputed.push(`quantity imputed with the symbol's median ${Number(sym.medianQuantity.toPrecision(6))}`);
    }
  }
  if (t.symbol === null || t.timestampMs === null || price === null || quantity === null) return undefined;
  return { input: { symbol: t.symbol, timestampMs: t.timestampMs, price, quantity, refPrice }, imputed };
}

export function scoreRows(rows: RawChunkRow[], shape: FileShape, ctx: DayContext, model: AnomalyModel): ScoredBatch {
  const optional = optionalFieldsOf(shape.present);
  const threshold = shape.threshold ?? model.threshold;
  const readers = fieldReaders(shape.schema);
  const rules = fileRuleContext(shape.schema, ctx.day);
  const checked: CheckedTrade[] = rows.map((r) => {
    const t = checkTrade(r, optional, readers, shape.hasTradeIds);
    applyFileRules(t, rules);
    t.issues = t.issues.filter((issue) => policyOf(shape.schema, issue.code).action !== 'ignore');
    return t;
  });
  const features = new Float64Array(rows.length * FEATURE_COUNT);
  const inputs: (FeatureInput | null)[] = new Array(rows.length).fill(null);
  const imputations: string[][] = new Array(rows.length);
  const scorableIndex: number[] = [];
  checked.forEach((t, i) => {
    const m = modelInput(t, rows[i].refPrice, shape.schema, ctx);
    if (!m) return;
    if (writeFeatures(m.input, ctx, features, scorableIndex.length * FEATURE_COUNT)) {
      inputs[i] = m.input;
      imputations[i] = m.imputed;
      scorableIndex.push(i);
    }
  });
  const matrix = { values: features.subarray(0, scorableIndex.length * FEATURE_COUNT), rows: scorableIndex.length, cols: FEATURE_COUNT };
  const { scores, z } = scoreWithModel(model, matrix);
  const scoreOf = new Float64Array(rows.length).fill(Number.NaN);
  const slotOf = new Int32Array(rows.length).fill(-1);
  scorableIndex.forEach((rowIndex, k) => {
    scoreOf[rowIndex] = scores[k];
    slotOf[rowIndex] = k;
  });

  const byReason: Record<string, number> = {};
  let badRows = 0;
  let anomalies = 0;
  const out: ScoredRow[] = checked.map((t, i) => {
    const score = Number.isNaN(scoreOf[i]) ? null : scoreOf[i];
    const qualityCodes = [...new Set(t.issues.map((x) => x.code))];
    const reasonText = [...t.issues.map((x) => x.message), ...(imputations[i] ?? [])];
    const reasonCodes: string[] = [...qualityCodes];
    if (score !== null && score >= threshold) {
      const why = modelReasons(z, slotOf[i] * FEATURE_COUNT, inputs[i]!, ctx);
      reasonCodes.push(...why.codes);
      reasonText.push(`${why.text.join('; ')} (score ${score.toFixed(2)})`);
    }
    const isAnomaly = reasonCodes.length > 0;
    if (qualityCodes.length) badRows++;
    if (isAnomaly) {
      anomalies++;
      for (const code of reasonCodes) byReason[code] = (byReason[code] ?? 0) + 1;
    }
    return {
      sourceRow: t.sourceRow,
      tradeId: t.tradeId,
      timestampMs: t.timestampMs,
      symbol: t.symbol,
      side: t.side,
      quantity: t.quantity,
      price: t.price,
      notional: t.notional,
      optional: t.optional,
      extras: rows[i].extras,
      score,
      isAnomaly,
      reasons: reasonText.join('; '),
      qualityIssues: qualityCodes,
    };
  });
  return { rows: out, badRows, scored: scorableIndex.length, anomalies, byReason };
}
