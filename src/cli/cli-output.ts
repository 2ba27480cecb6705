import { ProgressDisplay, progressEnabled, type ProgressStream, type ProgressTask } from './progress-display.js';

/** Where the CLI writes and what it reads of its environment: the process's, or a test's stand-ins. */
export interface CliIo {
  stdout: { write(text: string): boolean };
  stderr: ProgressStream;
  env: NodeJS.ProcessEnv;
  /** The progress clock (milliseconds); injected by tests. */
  now?: () => number;
}

/**
 * The process's streams, looked up when written to (not bound once), so that a test spying on
 * process.stdout.write sees what is written.
 */
export function processIo(): CliIo {
  return {
    stdout: { write: (text) => process.stdout.write(text) },
    stderr: {
      write: (text) => process.stderr.write(text),
      get isTTY() {
        return process.stderr.isTTY;
      },
      get columns() {
        return process.stderr.columns;
      },
    },
    env: process.env,
  };
}

/**
 * How commands talk to people and scripts: a short human summary on stdout, or one JSON document
 * with --json (and nothing else on stdout); progress on stderr only when it is a terminal and not
 * CI (see progressEnabled), so pipes, logs and CI stay quiet.
 */
export class CliOutput {
  private readonly display: ProgressDisplay;
  private readonly printsResult: boolean;

  constructor(
    readonly json: boolean,
    private readonly io: CliIo = processIo(),
    shared?: { display: ProgressDisplay; printsResult: boolean },
  ) {
    this.display = shared?.display ?? new ProgressDisplay(io.stderr, { enabled: progressEnabled(io.stderr, io.env), now: io.now });
    this.printsResult = shared?.printsResult ?? true;
  }

  /**
   * The output for a command run as a step of another (demo runs generate, train, run): its summary
   * lines and progress as usual, its JSON result left out, so that stdout still holds one document.
   */
  step(): CliOutput {
    return new CliOutput(this.json, this.io, { display: this.display, printsResult: false });
  }

  /** Whether progress is drawn (stderr is a terminal, not CI). */
  get interactive(): boolean {
    return this.display.enabled;
  }

  /** A status line of progress (a step with nothing to count), overwritten in place on a terminal. */
  progress(text: string): void {
    this.display.status(text);
  }

  /** A counted task: a bar with count, rate and time left on a terminal; nothing elsewhere. */
  task(label: string, options: { unit: string; total?: number }): ProgressTask {
    return this.display.task(label, options);
  }

  endProgress(): void {
    this.display.clear();
  }

  /** A line of the human summary (suppressed with --json). */
  say(text = ''): void {
    if (this.json) return;
    this.display.clear();
    this.io.stdout.write(`${text}\n`);
  }

  /** The machine-readable result (only with --json): one document, the only thing on stdout. */
  result(value: unknown): void {
    if (this.json && this.printsResult) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}

/** Exit codes (documented in the README). */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, REJECTED: 3 } as const;

/** An error to print in one line with a hint, and exit with a code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILED,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a positive whole number, got '${value}'`, EXIT.USAGE);
    return n;
  };
}

export function parseRate(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n >= 1) throw new CliError(`${name} must be a number in [0, 1), got '${value}'`, EXIT.USAGE);
    return n;
  };
}

export function parseScore(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n > 0 && n < 1)) throw new CliError(`${name} must be a score between 0 and 1, got '${value}'`, EXIT.USAGE);
    return n;
  };
}

export function percent(x: number): string {
  return Number.isNaN(x) ? 'n/a' : `${(x * 100).toFixed(1)}%`;
}
