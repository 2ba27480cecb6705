import { MODEL_REASON_PREFIX } from '../steps/run-summary.js';
import type { RawChunkRow, ScoredRow } from '../chunks/chunk-format.js';
import { optionalFieldsOf } from '../chunks/chunk-format.js';
import type { DayContext } from '../features/day-context.js';
import { selectColumns } from '../features/feature-matrix.js';
import { FEATURE_COUNT, FEATURE_NAMES, describeFeature, writeFeatures, type FeatureInput, type FeatureName } from '../features/trade-features.js';
import { kindOf, scoreWithModel, type AnomalyModel } from '../model/anomaly-model.js';
import { binCounts, type BinCounts } from '../model/drift.js';
import type { FeatureMatrix } from '../model/isolation-forest.js';
import { pathAttributions } from '../model/path-attribution.js';
import { featureInputOf } from '../features/feature-input.js';
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

/** The quality issues of a clean row: shared, never written to. */
const NO_ISSUES: string[] = [];

/** A feature this many robust sigmas from the training centre is named as a reason. */
const NOTABLE_DEVIATION = 4;
/** At most this many feature sentences per row: the strongest first. */
const MAX_FEATURE_REASONS = 2;
/** Attribution shares shown in a reason: those at least this large, at most three. */
const SHOWN_SHARE = 0.15;

/** Plain words for each feature, in the attribution part of a reason. */
export const FEATURE_LABELS: Record<FeatureName, string> = {
  price_deviation: 'price level',
  price_jump: 'price jump',
  quantity_deviation: 'quantity',
  notional_deviation: 'notional',
  time_rarity: 'time of day',
  trade_gap: 'time since the previous trade',
  symbol_burst: 'burst of trades',
  account_rarity: 'account',
  venue_rarity: 'venue',
};

export interface ScoredBatch {
  rows: ScoredRow[];
  badRows: number;
  scored: number;
  anomalies: number;
  /** Flagged rows per reason code (quality codes, and model:<feature> for the model's reasons). */
  byReason: Record<string, number>;
  /** Per model feature (the model's order): the scored rows' raw values counted in its baseline bins, for drift. */
  featureBins: BinCounts[];
}

/** Why the model flagged one row: the deviation of each feature and the forest's attribution. */
interface RowEvidence {
  features: readonly FeatureName[];
  /** Robust |z| of each model feature against training. */
  z: Float64Array;
  /** Path-attribution shares, when the forest's part reached the threshold; else null. */
  shares: Float64Array | null;
}

/**
 * The features that made a row stand out. A row the forest isolated is explained by the features
 * its isolation ran on (path attribution); one flagged by the extremeness part alone by its most
 * deviant features. Either way a feature is named in words against its symbol's norm when it is
 * notably far from normal, the strongest first.
 */
function modelReasons(e: RowEvidence, input: FeatureInput, ctx: DayContext): { codes: string[]; text: string[]; isolation: string } {
  const ranked = e.features
    .map((name, i) => ({ name, z: e.z[i], share: e.shares ? e.shares[i] : 0 }))
    .sort((a, b) => (e.shares ? b.share - a.share || b.z - a.z : b.z - a.z));
  const notable = ranked.filter((r) => r.z >= NOTABLE_DEVIATION);
  const chosen = (notable.length ? notable : ranked).slice(0, notable.length ? MAX_FEATURE_REASONS : 1);
  const isolation = e.shares
    ? ranked
        .filter((r) => r.share >= SHOWN_SHARE)
        .slice(0, 3)
        .map((r) => `${FEATURE_LABELS[r.name]} ${Math.round(r.share * 100)}%`)
        .join(', ')
    : '';
  return { codes: chosen.map((c) => `${MODEL_REASON_PREFIX}${c.name}`), text: chosen.map((c) => describeFeature(c.name, input, ctx)), isolation };
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
function modelInput(t: CheckedTrade, row: RawChunkRow, schema: TradeSchema, ctx: DayContext): { input: FeatureInput; imputed: string[] } | undefined {
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
  return { input: featureInputOf(row, { symbol: t.symbol, timestampMs: t.timestampMs, price, quantity }), imputed };
}

/**
 * Rows checked and featurised, before any model: every quality issue the schema's policy keeps, and
 * the raw trade features (all FEATURE_NAMES) of the rows the model may score.
 */
export interface PreparedRows {
  checked: CheckedTrade[];
  /** FEATURE_COUNT values per scorable row, in scorableIndex order. */
  features: Float64Array;
  /** Indices (into rows) of the rows the model scores. */
  scorableIndex: number[];
  inputs: (FeatureInput | null)[];
  imputations: string[][];
}

export function prepareRows(rows: RawChunkRow[], shape: FileShape, ctx: DayContext): PreparedRows {
  const optional = optionalFieldsOf(shape.present);
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
    const m = modelInput(t, rows[i], shape.schema, ctx);
    if (!m) return;
    if (writeFeatures(m.input, ctx, features, scorableIndex.length * FEATURE_COUNT)) {
      inputs[i] = m.input;
      imputations[i] = m.imputed;
      scorableIndex.push(i);
    }
  });
  return { checked, features: features.subarray(0, scorableIndex.length * FEATURE_COUNT), scorableIndex, inputs, imputations };
}

