import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ObjectNotFoundError, getJsonIfPresent, putJson, type ObjectStore } from '../ports/object-store.js';
import { deserialiseModel, serialiseModel, type AnomalyModel } from './anomaly-model.js';

/**
 * Where models live: models/<version>/model.json in the bucket, with models/<version>/metadata.json
 * beside it (the same document without the forest, small enough to list many versions), and
 * models/current.json pointing at the version new runs use. Training writes a version; promoting
 * moves the pointer and appends a record under models/history/. A run pins the version in its
 * manifest, so promoting mid-run never mixes two models in one result.
 */
export const MODELS_PREFIX = 'models/';
export const CURRENT_MODEL_KEY = 'models/current.json';
export const HISTORY_PREFIX = 'models/history/';

/** models/current.json. */
export interface CurrentModelPointer {
  version: string;
  /** models/<version>/model.json */
  key: string;
  promotedAt: string;
  /** The version that was current before this promotion, if any. */
  previous?: string;
}

/** models/history/<promotedAt stamp>-<version>.json: one per promotion or rollback, never rewritten. */
export interface PromotionRecord extends CurrentModelPointer {
  action: 'promote' | 'rollback';
  /** Who moved the pointer (free text: a user name, a pipeline). */
  by?: string;
  reason?: string;
}

export class ModelNotFoundError extends Error {
  override readonly name = 'ModelNotFoundError';
}

/** A version string that cannot name a model folder (empty, a path, `history`, ...). */
export class InvalidModelVersionError extends Error {
  override readonly name = 'InvalidModelVersionError';
}

/**
 * Versions are made by training (`<UTC stamp>-<hash>`); this only keeps a version from being a path
 * (`../x`, `a/b`) or the history folder, since it becomes part of an object key.
 */
const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkModelVersion(version: string): string {
  if (!VERSION_PATTERN.test(version) || version === 'history' || version === 'current.json') {
    throw new InvalidModelVersionError(`"${version}" is not a model version (versions look like 20261201T063000Z-1a2b3c4d5e)`);
  }
  return version;
}

export function modelKey(version: string): string {
  return `${MODELS_PREFIX}${version}/model.json`;
}

export function metadataKey(version: string): string {
  return `${MODELS_PREFIX}${version}/metadata.json`;
}

/**
 * What a model says about itself: its document without the forest arrays (about 0.5 MB of the
 * document; the rest is a few KB). Known fields are typed; fields this code does not know yet (added
 * by a newer trainer) pass through unchanged, so the metadata never lags the model.
 */
