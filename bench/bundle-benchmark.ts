/**
 * The Lambda bundles: each handler in functions/ bundled with esbuild as the stack bundles it, its
 * minified size (and the files copied beside it: the Parquet wasm beside aggregate), and the time to
 * load the bundle in a fresh `node` process, a proxy for the cold start's init phase.
 *
 * - The bundling options are read from lib/constructs/pipeline-function.ts (target, externals; CJS,
 *   minified, source maps without sources), so the bench bundles what the stack deploys; it stops with
 *   a message naming the option if that file no longer reads as expected. The externals (the AWS SDK
 *   the Lambda runtime provides) resolve from the project's node_modules, as they resolve from the
 *   runtime's own node_modules in Lambda.
 * - Load time: the median of LOAD_RUNS fresh processes, each timing only the require() of the bundle
 *   (not Node's own start), with NODE_OPTIONS=--enable-source-maps as the stack sets it, the handler's
 *   environment variables set to dummy values, AWS_REGION and dummy credentials, and every outgoing
 *   connection and DNS lookup refused and counted: loading a handler must not call AWS.
 * - Where a bundle is over its target, the metafile says why: the biggest inputs, by package.
 *
 * `node --import tsx bench/bundle-benchmark.ts [--externals=a,b]` prints the Markdown and the JSON
 * (`--externals` replaces the stack's externals, to compare a change before making it).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, version as esbuildVersion, type Metafile } from 'esbuild';
import { median } from './forest-benchmark.js';
import { lastLines, PROJECT_ROOT, runMeasured } from './measured-process.js';

/** Every handler the stack deploys (functions/<name>.ts). */
export const HANDLERS = ['ingest', 'score', 'aggregate', 'train', 'run-failed', 'arrival-check'] as const;
export type HandlerName = (typeof HANDLERS)[number];

/** Issue 7's targets: a bundle under 1 MB minified (aggregate: plus the wasm beside it), a load under 300 ms. */
export const BUNDLE_TARGET_BYTES = 1_000_000;
export const LOAD_TARGET_MS = 300;
export const LOAD_RUNS = 5;

/** Files copied beside a bundle, as the stack's filesBesideBundle does (lib/constructs/pipeline.ts). */
const BESIDE: Partial<Record<HandlerName, string[]>> = {
  aggregate: [createRequire(import.meta.url).resolve('parquet-wasm/node/parquet_wasm_bg.wasm')],
};

const ARN = (service: string, resource: string) => `arn:aws:${service}:us-east-1:123456789012:${resource}`;
/**
 * Dummy values of what the handlers read when they load (requireEnv, integerEnv and the optional
 * ones), so each loads as it does in its function; none of them leads anywhere.
 */
const HANDLER_ENV: Record<string, string> = {
  STAGE: 'bench',
  TOPIC_ARN: ARN('sns', 'bench-alerts'),
  OPS_TOPIC_ARN: ARN('sns', 'bench-ops'),
  STATE_MACHINE_ARN: ARN('states', 'stateMachine:bench'),
  CHUNK_ROWS: '100000',
  BUCKET_NAME: 'bench-bucket',
  INCOMING_PREFIX: 'incoming/',
  LOOKBACK_HOURS: '12',
};

/** No network: the SDK has a region and credentials, so nothing needs to be looked up, and IMDS is off. */
const AWS_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIABUNDLEBENCH00000',
  AWS_SECRET_ACCESS_KEY: 'bundle-benchmark-dummy-secret',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
};

export interface BundlingOptions {
  target: string;
  format: 'cjs';
  minify: true;
  sourcemap: true;
  sourcesContent: false;
  externals: string[];
}

export interface PackageShare {
  /** An npm package, or the project's own code by folder (e.g. `src/parse`). */
  name: string;
  bytes: number;
}

export interface HandlerBundle {
  handler: HandlerName;
  /** index.js, minified. */
  bytes: number;
  sourceMapBytes: number;
  /** Files copied beside the bundle (name and bytes): the Parquet wasm beside aggregate. */
  beside: { file: string; bytes: number }[];
  /** Load time of each run, ms (require() of the bundle only), and their median. */
  loadMs: number[];
  loadMedianMs: number | null;
  /** Connections or DNS lookups attempted while loading (refused): should be 0. */
  networkAttempts: number;
  /** The biggest inputs of the bundle, by package, largest first. */
  biggest: PackageShare[];
  withinSize: boolean;
  withinLoad: boolean;
  /** Why the bundle could not be built or loaded. */
  error?: string;
}

export interface BundleSection {
  esbuild: string;
  node: string;
  options: BundlingOptions;
  targets: { bundleBytes: number; loadMs: number; loadRuns: number };
  /** 1-minute load average before and after: load times on a busy machine are inflated. */
  loadAverage: { start: number; end: number };
  bundles: HandlerBundle[];
}

/**
 * The bundling options of lib/constructs/pipeline-function.ts, read from its source (lib/ is CDK code;
 * reading its text keeps the bench from loading aws-cdk-lib).
 */
