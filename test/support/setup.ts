// The AWS SDK's notice that its 2027 releases need Node 22 (the Lambda runtime is Node 22; local
// tools run on 20) would otherwise print in every test file that makes a client.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: never[]) => {
  if (String(warning).startsWith('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
}) as typeof process.emitWarning;