export function scoreRows(rows: RawChunkRow[], shape: FileShape, ctx: DayContext, model: AnomalyModel): ScoredBatch {
  const threshold = shape.threshold ?? model.threshold;
  const { checked, features, scorableIndex, inputs, imputations } = prepareRows(rows, shape, ctx);
  const all = { values: features, rows: scorableIndex.length, cols: FEATURE_COUNT };
  const matrix = selectColumns(all, FEATURE_NAMES, model.features);
  const featureBins = driftCounts(matrix, model);
  const { scores, forestScores, z } = scoreWithModel(model, matrix);
  const scoreOf = new Float64Array(rows.length).fill(Number.NaN);
  const slotOf = new Int32Array(rows.length).fill(-1);
  scorableIndex.forEach((rowIndex, k) => {
    scoreOf[rowIndex] = scores[k];
    slotOf[rowIndex] = k;
  });
  // Path attribution for the rows the forest itself flagged (matrix now holds the forest's inputs).
  // Other kinds (and the ensemble, whose score is not the forest's) explain by the deviations alone.
  const forest = kindOf(model) === 'isolation-forest' ? model.forest : undefined;
  const isolated: number[] = [];
  if (forest) for (let k = 0; k < scores.length; k++) if (scores[k] >= threshold && forestScores[k] >= threshold) isolated.push(k);
  const shares = forest ? pathAttributions(forest, matrix, isolated) : new Float64Array(0);
  const shareSlot = new Map(isolated.map((k, j) => [k, j]));
  const modelFeatures = model.features as FeatureName[];
  const cols = model.features.length;
  const evidence = (k: number): RowEvidence => {
    const j = shareSlot.get(k);
    return {
      features: modelFeatures,
      z: z.subarray(k * cols, (k + 1) * cols),
      shares: j === undefined ? null : shares.subarray(j * cols, (j + 1) * cols),
    };
  };

  const byReason: Record<string, number> = {};
  let badRows = 0;
  let anomalies = 0;
  const out: ScoredRow[] = checked.map((t, i) => {
    const score = Number.isNaN(scoreOf[i]) ? null : scoreOf[i];
    // Most rows: no issue, nothing imputed, under the threshold. Built without the lists and joins below.
    if (t.issues.length === 0 && !imputations[i]?.length && (score === null || score < threshold)) {
      return resultRow(t, rows[i], score, false, '', NO_ISSUES);
    }
    const qualityCodes = [...new Set(t.issues.map((x) => x.code))];
    const reasonText = [...t.issues.map((x) => x.message), ...(imputations[i] ?? [])];
    const reasonCodes: string[] = [...qualityCodes];
    if (score !== null && score >= threshold) {
      const why = modelReasons(evidence(slotOf[i]), inputs[i]!, ctx);
      reasonCodes.push(...why.codes);
      reasonText.push(`${why.text.join('; ')} (score ${score.toFixed(2)}${why.isolation ? `; isolated by ${why.isolation}` : ''})`);
    }
    const isAnomaly = reasonCodes.length > 0;
    if (qualityCodes.length) badRows++;
    if (isAnomaly) {
      anomalies++;
      for (const code of reasonCodes) byReason[code] = (byReason[code] ?? 0) + 1;
    }
    return resultRow(t, rows[i], score, isAnomaly, reasonText.join('; '), qualityCodes);
  });
  return { rows: out, badRows, scored: scorableIndex.length, anomalies, byReason, featureBins };
}

/** One row of the result: the checked trade's typed fields, the file's other columns, the verdict. */
function resultRow(t: CheckedTrade, row: RawChunkRow, score: number | null, isAnomaly: boolean, reasons: string, qualityIssues: string[]): ScoredRow {
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
    extras: row.extras,
    score,
    isAnomaly,
    reasons,
    qualityIssues,
  };
}

/** The raw values of each model feature counted in the model's baseline bins (before scoring consumes them). */
function driftCounts(matrix: FeatureMatrix, model: AnomalyModel): BinCounts[] {
  const column = new Float64Array(matrix.rows);
  return model.features.map((_, c) => {
    for (let r = 0; r < matrix.rows; r++) column[r] = matrix.values[r * matrix.cols + c];
    return binCounts(model.baseline.edges[c], column);
  });
}
