/**
 * Run history: each execution's record (input, status, timings, usage) beside its report in the
 * runs bucket, under `runs/<run-id>/`. The embedded runtime writes the record, as Step Functions
 * keeps its executions on AWS; `onceload runs` lists them and `onceload status <run-id>` shows one.
 */
import type { RunStore } from '../ports.js';
import { RUNS_PREFIX, executionKey, statesKey } from './run-layout.js';
import type { StateTimeline } from '../local/state-timeline.js';
import { readReport } from './run-files.js';
import type { RunReport } from './validate.js';

export interface ExecutionRecord {
  runId: string;
  input: unknown;
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  /** ISO times. */
  startedAt: string;
  stoppedAt: string;
  usage: { stateTransitions: number; taskInvocations: number; historyEvents: number; largestPayloadBytes: number };
  error?: string;
  cause?: string;
}

export async function writeExecutionRecord(runs: RunStore, record: ExecutionRecord): Promise<void> {
  await runs.put(executionKey(record.runId), JSON.stringify(record));
}

export async function readExecutionRecord(runs: RunStore, runId: string): Promise<ExecutionRecord | undefined> {
  const text = await runs.get(executionKey(runId));
  return text === undefined ? undefined : (JSON.parse(text) as ExecutionRecord);
}

/** A local execution's states as it ended (src/local/state-timeline.ts); undefined for a run kept before they were. */
export async function readStateTimeline(runs: RunStore, runId: string): Promise<StateTimeline | undefined> {
  const text = await runs.get(statesKey(runId));
  return text === undefined ? undefined : (JSON.parse(text) as StateTimeline);
}

/** One line of `onceload runs`. */
export interface RunSummaryLine {
  runId: string;
  startedAt: string;
  seconds: number;
  status: string;
  files: number;
  rows: number;
  failed: number;
}

function lineOf(record: ExecutionRecord, report: RunReport | undefined): RunSummaryLine {
  const seconds = (Date.parse(record.stoppedAt) - Date.parse(record.startedAt)) / 1000;
  // A run that ran but did not validate is FAILED with its report; the report says why.
  return { runId: record.runId, startedAt: record.startedAt, seconds, status: record.status, files: report?.totals.loaded ?? 0, rows: report?.totals.rows ?? 0, failed: report?.totals.failed ?? 0 };
}

/**
 * The latest `limit` runs, newest first. Run ids start with their start time, so the folders'
 * key order is the runs' order; a folder without a record (an execution that never ended) is left out.
 */
export async function listRuns(runs: RunStore, limit: number): Promise<RunSummaryLine[]> {
  const ids = (await runs.folders(RUNS_PREFIX)).map((folder) => folder.slice(RUNS_PREFIX.length, -1)).sort().reverse();
  const lines: RunSummaryLine[] = [];
  for (const runId of ids) {
    if (lines.length >= limit) break;
    const record = await readExecutionRecord(runs, runId);
    if (record) lines.push(lineOf(record, await readReport(runs, runId)));
  }
  return lines;
}

export function runsTable(lines: readonly RunSummaryLine[]): string {
  if (lines.length === 0) return 'no runs yet: onceload run';
  const n = (v: number) => v.toLocaleString('en-US');
  const rows = lines.map((l) => [l.runId, l.startedAt, `${l.seconds.toFixed(1)} s`, l.status, n(l.files), n(l.rows), n(l.failed)]);
  const header = ['run', 'started', 'took', 'status', 'files', 'rows', 'failed'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
