/**
 * `run`, `files`, `sql`, `tenants list`, `runs` and `status` while a console holds the data dir:
 * asked of the console's API, printed as the commands print them on their own.
 */
import type { ConsoleClient } from '../console/client.js';
import { InputError } from '../errors.js';
import type { RunSummaryLine } from '../lib/run-history.js';
import { runsTable } from '../lib/run-history.js';
import type { RunReport } from '../lib/validate.js';
import type { ExecutionRecord } from '../lib/run-history.js';
import type { TenantRecord } from '../ports.js';
import { filesText, type FilesFilter, type FilesResult } from './files-query.js';
import { usageLine } from './run-history-commands.js';
import { tenantsText } from './tenant-commands.js';

const POLL_MS = 500;

export async function runsViaConsole(client: ConsoleClient, limit: number, json: boolean): Promise<string> {
  const { runs } = await client.get<{ runs: RunSummaryLine[] }>(`runs?limit=${limit}`);
  return json ? JSON.stringify(runs, null, 2) : runsTable(runs);
}

export function statusViaConsole(client: ConsoleClient, runId: string, json: boolean): Promise<{ text: string; ok: boolean }> {
  return client.get(`runs/${encodeURIComponent(runId)}/status?json=${json ? 1 : 0}`);
}

export async function tenantsViaConsole(client: ConsoleClient): Promise<string> {
  return tenantsText(await client.get<TenantRecord[]>('tenants'));
}

export async function filesViaConsole(client: ConsoleClient, filter: FilesFilter, json: boolean): Promise<string> {
  const query = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return filesText(await client.get<FilesResult>(`files?${query}`), json);
}

export function sqlViaConsole(client: ConsoleClient, query: string, format: string): Promise<Buffer> {
  return client.postForBytes('sql', { query, format });
}

export interface RunViaConsoleFlags {
  tenants?: string[];
  tables?: string[];
  executions: number;
  dryRun?: boolean;
  due?: boolean;
  json?: boolean;
}

/** Starts one run in the console, waits for its end, prints its report as `onceload run` does; returns the exit code. */
export async function runViaConsole(client: ConsoleClient, flags: RunViaConsoleFlags, out: (text: string) => void): Promise<number> {
  if (flags.executions !== 1) throw new InputError('the console runs one execution at a time: stop it (Ctrl-C) to start several at once', '--executions');
  const input = {
    ...(flags.tenants ? { tenants: flags.tenants } : {}),
    ...(flags.tables ? { tables: flags.tables } : {}),
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.due ? { due: true } : {}),
  };
  const { runId } = await client.post<{ runId: string }>('runs', input);
  if (!flags.json) process.stderr.write(`running ${runId} in the console that holds the data dir: ${client.url}#/runs/${runId}\n`);
  let run: { status: string; error?: string };
  for (;;) {
    run = await client.get<{ status: string; error?: string }>(`runs/${runId}`);
    if (run.status !== 'RUNNING' && run.status !== 'STARTING') break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  // Failed before its execution began (the landing sync, ClickHouse not answering).
  if (run.error !== undefined) throw new Error(run.error);
  const shown = JSON.parse((await statusViaConsole(client, runId, true)).text) as ExecutionRecord & { report?: RunReport };
  const { report, ...record } = shown;
  if (flags.json) {
    const { runId: executionName, status, usage, error, cause } = record;
    out(JSON.stringify({ executionName, status, ...(error ? { error } : {}), usage, ...(report ? { output: report } : { ...(cause ? { cause } : {}) }) }, null, 2));
  } else if (report) {
    out(`${report.text}\n\n${usageLine(record.usage)}`);
  } else {
    process.stderr.write(record.error === 'InputError' ? `onceload: ${record.cause}\n` : `onceload: execution ${runId} ${record.status === 'ABORTED' ? 'was aborted' : `failed: ${record.cause ?? record.error ?? 'no cause given'}`}\n`);
  }
  if (record.status === 'FAILED' && record.error === 'InputError') return 2;
  return record.status === 'SUCCEEDED' ? 0 : 1;
}
