#!/usr/bin/env node
// Builds the command line into dist/ (`npm run build`; `npm ci` runs it through `prepare`): one ES
// module for the CLI and one for its score worker threads, our TypeScript bundled and minified-free,
// packages left as imports of node_modules. bin/trade-anomaly.js runs this build while it is newer
// than every file under src/, and the sources through tsx otherwise, so an edit never runs stale code.
//
// Why: through tsx every command paid ~0.4 s of TypeScript loading, and each score worker ~1 s of
// CPU that competed with ingest's scan for the machine's cores (`npm run bench`, section 6).
import { mkdir, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.resolve(process.argv[2] ?? path.join(root, 'dist'));

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // An install without dev dependencies: the CLI runs the sources through tsx, as before.
  console.warn('build-cli: esbuild is not installed (dev dependencies omitted?); the CLI will run from source');
  process.exit(0);
}

// The stamp holds the build's start: a source saved during the build is newer, so it is not trusted.
const started = Date.now();
await rm(path.join(outdir, 'build-stamp.json'), { force: true });
await mkdir(outdir, { recursive: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/main.ts', 'score-worker': 'src/local/score-worker.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  // Tells the worker pool which file its threads run (src/local/worker-pool.ts).
  define: { __BUNDLED_SCORE_WORKER__: '"./score-worker.mjs"' },
  sourcemap: 'linked',
  logLevel: 'warning',
});
await writeFile(path.join(outdir, 'build-stamp.json'), JSON.stringify({ builtFrom: started }) + '\n');
