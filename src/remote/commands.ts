/**
 * `onceload trigger` and `onceload status`: start and watch executions of the deployed state
 * machine. Both resolve to the exit code; the CLI only parses flags and passes them here.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { DescribeExecutionOutput, SFNClient } from '@aws-sdk/client-sfn';
import { InputError } from '../errors.js';
import { parseExecutionInput } from '../lib/execution-input.js';
import { loadTables } from '../table-config.js';
import { assertStageName } from '../naming.js';
import type { TableName } from '../tables.js';
import { parseExecutionArn, parseStateMachineArn } from './arn.js';
import { MAX_ATTEMPTS, createSfnClient } from './client.js';
import { RemoteError } from './errors.js';
import { MapProgressTracker } from './map-progress.js';
import { createProgressView } from './progress-view.js';
import { fullReportText, reportLocation } from './full-report.js';
import { exitCodeOf, isOpen, progressLine, reportText, statusText } from './render.js';
import { findStateMachineArn } from './state-machine-lookup.js';
import { startExecution } from './trigger.js';
import { describeExecution, watchExecution } from './watch.js';

export interface RemoteDeps {
  /** The Step Functions client for a region (undefined: the SDK's default). */
  sfn: (region: string | undefined) => SFNClient;
  /** The S3 client that reads a run's full report from the runs bucket. */
  s3: (region: string | undefined) => S3Client;
  /** Notes and progress lines, kept off stdout so scripts can read the ARN or the report there. */
  err: (text: string) => void;
  /** Draw a progress bar (on a terminal) rather than plain lines. */
  tty: boolean;
  now: () => Date;
}

export function defaultRemoteDeps(): RemoteDeps {
  return {
    sfn: createSfnClient,
    s3: (region) => new S3Client({ ...(region ? { region } : {}), maxAttempts: MAX_ATTEMPTS }),
    err: (text) => process.stderr.write(`${text}\n`),
    tty: process.stderr.isTTY === true,
    now: () => new Date(),
  };
}

export interface TriggerFlags {
  stage?: string;
  stateMachineArn?: string;
  tenants?: string[];
  tables?: TableName[];
  /** Only the tenants whose schedule is due, as the schedule rule runs them. */
  due?: boolean;
  dryRun?: boolean;
  watch?: boolean;
  region?: string;
  /** Seconds between polls with --watch. */
  interval: number;
}

export { nonNegativeSeconds } from './settings.js';

/** Runs a command body on a fresh client; an explained AWS failure becomes its message and exit code. */
async function withClient(deps: RemoteDeps, region: string | undefined, body: (client: SFNClient) => Promise<number>): Promise<number> {
  const client = deps.sfn(region);
  try {
    return await body(client);
  } catch (error) {
    if (!(error instanceof RemoteError)) throw error;
    deps.err(`onceload: ${error.message}`);
    return error.exitCode;
  } finally {
    client.destroy();
  }
}

export async function triggerCommand(flags: TriggerFlags, deps: RemoteDeps, out: (text: string) => void): Promise<number> {
  const input = parseExecutionInput({
    ...(flags.tenants ? { tenants: flags.tenants } : {}),
    ...(flags.tables ? { tables: flags.tables } : {}),
    ...(flags.due ? { due: true } : {}),
    ...(flags.dryRun ? { dryRun: true } : {}),
    // The tables this checkout configures, as it deploys them (the stage checks again).
  }, loadTables());
  if (flags.stateMachineArn === undefined && flags.stage === undefined) throw new InputError('give --stage <stage> or --state-machine-arn <arn>');
  if (flags.stage !== undefined) assertStageName(flags.stage);
  const arnRegion = flags.stateMachineArn === undefined ? undefined : parseStateMachineArn(flags.stateMachineArn).region;
  return withClient(deps, flags.region ?? arnRegion, async (client) => {
    const stateMachineArn = flags.stateMachineArn ?? (await findStateMachineArn(client, flags.stage!));
    const run = await startExecution(client, stateMachineArn, input, deps.now());
    if (run.alreadyExisted) {
      deps.err(`the execution of this minute already exists (an identical trigger in the same UTC minute): ${run.executionArn}; nothing new was started`);
    } else {
      deps.err(`started ${run.executionArn}${run.startDate ? ` at ${run.startDate.toISOString()}` : ''}`);
    }
    if (!flags.watch) {
      out(run.executionArn);
      return 0;
    }
    const view = createProgressView(deps.tty, deps.err);
    let execution: DescribeExecutionOutput;
    try {
      execution = await watchExecution(client, run.executionArn, { intervalMs: flags.interval * 1000, onProgress: (s) => view.update(s) });
    } finally {
      view.stop();
    }
    deps.err(`${execution.status}${execution.stopDate ? ` at ${execution.stopDate.toISOString()}` : ''}`);
    out(await finalReport(execution, deps, flags.region ?? arnRegion));
    return exitCodeOf(execution.status);
  });
}

/** The full report from the runs bucket, or the summary with a line saying why not. */
async function finalReport(execution: DescribeExecutionOutput, deps: RemoteDeps, region: string | undefined): Promise<string> {
  const summary = reportText(execution);
  if (reportLocation(execution) === undefined) return summary;
  const s3 = deps.s3(region);
  try {
    const full = await fullReportText(execution, s3);
    return 'text' in full ? full.text : `${summary}\n\n(${full.unread})`;
  } finally {
    s3.destroy();
  }
}

/** The Map's progress; the state alone stays worth printing when the history cannot be read. */
async function progressOf(client: SFNClient, executionArn: string, status: string): Promise<string> {
  try {
    return progressLine({ status, items: await new MapProgressTracker(client, executionArn).read() });
  } catch (error) {
    if (!(error instanceof RemoteError)) throw error;
    return `unknown: ${error.message}`;
  }
}

export async function statusCommand(executionArn: string, flags: { region?: string }, deps: RemoteDeps, out: (text: string) => void): Promise<number> {
  const arn = parseExecutionArn(executionArn);
  return withClient(deps, flags.region ?? arn.region, async (client) => {
    const execution = await describeExecution(client, executionArn);
    const lines = [statusText(execution)];
    if (isOpen(execution.status)) lines.push(`progress  ${await progressOf(client, executionArn, execution.status ?? 'UNKNOWN')}`);
    else lines.push('', await finalReport(execution, deps, flags.region ?? arn.region));
    out(lines.join('\n'));
    return exitCodeOf(execution.status);
  });
}
