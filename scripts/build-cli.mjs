#!/usr/bin/env node
// Builds the command line into dist/ (`npm run build`; `npm ci` runs it through `prepare`): one ES
// module for the CLI, one for its score worker threads and one for its embedded S3 server's thread,
// with the packages they use bundled in.
// bin/trade-anomaly.js runs this build only while the sources, the lock file and this script are
// exactly as they were when it was built (bin/cli-bundle.js), and the sources through tsx otherwise.
//
// Why: through tsx, and with packages loaded file by file from node_modules, every command paid
// ~1 s of module loading before its work, and each score worker as much in CPU that competed with
// ingest's scan for the machine's cores (docs/performance.md, "Start-up").
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceFingerprint } from '../bin/cli-bundle.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.resolve(process.argv[2] ?? path.join(root, 'dist'));

/**
 * Packages left as imports of node_modules: parquet-wasm loads its .wasm file from beside its own
 * module; TensorFlow.js and libsvm-js are large and loaded only when a candidate model is trained;
 * tsx is the loader of the source path.
 */
const EXTERNAL = ['parquet-wasm', '@tensorflow/*', 'libsvm-js', 'tsx'];

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('build-cli: esbuild cannot be loaded; the CLI will run from its sources (slower to start)');
  process.exit(0);
}

// Taken before building: a source saved during the build changes it, so that build is never trusted.
const sources = sourceFingerprint(root);
// Emptied first: no file of an earlier build (or the stamp) survives a failed or different one.
await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const result = await esbuild.build({
  absWorkingDir: root,
  // The S3 server's thread keeps its name, so `new URL('./s3-server-thread.mjs', import.meta.url)` finds it here too.
  entryPoints: { cli: 'src/cli/main.ts', 'score-worker': 'src/local/score-worker.ts', 's3-server-thread': 'src/local/s3-server-thread.mjs' },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: EXTERNAL,
  // CommonJS packages bundled into an ES module still call require() for Node's own modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // Tells the worker pool which file its threads run (src/local/worker-pool.ts).
  define: { __BUNDLED_SCORE_WORKER__: '"./score-worker.mjs"' },
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});

// Every package import left to Node must resolve as Node's ES module resolver does it (no extension
// guessing, which tsx does for the sources and require() does too): an import that works only through
// tsx fails here, not in a user's hands. This script sits in the same project as dist/, so the
// packages it finds are the ones dist/ will.
const unresolved = new Set();
for (const output of Object.values(result.metafile.outputs)) {
  for (const { path: spec, external } of output.imports) {
    if (!external || isBuiltin(spec)) continue;
    try {
      if (!existsSync(fileURLToPath(import.meta.resolve(spec)))) unresolved.add(spec);
    } catch {
      unresolved.add(spec);
    }
  }
}
if (unresolved.size) {
  console.error(`build-cli: these imports do not resolve from ${outdir}: ${[...unresolved].join(', ')}`);
  process.exit(1);
}
await writeFile(path.join(outdir, 'build-stamp.json'), JSON.stringify({ sources }) + '\n');
