import { getJson, getJsonIfPresent, type ObjectStore } from '../ports/object-store.js';
import {
  CURRENT_MODEL_KEY,
  HISTORY_PREFIX,
  MODELS_PREFIX,
  ModelNotFoundError,
  checkModelVersion,
  listHistoryKeys,
  loadModelFromStore,
  metadataKey,
  metadataOf,
  modelKey,
  readCurrentModel,
  recordPromotion,
  type CurrentModelPointer,
  type ModelMetadata,
  type PromotionRecord,
} from './model-store.js';

/**
 * The model registry over the pipeline bucket: which versions exist, which one is current, and moving
 * the pointer (promote, roll back) with a history that says who moved it, when and why.
 *
 * Layout (see model-store.ts): models/<version>/model.json and metadata.json, models/current.json,
 * models/history/<promotedAt stamp>-<version>.json. Training never promotes (the train function and
 * `train --out s3://...` without --promote): promotion is a decision someone makes, after looking at
 * the version's metadata.
 */

/** One stored version, as `models list` shows it. */
export interface ModelEntry {
  version: string;
  /** models/<version>/model.json */
  key: string;
  current: boolean;
  metadata: ModelMetadata;
  /** Where the metadata came from: metadata.json, or model.json for versions saved before metadata.json existed. */
  metadataFrom: 'metadata.json' | 'model.json';
  /** Set when neither document could be read as JSON; the entry then holds only the version. */
  problem?: string;
}

/** One version in full, as `models show` shows it. */
export interface ModelDetails extends ModelEntry {
  /** Every time this version was made current, oldest first. */
  promotions: PromotionRecord[];
}

export interface PromotionResult {
  /** The pointer as it is now. */
  pointer: CurrentModelPointer;
  /** The version that was current before, if any. */
  previous?: string;
  /** false when the version was already current (nothing was written). */
  changed: boolean;
}

export interface PromoteOptions {
  by?: string;
  reason?: string;
  now?: Date;
}

/** Rollback needs an earlier promotion to go back to; there is none. */
export class NothingToRollBackError extends Error {
  override readonly name = 'NothingToRollBackError';
}

const MODEL_KEY = /^models\/([^/]+)\/model\.json$/;
/** Reading many small objects at once, but not hundreds: S3 and the embedded server both cope with this. */
const READ_CONCURRENCY = 8;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function readDocument(store: ObjectStore, key: string): Promise<object | undefined> {
  const doc = await getJsonIfPresent<unknown>(store, key);
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? doc : undefined;
}

/** A version's entry: its metadata.json, else its model.json (read as JSON; the forest is dropped). */
async function entryOf(store: ObjectStore, version: string, current: string | undefined, hasMetadata: boolean): Promise<ModelEntry> {
  const base = { version, key: modelKey(version), current: version === current };
  const attempts: Array<['metadata.json' | 'model.json', string]> = hasMetadata
    ? [['metadata.json', metadataKey(version)], ['model.json', modelKey(version)]]
    : [['model.json', modelKey(version)]];
  const problems: string[] = [];
  for (const [from, key] of attempts) {
    try {
      const doc = await readDocument(store, key);
      if (doc) return { ...base, metadata: { ...metadataOf(doc), version }, metadataFrom: from };
      problems.push(`${key} is not a JSON object`);
    } catch (e: unknown) {
      // Only a document that is not JSON is reported in the listing; storage errors fail it.
      if (!(e instanceof SyntaxError)) throw e;
      problems.push(`${key} is not JSON`);
    }
  }
  return { ...base, metadata: { ...metadataOf({}), version }, metadataFrom: 'model.json', problem: problems.join('; ') };
}

/**
 * Every stored version with its metadata, newest first (by createdAt, then version), the current one
 * marked. Versions without a metadata.json (saved before it existed) are read from their model.json.
 */
