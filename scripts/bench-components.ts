/**
 * `npm run bench -- --components`: what one file costs the engine at each step, measured on the
 * same files in one run. It explains the pipeline-to-raw ratio: which costs come with the
 * per-file unit of exactly-once, and which a different unit would remove.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import type { Deps } from '../src/runtime/deps.js';
import type { FileRef } from '../src/ports.js';
import { createTableSql } from '../src/adapters/clickhouse/ddl.js';
import { TABLE_COLUMNS } from '../src/tables.js';

export interface ComponentCosts {
  files: number;
  rowsPerFile: number;
  /** Milliseconds per file. */
  msPerFile: Record<string, number>;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** `files` are landed `companies` files of one tenant, already in the local S3. */
export async function measureComponents(deps: Deps, files: FileRef[], rowsPerFile: number, s3Prefix: string): Promise<ComponentCosts> {
  const ms: Record<string, number> = {};
  const time = async (name: string, count: number, fn: () => Promise<void>) => {
    const start = performance.now();
    await fn();
    ms[name] = round((performance.now() - start) / count);
  };
  const columns = TABLE_COLUMNS.companies.map((c) => c.name);
  const structure = TABLE_COLUMNS.companies.map((c) => `${c.name} ${c.type}`).join(', ');
  const target = `(tenant_id, ${columns.join(', ')}, _file, _etag, _loaded_at)`;
  const common = "date_time_input_format = 'best_effort', session_timezone = 'UTC', max_threads = 1, input_format_parallel_parsing = 0";
  const fresh = async (db: string) => {
    await deps.clickhouse.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    await deps.clickhouse.command({ query: `CREATE DATABASE ${db}` });
    await deps.clickhouse.command({ query: createTableSql('companies', db) });
  };
  /** One INSERT of several files, as UNION ALL of url() sources. */
  const insertMany = async (db: string, group: FileRef[], settings: string) => {
    const params: Record<string, unknown> = { structure };
    const parts = await Promise.all(
      group.map(async (f, i) => {
        params[`u${i}`] = await deps.store.presignGet(f.key);
        return `SELECT 't', ${columns.join(', ')}, {u${i}:String}, 'e', now64(3) FROM url({u${i}:String}, 'JSONEachRow', {structure:String}, 'none')`;
      }),
    );
    await deps.clickhouse.command({ query: `INSERT INTO ${db}.companies ${target} ${parts.join(' UNION ALL ')} SETTINGS ${common}, ${settings}`, query_params: params });
  };
  const groups = (size: number) => Array.from({ length: Math.ceil(files.length / size) }, (_, i) => files.slice(i * size, (i + 1) * size));

  await time('round trip (SELECT 1)', 50, async () => {
    for (let i = 0; i < 50; i++) await (await deps.clickhouse.query({ query: 'SELECT 1', format: 'JSONEachRow' })).json();
  });
  await time('check read, 20 files a query (the pipeline)', files.length, async () => {
    for (const group of groups(20)) await deps.warehouse.scanFiles(group);
  });
  await deps.warehouse.ensureTables(['companies']);
  await time('insert, one file with its deduplication token (the pipeline)', files.length, async () => {
    for (const f of files) await deps.warehouse.insertFile({ ...f, etag: `${f.etag}-bench` }, randomBytes(16).toString('hex'));
  });
  await fresh('bench_parts');
  await time('insert, one file, no deduplication', files.length, async () => {
    for (const f of files) await insertMany('bench_parts', [f], 'insert_deduplicate = 0');
  });
  await fresh('bench_parts');
  await time('insert, 20 files a query, one part per file', files.length, async () => {
    for (const group of groups(20)) await insertMany('bench_parts', group, 'insert_deduplicate = 0, min_insert_block_size_rows = 0, min_insert_block_size_bytes = 0');
  });
  await fresh('bench_parts');
  await time('insert, 20 files a query, one part per query', files.length, async () => {
    for (const group of groups(20)) await insertMany('bench_parts', group, `insert_deduplicate = 0, min_insert_block_size_rows = ${20 * rowsPerFile}`);
  });
  await fresh('bench_parts');
  await time('raw engine: one glob query for all the files', files.length, async () => {
    await deps.clickhouse.command({
      query: `INSERT INTO bench_parts.companies ${target} SELECT 't', ${columns.join(', ')}, _path, '', now64(3)
              FROM s3({url:String}, 'S3RVER', 'S3RVER', 'JSONEachRow', {structure:String}) SETTINGS date_time_input_format = 'best_effort', session_timezone = 'UTC'`,
      query_params: { url: `${s3Prefix}*.jsonl`, structure },
    });
  });
  await deps.clickhouse.command({ query: 'DROP DATABASE IF EXISTS bench_parts' });
  return { files: files.length, rowsPerFile, msPerFile: ms };
}
