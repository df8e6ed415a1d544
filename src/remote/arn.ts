/** Step Functions ARNs: checked before any call, and the execution ARN built from its state machine's. */
import { InputError } from '../errors.js';

const STATES_ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):(stateMachine|execution):([^:\s]+)(?::([^:\s]+))?$/;

export interface StatesArn {
  partition: string;
  region: string;
  account: string;
  /** The state machine's name (for an execution ARN too). */
  stateMachine: string;
  /** The execution's name; for a state machine ARN, its version or alias, if any. */
  qualifier: string | undefined;
}

function parse(arn: string, kind: 'stateMachine' | 'execution', field: string): StatesArn {
  const m = STATES_ARN.exec(arn);
  if (!m || m[4] !== kind || (kind === 'execution' && m[6] === undefined)) {
    const [what, shape] = kind === 'execution' ? ['execution', 'execution:<state machine>:<name>'] : ['state machine', 'stateMachine:<name>'];
    throw new InputError(`${JSON.stringify(arn)} is not a Step Functions ${what} ARN; expected arn:aws:states:<region>:<account>:${shape}`, field);
  }
  return { partition: m[1]!, region: m[2]!, account: m[3]!, stateMachine: m[5]!, qualifier: m[6] };
}

export const parseStateMachineArn = (arn: string): StatesArn => parse(arn, 'stateMachine', '--state-machine-arn');
export const parseExecutionArn = (arn: string): StatesArn => parse(arn, 'execution', 'execution-arn');

/** arn:<partition>:states:<region>:<account>:execution:<state machine name>:<execution name> */
export function executionArnOf(stateMachineArn: string, executionName: string): string {
  const sm = parseStateMachineArn(stateMachineArn);
  return `arn:${sm.partition}:states:${sm.region}:${sm.account}:execution:${sm.stateMachine}:${executionName}`;
}
