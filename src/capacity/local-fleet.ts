/**
 * A small fleet on the local runtime: tenants registered with every configured table, and tiny
 * files landed for chosen tenant x table items (a few rows each, so a run measures the pipeline's
 * requests and states rather than bytes).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoRow, jsonLines } from '../local/demo-data.js';
import type { LocalRuntime } from '../local/runtime.js';
import type { TableName } from '../tables.js';

export interface FleetItem {
  tenant: string;
  table: TableName;
}

const ROWS_PER_FILE = 3;

/**
 * Every row of the process gets an id of its own: no row replaces another, so the audit never
 * reads a file again to tell rows a merge replaced from rows lost, and files cost the same each run.
 */
let nextId = 1;

/** Tenants `<prefix>-<from>` onwards, enabled, with every configured table. */
export async function registerTenants(runtime: LocalRuntime, prefix: string, count: number, from = 0): Promise<string[]> {
  const deps = await runtime.deps();
  const tenants = Array.from({ length: count }, (_, i) => `${prefix}-${String(from + i).padStart(3, '0')}`);
  for (const tenantId of tenants) await deps.tenants.put({ tenantId, service: 'capacity', enabled: true });
  return tenants;
}

export async function disableTenants(runtime: LocalRuntime, tenants: string[]): Promise<void> {
  const deps = await runtime.deps();
  for (const tenantId of tenants) await deps.tenants.put({ tenantId, service: 'capacity', enabled: false });
}

/** Every tenant x table item of these tenants. */
export async function itemsOf(runtime: LocalRuntime, tenants: string[]): Promise<FleetItem[]> {
  const { tables } = (await runtime.deps()).config;
  return tenants.flatMap((tenant) => tables.names.map((table) => ({ tenant, table })));
}

/** Lands `files` new files in each item, under a name of their own (`batch`), and syncs them to the local S3. */
export async function landFiles(runtime: LocalRuntime, items: FleetItem[], files: number, batch: string): Promise<void> {
  const { tables } = (await runtime.deps()).config;
  for (const { tenant, table } of items) {
    const dir = join(runtime.landingDir, tenant, 'canonical', table, batch);
    mkdirSync(dir, { recursive: true });
    for (let n = 0; n < files; n++) {
      const rows = Array.from({ length: ROWS_PER_FILE }, () => demoRow(tables.get(table), nextId++, 1));
      writeFileSync(join(dir, `${n}.jsonl`), jsonLines(rows));
    }
  }
  await runtime.syncLanding();
}
