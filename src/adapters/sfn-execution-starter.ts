import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionStarter } from '../ports/execution-starter.js';

/** Starts Step Functions executions; a name already used means the run exists (at-least-once S3 delivery). */
export class SfnExecutionStarter implements ExecutionStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: object): Promise<boolean> {
    try {
      await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return true;
    } catch (e: unknown) {
      if (e instanceof ExecutionAlreadyExists) return false;
      throw e;
    }
  }
}
