/**
 * The AWS SDK warns from every new client that its releases after January 2027 will need Node 22.
 * The Lambda functions run on Node 22; in a local run on Node 20 the notice is noise around every
 * command's output, once per thread. Call before creating a client in a thread of the local run.
 */
export function silenceSdkNodeVersionNotice(): void {
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).startsWith('NodeVersionSupportWarning')) return;
    emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;
}
