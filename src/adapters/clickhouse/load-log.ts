/**
 * The LoadLog port on `@clickhouse/client`: the `onceload_load_log` table in the database of the
 * configured tables. Why its engine and token are what they are: src/lib/load-log.ts.
 */
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { LOG_OUTCOMES, type LoadLog, type LoadLogFilter, type LoadLogRow, type LoggedVersion, type TableEngine } from '../../ports.js';
import { quoteIdentifier, settingsClause } from '../../sql.js';
import { LOAD_LOG_KEY, LOAD_LOG_TABLE, LOAD_LOG_VERSION, logToken } from '../../lib/load-log.js';
import { classifyClickHouseError } from './classify.js';

/** Insert blocks whose tokens the table remembers: one block per Load batch, so hours of runs. */
export const LOG_DEDUPLICATION_WINDOW = 10_000;

const COLUMNS = [
  ['run_id', 'String'],
  ['tenant_id', 'String'],
  ['table_name', 'String'],
  ['file_key', 'String'],
  ['etag', 'String'],
  ['generation', 'UInt32'],
  ['outcome', `Enum8(${LOG_OUTCOMES.map((o, i) => `'${o}' = ${i + 1}`).join(', ')})`],
  ['rows', 'UInt64'],
  ['bytes', 'UInt64'],
  ['started_at', "DateTime64(3, 'UTC')"],
  ['finished_at', "DateTime64(3, 'UTC')"],
  ['attempt', 'String'],
  ['error_code', 'LowCardinality(String)'],
  ['error_message', 'String'],
  ['error_row', 'Nullable(UInt64)'],
  ['error_column', 'Nullable(String)'],
] as const;

