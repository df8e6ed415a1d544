import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  type ListStateMachinesCommandInput,
  type StartExecutionCommandInput,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXECUTION_NAME } from '../../src/remote/execution-name.js';
import { awsError, cli, distributedMapHistory, EXECUTION_PREFIX, MAP_RUN_ARN, NOW, REGION, STATE_MACHINE_ARN } from './remote-harness.js';

const sfn = mockClient(SFNClient);

const otherMachine = (name: string) => ({
  name,
  stateMachineArn: `arn:aws:states:${REGION}:123456789012:stateMachine:${name}`,
  type: 'STANDARD' as const,
  creationDate: NOW,
});
const ours = { ...otherMachine('onceload-dev-pipeline'), stateMachineArn: STATE_MACHINE_ARN };

function startInputs(): StartExecutionCommandInput[] {
  return sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
}

/** StartExecution answers like Step Functions: the execution ARN is the state machine's name plus the execution name. */
function acceptStarts() {
  sfn.on(StartExecutionCommand).callsFake((input: StartExecutionCommandInput) => ({ executionArn: `${EXECUTION_PREFIX}${input.name}`, startDate: NOW }));
}

const succeeded = (text: string) => ({ status: 'SUCCEEDED' as const, output: JSON.stringify({ ok: true, text }), startDate: NOW, stopDate: NOW });
const running = { status: 'RUNNING' as const, startDate: NOW };

beforeEach(() => {
  sfn.reset();
});

