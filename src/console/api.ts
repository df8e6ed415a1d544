/**
 * The console's JSON API: the runs, one run's states and report, the file ledger and its reset,
 * and starting a run. Each handler reads the data dir's stores as the CLI commands do.
 */
import { readDefinition } from '../definition.js';
import { InputError } from '../errors.js';
import { assertTenantId } from '../lib/execution-input.js';
import { readReport } from '../lib/run-files.js';
import { listRuns, readExecutionRecord, readStateTimeline, type RunSummaryLine } from '../lib/run-history.js';
import { LOCAL_RUN_ID, type LocalRuntime } from '../local/runtime.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/stores.js';
import type { FileStatus } from '../ports.js';
import type { TableName } from '../tables.js';
import { FILE_STATUSES, queryFiles, resetFiles } from '../cli/files-query.js';
import type { ConsoleRuns } from './runs.js';
import { localStatus } from '../cli/run-history-commands.js';
import { assertClickHouseAnswers } from '../cli/clickhouse-target.js';

/** An answer: a status and a JSON body, or bytes of a type (a query's result). */
export interface Reply {
  status: number;
  body?: unknown;
  raw?: { type: string; data: Buffer };
}

export class NotFound extends Error {
  override readonly name = 'NotFound';
}

const RUNS_LISTED = 50;

export interface ApiContext {
  runtime: LocalRuntime;
  runs: ConsoleRuns;
}

async function info(ctx: ApiContext): Promise<unknown> {
  const deps = await ctx.runtime.deps();
  return {
    dataDir: ctx.runtime.dataDir,
    s3: { endpoint: ctx.runtime.s3Endpoint, region: LOCAL_REGION, bucket: deps.config.landingBucket, ...LOCAL_CREDENTIALS },
    tables: deps.config.tables.names,
    tenants: (await deps.tenants.list()).map((t) => t.tenantId),
    // The definition as written: the graph shows the states AWS runs, not the local emulation's.
    definition: JSON.parse(readDefinition()) as unknown,
  };
}

/** The runs under way first (live in this process), then the kept ones, newest first. */
async function runsList(ctx: ApiContext, limit: number): Promise<unknown> {
  const now = Date.now();
  const seconds = (startedAt: string) => (now - Date.parse(startedAt)) / 1000;
  const live: RunSummaryLine[] = ctx.runtime.liveRuns().map((t) => ({ runId: t.runId, startedAt: t.startedAt, seconds: seconds(t.startedAt), status: 'RUNNING', files: 0, rows: 0, failed: 0 }));
  const pending: RunSummaryLine[] = ctx.runs.allPending().map((p) => ({ runId: p.runId, startedAt: p.startedAt, seconds: seconds(p.startedAt), status: p.status, files: 0, rows: 0, failed: 0 }));
  const kept = await listRuns((await ctx.runtime.deps()).runs, limit);
  const shown = new Set([...live, ...pending].map((r) => r.runId));
  return { running: ctx.runs.current ?? null, runs: [...pending, ...live, ...kept.filter((r) => !shown.has(r.runId))].slice(0, limit) };
}

function runIdOf(value: string): string {
  if (!LOCAL_RUN_ID.test(value)) throw new InputError(`not a local run id: ${JSON.stringify(value)}`);
  return value;
}

async function oneRun(ctx: ApiContext, runId: string): Promise<unknown> {
  const live = ctx.runtime.liveTimeline(runId);
  if (live) return { runId, status: 'RUNNING', states: live };
  const pending = ctx.runs.pending(runId);
  if (pending) return { ...pending, states: null };
  const { runs } = await ctx.runtime.deps();
  const record = await readExecutionRecord(runs, runId);
  if (!record) throw new NotFound(`no run ${JSON.stringify(runId)} in this data dir`);
  return { runId, status: record.status, record, states: (await readStateTimeline(runs, runId)) ?? null };
}

async function report(ctx: ApiContext, runId: string): Promise<unknown> {
  const found = await readReport((await ctx.runtime.deps()).runs, runId);
  if (!found) throw new NotFound(`run ${runId} has no report (yet)`);
  return found;
}

/** `onceload status <run-id>` as the CLI prints it (text, or JSON with `json=1`). */
async function statusText(ctx: ApiContext, runId: string, json: boolean): Promise<unknown> {
  if (ctx.runtime.liveTimeline(runId) || ctx.runs.pending(runId)?.status === 'STARTING') throw new InputError(`run ${runId} is under way; see it in the console`);
  return localStatus((await ctx.runtime.deps()).runs, runId, json);
}

