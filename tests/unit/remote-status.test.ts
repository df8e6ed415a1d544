import { DescribeExecutionCommand, DescribeMapRunCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { awsError, cli, distributedMapHistory, EXECUTION_PREFIX, NOW } from './remote-harness.js';

const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);
/** An object body as the SDK hands it out: read once, as text. */
const body = (text: string) => ({ transformToString: async () => text }) as never;
const ARN = `${EXECUTION_PREFIX}trigger-20261124T1205-0123456789ab`;
const STOPPED = new Date('2026-11-24T12:09:44.000Z');

beforeEach(() => {
  sfn.reset();
  s3.reset();
});

describe('onceload status', () => {
  it('prints the state, the dates and the report of a succeeded execution, exit 0, in the ARN region', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: ARN }).resolves({
      executionArn: ARN,
      status: 'SUCCEEDED',
      startDate: NOW,
      stopDate: STOPPED,
      output: JSON.stringify({ ok: true, text: 'onceload run r-1: OK' }),
    });
    const c = cli();
    expect(await c.run('status', ARN)).toBe(0);
    const dates = ['started   2026-11-24T12:05:33.000Z', 'stopped   2026-11-24T12:09:44.000Z'];
    expect(c.stdout()).toBe([`execution ${ARN}`, 'status    SUCCEEDED', ...dates, '', 'onceload run r-1: OK'].join('\n'));
    expect(c.regions).toEqual(['eu-west-1']);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
  });

  it('shows the progress of a running execution, exit 0', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: ARN, status: 'RUNNING', startDate: NOW });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: distributedMapHistory() });
    const itemCounts = { total: 10, pending: 5, running: 2, succeeded: 3, failed: 0, timedOut: 0, aborted: 0, resultsWritten: 3 };
    sfn.on(DescribeMapRunCommand).resolves({ itemCounts });
    const c = cli();
    expect(await c.run('status', ARN)).toBe(0);
    expect(c.stdout()).toContain('status    RUNNING');
    expect(c.stdout()).toContain('progress  RUNNING: 3/10 item(s) done (3 succeeded, 0 failed, 0 aborted, 2 running, 5 pending)');
    expect(c.stdout()).not.toContain('stopped');
  });

  it('still shows the state of a running execution when its history cannot be read', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: ARN, status: 'RUNNING', startDate: NOW });
    sfn.on(GetExecutionHistoryCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
    const c = cli();
    expect(await c.run('status', ARN)).toBe(0);
    expect(c.stdout()).toContain('status    RUNNING');
    expect(c.stdout()).toContain('progress  unknown: access denied to states:GetExecutionHistory');
  });

  it('exits 1 with the report when the run did not validate, and with error: cause when it failed', async () => {
    const failed = { executionArn: ARN, status: 'FAILED' as const, startDate: NOW, stopDate: STOPPED };
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ ...failed, error: 'ValidationFailed', cause: 'onceload run r-2: FAILED' })
      .resolvesOnce({ ...failed, error: 'InputError', cause: 'tenants[0]: unknown tenant "nobody"' });
    const c = cli();
    expect(await c.run('status', ARN)).toBe(1);
    expect(c.out[0]).toMatch(/status {4}FAILED\n.*\n.*\n\nonceload run r-2: FAILED$/);
    expect(await c.run('status', ARN)).toBe(1);
    expect(c.out[1]).toMatch(/\n\nInputError: tenants\[0\]: unknown tenant "nobody"$/);
  });

  it("prints the full report from the runs bucket where the summary names it, succeeded or not, and the summary with why when it cannot be read", async () => {
    const location = { Bucket: 'stage-runs-1a2b', Key: 'runs/r-3/report.json' };
    const finished = { executionArn: ARN, startDate: NOW, stopDate: STOPPED };
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ ...finished, status: 'SUCCEEDED', output: JSON.stringify({ ok: true, text: 'onceload run r-3: OK (summary)', report: location }) })
      .resolvesOnce({ ...finished, status: 'FAILED', error: 'ValidationFailed', cause: 'onceload run r-3: FAILED\n\n  full report: s3://stage-runs-1a2b/runs/r-3/report.json (onceload status r-3)' })
      .resolvesOnce({ ...finished, status: 'SUCCEEDED', output: JSON.stringify({ ok: true, text: 'onceload run r-3: OK (summary)', report: location }) });
    s3.on(GetObjectCommand, location)
      .resolvesOnce({ Body: body(JSON.stringify({ text: 'onceload run r-3: OK\n  every item listed' })) })
      .resolvesOnce({ Body: body(JSON.stringify({ text: 'onceload run r-3: FAILED\n  every failed file listed' })) })
      .rejectsOnce(Object.assign(new Error('gone'), { name: 'NoSuchKey' }));
    const c = cli();
    expect(await c.run('status', ARN)).toBe(0);
    expect(c.out[0]).toMatch(/\n\nonceload run r-3: OK\n {2}every item listed$/);
    expect(await c.run('status', ARN)).toBe(1);
    expect(c.out[1]).toMatch(/\n\nonceload run r-3: FAILED\n {2}every failed file listed$/);
    expect(await c.run('status', ARN)).toBe(0);
    expect(c.out[2]).toContain('onceload run r-3: OK (summary)\n\n(the full report at s3://stage-runs-1a2b/runs/r-3/report.json could not be read: it is no longer there (the runs bucket expires runs))');
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(3);
  });

  it('exits 2 for an execution that does not exist or a malformed ARN', async () => {
    sfn.on(DescribeExecutionCommand).rejects(awsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${ARN}'`));
    const c = cli();
    expect(await c.run('status', ARN)).toBe(2);
    expect(c.stderr()).toContain(`ExecutionDoesNotExist: ${ARN} does not exist`);
    expect(await c.run('status', 'trigger-20261124T1205-0123456789ab')).toBe(2);
    expect(await c.run('status', `arn:aws:states:eu-west-1:123456789012:stateMachine:onceload-dev-pipeline`)).toBe(2);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(1);
  });

  it('names the permission DescribeExecution needs when access is denied, exit 1', async () => {
    sfn.on(DescribeExecutionCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: states:DescribeExecution'));
    const c = cli();
    expect(await c.run('status', ARN)).toBe(1);
    expect(c.stderr()).toContain(`access denied to states:DescribeExecution on ${ARN}: `);
    expect(c.stderr()).toContain('the AWS identity in use lacks the IAM permission states:DescribeExecution on that resource');
  });
});
