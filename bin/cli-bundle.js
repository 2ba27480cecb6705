// Whether the built CLI (dist/, `npm run build`) may run instead of the TypeScript sources: only while
// everything it was built from is exactly as it was. Plain JavaScript: it runs before any loader.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * What the build is made of, as the file system describes it: every entry under src/ (folders
 * included, so an added or deleted file shows), the lock file (the packages bundled with it) and the
 * build script, each by path, size and modification time. Computed by the build before it starts and
 * by the launcher on every run: an edit, a checkout, a copy or an install in between changes it. Both
 * sides read the file system's own times, so no clock is compared with another.
 */
export function sourceFingerprint(root) {
  const hash = createHash('sha1');
  const describe = (relative) => {
    const info = lstatSync(path.join(root, relative), { throwIfNoEntry: false });
    // An entry gone between listing and reading (an editor's temporary file) is simply not there.
    if (info) hash.update(`${relative}\0${info.size}\0${info.mtimeMs}\n`);
  };
  describe('src');
  for (const entry of readdirSync(path.join(root, 'src'), { recursive: true }).map(String).sort()) describe(path.join('src', entry));
  describe('package-lock.json');
  describe(path.join('scripts', 'build-cli.mjs'));
  return hash.digest('hex');
}

/** The fingerprint dist/build-stamp.json (written last) was built from, or undefined when there is no complete build. */
export function builtFrom(distDir) {
  try {
    const stamp = JSON.parse(readFileSync(path.join(distDir, 'build-stamp.json'), 'utf8'));
    return typeof stamp.sources === 'string' ? stamp.sources : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The module to run: dist/cli.mjs when it was built from the sources as they are now, else
 * src/cli/main.ts (through tsx). TRADE_ANOMALY_FROM_SOURCE=1 forces the sources. Any doubt (an
 * unreadable tree, a torn stamp) means the sources: slower to start, never stale.
 */
export function cliEntry(root, env = process.env) {
  const source = { module: path.join(root, 'src', 'cli', 'main.ts'), bundled: false };
  if (env.TRADE_ANOMALY_FROM_SOURCE === '1') return source;
  const built = builtFrom(path.join(root, 'dist'));
  if (built === undefined) return source;
  try {
    if (sourceFingerprint(root) !== built) return source;
  } catch {
    return source;
  }
  return { module: path.join(root, 'dist', 'cli.mjs'), bundled: true };
}
