/** Starts the scoring workflow for one run: a Step Functions execution in AWS, the local orchestrator on one machine. */
export interface ExecutionStarter {
  /**
   * Starts the execution named `name` with `input`. Resolves `false` when an execution of that name
   * already exists (a duplicate delivery of the same file), `true` when a new one was started.
   */
  start(name: string, input: object): Promise<boolean>;
}