/** `onceload sql`: the query's result in its format, from the ClickHouse the runs load into. */
async function sql(ctx: ApiContext, body: Record<string, unknown>): Promise<Buffer> {
  const { query, format = 'TabSeparated' } = body;
  if (typeof query !== 'string' || query.trim() === '') throw new InputError('expected the query as a string', 'query');
  if (typeof format !== 'string' || !/^[A-Za-z0-9]+$/.test(format)) throw new InputError('expected a ClickHouse format name, e.g. TabSeparated', 'format');
  const deps = await ctx.runtime.deps();
  await assertClickHouseAnswers(deps);
  const result = await deps.clickhouse.exec({ query, clickhouse_settings: { default_format: format as 'TabSeparated' } });
  const chunks: Buffer[] = [];
  for await (const chunk of result.stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function limitOf(value: string | null): number {
  if (value === null) return RUNS_LISTED;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`expected a whole number of at least 1, got ${JSON.stringify(value)}`, 'limit');
  return n;
}

function tableOf(ctx: { tables: readonly string[] }, value: string | null | undefined, field: string): TableName | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!ctx.tables.includes(value)) throw new InputError(`unknown table ${JSON.stringify(value)}; expected one of ${ctx.tables.join(', ')}`, field);
  return value as TableName;
}

function tenantOf(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  assertTenantId(value);
  return value;
}

async function files(ctx: ApiContext, query: URLSearchParams): Promise<unknown> {
  const deps = await ctx.runtime.deps();
  const status = query.get('status') || undefined;
  if (status !== undefined && !(FILE_STATUSES as readonly string[]).includes(status)) throw new InputError(`unknown status ${JSON.stringify(status)}; expected one of ${FILE_STATUSES.join(', ')}`, 'status');
  const tenant = tenantOf(query.get('tenant'));
  const table = tableOf({ tables: deps.config.tables.names }, query.get('table'), 'table');
  return queryFiles(deps, { ...(tenant ? { tenant } : {}), ...(table ? { table } : {}), ...(status ? { status: status as FileStatus | 'ignored' } : {}) });
}

/** One file, as `onceload files reset --tenant T --table X --key K` resets it. */
async function resetOne(ctx: ApiContext, body: Record<string, unknown>): Promise<unknown> {
  const deps = await ctx.runtime.deps();
  const str = (field: string) => {
    const v = body[field];
    if (typeof v !== 'string' || v === '') throw new InputError(`expected a string`, field);
    return v;
  };
  const tenant = tenantOf(str('tenant'))!;
  const table = tableOf({ tables: deps.config.tables.names }, str('table'), 'table')!;
  const { total } = await resetFiles(deps, { tenant, table, key: str('key') });
  if (total === 0) throw new NotFound(`no file ${JSON.stringify(body.key)} of ${tenant}/${table} to reset`);
  return { reset: total };
}

/** The run's input, as `onceload run` builds it from its flags; the execution refuses what is wrong. */
function runInput(body: Record<string, unknown>): Record<string, unknown> {
  const allowed = new Set(['tenants', 'tables', 'dryRun', 'due']);
  for (const field of Object.keys(body)) if (!allowed.has(field)) throw new InputError(`unknown field ${JSON.stringify(field)}; expected tenants, tables, dryRun or due`, field);
  return body;
}

/** Answers one API request: `path` is below `/api/`. */
export async function handleApi(ctx: ApiContext, method: string, path: string, query: URLSearchParams, body: unknown): Promise<Reply> {
  const parts = path.split('/').filter(Boolean);
  const object = (): Record<string, unknown> => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InputError('expected a JSON object as the request body');
    return body as Record<string, unknown>;
  };
  const route = `${method} ${parts.map((p, i) => (parts[0] === 'runs' && i === 1 ? ':id' : p)).join('/')}`;
  switch (route) {
    case 'GET info':
      return { status: 200, body: await info(ctx) };
    case 'GET runs':
      return { status: 200, body: await runsList(ctx, limitOf(query.get('limit'))) };
    case 'POST runs':
      return { status: 202, body: { runId: await ctx.runs.start(runInput(object())) } };
    case 'GET runs/:id':
      return { status: 200, body: await oneRun(ctx, runIdOf(parts[1]!)) };
    case 'GET runs/:id/status':
      return { status: 200, body: await statusText(ctx, runIdOf(parts[1]!), query.get('json') === '1') };
    case 'GET tenants':
      return { status: 200, body: await (await ctx.runtime.deps()).tenants.list() };
    case 'POST sql':
      return { status: 200, raw: { type: 'application/octet-stream', data: await sql(ctx, object()) } };
    case 'GET runs/:id/report':
      return { status: 200, body: await report(ctx, runIdOf(parts[1]!)) };
    case 'GET files':
      return { status: 200, body: await files(ctx, query) };
    case 'POST files/reset':
      return { status: 200, body: await resetOne(ctx, object()) };
    default:
      throw new NotFound(`no such API: ${method} /api/${path}`);
  }
}
