import { S3Client } from '@aws-sdk/client-s3';
/** Runs the AWS-facing commands against a Step Functions client the test mocks. */
import { SFNClient, SFNServiceException, type HistoryEvent } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export const REGION = 'eu-west-1';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:123456789012:stateMachine:onceload-dev-pipeline`;
export const EXECUTION_PREFIX = `arn:aws:states:${REGION}:123456789012:execution:onceload-dev-pipeline:`;
export const MAP_RUN_ARN = `arn:aws:states:${REGION}:123456789012:mapRun:onceload-dev-pipeline/Plan:0b1c2d3e-aaaa-bbbb-cccc-123456789abc`;
export const NOW = new Date('2026-11-24T12:05:33.000Z');

/** An error as the SDK throws it for a service answer with this name. */
export function awsError(name: string, message: string): SFNServiceException {
  return new SFNServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/** The history events that start the outer Map as a Distributed Map. */
export function distributedMapHistory(): HistoryEvent[] {
  const at = new Date(NOW);
  return [
    { id: 1, type: 'ExecutionStarted', timestamp: at },
    { id: 2, type: 'TaskStateEntered', timestamp: at, stateEnteredEventDetails: { name: 'Discover tenants and tables' } },
    { id: 3, type: 'MapStateEntered', timestamp: at, previousEventId: 2, stateEnteredEventDetails: { name: 'Plan and load every tenant and table' } },
    { id: 4, type: 'MapStateStarted', timestamp: at, previousEventId: 3, mapStateStartedEventDetails: { length: 0 } },
    { id: 5, type: 'MapRunStarted', timestamp: at, previousEventId: 4, mapRunStartedEventDetails: { mapRunArn: MAP_RUN_ARN } },
  ];
}

export function cli(now: () => Date = () => NOW) {
  const out: string[] = [];
  const err: string[] = [];
  const regions: (string | undefined)[] = [];
  const run = (...args: string[]) =>
    main(['node', 'onceload', ...args], (t) => out.push(t), {
      sfn: (region) => {
        regions.push(region);
        return new SFNClient({ region: region ?? REGION, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });
      },
      s3: (region) => new S3Client({ region: region ?? REGION, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } }),
      err: (t) => err.push(t),
      tty: false,
      now,
    });
  return { run, out, err, regions, stdout: () => out.join('\n'), stderr: () => err.join('\n') };
}

/**
 * `onceload` on a deployed stage's stores, with their AWS clients mocked: credentials the SDK
 * accepts without looking further (they also sign presigned URLs), stderr kept, mocks reset.
 */
export function useStageCli(mocks: readonly { reset(): void }[]) {
  let stderr: string[] = [];
  beforeEach(() => {
    stderr = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  });
  afterEach(() => {
    for (const mock of mocks) mock.reset();
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });
  return async (...args: string[]) => {
    const out: string[] = [];
    const code = await main(['node', 'onceload', ...args], (t) => out.push(t));
    return { code, out: out.join('\n'), err: stderr.join('') };
  };
}
