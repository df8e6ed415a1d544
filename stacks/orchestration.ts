/**
 * The state machine, built from the one ASL file the embedded runtime also runs, and the
 * EventBridge rule that starts it on the stage's schedule.
 */
import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { useProject } from 'sst/project.js';
import { FUNCTION_PLACEHOLDERS, readDefinition } from '../src/definition.js';
import { MAP_RESULTS_PREFIX } from '../src/lib/run-layout.js';
import { stateMachineName } from '../src/naming.js';
import type { PipelineFunctions } from './functions.js';
import type { StageConfig } from './stage-config.js';
import type { Storage } from './storage.js';

/** What the schedule rule starts: only the tenants whose interval has elapsed. */
export const SCHEDULE_INPUT = { due: true } as const;

/** True when the definition runs a Map as child executions, which the role must be allowed to start. */
export function usesDistributedMap(definition: string): boolean {
  return /"Mode"\s*:\s*"DISTRIBUTED"/.test(definition);
}

export function createOrchestration(scope: Construct, stage: string, fns: PipelineFunctions, storage: Pick<Storage, 'runs'>, config: StageConfig): { stateMachine: StateMachine; schedule: Rule } {
  const definition = readDefinition(useProject().paths.root);
  const name = stateMachineName(stage);
  const logs = new LogGroup(scope, 'PipelineLogs', {
    logGroupName: `/aws/vendedlogs/states/${name}`,
    retention: config.logRetentionDays as RetentionDays,
  });
  const stateMachine = new StateMachine(scope, 'Pipeline', {
    stateMachineName: name,
    stateMachineType: StateMachineType.STANDARD,
    definitionBody: DefinitionBody.fromString(definition),
    definitionSubstitutions: Object.fromEntries(Object.entries(FUNCTION_PLACEHOLDERS).map(([placeholder, fn]) => [placeholder, fns[fn].functionArn])),
    // Execution data stays out of the logs: inputs name tenants, outputs carry reports.
    logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
    tracingEnabled: true,
  });
  // The definition is a string, so CDK cannot see the functions it calls: grant them here.
  for (const fn of Object.values(fns)) fn.grantInvoke(stateMachine);
  // Built from the name, not a reference: the functions' policies may name it without a cycle.
  const stack = Stack.of(scope);
  const self = Arn.format({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack);
  // A scheduled tick skips itself while an earlier execution runs (src/lib/tick.ts).
  fns.discover.addToRolePolicy(new PolicyStatement({ actions: ['states:ListExecutions'], resources: [self] }));
  if (usesDistributedMap(definition)) {
    // ItemReader reads the item manifest; ResultWriter writes the children's results (in parts).
    // Only its own prefixes: the item manifests Discover writes, and the Map's results.
    storage.runs.grantRead(stateMachine, 'runs/*');
    storage.runs.grantRead(stateMachine, `${MAP_RESULTS_PREFIX}/*`);
    storage.runs.grantPut(stateMachine, `${MAP_RESULTS_PREFIX}/*`);
    const executions = Arn.format({ service: 'states', resource: 'execution', resourceName: `${name}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack);
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: [self] }));
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [executions] }));
  }
  const schedule = new Rule(scope, 'Schedule', {
    description: `Starts onceload (${stage}) for the tenants that are due`,
    schedule: Schedule.expression(config.schedule),
    enabled: config.scheduleEnabled,
    targets: [new SfnStateMachine(stateMachine, { input: RuleTargetInput.fromObject(SCHEDULE_INPUT) })],
  });
  return { stateMachine, schedule };
}
