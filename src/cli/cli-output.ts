/**
 * How commands talk to people and scripts: a short human summary on stdout, or JSON with --json;
 * progress on stderr only when it is a terminal (quiet in CI and pipes).
 */
export class CliOutput {
  constructor(readonly json: boolean) {}

  get interactive(): boolean {
    return !this.json && Boolean(process.stderr.isTTY) && !process.env.CI;
  }

  /** A line of progress, overwritten in place on a terminal. */
  progress(text: string): void {
    if (this.interactive) process.stderr.write(`\r\x1b[2K${text}`);
  }

  endProgress(): void {
    if (this.interactive) process.stderr.write('\r\x1b[2K');
  }

  /** A line of the human summary (suppressed with --json). */
  say(text = ''): void {
    if (!this.json) process.stdout.write(`${text}\n`);
  }

  /** The machine-readable result (only with --json). */
  result(value: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
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
