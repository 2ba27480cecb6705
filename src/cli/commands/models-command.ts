import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createS3Client } from '../../adapters/aws-clients.js';
import { S3ObjectStore } from '../../adapters/s3-object-store.js';
import { EmbeddedS3 } from '../../local/embedded-s3.js';
import { DEFAULT_STATE_DIR } from '../../local/local-run.js';
import { ModelFormatError } from '../../model/anomaly-model.js';
import {
  listModels,
  NothingToRollBackError,
  promoteModel,
  rollbackModel,
  showModel,
  type ModelEntry,
  type PromotionResult,
} from '../../model/model-registry.js';
import { InvalidModelVersionError, ModelNotFoundError } from '../../model/model-store.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { CliError, EXIT, type CliOutput } from '../cli-output.js';

/**
 * `trade-anomaly models list|show|promote|rollback`: the model registry of a bucket, the embedded one
 * of a local state folder (default) or a stage's (--bucket).
 */
export interface ModelStoreArgs {
  /** The embedded S3's folder, as `run --state-dir` (default .trade-anomaly). */
  stateDir?: string;
  /** A real bucket (AWS, or S3_ENDPOINT's server). */
  bucket?: string;
}

export interface PromoteArgs extends ModelStoreArgs {
  by?: string;
  reason?: string;
}

interface OpenStore {
  store: ObjectStore;
  /** How a person names this store: `s3://BUCKET`, or the local folder. */
  where: string;
  /** The options that select it again, for the commands printed in hints. */
  selector: string;
  close(): Promise<void>;
}

async function openStore(args: ModelStoreArgs): Promise<OpenStore> {
  if (args.bucket && args.stateDir) {
    throw new CliError('--bucket and --state-dir name two different buckets', EXIT.USAGE, 'give one: --bucket for a stage, --state-dir for a local run');
  }
  if (args.bucket) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(args.bucket)) {
      throw new CliError(`--bucket ${args.bucket}: not an S3 bucket name`, EXIT.USAGE, 'the name only, without s3:// (the stack output BucketName)');
    }
    const client = createS3Client(process.env.S3_ENDPOINT ? { url: process.env.S3_ENDPOINT } : undefined);
    return { store: new S3ObjectStore(client, args.bucket), where: `s3://${args.bucket}`, selector: `--bucket ${args.bucket}`, close: async () => client.destroy() };
  }
  const stateDir = args.stateDir ?? DEFAULT_STATE_DIR;
  const selector = args.stateDir ? `--state-dir ${args.stateDir}` : '';
  // Starting the embedded server would create the folder: a mistyped --state-dir must not look like an empty registry.
  if (!existsSync(path.join(stateDir, 's3'))) {
    throw new CliError(`${stateDir}: no embedded bucket here`, EXIT.USAGE, 'run `trade-anomaly run FILE` first, name the folder with --state-dir, or a stage bucket with --bucket');
  }
  const s3 = await EmbeddedS3.start(path.join(stateDir, 's3'));
  return { store: s3.store(), where: `the embedded bucket in ${stateDir}`, selector, close: () => s3.stop() };
}

async function withStore<T>(args: ModelStoreArgs, run: (opened: OpenStore) => Promise<T>): Promise<T> {
  const opened = await openStore(args);
  try {
    return await run(opened);
  } catch (e: unknown) {
    throw asCliError(e, opened.selector);
  } finally {
    await opened.close();
  }
}

function command(rest: string, selector: string): string {
  return `trade-anomaly models ${rest}${selector ? ` ${selector}` : ''}`;
}

/** The registry's errors, as one line and a hint; anything else passes unchanged. */
function asCliError(e: unknown, selector: string): unknown {
  if (e instanceof InvalidModelVersionError || e instanceof ModelNotFoundError) {
    return new CliError(e.message, EXIT.USAGE, `list the versions with: ${command('list', selector)}`);
  }
  if (e instanceof NothingToRollBackError) {
    return new CliError(e.message, EXIT.FAILED, `promote a version instead: ${command('promote VERSION', selector)}`);
  }
  if (e instanceof ModelFormatError) {
    return new CliError(e.message, EXIT.FAILED, 'this code cannot load that version: promote another one, or train again');
  }
  return e;
}

/** Who moved the pointer, for the history: --by, else the login name. */
function whoIsPromoting(by: string | undefined): string | undefined {
  if (by) return by;
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the record then names nobody rather than failing the promotion.
    return process.env.USER;
  }
}

function formatTime(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : iso || '?';
}

function formatNumber(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '?';
}

