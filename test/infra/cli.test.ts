/**
 * The real CDK CLI, offline: every stage synthesizes with bundling (esbuild, no Docker) and with the
 * cdk-nag checks of bin/app.ts; the bundles are small; an unknown stage is refused clearly.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackIdFor } from '../../lib/trade-anomaly-stack.js';
import { OFFLINE_ENV, ROOT, STAGES } from './synth.js';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  outDir: string;
}
const tempDirs: string[] = [];

function runCdkSynth(stage: string): Promise<CliResult> {
  const outDir = mkdtempSync(path.join(tmpdir(), `trade-anomaly-cdk-${stage}-`));
  tempDirs.push(outDir);
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['cdk', 'synth', '-c', `stage=${stage}`, '--quiet', '-o', outDir], {
      cwd: ROOT,
      env: OFFLINE_ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, outDir }));
  });
}

let cliAll: Promise<CliResult>;
let cliUnknownStage: Promise<CliResult>;

beforeAll(() => {
  // Both start at once, in child processes; `stage=all` synthesizes the three stages in one app run.
  cliAll = runCdkSynth('all');
  cliUnknownStage = runCdkSynth('qa');
  cliAll.catch(() => undefined);
  cliUnknownStage.catch(() => undefined);
});

afterAll(async () => {
  await Promise.allSettled([cliAll, cliUnknownStage]);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** The bundled asset folder of one function of one stage's synthesized template. */
function assetOf(result: CliResult, stage: string, constructPath: string): string {
  const template = JSON.parse(readFileSync(path.join(result.outDir, `${stackIdFor(stage)}.template.json`), 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  const resource = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:cdk:path'] === `${stackIdFor(stage)}/${constructPath}/Function/Resource`,
  );
  const assetPath = resource?.Metadata?.['aws:asset:path'];
  expect(assetPath, `asset of ${stage} ${constructPath}`).toBeDefined();
  return path.join(result.outDir, assetPath!);
}

const FUNCTIONS = ['Pipeline/Ingest', 'Pipeline/Score', 'Pipeline/Aggregate', 'Pipeline/RunFailed', 'Training/Train', 'Monitoring/ArrivalCheck'];
/** Minified handler bundles stay small: the AWS SDK is the runtime's, and nothing else should be big. */
const MAX_BUNDLE_BYTES = 1024 * 1024;
/**
 * Except the train function's: it carries the training libraries of the other model kinds (TensorFlow.js
 * and libsvm-js, about 1.4 MB minified; docs/model.md), loaded only when the stage trains such a kind.
 */
const MAX_BUNDLE_BYTES_BY_FUNCTION: Readonly<Record<string, number>> = { 'Training/Train': 2.5 * 1024 * 1024 };

describe('cdk CLI', () => {
  it('synthesizes every stage offline, with the cdk-nag checks passing', async () => {
    const result = await cliAll;
    expect(result.code, result.stderr).toBe(0);
    for (const stage of STAGES) expect(existsSync(path.join(result.outDir, `${stackIdFor(stage)}.template.json`)), stage).toBe(true);
    expect(result.stderr).not.toMatch(/AwsSolutions-/);
  });

  it('bundles each handler under 1 MB minified (train 2.5 MB), with parquet-wasm beside the aggregate bundle only', async () => {
    const result = await cliAll;
    expect(result.code, result.stderr).toBe(0);
    const sizes: string[] = [];
    for (const fn of FUNCTIONS) {
      // Staging has every function; the bundles are the same in every stage.
      const asset = assetOf(result, 'staging', fn);
      const bytes = statSync(path.join(asset, 'index.js')).size;
      const wasm = existsSync(path.join(asset, 'parquet_wasm_bg.wasm'));
      sizes.push(`${fn.split('/')[1]!.padEnd(13)} index.js ${(bytes / 1024).toFixed(0).padStart(5)} KiB${wasm ? ` + parquet_wasm_bg.wasm ${(statSync(path.join(asset, 'parquet_wasm_bg.wasm')).size / 1024 / 1024).toFixed(1)} MiB` : ''}`);
      expect(bytes, `${fn} index.js`).toBeLessThan(MAX_BUNDLE_BYTES_BY_FUNCTION[fn] ?? MAX_BUNDLE_BYTES);
      expect(existsSync(path.join(asset, 'index.js.map')), `${fn} source map`).toBe(true);
      expect(wasm, `${fn} parquet wasm`).toBe(fn === 'Pipeline/Aggregate');
    }
    console.log(`Lambda bundles:\n  ${sizes.join('\n  ')}`);
  });

  it('fails on an unknown stage with a message listing the known ones', async () => {
    const result = await cliUnknownStage;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Unknown stage "qa": known stages are dev, staging, prod');
  });
});
