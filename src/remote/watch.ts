/** Polls an execution until it ends, reporting the Map's progress on the way. */
import { DescribeExecutionCommand, type DescribeExecutionOutput, type SFNClient } from '@aws-sdk/client-sfn';
import { setTimeout as sleep } from 'node:timers/promises';
import { sfnCall } from './errors.js';
import { MapProgressTracker } from './map-progress.js';
import { isOpen, type WatchSnapshot } from './render.js';

export { DEFAULT_INTERVAL_SECONDS } from './settings.js';

export function describeExecution(client: SFNClient, executionArn: string): Promise<DescribeExecutionOutput> {
  return sfnCall('DescribeExecution', executionArn, () => client.send(new DescribeExecutionCommand({ executionArn })));
}

export interface Snapshot extends WatchSnapshot {
  execution: DescribeExecutionOutput;
}

/** The execution's status and the Map's progress, once. */
export async function snapshot(client: SFNClient, executionArn: string, tracker = new MapProgressTracker(client, executionArn)): Promise<Snapshot> {
  const execution = await describeExecution(client, executionArn);
  return { execution, status: execution.status ?? 'UNKNOWN', items: isOpen(execution.status) ? await tracker.read() : undefined };
}

/** Resolves to the ended execution. */
export async function watchExecution(
  client: SFNClient,
  executionArn: string,
  options: { intervalMs: number; onProgress: (snapshot: WatchSnapshot) => void },
): Promise<DescribeExecutionOutput> {
  const tracker = new MapProgressTracker(client, executionArn);
  for (;;) {
    const now = await snapshot(client, executionArn, tracker);
    if (!isOpen(now.execution.status)) return now.execution;
    options.onProgress(now);
    await sleep(options.intervalMs);
  }
}
