/**
 * Integration harness: the real ASL through the embedded runtime against real dynalite,
 * s3rver and chDB under a temporary data dir. chDB binds one data dir per process, so each
 * test file opens one runtime and isolates its tests by tenant id.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LocalRuntime } from '../../src/local/runtime.js';
import type { ExecutionResult } from '../../src/local/state-machine.js';
import type { RunReport } from '../../src/lib/validate.js';
import type { TableName } from '../../src/tables.js';

export interface Harness {
  runtime: LocalRuntime;
  addTenant(id: string, tables?: TableName[]): Promise<void>;
  land(tenant: string, table: TableName, name: string, content: string | Buffer): string;
  run(input?: unknown): Promise<RunResult>;
  runMany(n: number, input?: unknown): Promise<RunResult[]>;
  query<T = Record<string, string>>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  command(sql: string): Promise<void>;
  rawCount(table: TableName, tenant: string): Promise<number>;
  finalCount(table: TableName, tenant: string): Promise<number>;
  stopMerges(): Promise<void>;
  idempotencyRecords(): Promise<number>;
  close(): Promise<void>;
}

export function companyRows(ids: number[], version = '2026-01-01T00:00:00Z', name = 'c'): string {
  return ids.map((id) => JSON.stringify({ id, name: `${name}${id}`, last_updated: version })).join('\n') + '\n';
}

export const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** An execution's result, with the full report Validate wrote to the runs bucket when it got that far. */
export type RunResult = ExecutionResult & { report?: RunReport };

/** The full report Validate wrote to the runs bucket, of an execution that succeeded. */
export function report(result: ExecutionResult & { report?: RunReport }): RunReport {
  if (result.status !== 'SUCCEEDED') throw new Error(`execution ${result.executionName} ${result.status}: ${result.error}: ${result.cause}`);
  if (!result.report) throw new Error(`execution ${result.executionName} succeeded without a report in the runs bucket`);
  return result.report;
}

export interface HarnessOptions {
  /** Milliseconds between retries of a state (the ASL's backoff, shortened). */
  retryIntervalMs?: number;
  lambdaTimeoutSeconds?: number;
}

export async function openHarness(env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'onceload-it-'));
  const runtime = await LocalRuntime.open({
    dataDir,
    env: { ONCELOAD_INSERT_BLOCK_ROWS: '100', ...env },
    ...(options.lambdaTimeoutSeconds !== undefined ? { lambdaTimeoutSeconds: options.lambdaTimeoutSeconds } : {}),
  });
  const retryIntervalMs = options.retryIntervalMs ?? 20;
  const deps = await runtime.deps();
  const query = async <T>(sql: string, params: Record<string, unknown> = {}): Promise<T[]> => {
    const result = await deps.clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    return result.json<T>();
  };
  const h: Harness = {
    runtime,
    async addTenant(id, tables) {
      await deps.tenants.put({ tenantId: id, service: 'test', enabled: true, ...(tables ? { tables } : {}) });
    },
    land(tenant, table, name, content) {
      const path = join(runtime.landingDir, tenant, 'canonical', table, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      return `${tenant}/canonical/${table}/${name}`;
    },
    async run(input = {}) {
      await runtime.syncLanding();
      return runtime.execute(input, { retryIntervalMs });
    },
    async runMany(n, input = {}) {
      await runtime.syncLanding();
      return Promise.all(Array.from({ length: n }, () => runtime.execute(input, { retryIntervalMs })));
    },
    query,
    async command(sql) {
      await deps.clickhouse.command({ query: sql });
    },
    async rawCount(table, tenant) {
      const [row] = await query<{ n: string }>(`SELECT count() AS n FROM ${table} WHERE tenant_id = {tenant:String}`, { tenant });
      return Number(row?.n ?? 0);
    },
    async finalCount(table, tenant) {
      const [row] = await query<{ n: string }>(`SELECT count() AS n FROM ${table} FINAL WHERE tenant_id = {tenant:String}`, { tenant });
      return Number(row?.n ?? 0);
    },
    async stopMerges() {
      // ReplacingMergeTree would hide a second insert of the same rows: count inserts with merges off.
      await deps.warehouse.ensureTables(deps.config.tables.names);
      for (const table of deps.config.tables.names) {
        await deps.clickhouse.command({ query: `ALTER TABLE ${table} MODIFY SETTING max_bytes_to_merge_at_max_space_in_pool = 1` });
        await deps.clickhouse.command({ query: `SYSTEM STOP MERGES ${table}` });
      }
    },
    async idempotencyRecords() {
      const page = await deps.aws.dynamodb.send(new ScanCommand({ TableName: deps.config.idempotencyTable, Select: 'COUNT' }));
      return page.Count ?? 0;
    },
    async close() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}