export interface ModelMetadata {
  version: string;
  createdAt: string;
  features: string[];
  params: Record<string, unknown>;
  threshold: number;
  contamination: number;
  training: { sources: string[]; rows: number; dataHash?: string; [key: string]: unknown };
  /** The version of the code that trained the model. */
  codeVersion?: string;
  /** Detection metrics measured at training time, where the trainer measured any. */
  metrics?: unknown;
  /** What a parameter search chose, where one ran. */
  tuning?: unknown;
  [key: string]: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/**
 * The metadata of a model document (a model, or model.json parsed but not deserialised): the known
 * fields read defensively (a missing one gets an empty value rather than failing a listing), every
 * other top-level field passed through except `forest`.
 */
export function metadataOf(document: object): ModelMetadata {
  const { forest: _forest, candidates, ...rest } = document as Record<string, unknown>;
  const training = isRecord(rest.training) ? rest.training : {};
  const sources = Array.isArray(training.sources) ? training.sources.filter((s): s is string => typeof s === 'string') : [];
  return {
    ...rest,
    version: stringOr(rest.version, ''),
    createdAt: stringOr(rest.createdAt, ''),
    features: Array.isArray(rest.features) ? rest.features.filter((f): f is string => typeof f === 'string') : [],
    params: isRecord(rest.params) ? rest.params : {},
    threshold: numberOr(rest.threshold, Number.NaN),
    contamination: numberOr(rest.contamination, Number.NaN),
    training: {
      ...training,
      sources,
      rows: numberOr(training.rows, 0),
      ...(typeof training.dataHash === 'string' ? { dataHash: training.dataHash } : {}),
    },
    ...(typeof rest.codeVersion === 'string' ? { codeVersion: rest.codeVersion } : {}),
    ...(Array.isArray(candidates) ? { candidates: candidates.map(candidateSettings) } : {}),
  };
}

/** The numbers a candidate detector is fitted with (kind, nu, gamma, layers' sizes...), without its arrays. */
const CANDIDATE_ARRAYS = new Set(['supportVectors', 'coefficients', 'layers', 'mean', 'components']);
function candidateSettings(candidate: unknown): Record<string, unknown> {
  if (!isRecord(candidate)) return {};
  return Object.fromEntries(Object.entries(candidate).filter(([k]) => !CANDIDATE_ARRAYS.has(k)));
}

/** The metadata written beside a model (models/<version>/metadata.json, or metadata.json in a model folder). */
export function modelMetadata(model: AnomalyModel): ModelMetadata {
  return metadataOf(model);
}

/**
 * Writes models/<version>/model.json, then its metadata.json; with `promote`, also makes it the
 * current model (as `promoteModel` does, without loading it back: it was just written from memory).
 * The model is written before its metadata, so a version listed by its metadata always has a model.
 */
export async function saveModelToStore(store: ObjectStore, model: AnomalyModel, promote: boolean): Promise<string> {
  const version = checkModelVersion(model.version);
  const key = modelKey(version);
  await store.put(key, serialiseModel(model), 'application/json');
  await putJson(store, metadataKey(version), modelMetadata(model));
  if (promote) await recordPromotion(store, version, { action: 'promote' });
  return key;
}

/** The pointer models/current.json, or undefined when no model was ever promoted. */
export async function readCurrentModel(store: ObjectStore): Promise<CurrentModelPointer | undefined> {
  return getJsonIfPresent<CurrentModelPointer>(store, CURRENT_MODEL_KEY);
}

/** The promoted model's version, or undefined when no model was ever promoted. */
export async function readCurrentModelVersion(store: ObjectStore): Promise<string | undefined> {
  return (await readCurrentModel(store))?.version;
}

/** `2026-12-01T06:30:00.123Z` -> `20261201T063000.123Z`: fixed width, so history keys sort by time. */
export function historyStamp(iso: string): string {
  return iso.replace(/[-:]/g, '');
}

function fromHistoryStamp(stamp: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z$/.exec(stamp);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`) : new Date(Number.NaN);
}

export function historyKey(record: Pick<PromotionRecord, 'promotedAt' | 'version'>): string {
  return `${HISTORY_PREFIX}${historyStamp(record.promotedAt)}-${record.version}.json`;
}

/** The history keys, oldest first (their names start with the promotion time). */
export async function listHistoryKeys(store: ObjectStore): Promise<string[]> {
  return (await store.list(HISTORY_PREFIX)).filter((k) => k.endsWith('.json')).sort();
}

/**
 * Moves models/current.json to `version` and appends its history record. No checks: callers make
 * sure the version exists and loads. Promoting the current version again changes nothing.
 *
 * The promotion time is made later than the last history record's, so that the history's order
 * (its keys) is the order of promotions even for two within one millisecond. The pointer is
 * written before the record: should the record's write fail, the history lacks the last move and a
 * rollback still finds the version current before it; the other order could leave a record for a
 * promotion that never happened, and a rollback would pick it.
 */
export async function recordPromotion(
  store: ObjectStore,
  version: string,
  options: { action: PromotionRecord['action']; by?: string; reason?: string; now?: Date },
): Promise<{ pointer: CurrentModelPointer; changed: boolean }> {
  const current = await readCurrentModel(store);
  if (current?.version === version) return { pointer: current, changed: false };
  let at = options.now ?? new Date();
  const last = (await listHistoryKeys(store)).at(-1);
  const lastAt = last ? fromHistoryStamp(last.slice(HISTORY_PREFIX.length, HISTORY_PREFIX.length + 20)) : undefined;
  if (lastAt && !Number.isNaN(lastAt.getTime()) && at.getTime() <= lastAt.getTime()) at = new Date(lastAt.getTime() + 1);
  const pointer: CurrentModelPointer = {
    version,
    key: modelKey(version),
    promotedAt: at.toISOString(),
    ...(current ? { previous: current.version } : {}),
  };
  const record: PromotionRecord = {
    ...pointer,
    action: options.action,
    ...(options.by ? { by: options.by } : {}),
    ...(options.reason ? { reason: options.reason } : {}),
  };
  await putJson(store, CURRENT_MODEL_KEY, pointer);
  await putJson(store, historyKey(record), record);
  return { pointer, changed: true };
}

export async function loadModelFromStore(store: ObjectStore, version: string): Promise<AnomalyModel> {
  const key = modelKey(version);
  try {
    const bytes = await store.get(key);
    return deserialiseModel(new TextDecoder().decode(bytes), `s3://${store.bucket}/${key}`);
  } catch (e: unknown) {
    if (e instanceof ObjectNotFoundError) throw new ModelNotFoundError(`model ${version} not found at s3://${store.bucket}/${key}`, { cause: e });
    throw e;
  }
}

/** A model directory on disk holds model.json and, beside it, metadata.json. */
export async function saveModelToDir(dir: string, model: AnomalyModel): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'model.json');
  await writeFile(file, serialiseModel(model));
  await writeFile(path.join(dir, 'metadata.json'), `${JSON.stringify(modelMetadata(model), null, 2)}\n`);
  return file;
}

export async function loadModelFromDir(dir: string): Promise<AnomalyModel> {
  const file = path.join(dir, 'model.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e: unknown) {
    throw new ModelNotFoundError(`${file}: no model there (train one with: trade-anomaly train FILE --out ${dir})`, { cause: e });
  }
  return deserialiseModel(text, file);
}

/** Models by version, kept for the life of the process (one load per warm Lambda container or worker). */
export class ModelCache {
  private readonly models = new Map<string, Promise<AnomalyModel>>();

  get(store: ObjectStore, version: string): Promise<AnomalyModel> {
    let model = this.models.get(version);
    if (!model) {
      model = loadModelFromStore(store, version);
      // A failed load must not poison the cache: the next invocation (a retry) loads again.
      model.catch(() => this.models.delete(version));
      this.models.set(version, model);
    }
    return model;
  }
}