describe('onceload trigger', () => {
  it('finds the stage state machine across ListStateMachines pages and starts it with the tenants and tables', async () => {
    // The paginator reuses its input object: record each page's token when it is asked for.
    const pages: (string | undefined)[] = [];
    sfn.on(ListStateMachinesCommand).callsFake(({ nextToken }: ListStateMachinesCommandInput) => {
      pages.push(nextToken);
      return nextToken === undefined
        ? { stateMachines: [otherMachine('someone-else'), otherMachine('onceload-prod-pipeline')], nextToken: 'page-2' }
        : { stateMachines: [otherMachine('onceload-dev-pipeline-old'), ours] };
    });
    acceptStarts();
    const c = cli();
    expect(await c.run('trigger', '--stage', 'dev', '--tenants', 'globex,acme', '--tables', 'tickets,companies')).toBe(0);

    expect(pages).toEqual([undefined, 'page-2']);
    const [start] = startInputs();
    expect(start?.stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(JSON.parse(start!.input!)).toEqual({ tables: ['companies', 'tickets'], tenants: ['acme', 'globex'] });
    expect(start!.input).toBe('{"tables":["companies","tickets"],"tenants":["acme","globex"]}');
    expect(start!.name).toMatch(/^trigger-20261124T1205-[0-9a-f]{12}$/);
    expect(start!.name).toMatch(EXECUTION_NAME);
    expect(c.stdout()).toBe(`${EXECUTION_PREFIX}${start!.name}`);
    expect(c.stderr()).toContain(`started ${EXECUTION_PREFIX}${start!.name}`);
  });

  it('sends an empty input when no tenant or table is given, and skips the lookup with --state-machine-arn', async () => {
    acceptStarts();
    const c = cli();
    expect(await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN)).toBe(0);
    expect(sfn.commandCalls(ListStateMachinesCommand)).toHaveLength(0);
    expect(startInputs()[0]?.input).toBe('{}');
    expect(c.regions).toEqual([REGION]);
  });

  it('passes --due and --dry-run on as the execution input, and names the execution after them too', async () => {
    acceptStarts();
    const c = cli();
    expect(await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN, '--due')).toBe(0);
    expect(await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN, '--dry-run', '--tenants', 'acme')).toBe(0);
    expect(startInputs().map((s) => JSON.parse(s.input!))).toEqual([{ due: true }, { tenants: ['acme'], dryRun: true }]);
    expect(new Set(startInputs().map((s) => s.name)).size).toBe(2);
  });

  it('names the stage and the region when the stage is not deployed', async () => {
    sfn
      .on(ListStateMachinesCommand)
      .resolvesOnce({ stateMachines: [otherMachine('onceload-prod-pipeline')], nextToken: 'next' })
      .resolvesOnce({ stateMachines: [] });
    const c = cli();
    expect(await c.run('trigger', '--stage', 'dev')).toBe(2);
    expect(c.stderr()).toContain(`stage "dev" is not deployed in ${REGION}: no state machine named onceload-dev-pipeline`);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('gives two identical triggers in the same minute the same name and input, and one in the next minute another name', async () => {
    acceptStarts();
    let now = new Date('2026-11-24T12:05:01Z');
    const c = cli(() => now);
    await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN, '--tenants', 'acme');
    now = new Date('2026-11-24T12:05:59Z');
    await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN, '--tenants', 'acme');
    now = new Date('2026-11-24T12:06:00Z');
    await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN, '--tenants', 'acme');
    const [first, second, third] = startInputs();
    expect(second).toEqual(first);
    expect(third?.name).not.toBe(first?.name);
    expect(third?.name).toMatch(/^trigger-20261124T1206-/);
    expect(c.out[0]).toBe(c.out[1]);
  });

  it('reports the execution of this minute when it already exists, and watches that one', async () => {
    sfn.on(StartExecutionCommand).rejects(awsError('ExecutionAlreadyExists', 'Execution Already Exists'));
    sfn.on(DescribeExecutionCommand).resolves(succeeded('onceload run r-1: OK'));
    const c = cli();
    expect(await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN, '--watch', '--interval', '0')).toBe(0);
    const name = startInputs()[0]!.name!;
    const arn = `${EXECUTION_PREFIX}${name}`;
    expect(c.stderr()).toContain(`the execution of this minute already exists (an identical trigger in the same UTC minute): ${arn}`);
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input.executionArn).toBe(arn);
    expect(c.stdout()).toBe('onceload run r-1: OK');
  });

  it('prints the existing execution ARN and exits 0 without --watch', async () => {
    sfn.on(StartExecutionCommand).rejects(awsError('ExecutionAlreadyExists', 'Execution Already Exists'));
    const c = cli();
    expect(await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN, '--tables', 'companies')).toBe(0);
    expect(c.stdout()).toBe(`${EXECUTION_PREFIX}${startInputs()[0]!.name}`);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('refuses bad input before any call, with exit code 2', async () => {
    const c = cli();
    expect(await c.run('trigger', '--stage', 'dev', '--tenants', 'Acme')).toBe(2);
    expect(await c.run('trigger', '--stage', 'dev', '--tables', 'invoices')).toBe(2);
    expect(await c.run('trigger', '--stage', 'Dev_1')).toBe(2);
    expect(await c.run('trigger')).toBe(2);
    expect(await c.run('trigger', '--stage', 'dev', '--state-machine-arn', STATE_MACHINE_ARN)).toBe(2);
    expect(await c.run('trigger', '--stage', 'dev', '--watch', '--interval', 'soon')).toBe(2);
    expect(await c.run('trigger', '--state-machine-arn', 'arn:aws:lambda:eu-west-1:123456789012:function:x')).toBe(2);
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('onceload trigger --watch', () => {
  it('shows the status until the map starts, then items done / total from DescribeMapRun, and exits 0 with the report', async () => {
    acceptStarts();
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce(running)
      .resolvesOnce(running)
      .resolvesOnce(running)
      .resolvesOnce(running)
      .resolves(succeeded('onceload run r-1: OK\n  4 tenant x table item(s): 9 file(s) loaded'));
    const history = distributedMapHistory();
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: history.slice(0, 2) })
      .resolves({ events: history });
    sfn
      .on(DescribeMapRunCommand, { mapRunArn: MAP_RUN_ARN })
      .resolvesOnce({ itemCounts: { total: 4, pending: 3, running: 1, succeeded: 0, failed: 0, timedOut: 0, aborted: 0, resultsWritten: 0 } })
      .resolvesOnce({ itemCounts: { total: 4, pending: 3, running: 1, succeeded: 0, failed: 0, timedOut: 0, aborted: 0, resultsWritten: 0 } })
      .resolves({ itemCounts: { total: 4, pending: 0, running: 1, succeeded: 2, failed: 1, timedOut: 0, aborted: 0, resultsWritten: 0 } });
    const c = cli();
    expect(await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN, '--watch', '--interval', '0')).toBe(0);

    const progress = c.err.filter((line) => line.startsWith('RUNNING'));
    expect(progress).toEqual([
      'RUNNING: waiting for "Plan and load every tenant and table" to start',
      'RUNNING: 0/4 item(s) done (0 succeeded, 0 failed, 0 aborted, 1 running, 3 pending)',
      'RUNNING: 3/4 item(s) done (2 succeeded, 1 failed, 0 aborted, 1 running, 0 pending)',
    ]);
    // Once the map run is known, the history is not read again.
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(2);
    expect(sfn.commandCalls(DescribeMapRunCommand)).toHaveLength(3);
    expect(c.stdout()).toBe('onceload run r-1: OK\n  4 tenant x table item(s): 9 file(s) loaded');
  });

  it('finds the map run on a later history page, reading each page once', async () => {
    acceptStarts();
    const [started, discover, entered, mapStarted, runStarted] = distributedMapHistory();
    sfn.on(DescribeExecutionCommand).resolvesOnce(running).resolvesOnce(running).resolves(succeeded('done'));
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: [started!, discover!], nextToken: 't2' })
      .resolvesOnce({ events: [entered!] })
      .resolvesOnce({ events: [entered!, mapStarted!, runStarted!] });
    sfn.on(DescribeMapRunCommand).resolves({ itemCounts: { total: 3, succeeded: 1, running: 1, pending: 1, failed: 0, timedOut: 0, aborted: 0, resultsWritten: 0 } });
    const c = cli();
    expect(await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN, '--watch', '--interval', '0')).toBe(0);
    expect(c.err.filter((line) => line.startsWith('RUNNING'))).toEqual([
      'RUNNING: waiting for "Plan and load every tenant and table" to start',
      'RUNNING: 1/3 item(s) done (1 succeeded, 0 failed, 0 aborted, 1 running, 1 pending)',
    ]);
    expect(sfn.commandCalls(GetExecutionHistoryCommand).map((call) => call.args[0].input.nextToken)).toEqual([undefined, 't2', 't2']);
  });

  it('exits 1 and prints the report as is when the run did not validate', async () => {
    acceptStarts();
    const report = 'onceload run r-2: FAILED\n  checks:\n  FAIL every file has one ledger entry: 1 problem';
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'ValidationFailed', cause: report, startDate: NOW, stopDate: NOW });
    const c = cli();
    expect(await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN, '--watch', '--interval', '0')).toBe(1);
    expect(c.stdout()).toBe(report);
  });

  it('exits 1 with error: cause when the execution failed, timed out or was aborted', async () => {
    acceptStarts();
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'FAILED', error: 'PermanentError', cause: 'tenant acme, table companies: DDL_DRIFT', startDate: NOW })
      .resolvesOnce({ status: 'TIMED_OUT', error: 'States.Timeout', startDate: NOW })
      .resolvesOnce({ status: 'ABORTED', startDate: NOW });
    const c = cli();
    for (let i = 0; i < 3; i++) expect(await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN, '--watch', '--interval', '0')).toBe(1);
    expect(c.out).toEqual(['PermanentError: tenant acme, table companies: DDL_DRIFT', 'States.Timeout: ', 'ABORTED: ']);
  });
});

