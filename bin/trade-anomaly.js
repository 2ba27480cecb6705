#!/usr/bin/env node
// The CLI entry: registers the TypeScript loader (tsx), then runs src/cli/main.ts.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every client that releases after January 2027 will need Node 22. The Lambda
// functions run on Node 22; on a laptop the warning is noise around every command's output.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (String(warning).startsWith('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
};

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
