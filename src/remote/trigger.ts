/** Starts an execution under its minute's name; a repeated trigger finds the execution already there. */
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionInput } from '../lib/execution-input.js';
import { executionArnOf } from './arn.js';
import { sfnCall } from './errors.js';
import { canonicalInput, executionName } from './execution-name.js';

export interface Triggered {
  executionArn: string;
  name: string;
  /** True when Step Functions answered ExecutionAlreadyExists: this minute's execution of the input had already ended. */
  alreadyExisted: boolean;
  /** When the execution started, as Step Functions reports it (the first start when a trigger repeats). */
  startDate: Date | undefined;
}

export async function startExecution(client: SFNClient, stateMachineArn: string, input: ExecutionInput, now: Date): Promise<Triggered> {
  // The exact same input string on a repeat is what makes Step Functions treat it as the same start.
  const body = canonicalInput(input);
  const name = executionName(body, now);
  return sfnCall('StartExecution', stateMachineArn, async () => {
    try {
      // While that execution runs, the same name and input return its ARN again (standard workflows).
      const { executionArn, startDate } = await client.send(new StartExecutionCommand({ stateMachineArn, name, input: body }));
      return { executionArn: executionArn ?? executionArnOf(stateMachineArn, name), name, alreadyExisted: false, startDate };
    } catch (error) {
      // Once it has ended (or under another input), the name is taken for good: that execution is the run.
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
        return { executionArn: executionArnOf(stateMachineArn, name), name, alreadyExisted: true, startDate: undefined };
      }
      throw error;
    }
  });
}
