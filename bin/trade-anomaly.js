#!/usr/bin/env node
// The CLI entry: runs the built CLI (dist/) while it was built from the sources as they are, else
// src/cli/main.ts through the TypeScript loader (tsx). See bin/cli-bundle.js and scripts/build-cli.mjs.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cliEntry } from './cli-bundle.js';

// The AWS SDK warns on every client that releases after January 2027 will need Node 22. The Lambda
// functions run on Node 22; on a laptop the warning is noise around every command's output.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (String(warning).startsWith('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
};

const entry = cliEntry(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
if (!entry.bundled) (await import('tsx/esm/api')).register();
// A stack trace asked for (TRADE_ANOMALY_DEBUG=1) names the sources, not the bundle's lines; reading
// the maps costs ~40 ms, so only then.
else if (process.env.TRADE_ANOMALY_DEBUG) process.setSourceMapsEnabled(true);
const { main } = await import(pathToFileURL(entry.module).href);
process.exitCode = await main(process.argv.slice(2));
