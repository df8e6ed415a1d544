/** `onceload runs` and `onceload status <run-id>`: the local run history (src/lib/run-history.ts). */
import { InputError } from '../errors.js';
import { readReport } from '../lib/run-files.js';
import { listRuns, readExecutionRecord, runsTable, type ExecutionRecord } from '../lib/run-history.js';
import type { RunStore } from '../ports.js';
import { AWS_LIMITS, type ExecutionUsage } from '../local/execution-limits.js';

/** What the execution would have used on AWS, as the local runtime counted it from its event log. */
export function usageLine(u: ExecutionUsage): string {
  const n = (value: number) => value.toLocaleString('en-US');
  return `  usage on AWS: ${n(u.stateTransitions)} state transitions, ${n(u.taskInvocations)} Lambda invocations, longest history ${n(u.historyEvents)} of ${n(AWS_LIMITS.historyEvents)} events, largest state payload ${n(u.largestPayloadBytes)} of ${n(AWS_LIMITS.payloadBytes)} bytes`;
}

export async function runsText(runs: RunStore, limit: number, json: boolean): Promise<string> {
  const lines = await listRuns(runs, limit);
  return json ? JSON.stringify(lines, null, 2) : runsTable(lines);
}

function header(record: ExecutionRecord): string {
  const u = record.usage;
  const seconds = (Date.parse(record.stoppedAt) - Date.parse(record.startedAt)) / 1000;
  return [
    `run       ${record.runId}`,
    `status    ${record.status}`,
    `started   ${record.startedAt}`,
    `stopped   ${record.stoppedAt} (${seconds.toFixed(1)} s)`,
    `input     ${JSON.stringify(record.input)}`,
    `usage     ${u.stateTransitions} state transitions, ${u.taskInvocations} Lambda invocations, longest history ${u.historyEvents} events, largest payload ${u.largestPayloadBytes} bytes`,
  ].join('\n');
}

/** One local run as `status` shows a deployed one: its state, then its full report (or its error). */
export async function localStatus(runs: RunStore, runId: string, json: boolean): Promise<{ text: string; ok: boolean }> {
  const record = await readExecutionRecord(runs, runId);
  if (!record) throw new InputError(`no run ${JSON.stringify(runId)} in this data dir; \`onceload runs\` lists them`);
  const report = await readReport(runs, runId);
  if (json) return { text: JSON.stringify({ ...record, ...(report ? { report } : {}) }, null, 2), ok: record.status === 'SUCCEEDED' };
  const body = report ? report.text : `${record.error ?? record.status}: ${record.cause ?? ''}`;
  return { text: `${header(record)}\n\n${body}`, ok: record.status === 'SUCCEEDED' };
}
