import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ObjectNotFoundError, getJson, putJson, type ObjectStore } from '../ports/object-store.js';
import { deserialiseModel, serialiseModel, type AnomalyModel } from './anomaly-model.js';

/**
 * Where models live: models/<version>/model.json in the bucket, and models/current.json pointing at
 * the version new runs use. Training writes a version; promoting moves the pointer. A run pins the
 * version in its manifest, so promoting mid-run never mixes two models in one result.
 */
export const CURRENT_MODEL_KEY = 'models/current.json';

export interface CurrentModelPointer {
  version: string;
  key: string;
  promotedAt: string;
}

export class ModelNotFoundError extends Error {
  override readonly name = 'ModelNotFoundError';
}

export function modelKey(version: string): string {
  return `models/${version}/model.json`;
}

export async function saveModelToStore(store: ObjectStore, model: AnomalyModel, promote: boolean): Promise<string> {
  const key = modelKey(model.version);
  await store.put(key, serialiseModel(model), 'application/json');
  if (promote) {
    const pointer: CurrentModelPointer = { version: model.version, key, promotedAt: new Date().toISOString() };
    await putJson(store, CURRENT_MODEL_KEY, pointer);
  }
  return key;
}

/** The promoted model's version, or undefined when no model was ever promoted. */
export async function readCurrentModelVersion(store: ObjectStore): Promise<string | undefined> {
  try {
    return (await getJson<CurrentModelPointer>(store, CURRENT_MODEL_KEY)).version;
  } catch (e: unknown) {
    if (e instanceof ObjectNotFoundError) return undefined;
    throw e;
  }
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

/** A model directory on disk holds one model.json. */
export async function saveModelToDir(dir: string, model: AnomalyModel): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'model.json');
  await writeFile(file, serialiseModel(model));
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