/** A plain-text table, columns padded to their widest cell. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export function modelTable(models: readonly ModelEntry[]): string[] {
  return formatTable(
    ['VERSION', 'CREATED (UTC)', 'ROWS', 'FEATURES', 'THRESHOLD', 'CURRENT'],
    models.map((m) => [
      m.version,
      formatTime(m.metadata.createdAt),
      m.problem ? '?' : String(m.metadata.training.rows),
      m.problem ? '?' : String(m.metadata.features.length),
      formatNumber(m.metadata.threshold, 4),
      m.current ? '*' : '',
    ]),
  );
}

export async function modelsListCommand(args: ModelStoreArgs, out: CliOutput): Promise<ModelEntry[]> {
  return withStore(args, async ({ store, where, selector }) => {
    const models = await listModels(store);
    if (models.length === 0) {
      out.say(`no models in ${where}`);
      out.say(
        args.bucket
          ? `train one: trade-anomaly train FILE... --out s3://${store.bucket}/models, or drop a trade file under training/ in the bucket`
          : 'a local run saves and promotes one: trade-anomaly run FILE [--model DIR]',
      );
    } else {
      for (const line of modelTable(models)) out.say(line);
      const current = models.find((m) => m.current);
      out.say();
      out.say(current ? `* current: new runs use ${current.version}` : `no version is current: promote one with ${command('promote VERSION', selector)}`);
      for (const m of models.filter((x) => x.problem)) out.say(`? ${m.version}: ${m.problem}`);
    }
    out.result({ where, models });
    return models;
  });
}

export async function modelsShowCommand(version: string, args: ModelStoreArgs, out: CliOutput): Promise<void> {
  await withStore(args, async ({ store }) => {
    const details = await showModel(store, version);
    const m = details.metadata;
    const params = Object.entries(m.params).map(([k, v]) => `${k} ${String(v)}`).join(', ');
    out.say(`model ${details.version}${details.current ? ' (current: new runs use it)' : ''}`);
    out.say(`  created       ${m.createdAt || '?'}`);
    if (m.codeVersion) out.say(`  code version  ${m.codeVersion}`);
    out.say(`  training      ${m.training.rows} rows from ${m.training.sources.length} file(s)${m.training.dataHash ? `, data hash ${m.training.dataHash}` : ''}`);
    for (const source of m.training.sources) out.say(`                  ${source}`);
    out.say(`  features      ${m.features.join(', ') || '?'}`);
    out.say(`  parameters    ${params || '?'}`);
    out.say(`  threshold     ${formatNumber(m.threshold, 4)} (flags ${formatNumber(m.contamination * 100, 3)}% of training rows)`);
    if (m.metrics !== undefined) out.say(`  metrics       ${JSON.stringify(m.metrics)}`);
    if (m.tuning !== undefined) out.say(`  tuning        ${JSON.stringify(m.tuning)}`);
    out.say(`  model         s3://${store.bucket}/${details.key} (metadata from ${details.metadataFrom})`);
    if (details.problem) out.say(`  problem       ${details.problem}`);
    if (details.promotions.length === 0) out.say('  promoted      never');
    for (const p of details.promotions) {
      out.say(`  ${p.action === 'rollback' ? 'rolled back' : 'promoted   '}   ${p.promotedAt}${p.by ? ` by ${p.by}` : ''}${p.previous ? `, replacing ${p.previous}` : ''}${p.reason ? `: ${p.reason}` : ''}`);
    }
    out.result(details);
  });
}

function sayMove(result: PromotionResult, verb: string, out: CliOutput): void {
  if (!result.changed) out.say(`${result.pointer.version} is already the current model; nothing changed`);
  else out.say(`${verb} ${result.pointer.version}${result.previous ? ` (was ${result.previous})` : ''}: new runs use it; runs already started keep the version they pinned`);
  out.result(result);
}

export async function modelsPromoteCommand(version: string, args: PromoteArgs, out: CliOutput): Promise<PromotionResult> {
  return withStore(args, async ({ store }) => {
    const result = await promoteModel(store, version, { by: whoIsPromoting(args.by), reason: args.reason });
    sayMove(result, 'promoted', out);
    return result;
  });
}

export async function modelsRollbackCommand(args: PromoteArgs, out: CliOutput): Promise<PromotionResult> {
  return withStore(args, async ({ store }) => {
    const result = await rollbackModel(store, { by: whoIsPromoting(args.by), reason: args.reason });
    sayMove(result, 'rolled back to', out);
    return result;
  });
}
