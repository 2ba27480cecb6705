import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Headless Chromium for the tests that look at a rendered page, driven directly as a command (no
 * playwright or puppeteer package). Debian's `chromium` package is what CI installs (.ci/run); on a
 * machine without it, a root user gets it installed here, and anyone else gets a test that skips
 * with the reason.
 */

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const INSTALL = 'apt-get update && apt-get install -y --no-install-recommends chromium';
/** apt-get fetches ~100 MB on a fresh machine. */
export const INSTALL_TIMEOUT_MS = 8 * 60_000;

/**
 * Flags for a browser that must not reach the network (closed in CI and here): without the
 * background-networking, component-update and sync flags Chromium tries to phone home at start.
 */
const FLAGS = [
  '--headless',
  '--no-sandbox', // tests may run as root, where the sandbox refuses to start
  '--disable-gpu',
  '--disable-dev-shm-usage', // containers often have a tiny /dev/shm
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
];

/** Where Chromium is, or why the tests that need it must skip. */
export type ChromiumLookup = { path: string } | { skipReason: string };

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function firstPresent(): Promise<string | undefined> {
  const env = process.env.CHROMIUM_PATH;
  for (const file of env ? [env, ...CANDIDATES] : CANDIDATES) if (await executable(file)) return file;
  return undefined;
}

function sh(command: string, timeoutMs: number): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }, (error, stdout, stderr) => {
      resolve({ ok: !error, output: `${stdout}${stderr}${error ? `\n${error.message}` : ''}` });
    });
  });
}

let lookup: Promise<ChromiumLookup> | undefined;

/** Finds Chromium, installing Debian's package when it is missing and we are root. Looks once per process. */
export function findChromium(): Promise<ChromiumLookup> {
  lookup ??= (async (): Promise<ChromiumLookup> => {
    const found = await firstPresent();
    if (found) return { path: found };
    const root = process.getuid?.() === 0;
    if (!root || !(await executable('/usr/bin/apt-get'))) {
      return {
        skipReason: `Chromium is not installed (looked for ${CANDIDATES.join(', ')}${process.env.CHROMIUM_PATH ? ` and CHROMIUM_PATH` : ''}) and cannot be installed here (${root ? 'no apt-get' : 'not root'}); install it with \`${INSTALL}\` or set CHROMIUM_PATH`,
      };
    }
    const install = await sh(INSTALL, INSTALL_TIMEOUT_MS);
    const after = await firstPresent();
    if (after) return { path: after };
    const tail = install.output.trim().split('\n').slice(-3).join(' | ');
    return { skipReason: `Chromium is not installed and \`${INSTALL}\` did not install it: ${tail}` };
  })();
  return lookup;
}

export interface ChromiumRun {
  stdout: string;
  stderr: string;
}

/**
 * Runs headless Chromium once with a fresh profile (removed afterwards), e.g. `--dump-dom URL` or
 * `--screenshot=FILE --window-size=W,H URL`.
 * @throws when Chromium exits non-zero or outlives the timeout
 */
export async function runChromium(binary: string, args: string[], timeoutMs = 60_000): Promise<ChromiumRun> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'trade-anomaly-chromium-'));
  try {
    return await new Promise<ChromiumRun>((resolve, reject) => {
      execFile(binary, [...FLAGS, `--user-data-dir=${profile}`, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`chromium ${args.join(' ')} failed: ${error.message}\n${stderr.split('\n').slice(-5).join('\n')}`));
        else resolve({ stdout, stderr });
      });
    });
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/**
 * Opens a page file in headless Chromium: its DOM after rendering, and a screenshot of `width` x
 * `height` at `shot`. With TRADE_ANOMALY_KEEP_ARTIFACTS set, the page and the screenshot are copied
 * there as `<keepAs>.html` and `<keepAs>.png` (to look at what the test saw).
 */
export async function renderPage(binary: string, page: string, shot: string, options: { width: number; height: number; keepAs: string }): Promise<string> {
  const url = pathToFileURL(page).href;
  const dom = (await runChromium(binary, ['--dump-dom', url])).stdout;
  await runChromium(binary, [`--screenshot=${shot}`, `--window-size=${options.width},${options.height}`, url]);
  const keep = process.env.TRADE_ANOMALY_KEEP_ARTIFACTS;
  if (keep) {
    await mkdir(keep, { recursive: true });
    await copyFile(page, path.join(keep, `${options.keepAs}.html`));
    await copyFile(shot, path.join(keep, `${options.keepAs}.png`));
  }
  return dom;
}
