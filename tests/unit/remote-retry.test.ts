/**
 * Throttling against the SDK's own retry strategy: a real client as the CLI builds it, over a
 * fake HTTP handler that answers like Step Functions (no mocked `send`, so the retry middleware runs).
 */
import type { SFNClientConfig } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createSfnClient, MAX_ATTEMPTS } from '../../src/remote/client.js';
import { EXECUTION_PREFIX, STATE_MACHINE_ARN } from './remote-harness.js';

interface Answer {
  statusCode: number;
  body: unknown;
}

const throttled: Answer = { statusCode: 400, body: { __type: 'com.amazonaws.swf.base.model#ThrottlingException', message: 'Rate exceeded' } };
const started = (input: { name: string }): Answer => ({ statusCode: 200, body: { executionArn: `${EXECUTION_PREFIX}${input.name}`, startDate: 1795435533 } });

/** Answers each request with the next scripted answer (the last one again when they run out), and records the request targets. */
function fakeStepFunctions(answers: ((input: { name: string }) => Answer)[]) {
  const targets: string[] = [];
  const requestHandler = {
    async handle(request: { headers: Record<string, string>; body: string }) {
      targets.push(request.headers['x-amz-target'] ?? '');
      const next = answers.length > 1 ? answers.shift()! : answers[0]!;
      const answer = next(JSON.parse(request.body) as { name: string });
      return {
        response: { statusCode: answer.statusCode, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Buffer.from(JSON.stringify(answer.body)) },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
  return { targets, requestHandler: requestHandler as unknown as SFNClientConfig['requestHandler'] };
}

async function trigger(handler: ReturnType<typeof fakeStepFunctions>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'onceload', 'trigger', '--state-machine-arn', STATE_MACHINE_ARN], (t) => out.push(t), {
    sfn: (region) => createSfnClient(region, { requestHandler: handler.requestHandler, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } }),
    err: (t) => err.push(t),
    tty: false,
    now: () => new Date('2026-11-24T12:05:33Z'),
  });
  return { code, out, err };
}

beforeEach(() => {
  // Backoff delays are random fractions of the base: zero keeps the test fast, not the count of attempts.
  vi.spyOn(Math, 'random').mockReturnValue(0);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('throttling', () => {
  it('retries a throttled StartExecution and succeeds', async () => {
    const handler = fakeStepFunctions([() => throttled, () => throttled, started]);
    const result = await trigger(handler);
    expect(result.code).toBe(0);
    expect(handler.targets).toEqual(['AWSStepFunctions.StartExecution', 'AWSStepFunctions.StartExecution', 'AWSStepFunctions.StartExecution']);
    expect(result.out).toEqual([expect.stringMatching(new RegExp(`^${EXECUTION_PREFIX}trigger-20261124T1205-[0-9a-f]{12}$`))]);
  });

  it(`gives up after ${MAX_ATTEMPTS} attempts with a message saying so, exit 1`, async () => {
    const handler = fakeStepFunctions([() => throttled]);
    const result = await trigger(handler);
    expect(result.code).toBe(1);
    expect(handler.targets).toHaveLength(MAX_ATTEMPTS);
    expect(result.err.join('\n')).toContain(`Step Functions kept throttling states:StartExecution through ${MAX_ATTEMPTS} attempts with backoff`);
  });
});
