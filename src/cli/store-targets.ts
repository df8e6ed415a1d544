/**
 * Where a command's stores are: a deployed stage's with --stage (its tables, its ClickHouse),
 * else the embedded runtime's in the data dir, opened once a command.
 */
import { LocalRuntime } from '../local/runtime.js';
import type { Stores } from '../remote/stage-stores.js';
import type { WarehouseDeps } from '../remote/stage-warehouse.js';
import { assertClickHouseAnswers } from './clickhouse-target.js';

export interface StoreFlags {
  stage?: string;
  region?: string;
  dataDir: string;
}

export async function withRuntime<T>(dataDir: string, fn: (runtime: LocalRuntime) => Promise<T>): Promise<T> {
  const runtime = await LocalRuntime.open({ dataDir });
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

/** The tables (`action` names the IAM permission they need on a stage). */
export async function withStores<T>(flags: StoreFlags, action: string, fn: (stores: Stores) => Promise<T>): Promise<T> {
  if (flags.stage !== undefined) return (await import('../remote/stage-stores.js')).withStageStores(flags.stage, flags.region, action, fn);
  return withRuntime(flags.dataDir, async (runtime) => fn(await runtime.deps()));
}

/** ClickHouse, once it has answered. */
export async function withWarehouse<T>(flags: StoreFlags, fn: (deps: WarehouseDeps) => Promise<T>): Promise<T> {
  if (flags.stage !== undefined) return (await import('../remote/stage-warehouse.js')).withStageWarehouse(flags.stage, flags.region, (deps) => withAnswering(deps, fn));
  return withRuntime(flags.dataDir, async (runtime) => withAnswering(await runtime.deps(), fn));
}

/** The tables and ClickHouse together: one runtime locally, whose data dir admits one process. */
export async function withStoresAndWarehouse<T>(flags: StoreFlags, action: string, fn: (deps: Stores & WarehouseDeps) => Promise<T>): Promise<T> {
  const { stage, region } = flags;
  if (stage !== undefined) {
    const [{ withStageStores }, { withStageWarehouse }] = await Promise.all([import('../remote/stage-stores.js'), import('../remote/stage-warehouse.js')]);
    return withStageStores(stage, region, action, (stores) => withStageWarehouse(stage, region, (warehouse) => withAnswering({ ...stores, ...warehouse }, fn)));
  }
  return withRuntime(flags.dataDir, async (runtime) => withAnswering(await runtime.deps(), fn));
}

async function withAnswering<D extends WarehouseDeps, T>(deps: D, fn: (deps: D) => Promise<T>): Promise<T> {
  await assertClickHouseAnswers(deps);
  return fn(deps);
}
