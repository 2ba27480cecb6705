// Whether the built CLI (dist/, `npm run build`) may run instead of the TypeScript sources: it must
// exist and be newer than every file under src/. Plain JavaScript: it runs before any loader.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The build's start time from dist/build-stamp.json (written last), or undefined when there is no complete build. */
export function builtFrom(distDir) {
  try {
    const stamp = JSON.parse(readFileSync(path.join(distDir, 'build-stamp.json'), 'utf8'));
    return typeof stamp.builtFrom === 'number' ? stamp.builtFrom : undefined;
  } catch {
    return undefined;
  }
}

/** The latest modification time of anything under `dir`, folders included (a deleted file changes its folder), 0 when empty. */
export function newestChange(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true })) {
    const changed = statSync(path.join(dir, String(entry))).mtimeMs;
    if (changed > newest) newest = changed;
  }
  return newest;
}

/**
 * The module to run: dist/cli.mjs when built after the last change under src/, else src/cli/main.ts
 * (through tsx). TRADE_ANOMALY_FROM_SOURCE=1 forces the sources.
 */
export function cliEntry(root, env = process.env) {
  const source = { module: path.join(root, 'src', 'cli', 'main.ts'), bundled: false };
  if (env.TRADE_ANOMALY_FROM_SOURCE === '1') return source;
  const dist = path.join(root, 'dist');
  const built = builtFrom(dist);
  if (built === undefined || newestChange(path.join(root, 'src')) >= built) return source;
  return { module: path.join(dist, 'cli.mjs'), bundled: true };
}
