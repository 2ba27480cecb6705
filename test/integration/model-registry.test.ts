/**
 * The model lifecycle through the embedded S3: saving a version writes its metadata beside it, the
 * registry lists versions newest first with the current one marked, promotion checks the version
 * before moving the pointer and keeps a history, and rollback walks that history back. Also the
 * `models` and `train` commands on the same bucket.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { EmbeddedS3 } from '../../src/local/embedded-s3.js';
import { ModelFormatError, serialiseModel, type AnomalyModel } from '../../src/model/anomaly-model.js';
import {
  NothingToRollBackError,
  currentStack,
  listModels,
  promoteModel,
  promotionHistory,
  rollbackModel,
  showModel,
} from '../../src/model/model-registry.js';
import {
  CURRENT_MODEL_KEY,
  HISTORY_PREFIX,
  InvalidModelVersionError,
  ModelNotFoundError,
  loadModelFromStore,
  metadataKey,
  metadataOf,
  modelKey,
  modelMetadata,
  readCurrentModel,
  saveModelToDir,
  saveModelToStore,
  type CurrentModelPointer,
  type PromotionRecord,
} from '../../src/model/model-store.js';
import { getJson, type ObjectStore } from '../../src/ports/object-store.js';
import { generateDays, tempDir, trainOn } from '../support/fixtures.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let trained: AnomalyModel;
let historyFiles: string[];

/** The trained model under another version and creation time (the registry never recomputes the hash). */
function versionOf(day: number, extra: Record<string, unknown> = {}): AnomalyModel {
  const createdAt = `2026-11-${String(day).padStart(2, '0')}T06:30:00.000Z`;
  return { ...trained, ...extra, createdAt, version: `202611${String(day).padStart(2, '0')}T063000Z-${String(day).repeat(10).slice(0, 10)}` };
}

beforeAll(async () => {
  tmp = await tempDir('registry');
  const days = await generateDays(tmp.dir, { rows: 2000, seed: 3, day: '2026-11-18', historyDays: 1 });
  historyFiles = days.history.map((h) => h.path);
  trained = await trainOn(historyFiles);
});

afterAll(async () => {
  await tmp?.cleanup();
});

describe('model metadata', () => {
  it('is the model document without the forest: known fields typed, unknown ones passed through', () => {
    const model = versionOf(1, { codeVersion: '9.9.9', drift: { bins: [1, 2] }, training: { ...trained.training, dataHash: 'abc123' } });
    const metadata = modelMetadata(model);
    expect(metadata).not.toHaveProperty('forest');
    expect(metadata).toMatchObject({
      version: model.version,
      createdAt: model.createdAt,
      features: model.features,
      params: model.params,
      threshold: model.threshold,
      contamination: model.contamination,
      training: { sources: model.training.sources, rows: model.training.rows, dataHash: 'abc123' },
      codeVersion: '9.9.9',
      drift: { bins: [1, 2] },
      normalisation: model.normalisation,
    });
    expect(JSON.stringify(metadata).length).toBeLessThan(serialiseModel(model).length / 10);
  });

  it('reads what a document lacks as empty values rather than failing', () => {
    expect(metadataOf({ version: 'v1', forest: {} })).toEqual({
      version: 'v1',
      createdAt: '',
      features: [],
      params: {},
      threshold: Number.NaN,
      contamination: Number.NaN,
      training: { sources: [], rows: 0 },
    });
  });

  it('is written beside model.json in a model folder', async () => {
    const dir = path.join(tmp.dir, 'model-folder');
    await saveModelToDir(dir, trained);
    const written = JSON.parse(await readFile(path.join(dir, 'metadata.json'), 'utf8')) as Record<string, unknown>;
    expect(written).toEqual(JSON.parse(JSON.stringify(modelMetadata(trained))));
  });
});

