import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { join } from 'node:path';

/**
 * Runs a benchmark step in a child process with a timeout, polling its peak RSS (VmHWM) from /proc,
 * so every engine or pass is measured alone and a crash, timeout or OOM is reported, not fatal.
 */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ProcessOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  /** Peak RSS seen by polling /proc, in bytes; null where /proc is not readable. */
  polledPeakRssBytes: number | null;
  /** RSS (VmRSS) polled about once a second from /proc: ms since the start, bytes. Empty where /proc is not readable. */
  rssSamples: { ms: number; rss: number }[];
}

/** VmRSS (current RSS) of a live process from /proc, in bytes; null where /proc is not readable. */
export function procRssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** VmHWM (peak RSS) of a live process from /proc, in bytes; null where /proc is not readable. */
export function procPeakRssBytes(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Children still running, so an interrupted bench can kill them. */
export const liveChildren = new Set<ChildProcess>();

export const lastLines = (text: string, n: number): string => text.trim().split('\n').slice(-n).join(' | ');

/** Output that says the child ran out of memory (or was killed, as the OOM killer does). */
export function looksOutOfMemory(outcome: ProcessOutcome): boolean {
  return /heap out of memory|Allocation failed|ENOMEM|Invalid array length/i.test(outcome.stderr) || outcome.signal === 'SIGKILL';
}

export function runMeasured(command: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<ProcessOutcome> {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    liveChildren.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let polled: number | null = null;
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    const rssSamples: { ms: number; rss: number }[] = [];
    const poll = setInterval(() => {
      if (child.pid === undefined) return;
      const v = procPeakRssBytes(child.pid);
      if (v !== null) polled = Math.max(polled ?? 0, v);
      const ms = performance.now() - started;
      if (rssSamples.length === 0 || ms - rssSamples[rssSamples.length - 1].ms >= 1000) {
        const rss = procRssBytes(child.pid);
        if (rss !== null) rssSamples.push({ ms, rss });
      }
    }, 200);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (done) return;
      done = true;
      liveChildren.delete(child);
      clearInterval(poll);
      clearTimeout(timer);
      resolvePromise({ code, signal, timedOut, stdout, stderr, elapsedMs: performance.now() - started, polledPeakRssBytes: polled, rssSamples });
    };
    child.on('error', (err) => {
      stderr += `\n${err.message}`;
      finish(null, null);
    });
    child.on('close', finish);
  });
}

/**
 * A temporary folder for one benchmark section, removed (with every measured child killed) by
 * `close()` and on SIGINT/SIGTERM, so an interrupted run leaves no multi-gigabyte files behind.
 */
export function benchWorkspace(prefix: string, log: (line: string) => void): { dir: string; close(): void } {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  const cleanup = (): void => {
    for (const child of liveChildren) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: removing ${dir}`);
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    dir,
    close(): void {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      cleanup();
    },
  };
}
