// Worker threads start without the TypeScript loader of the main thread: register it, then load the
// worker. (The built CLI's threads run dist/score-worker.mjs instead: see scripts/build-cli.mjs.)
import { register } from 'tsx/esm/api';

register();
await import('./score-worker.ts');