describe('the model registry through the embedded S3', () => {
  let s3: EmbeddedS3;
  let store: ObjectStore;
  const [a, b, c] = [1, 2, 3].map((d) => () => versionOf(d));

  beforeEach(async (ctx) => {
    // A fresh bucket per test: each one states the versions and promotions it starts from.
    s3 = await EmbeddedS3.start(path.join(tmp.dir, `s3-${ctx.task.id}`));
    store = s3.store();
  });
  afterEach(async () => {
    await s3?.stop();
  });

  const history = () => promotionHistory(store);

  it('saves a version with its metadata and does not promote it unless asked', async () => {
    const key = await saveModelToStore(store, a(), false);
    expect(key).toBe(modelKey(a().version));
    expect(await getJson(store, metadataKey(a().version))).toEqual(JSON.parse(JSON.stringify(modelMetadata(a()))));
    expect(await store.head(CURRENT_MODEL_KEY)).toBeUndefined();
    expect(await history()).toEqual([]);
  });

  it('lists versions newest first with the current one marked, reading model.json where metadata.json is missing', async () => {
    await saveModelToStore(store, b(), false);
    await saveModelToStore(store, a(), false);
    // A version saved before metadata.json existed: only its model.json.
    await store.put(modelKey(c().version), serialiseModel(c()), 'application/json');
    await promoteModel(store, b().version);

    const models = await listModels(store);

    expect(models.map((m) => [m.version, m.current, m.metadataFrom])).toEqual([
      [c().version, false, 'model.json'],
      [b().version, true, 'metadata.json'],
      [a().version, false, 'metadata.json'],
    ]);
    expect(models[0].metadata).toEqual(JSON.parse(JSON.stringify(modelMetadata(c()))));
    expect(models[0].metadata).not.toHaveProperty('forest');
  });

  it('lists a version whose documents are not JSON with the problem named, and an empty bucket as empty', async () => {
    expect(await listModels(store)).toEqual([]);
    await store.put(modelKey('20261101T000000Z-broken0000'), '{oops');
    const [entry] = await listModels(store);
    expect(entry).toMatchObject({ version: '20261101T000000Z-broken0000', current: false, problem: 'models/20261101T000000Z-broken0000/model.json is not JSON' });
  });

  it('promotes: current.json names the version, its key, the time and the previous version; history keeps each move', async () => {
    await saveModelToStore(store, a(), false);
    await saveModelToStore(store, b(), false);

    const first = await promoteModel(store, a().version, { by: 'alice', reason: 'first model', now: new Date('2026-12-01T07:00:00Z') });
    const second = await promoteModel(store, b().version, { by: 'bob', now: new Date('2026-12-02T07:00:00Z') });

    expect(first).toEqual({ changed: true, pointer: { version: a().version, key: modelKey(a().version), promotedAt: '2026-12-01T07:00:00.000Z' } });
    expect(second.previous).toBe(a().version);
    expect(await getJson<CurrentModelPointer>(store, CURRENT_MODEL_KEY)).toEqual({
      version: b().version,
      key: modelKey(b().version),
      promotedAt: '2026-12-02T07:00:00.000Z',
      previous: a().version,
    });
    expect(await store.list(HISTORY_PREFIX)).toEqual([
      `${HISTORY_PREFIX}20261201T070000.000Z-${a().version}.json`,
      `${HISTORY_PREFIX}20261202T070000.000Z-${b().version}.json`,
    ]);
    expect(await history()).toEqual<PromotionRecord[]>([
      { action: 'promote', version: a().version, key: modelKey(a().version), promotedAt: '2026-12-01T07:00:00.000Z', by: 'alice', reason: 'first model' },
      { action: 'promote', version: b().version, key: modelKey(b().version), promotedAt: '2026-12-02T07:00:00.000Z', previous: a().version, by: 'bob' },
    ]);
  });

  it('changes nothing when the version is already current', async () => {
    await saveModelToStore(store, a(), true);
    const before = await store.get(CURRENT_MODEL_KEY);
    const again = await promoteModel(store, a().version);
    expect(again.changed).toBe(false);
    expect(await store.get(CURRENT_MODEL_KEY)).toEqual(before);
    expect(await history()).toHaveLength(1);
  });

  it('keeps the history in promotion order even for promotions within one millisecond', async () => {
    for (const m of [a(), b(), c()]) await saveModelToStore(store, m, false);
    const now = new Date('2026-12-01T07:00:00Z');
    for (const m of [a(), b(), c()]) await promoteModel(store, m.version, { now });
    expect((await history()).map((r) => [r.version, r.promotedAt])).toEqual([
      [a().version, '2026-12-01T07:00:00.000Z'],
      [b().version, '2026-12-01T07:00:00.001Z'],
      [c().version, '2026-12-01T07:00:00.002Z'],
    ]);
  });

  it.each([
    ['an unknown version', '20261231T000000Z-ffffffffff', ModelNotFoundError, /model 20261231T000000Z-ffffffffff not found: s3:\/\/.*\/models\/20261231T000000Z-ffffffffff\/model\.json does not exist/],
    ['a path instead of a version', '../current', InvalidModelVersionError, /"\.\.\/current" is not a model version/],
    ['the history folder', 'history', InvalidModelVersionError, /"history" is not a model version/],
  ])('refuses to promote %s, and leaves the pointer alone', async (_name, version, type, message) => {
    await saveModelToStore(store, a(), true);
    const before = await store.get(CURRENT_MODEL_KEY);
    const attempt = promoteModel(store, version);
    await expect(attempt).rejects.toBeInstanceOf(type);
    await expect(attempt).rejects.toThrow(message);
    expect(await store.get(CURRENT_MODEL_KEY)).toEqual(before);
    expect(await history()).toHaveLength(1);
  });

  it('refuses to promote a version that does not load, before moving the pointer', async () => {
    await saveModelToStore(store, a(), true);
    const damaged = { ...JSON.parse(serialiseModel(b())), features: ['price'] } as Record<string, unknown>;
    await store.put(modelKey(b().version), JSON.stringify(damaged));
    await expect(promoteModel(store, b().version)).rejects.toBeInstanceOf(ModelFormatError);
    expect((await readCurrentModel(store))?.version).toBe(a().version);
  });

  it('rolls back step by step through what was promoted: C -> B -> A, then says there is nothing earlier', async () => {
    for (const m of [a(), b(), c()]) await saveModelToStore(store, m, false);
    for (const m of [a(), b(), c()]) await promoteModel(store, m.version);

    const toB = await rollbackModel(store, { by: 'carol', reason: 'too many false alarms' });
    expect(toB).toMatchObject({ changed: true, previous: c().version, pointer: { version: b().version, previous: c().version } });
    expect((await history()).at(-1)).toMatchObject({ action: 'rollback', version: b().version, previous: c().version, by: 'carol', reason: 'too many false alarms' });

    const toA = await rollbackModel(store);
    expect(toA.pointer.version).toBe(a().version);
    expect((await readCurrentModel(store))?.version).toBe(a().version);

    await expect(rollbackModel(store)).rejects.toThrow(NothingToRollBackError);
    await expect(rollbackModel(store)).rejects.toThrow(`models/history/ records no version promoted before ${a().version}`);
  });

  it('cannot roll back when no model was ever promoted, or only one', async () => {
    await expect(rollbackModel(store)).rejects.toThrow(/no model is promoted .*models\/current\.json does not exist/);
    await saveModelToStore(store, a(), true);
    await expect(rollbackModel(store)).rejects.toBeInstanceOf(NothingToRollBackError);
  });

  it('rolls back to the last promoted version when the pointer was moved by hand', async () => {
    for (const m of [a(), b(), c()]) await saveModelToStore(store, m, false);
    await promoteModel(store, a().version);
    await promoteModel(store, b().version);
    // The old runbook: current.json written with the AWS CLI, no history record.
    await store.put(CURRENT_MODEL_KEY, JSON.stringify({ version: c().version, key: modelKey(c().version), promotedAt: new Date().toISOString() }));
    expect((await rollbackModel(store)).pointer.version).toBe(b().version);
  });

  it('shows a version: metadata, whether it is current, and each promotion of it', async () => {
    for (const m of [a(), b()]) await saveModelToStore(store, m, false);
    await promoteModel(store, a().version, { by: 'alice' });
    await promoteModel(store, b().version);
    await rollbackModel(store, { reason: 'b was worse' });

    const shown = await showModel(store, a().version);

    expect(shown).toMatchObject({ version: a().version, current: true, metadataFrom: 'metadata.json', metadata: { threshold: a().threshold } });
    expect(shown.promotions.map((p) => [p.action, p.by, p.reason])).toEqual([
      ['promote', 'alice', undefined],
      ['rollback', undefined, 'b was worse'],
    ]);
    await expect(showModel(store, 'nope')).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  it('loads what it saved', async () => {
    await saveModelToStore(store, a(), true);
    expect(await loadModelFromStore(store, a().version)).toEqual(a());
  });
});

describe('the history as a stack of current versions', () => {
  const record = (action: PromotionRecord['action'], version: string): PromotionRecord => ({ action, version, key: modelKey(version), promotedAt: '' });
  it.each([
    ['promotions push', [record('promote', 'A'), record('promote', 'B')], ['A', 'B']],
    ['a rollback pops', [record('promote', 'A'), record('promote', 'B'), record('rollback', 'A')], ['A']],
    ['a promotion after a rollback pushes again', [record('promote', 'A'), record('promote', 'B'), record('rollback', 'A'), record('promote', 'C')], ['A', 'C']],
    ['a rollback to a version not below keeps it', [record('promote', 'A'), record('rollback', 'Z')], ['Z']],
  ])('%s', (_name, records, expected) => {
    expect(currentStack(records)).toEqual(expected);
  });
});

describe('the models and train commands on the embedded bucket', () => {
  let stateDir: string;
  let bucketServer: EmbeddedS3;

  /** Runs the CLI in-process; returns its exit code and what it printed. */
  async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    try {
      const code = await main(argv);
      return { code, stdout, stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  beforeAll(async () => {
    stateDir = path.join(tmp.dir, 'state');
    // The folder a local run leaves: the embedded server's objects under <state-dir>/s3.
    bucketServer = await EmbeddedS3.start(path.join(stateDir, 's3'));
    for (const m of [versionOf(1), versionOf(2)]) await saveModelToStore(bucketServer.store(), m, false);
    await bucketServer.stop();
  });

  it('lists, promotes, shows and rolls back, with a table for people and JSON for scripts', async () => {
    const [v1, v2] = [versionOf(1).version, versionOf(2).version];
    expect((await cli('models', 'promote', v1, '--state-dir', stateDir, '--by', 'ci')).code).toBe(0);
    const promoted = await cli('models', 'promote', v2, '--state-dir', stateDir, '--reason', 'newer');
    expect(promoted.stdout).toContain(`promoted ${v2} (was ${v1}): new runs use it`);

    const table = await cli('models', 'list', '--state-dir', stateDir);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^VERSION +CREATED \(UTC\) +ROWS +FEATURES +THRESHOLD +CURRENT$/);
    expect(lines[1]).toMatch(new RegExp(`^${v2} +2026-11-02 06:30:00 +${trained.training.rows} +${trained.features.length} +${trained.threshold.toFixed(4)} +\\*$`));
    expect(lines[2]).toMatch(new RegExp(`^${v1} +2026-11-01 06:30:00 .*\\d$`));

    const listed = JSON.parse((await cli('models', 'list', '--state-dir', stateDir, '--json')).stdout) as { models: Array<{ version: string; current: boolean }> };
    expect(listed.models.map((m) => [m.version, m.current])).toEqual([
      [v2, true],
      [v1, false],
    ]);

    const rolledBack = await cli('models', 'rollback', '--state-dir', stateDir, '--json');
    expect(JSON.parse(rolledBack.stdout)).toMatchObject({ changed: true, previous: v2, pointer: { version: v1 } });

    const shown = await cli('models', 'show', v1, '--state-dir', stateDir);
    expect(shown.stdout).toContain(`model ${v1} (current: new runs use it)`);
    expect(shown.stdout).toMatch(/promoted .* by ci/);
    expect(shown.stdout).toMatch(new RegExp(`rolled back .*, replacing ${v2}`));
  });

  it.each([
    [['models', 'promote', '20261231T000000Z-ffffffffff'], 2, /model 20261231T000000Z-ffffffffff not found.*\(hint: list the versions with: trade-anomaly models list --state-dir /],
    [['models', 'show', '../x'], 2, /"\.\.\/x" is not a model version/],
  ])('answers %j with one line, a hint and exit code %i', async (argv, code, message) => {
    const result = await cli(...argv, '--state-dir', stateDir);
    expect(result.code).toBe(code);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('says when there is nothing to roll back to, and when the state folder does not exist', async () => {
    const fresh = path.join(tmp.dir, 'fresh-state');
    const server = await EmbeddedS3.start(path.join(fresh, 's3'));
    await saveModelToStore(server.store(), versionOf(5), true);
    await server.stop();
    const rollback = await cli('models', 'rollback', '--state-dir', fresh);
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toMatch(/no earlier promotion to roll back to: .* \(hint: promote a version instead: trade-anomaly models promote VERSION --state-dir /);

    const missing = await cli('models', 'list', '--state-dir', path.join(tmp.dir, 'no-such-state'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no-such-state: no embedded bucket here');
    expect((await cli('models', 'list', '--state-dir', fresh, '--bucket', 'b')).stderr).toContain('--bucket and --state-dir name two different buckets');
  });

  describe('train --out s3://BUCKET/models', () => {
    let server: EmbeddedS3;
    beforeAll(async () => {
      server = await EmbeddedS3.start(path.join(tmp.dir, 'train-bucket'));
      process.env.S3_ENDPOINT = server.endpoint;
    });
    afterAll(async () => {
      delete process.env.S3_ENDPOINT;
      await server?.stop();
    });

    it('saves a new version with metadata and does not promote it, printing the command that would', async () => {
      const result = await cli('train', ...historyFiles, '--out', `s3://${server.bucket}/models`, '--json');
      expect(result.code, result.stderr).toBe(0);
      const printed = JSON.parse(result.stdout) as { version: string; promoted: boolean; promoteWith: string };
      expect(printed.promoted).toBe(false);
      expect(printed.promoteWith).toBe(`trade-anomaly models promote ${printed.version} --bucket ${server.bucket}`);
      const store = server.store();
      expect(await store.head(metadataKey(printed.version))).toBeDefined();
      expect(await store.head(CURRENT_MODEL_KEY)).toBeUndefined();

      const viaBucket = await cli('models', 'list', '--bucket', server.bucket, '--json');
      expect(JSON.parse(viaBucket.stdout).models.map((m: { version: string }) => m.version)).toEqual([printed.version]);
    });

    it('promotes it with --promote, and refuses --promote for a model folder', async () => {
      const result = await cli('train', ...historyFiles, '--out', `s3://${server.bucket}/models`, '--promote', '--json');
      expect(result.code, result.stderr).toBe(0);
      const printed = JSON.parse(result.stdout) as { version: string; promoted: boolean };
      expect(printed.promoted).toBe(true);
      expect((await readCurrentModel(server.store()))?.version).toBe(printed.version);
      expect(await promotionHistory(server.store())).toHaveLength(1);

      const folder = await cli('train', ...historyFiles, '--out', path.join(tmp.dir, 'm'), '--promote');
      expect(folder.code).toBe(2);
      expect(folder.stderr).toContain('--promote applies to a model saved in the pipeline bucket');
    });
  });
});
