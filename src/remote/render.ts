/** What the AWS-facing commands print: progress lines, the execution's state, and the run report. */
import type { DescribeExecutionOutput } from '@aws-sdk/client-sfn';
import { EXIT_FAILED } from './errors.js';
import { ITEM_MAP, type ItemProgress } from './map-progress.js';

export interface WatchSnapshot {
  /** The execution's status, e.g. RUNNING. */
  status: string;
  /** Undefined until the Map has started. */
  items: ItemProgress | undefined;
}

/** RUNNING and PENDING_REDRIVE executions have not ended yet. */
export function isOpen(status: string | undefined): boolean {
  return status === 'RUNNING' || status === 'PENDING_REDRIVE';
}

export function itemsDone(items: ItemProgress): number {
  return items.succeeded + items.failed + items.aborted;
}

export function progressLine({ status, items }: WatchSnapshot): string {
  if (!items) return `${status}: waiting for "${ITEM_MAP}" to start`;
  return (
    `${status}: ${itemsDone(items)}/${items.total} item(s) done ` +
    `(${items.succeeded} succeeded, ${items.failed} failed, ${items.aborted} aborted, ${items.running} running, ${items.pending} pending)`
  );
}

/** The run report, as `onceload run` prints it: the report text, or `error: cause`. */
export function reportText(execution: DescribeExecutionOutput): string {
  if (execution.status === 'SUCCEEDED') {
    if (execution.output === undefined) return 'SUCCEEDED (the execution output is not included: it is larger than Step Functions returns)';
    try {
      const output = JSON.parse(execution.output) as { text?: unknown } | null;
      return typeof output?.text === 'string' ? output.text : JSON.stringify(output, null, 2);
    } catch {
      return execution.output;
    }
  }
  if (isOpen(execution.status)) return '';
  // The Fail state of a run that did not validate carries the report text as its cause.
  if (execution.error === 'ValidationFailed' && execution.cause) return execution.cause;
  return `${execution.error ?? execution.status ?? 'Error'}: ${execution.cause ?? ''}`;
}

export function statusText(execution: DescribeExecutionOutput): string {
  const lines = [`execution ${execution.executionArn ?? ''}`, `status    ${execution.status ?? 'UNKNOWN'}`];
  if (execution.startDate) lines.push(`started   ${execution.startDate.toISOString()}`);
  if (execution.stopDate) lines.push(`stopped   ${execution.stopDate.toISOString()}`);
  return lines.join('\n');
}

/** 0 when the execution succeeded (or, for `status`, is still running); 1 when it failed, timed out or was aborted. */
export function exitCodeOf(status: string | undefined): number {
  return status === 'SUCCEEDED' || isOpen(status) ? 0 : EXIT_FAILED;
}