export function createLoadLogSql(database: string): string {
  const columns = COLUMNS.map(([name, type]) => `  ${quoteIdentifier(name)} ${type}`).join(',\n');
  return [
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(database)}.${quoteIdentifier(LOAD_LOG_TABLE)}\n(\n${columns}\n)`,
    // No partitioning: rows of one version must meet in one partition to collapse.
    `ENGINE = ReplacingMergeTree(${quoteIdentifier(LOAD_LOG_VERSION)})`,
    `ORDER BY (${LOAD_LOG_KEY.map(quoteIdentifier).join(', ')})`,
    `SETTINGS non_replicated_deduplication_window = ${LOG_DEDUPLICATION_WINDOW}`,
  ].join('\n');
}

interface StoredRow {
  run_id: string;
  tenant_id: string;
  table_name: string;
  file_key: string;
  etag: string;
  generation: number;
  outcome: LoadLogRow['outcome'];
  rows: string | number;
  bytes: string | number;
  started_at: string;
  finished_at: string;
  attempt: string;
  error_code: string;
  error_message: string;
  error_row: string | number | null;
  error_column: string | null;
}

const stored = (r: LoadLogRow): StoredRow => ({
  run_id: r.runId,
  tenant_id: r.tenant,
  table_name: r.table,
  file_key: r.key,
  etag: r.etag,
  generation: r.generation,
  outcome: r.outcome,
  rows: r.rows,
  bytes: r.bytes,
  started_at: r.startedAt,
  finished_at: r.finishedAt,
  attempt: r.attempt,
  error_code: r.errorCode,
  error_message: r.errorMessage,
  error_row: r.errorRow,
  error_column: r.errorColumn,
});

/** `2026-01-01 00:00:00.123` (the engine's text, in UTC) as ISO. */
const iso = (text: string) => `${text.replace(' ', 'T')}Z`;

const fromStored = (r: StoredRow): LoadLogRow => ({
  runId: r.run_id,
  tenant: r.tenant_id,
  table: r.table_name,
  key: r.file_key,
  etag: r.etag,
  generation: Number(r.generation),
  outcome: r.outcome,
  rows: Number(r.rows),
  bytes: Number(r.bytes),
  startedAt: iso(r.started_at),
  finishedAt: iso(r.finished_at),
  attempt: r.attempt,
  errorCode: r.error_code,
  errorMessage: r.error_message,
  errorRow: r.error_row === null ? null : Number(r.error_row),
  errorColumn: r.error_column,
});

export class ClickHouseLoadLog implements LoadLog {
  readonly #client: ClickHouseClient;
  readonly #database: string;

  constructor(client: ClickHouseClient, database: string) {
    this.#client = client;
    this.#database = database;
  }

  get #ref(): string {
    return `${quoteIdentifier(this.#database)}.${quoteIdentifier(LOAD_LOG_TABLE)}`;
  }

  async ensure(): Promise<boolean> {
    if (await this.describe()) return false;
    try {
      await this.#client.command({ query: createLoadLogSql(this.#database) });
    } catch (error) {
      throw classifyClickHouseError(error, { table: LOAD_LOG_TABLE });
    }
    return true;
  }

  async describe(): Promise<TableEngine | undefined> {
    const [row] = await this.#rows<{ name: string; engine: string; engine_full: string; sorting_key: string }>(
      `SELECT name, engine, engine_full, sorting_key FROM system.tables WHERE database = {database:String} AND name = {name:String}`,
      { database: this.#database, name: LOAD_LOG_TABLE },
    );
    return row && { table: row.name, engine: row.engine, engineFull: row.engine_full, sortingKey: row.sorting_key };
  }

  async write(rows: readonly LoadLogRow[]): Promise<void> {
    if (rows.length === 0) return;
    // Settings in the statement, never the client's (see sql.ts): a sticky token would drop the next write.
    const settings = settingsClause({ insert_deduplicate: 1, insert_deduplication_token: logToken(rows), date_time_input_format: 'best_effort' });
    const body = rows.map((r) => JSON.stringify(stored(r))).join('\n') + '\n';
    try {
      const result = await this.#client.exec({
        query: `INSERT INTO ${this.#ref} (${COLUMNS.map(([name]) => quoteIdentifier(name)).join(', ')})${settings} FORMAT JSONEachRow`,
        values: Readable.from([body]),
      });
      result.stream.destroy();
    } catch (error) {
      throw classifyClickHouseError(error, { table: LOAD_LOG_TABLE });
    }
  }

  async read(filter: LoadLogFilter): Promise<LoadLogRow[]> {
    if (!(await this.describe())) return [];
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: filter.limit };
    const bind = (name: 'tenant' | 'table' | 'outcome' | 'since', condition: string) => {
      if (filter[name] === undefined) return;
      where.push(condition);
      params[name] = filter[name];
    };
    bind('tenant', 'tenant_id = {tenant:String}');
    bind('table', 'table_name = {table:String}');
    bind('outcome', 'outcome = {outcome:String}');
    bind('since', "finished_at >= parseDateTime64BestEffort({since:String}, 3, 'UTC')");
    // FINAL: one row per file version, its latest outcome, whatever merges have done so far.
    const rows = await this.#rows<StoredRow>(
      `SELECT ${COLUMNS.map(([name]) => quoteIdentifier(name)).join(', ')} FROM ${this.#ref} FINAL
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY finished_at DESC, tenant_id, table_name, file_key LIMIT {limit:UInt32}`,
      params,
    );
    return rows.map(fromStored);
  }

  async versionsOfRun(runId: string, tenants: readonly string[]): Promise<LoggedVersion[]> {
    if (tenants.length === 0) return [];
    // FINAL before the run filter: a version whose latest row is another run's is not this run's.
    const rows = await this.#rows<Pick<StoredRow, 'tenant_id' | 'table_name' | 'file_key' | 'etag' | 'generation'>>(
      `SELECT ${LOAD_LOG_KEY.map(quoteIdentifier).join(', ')} FROM ${this.#ref} FINAL
       WHERE tenant_id IN {tenants:Array(String)} AND run_id = {run:String}`,
      { tenants: [...tenants], run: runId },
    );
    return rows.map((r) => ({ tenant: r.tenant_id, table: r.table_name, key: r.file_key, etag: r.etag, generation: Number(r.generation) }));
  }

  async #rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    try {
      const result = await this.#client.query({ query, query_params: params, format: 'JSONEachRow' });
      return await result.json<T>();
    } catch (error) {
      throw classifyClickHouseError(error, { table: LOAD_LOG_TABLE });
    }
  }
}
