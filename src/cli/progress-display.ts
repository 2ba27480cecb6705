import { formatProgressLine } from '../progress/progress-line.js';

/** The part of a terminal stream progress needs (process.stderr, or a test's stand-in). */
export interface ProgressStream {
  write(text: string): boolean;
  isTTY?: boolean;
  /** The terminal's width, where known. */
  columns?: number;
}

/**
 * Whether CI is set the way CI services set it (`true`, `1`, a name); `CI=false` or `CI=0` is a
 * person saying it is not CI.
 */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/**
 * Progress is drawn only for a person watching: stderr is a terminal and this is not CI. In a pipe,
 * a log file or CI nothing is written (a log of a hundred overwritten lines helps no one; the
 * summary at the end says what was done and how long it took).
 */
export function progressEnabled(stream: ProgressStream, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !isCi(env);
}

/** A long task's handle: report how far it is, then finish it. */
export interface ProgressTask {
  /** `done` units so far; `total` when it becomes known; `fraction` when the share done is measured apart (bytes of a file). */
  update(done: number, more?: { total?: number; fraction?: number }): void;
  /** Removes the line (the command's summary follows). */
  finish(): void;
}

export interface ProgressDisplayOptions {
  enabled: boolean;
  /** The clock (milliseconds); injected by tests. */
  now?: () => number;
  /** Redraw at most this often, so a fast loop does not spend its time writing to the terminal. */
  minIntervalMs?: number;
}

/** Carriage return, then erase the line: the next text is drawn where the progress line was. */
export const CLEAR_LINE = '\r\x1b[2K';
const NO_TASK: ProgressTask = { update() {}, finish() {} };

/**
 * One line on stderr, overwritten in place: a status ("uploading ...") or a task with a bar, count,
 * rate and time left. Disabled, every call is a no-op.
 */
export class ProgressDisplay {
  private readonly now: () => number;
  private readonly minIntervalMs: number;
  private lineShown = false;
  private lastDrawAt = -Infinity;

  constructor(
    private readonly stream: ProgressStream,
    private readonly options: ProgressDisplayOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.minIntervalMs = options.minIntervalMs ?? 100;
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** A line of text in place of the progress line (a step with nothing to count). */
  status(text: string): void {
    if (!this.enabled) return;
    this.draw(text);
  }

  /** Starts a counted task; its line is drawn on updates, at most every minIntervalMs, and always at 100%. */
  task(label: string, options: { unit: string; total?: number }): ProgressTask {
    if (!this.enabled) return NO_TASK;
    const started = this.now();
    let total = options.total;
    const task: ProgressTask = {
      update: (done, more) => {
        if (more?.total !== undefined) total = more.total;
        const now = this.now();
        const complete = (total !== undefined && done >= total) || (more?.fraction ?? 0) >= 1;
        if (!complete && now - this.lastDrawAt < this.minIntervalMs) return;
        this.lastDrawAt = now;
        this.draw(formatProgressLine({ label, done, total, unit: options.unit, elapsedMs: now - started, fraction: more?.fraction }, this.stream.columns));
      },
      finish: () => this.clear(),
    };
    task.update(0);
    return task;
  }

  /** Removes the progress line, if one is shown (before a line of the summary is printed). */
  clear(): void {
    if (!this.lineShown) return;
    this.stream.write(CLEAR_LINE);
    this.lineShown = false;
  }

  private draw(text: string): void {
    const columns = this.stream.columns;
    const line = columns !== undefined && columns > 1 && text.length > columns - 1 ? text.slice(0, columns - 1) : text;
    this.stream.write(`${CLEAR_LINE}${line}`);
    this.lineShown = true;
  }
}
