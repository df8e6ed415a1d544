/** Finds the state machine a stage deployed, by the name the stacks give it. */
import { paginateListStateMachines, type SFNClient } from '@aws-sdk/client-sfn';
import { stateMachineName } from '../naming.js';
import { EXIT_USAGE, RemoteError, sfnCall } from './errors.js';

export async function findStateMachineArn(client: SFNClient, stage: string): Promise<string> {
  const name = stateMachineName(stage);
  return sfnCall('ListStateMachines', undefined, async () => {
    for await (const page of paginateListStateMachines({ client, pageSize: 1000 }, {})) {
      const found = page.stateMachines?.find((sm) => sm.name === name);
      if (found?.stateMachineArn) return found.stateMachineArn;
    }
    const region = await client.config.region();
    const hint = `deploy it with \`npx sst deploy --stage ${stage}\`, or pass --region`;
    throw new RemoteError(`stage ${JSON.stringify(stage)} is not deployed in ${region}: no state machine named ${name} (${hint})`, EXIT_USAGE);
  });
}
