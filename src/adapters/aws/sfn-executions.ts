/** The ExecutionDirectory port on Step Functions: the state machine's RUNNING executions. */
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionDirectory, RunningExecution } from '../../ports.js';
import { awsCall } from './classify.js';

export class StepFunctionsExecutions implements ExecutionDirectory {
  readonly #sfn: SFNClient;

  constructor(sfn: SFNClient) {
    this.#sfn = sfn;
  }

  destroy(): void {
    this.#sfn.destroy();
  }

  async running(stateMachine: string): Promise<RunningExecution[]> {
    const out: RunningExecution[] = [];
    let nextToken: string | undefined;
    do {
      const page = await awsCall(`listing the running executions of ${stateMachine}`, () =>
        this.#sfn.send(new ListExecutionsCommand({ stateMachineArn: stateMachine, statusFilter: 'RUNNING', maxResults: 100, nextToken })),
      );
      for (const e of page.executions ?? []) if (e.name && e.startDate) out.push({ name: e.name, startedAt: e.startDate.toISOString() });
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
  }
}