export function stackBundlingOptions(source = readFileSync(join(PROJECT_ROOT, 'lib/constructs/pipeline-function.ts'), 'utf8')): BundlingOptions {
  const need = (pattern: RegExp, what: string): RegExpExecArray => {
    const m = pattern.exec(source);
    if (!m) throw new Error(`bench/bundle-benchmark.ts: lib/constructs/pipeline-function.ts no longer reads as expected (${what}); update the bench to bundle as the stack does`);
    return m;
  };
  need(/format:\s*OutputFormat\.CJS/, 'format: OutputFormat.CJS');
  need(/minify:\s*true/, 'minify: true');
  need(/sourceMap:\s*true/, 'sourceMap: true');
  need(/sourcesContent:\s*false/, 'sourcesContent: false');
  const target = need(/target:\s*'([^']+)'/, "target: '...'")[1]!;
  const externals = [...need(/externalModules:\s*\[([^\]]*)\]/, 'externalModules: [...]')[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
  return { target, format: 'cjs', minify: true, sourcemap: true, sourcesContent: false, externals };
}

/** A metafile input path's package: `node_modules/<name>` or `<scope>/<name>`, else the project folder. */
function packageOf(input: string): string {
  const at = input.lastIndexOf('node_modules/');
  if (at >= 0) {
    const parts = input.slice(at + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  return input.split('/').slice(0, 2).join('/');
}

function biggestPackages(metafile: Metafile, top = 6): PackageShare[] {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...bytes.entries()]
    .map(([name, b]) => ({ name, bytes: b }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
}

/**
 * What each load run executes in a fresh `node`: refuse and count every connection and DNS lookup,
 * time the require() of the bundle, then wait a moment for anything the load scheduled to try the network.
 */
const LOAD_SCRIPT = `
const net = require('node:net');
const dns = require('node:dns');
let attempts = 0;
net.Socket.prototype.connect = function () { attempts++; process.nextTick(() => this.destroy(new Error('no network while loading a handler'))); return this; };
for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6']) dns[name] = (...args) => { attempts++; const cb = args.at(-1); if (typeof cb === 'function') process.nextTick(cb, new Error('no DNS while loading a handler')); };
dns.promises.lookup = async () => { attempts++; throw new Error('no DNS while loading a handler'); };
const { performance } = require('node:perf_hooks');
const started = performance.now();
const mod = require(process.argv[1]);
const ms = performance.now() - started;
if (typeof mod.handler !== 'function') throw new Error('the bundle exports no handler function');
setTimeout(() => console.log('LOAD_RESULT ' + JSON.stringify({ ms, attempts })), 200);
`;

async function loadOnce(bundle: string, handler: HandlerName): Promise<{ ms: number; attempts: number }> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: os.tmpdir(),
    // The externals (the AWS SDK) from the project's node_modules, as Lambda's runtime provides its own.
    NODE_PATH: join(PROJECT_ROOT, 'node_modules'),
    NODE_OPTIONS: '--enable-source-maps',
    AWS_LAMBDA_FUNCTION_NAME: `bench-${handler}`,
    ...AWS_ENV,
    ...HANDLER_ENV,
  };
  const outcome = await runMeasured(process.execPath, ['-e', LOAD_SCRIPT, bundle], 60_000, env);
  const line = outcome.stdout.split('\n').find((l) => l.startsWith('LOAD_RESULT '));
  if (outcome.code !== 0 || !line) {
    throw new Error(`loading ${handler} failed (exit ${outcome.code ?? outcome.signal}${outcome.timedOut ? ', timed out' : ''}): ${lastLines(outcome.stderr || outcome.stdout, 3)}`);
  }
  return JSON.parse(line.slice('LOAD_RESULT '.length)) as { ms: number; attempts: number };
}

async function benchHandler(handler: HandlerName, options: BundlingOptions, dir: string, log: (line: string) => void): Promise<HandlerBundle> {
  const outDir = join(dir, handler);
  const outfile = join(outDir, 'index.js');
  const result: HandlerBundle = {
    handler,
    bytes: 0,
    sourceMapBytes: 0,
    beside: [],
    loadMs: [],
    loadMedianMs: null,
    networkAttempts: 0,
    biggest: [],
    withinSize: false,
    withinLoad: false,
  };
  try {
    const built = await build({
      entryPoints: [join(PROJECT_ROOT, 'functions', `${handler}.ts`)],
      bundle: true,
      platform: 'node',
      target: options.target,
      format: options.format,
      minify: options.minify,
      sourcemap: options.sourcemap,
      sourcesContent: options.sourcesContent,
      external: options.externals,
      outfile,
      metafile: true,
      logLevel: 'error',
    });
    result.bytes = statSync(outfile).size;
    result.sourceMapBytes = statSync(`${outfile}.map`).size;
    result.biggest = biggestPackages(built.metafile);
    for (const file of BESIDE[handler] ?? []) {
      copyFileSync(file, join(outDir, basename(file)));
      result.beside.push({ file: basename(file), bytes: statSync(file).size });
    }
    result.withinSize = result.bytes < BUNDLE_TARGET_BYTES;
    for (let run = 0; run < LOAD_RUNS; run++) {
      const { ms, attempts } = await loadOnce(outfile, handler);
      result.loadMs.push(ms);
      result.networkAttempts = Math.max(result.networkAttempts, attempts);
    }
    result.loadMedianMs = median(result.loadMs);
    result.withinLoad = result.loadMedianMs < LOAD_TARGET_MS && result.networkAttempts === 0;
    log(`bundles: ${handler} ${fmtBytes(result.bytes)}, loads in ${result.loadMedianMs.toFixed(0)} ms (median of ${LOAD_RUNS})`);
  } catch (e: unknown) {
    result.error = e instanceof Error ? e.message : String(e);
    log(`bundles: ${handler} failed: ${result.error}`);
  }
  return result;
}

/** Bundles and loads every handler; options default to the stack's own. */
export async function runBundleBenchmark(
  overrides: Partial<Pick<BundlingOptions, 'externals'>> = {},
  log: (line: string) => void = (line) => console.error(line),
): Promise<BundleSection> {
  const options = { ...stackBundlingOptions(), ...overrides };
  const dir = mkdtempSync(join(os.tmpdir(), 'trade-anomaly-bundles-'));
  const loadAtStart = os.loadavg()[0]!;
  try {
    const bundles: HandlerBundle[] = [];
    for (const handler of HANDLERS) bundles.push(await benchHandler(handler, options, dir, log));
    return {
      esbuild: esbuildVersion,
      node: process.version,
      options,
      targets: { bundleBytes: BUNDLE_TARGET_BYTES, loadMs: LOAD_TARGET_MS, loadRuns: LOAD_RUNS },
      loadAverage: { start: loadAtStart, end: os.loadavg()[0]! },
      bundles,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmtBytes(bytes: number): string {
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(2)} MB` : `${(bytes / 1000).toFixed(0)} kB`;
}

/** The section as Markdown: one row per handler, against the targets. */
export function bundleSectionMarkdown(section: BundleSection): string {
  const md: string[] = [];
  md.push('## Lambda bundles and handler load times (cold-start proxy)');
  md.push('');
  md.push(
    `Each handler bundled with esbuild ${section.esbuild} as the stack bundles it (${section.options.format.toUpperCase()}, minified, target ${section.options.target}, ` +
      `source maps without sources, external: ${section.options.externals.map((e) => `\`${e}\``).join(', ')}); load = require() of the bundle in a fresh ` +
      `\`node\` ${section.node} with \`--enable-source-maps\`, median of ${section.targets.loadRuns} runs, dummy environment and credentials, network refused. ` +
      `Targets: bundle under ${fmtBytes(section.targets.bundleBytes)} minified (aggregate: plus the Parquet wasm beside it), load under ${section.targets.loadMs} ms. ` +
      `Load average ${section.loadAverage.start.toFixed(1)} at the start, ${section.loadAverage.end.toFixed(1)} at the end (${os.availableParallelism()} cores): load times grow with it.`,
  );
  md.push('');
  md.push('| handler | bundle (minified) | source map | beside it | load (median) | load runs (ms) | network at load | targets | biggest inputs |');
  md.push('| --- | ---: | ---: | --- | ---: | --- | ---: | --- | --- |');
  for (const b of section.bundles) {
    if (b.error) {
      md.push(`| ${b.handler} | — | — | — | — | — | — | failed: ${b.error.replace(/\|/g, '\\|')} | |`);
      continue;
    }
    const beside = b.beside.map((f) => `${f.file} ${fmtBytes(f.bytes)}`).join(', ') || '—';
    const met = `size ${b.withinSize ? 'met' : 'MISSED'}, load ${b.withinLoad ? 'met' : 'MISSED'}`;
    const biggest = b.biggest.slice(0, 4).map((p) => `${p.name} ${fmtBytes(p.bytes)}`).join(', ');
    md.push(
      `| ${b.handler} | ${fmtBytes(b.bytes)} | ${fmtBytes(b.sourceMapBytes)} | ${beside} | ${b.loadMedianMs?.toFixed(0) ?? '—'} ms | ${b.loadMs.map((ms) => ms.toFixed(0)).join(', ')} | ${b.networkAttempts} | ${met} | ${biggest} |`,
    );
  }
  return md.join('\n');
}

// Standalone: node --import tsx bench/bundle-benchmark.ts [--externals=a,b]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const externalsArg = process.argv.find((a) => a.startsWith('--externals='));
  const overrides = externalsArg ? { externals: externalsArg.slice('--externals='.length).split(',').filter(Boolean) } : {};
  const section = await runBundleBenchmark(overrides);
  console.log(bundleSectionMarkdown(section));
  console.log('');
  console.log(JSON.stringify(section, null, 2));
}
