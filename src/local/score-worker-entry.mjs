// Worker threads start without the TypeScript loader of the main thread: register it, then load the worker.
import { register } from 'tsx/esm/api';

// See bin/trade-anomaly.js: the SDK's Node 22 notice is noise on a laptop run.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (String(warning).startsWith('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
};

register();
await import('./score-worker.ts');