describe('onceload trigger on AWS failures', () => {
  it('says throttling persisted after the retries, exit 1', async () => {
    sfn.on(StartExecutionCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const c = cli();
    expect(await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN)).toBe(1);
    expect(c.stderr()).toMatch(/Step Functions kept throttling states:StartExecution through \d+ attempts with backoff/);
    expect(c.stdout()).toBe('');
  });

  it('names the action and the missing permission when access is denied, exit 1', async () => {
    const denied = 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: states:StartExecution';
    sfn.on(StartExecutionCommand).rejects(awsError('AccessDeniedException', denied));
    const c = cli();
    expect(await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN)).toBe(1);
    expect(c.stderr()).toContain(`access denied to states:StartExecution on ${STATE_MACHINE_ARN}: `);
    expect(c.stderr()).toContain('the AWS identity in use lacks the IAM permission states:StartExecution on that resource');

    sfn.reset();
    sfn.on(ListStateMachinesCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
    const lookup = cli();
    expect(await lookup.run('trigger', '--stage', 'dev')).toBe(1);
    expect(lookup.stderr()).toContain('lacks the IAM permission states:ListStateMachines');
  });

  it('says how to provide credentials when there are none, exit 1', async () => {
    const missing = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    sfn.on(ListStateMachinesCommand).rejects(missing);
    const c = cli();
    expect(await c.run('trigger', '--stage', 'dev')).toBe(1);
    expect(c.stderr()).toContain('no AWS credentials found for states:ListStateMachines: provide AWS credentials: set AWS_PROFILE');
    expect(c.stderr()).toContain('AWS_ACCESS_KEY_ID');
  });

  it('passes --region to the client', async () => {
    acceptStarts();
    sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [ours] });
    const c = cli();
    expect(await c.run('trigger', '--state-machine-arn', STATE_MACHINE_ARN, '--region', 'us-east-2')).toBe(0);
    expect(await c.run('trigger', '--stage', 'dev', '--region', 'ap-south-1')).toBe(0);
    expect(c.regions).toEqual(['us-east-2', 'ap-south-1']);
  });
});