export async function listModels(store: ObjectStore): Promise<ModelEntry[]> {
  const keys = await store.list(MODELS_PREFIX);
  const keySet = new Set(keys);
  const versions = keys.map((k) => MODEL_KEY.exec(k)?.[1]).filter((v): v is string => v !== undefined);
  const current = (await readCurrentModel(store))?.version;
  const entries = await mapLimit(versions, READ_CONCURRENCY, (v) => entryOf(store, v, current, keySet.has(metadataKey(v))));
  return entries.sort(
    (a, b) => b.metadata.createdAt.localeCompare(a.metadata.createdAt) || (a.version < b.version ? 1 : a.version > b.version ? -1 : 0),
  );
}

async function requireModel(store: ObjectStore, version: string): Promise<void> {
  checkModelVersion(version);
  if (!(await store.head(modelKey(version)))) {
    throw new ModelNotFoundError(`model ${version} not found: s3://${store.bucket}/${modelKey(version)} does not exist`);
  }
}

/** The promotion history, oldest first. */
export async function promotionHistory(store: ObjectStore): Promise<PromotionRecord[]> {
  const keys = await listHistoryKeys(store);
  return mapLimit(keys, READ_CONCURRENCY, (k) => getJson<PromotionRecord>(store, k));
}

/** One version: its metadata, whether it is current, and every promotion of it. */
export async function showModel(store: ObjectStore, version: string): Promise<ModelDetails> {
  await requireModel(store, version);
  const current = (await readCurrentModel(store))?.version;
  const entry = await entryOf(store, version, current, (await store.head(metadataKey(version))) !== undefined);
  // History keys end in -<version>.json: only this version's records are read.
  const keys = (await listHistoryKeys(store)).filter((k) => k.endsWith(`-${version}.json`));
  const promotions = (await mapLimit(keys, READ_CONCURRENCY, (k) => getJson<PromotionRecord>(store, k))).filter((r) => r.version === version);
  return { ...entry, promotions };
}

/**
 * Makes `version` the current model: it must exist and load (the same checks a score function makes),
 * so a damaged or incompatible model is refused before any run could pin it.
 * Writes models/current.json `{ version, key, promotedAt, previous }` and a history record.
 *
 * @throws InvalidModelVersionError, ModelNotFoundError, ModelFormatError
 */
export async function promoteModel(store: ObjectStore, version: string, options: PromoteOptions = {}): Promise<PromotionResult> {
  return moveTo(store, version, 'promote', options);
}

async function moveTo(store: ObjectStore, version: string, action: PromotionRecord['action'], options: PromoteOptions): Promise<PromotionResult> {
  await requireModel(store, version);
  await loadModelFromStore(store, version);
  const before = (await readCurrentModel(store))?.version;
  const { pointer, changed } = await recordPromotion(store, version, { action, by: options.by, reason: options.reason, now: options.now });
  return { pointer, changed, ...(before ? { previous: before } : {}) };
}

/**
 * The versions that were current, in order, as the history leaves them: a promotion pushes its version,
 * a rollback pops back to the one before. So rolling back twice after promoting A, B, C returns to A,
 * not back and forth between B and C.
 */
export function currentStack(history: readonly PromotionRecord[]): string[] {
  const stack: string[] = [];
  for (const record of history) {
    if (record.action === 'rollback') {
      stack.pop();
      if (stack.at(-1) !== record.version) stack.push(record.version);
    } else {
      stack.push(record.version);
    }
  }
  return stack;
}

/**
 * Makes current again the version promoted before the current one (from the history), with the same
 * checks as a promotion.
 *
 * @throws NothingToRollBackError when no model is current or no earlier one was promoted
 */
export async function rollbackModel(store: ObjectStore, options: PromoteOptions = {}): Promise<PromotionResult> {
  const current = await readCurrentModel(store);
  if (!current) throw new NothingToRollBackError(`no model is promoted (s3://${store.bucket}/${CURRENT_MODEL_KEY} does not exist), so there is nothing to roll back`);
  const stack = currentStack(await promotionHistory(store));
  // The pointer may also have been moved by hand (an older runbook): the current version is what counts.
  while (stack.at(-1) === current.version) stack.pop();
  const target = stack.at(-1);
  if (!target) {
    throw new NothingToRollBackError(
      `no earlier promotion to roll back to: s3://${store.bucket}/${HISTORY_PREFIX} records no version promoted before ${current.version}`,
    );
  }
  return moveTo(store, target, 'rollback', options);
}
