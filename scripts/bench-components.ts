/**
 * `npm run bench -- --components`: what one file costs at each step of a load, measured on the
 * same files in one run, as wall time and as CPU of the engine (this process, less its main
 * thread) and of the stores' processes (the local S3 and dynalite). It explains the pipeline-to-raw ratio.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import type { Deps } from '../src/runtime/deps.js';
import type { FileRef } from '../src/ports.js';
import { createTableSql } from '../src/adapters/clickhouse/ddl.js';
import { CANONICAL_TABLES } from '../src/table-config.js';

export interface StepCost {
  wallMs: number;
  engineCpuMs: number;
  storeProcessesCpuMs: number;
}

export interface ComponentCosts {
  files: number;
  rowsPerFile: number;
  /** Per file. */
  steps: Record<string, StepCost>;
}

export interface CpuNow {
  (): { self: number; mainThread: number; children: number };
}

const round = (n: number) => Math.round(n * 100) / 100;
const token = () => randomBytes(16).toString('hex');

/** `files` are landed `companies` files of one tenant, already in the local S3; `units` of 50 as the pipeline forms them. */
export async function measureComponents(deps: Deps, files: FileRef[], rowsPerFile: number, s3Prefix: string, cpu: CpuNow): Promise<ComponentCosts> {
  const steps: Record<string, StepCost> = {};
  const time = async (name: string, count: number, fn: () => Promise<void>) => {
    const c0 = cpu();
    const start = performance.now();
    await fn();
    const c1 = cpu();
    steps[name] = {
      wallMs: round((performance.now() - start) / count),
      engineCpuMs: round(((c1.self - c1.mainThread - (c0.self - c0.mainThread)) * 1000) / count),
      storeProcessesCpuMs: round(((c1.children - c0.children) * 1000) / count),
    };
  };
  const units = Array.from({ length: Math.ceil(files.length / 50) }, (_, i) => files.slice(i * 50, (i + 1) * 50));
  const fresh = async () => {
    await deps.clickhouse.command({ query: 'DROP TABLE IF EXISTS companies' });
    await deps.warehouse.ensureTables(['companies']);
  };

  await time('a round trip to the engine (SELECT 1)', 50, async () => {
    for (let i = 0; i < 50; i++) await (await deps.clickhouse.query({ query: 'SELECT 1', format: 'JSONEachRow' })).json();
  });
  await fresh();
  await time('in-engine unit of 50: the insert (the pipeline)', files.length, async () => {
    for (const unit of units) await deps.warehouse.insertUnit(unit, token());
  });
  await time("in-engine unit of 50: each file's rows counted in the unit's part (the pipeline)", files.length, async () => {
    for (const unit of units) if (!(await deps.warehouse.countInOwnPart(unit))) throw new Error("a unit's part was merged before it was counted");
  });
  await time("in-engine unit of 50: each file's rows counted from the files (once a merge reached the part)", files.length, async () => {
    for (const unit of units) await deps.warehouse.countRows(unit);
  });
  await fresh();
  await time('a file alone: the check read', files.length, async () => {
    for (const f of files) await deps.warehouse.scanFile(f);
  });
  await time('a file alone: the insert', files.length, async () => {
    for (const f of files) await deps.warehouse.insertFile(f, token());
  });
  await deps.clickhouse.command({ query: 'DROP DATABASE IF EXISTS bench_parts' });
  await deps.clickhouse.command({ query: 'CREATE DATABASE bench_parts' });
  await deps.clickhouse.command({ query: createTableSql(CANONICAL_TABLES, 'companies', 'bench_parts') });
  const columns = CANONICAL_TABLES.get('companies').columns.map((c) => c.name);
  await time('the raw engine: one glob query over all the files', files.length, async () => {
    await deps.clickhouse.command({
      query: `INSERT INTO bench_parts.companies (tenant_id, ${columns.join(', ')}, _file, _etag, _loaded_at)
              SELECT 't', ${columns.join(', ')}, _path, '', now64(3)
              FROM s3({url:String}, 'S3RVER', 'S3RVER', 'JSONEachRow', {structure:String}) SETTINGS date_time_input_format = 'best_effort', session_timezone = 'UTC'`,
      query_params: { url: `${s3Prefix}*.jsonl`, structure: CANONICAL_TABLES.get('companies').columns.map((c) => `${c.name} ${c.type}`).join(', ') },
    });
  });
  await deps.clickhouse.command({ query: 'DROP DATABASE IF EXISTS bench_parts' });
  return { files: files.length, rowsPerFile, steps };
}
