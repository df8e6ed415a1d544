/**
 * The landed objects outside every Plan's listing: a tenant's objects outside its table folders
 * (a misspelled or unknown table folder, a table not enabled for it, anything outside
 * `<tenant>/canonical/`), and at the bucket's top level, unregistered tenants' folders and loose
 * keys. Cost: delimiter listings (one of the bucket's top level, two a tenant), which read
 * folders, not files, plus full listings of the stray folders only; so it never grows with the
 * files that load. Disabled tenants' folders are not read: their files wait until the tenant is
 * enabled again, and the report names those tenants.
 */
import pMap from 'p-map';
import type { LandedFile, ObjectStore, TenantRecord } from '../ports.js';
import type { TableCatalog } from '../tables.js';
import { tenantTables } from './discover.js';
import { BUCKET_SCOPE, reconcileIgnored, summarise, type Ignored, type IgnoredLedger, type IgnoredSummary } from './ignored.js';
import { landingPrefix } from './file-format.js';

export interface Census {
  ignored: IgnoredSummary;
  /** Disabled tenants with a folder in the bucket. */
  disabledWithFiles: string[];
}

const as = (reason: Ignored['reason']) => (file: LandedFile): Ignored => ({ file, reason });

/** A tenant's objects outside its table folders. */
async function strayOfTenant(tenant: TenantRecord, store: ObjectStore, catalog: TableCatalog): Promise<Ignored[]> {
  const root = `${tenant.tenantId}/`;
  const canonical = `${root}canonical/`;
  const top = await store.listFolder(root);
  const found = top.files.map(as('outside-layout'));
  for (const folder of top.folders.filter((f) => f !== canonical)) found.push(...(await store.list(folder)).map(as('outside-layout')));
  if (!top.folders.includes(canonical)) return found;
  const tables = await store.listFolder(canonical);
  found.push(...tables.files.map(as('outside-layout')));
  const enabled = new Set<string>(tenantTables(tenant, catalog));
  for (const folder of tables.folders) {
    const name = folder.slice(canonical.length, -1);
    if (enabled.has(name)) continue;
    found.push(...(await store.list(folder)).map(as(catalog.has(name) ? 'table-not-enabled' : 'unknown-table')));
  }
  return found;
}

export async function takeCensus(
  params: { runId: string; now: Date; dryRun: boolean; runTenants: readonly TenantRecord[]; registered: readonly TenantRecord[]; wholeBucket: boolean },
  deps: { store: ObjectStore; ledger: IgnoredLedger; tables: TableCatalog },
): Promise<Census> {
  const write = (scope: string, found: Ignored[], owns?: (key: string) => boolean) =>
    params.dryRun ? Promise.resolve() : reconcileIgnored(scope, found, { runId: params.runId, now: params.now, ...(owns ? { owns } : {}) }, deps.ledger);
  const all: Ignored[] = [];
  const disabledWithFiles: string[] = [];
  if (params.wholeBucket) {
    const byId = new Map(params.registered.map((t) => [t.tenantId, t]));
    const top = await deps.store.listFolder('');
    const found = top.files.map(as('outside-layout'));
    for (const folder of top.folders) {
      const tenant = byId.get(folder.slice(0, -1));
      if (tenant && !tenant.enabled) disabledWithFiles.push(tenant.tenantId);
      if (!tenant) found.push(...(await deps.store.list(folder)).map(as('unregistered-tenant')));
    }
    await write(BUCKET_SCOPE, found);
    all.push(...found);
  }
  const perTenant = await pMap(
    params.runTenants,
    async (tenant) => {
      const found = await strayOfTenant(tenant, deps.store, deps.tables);
      const tables = tenantTables(tenant, deps.tables);
      // Keys under the tenant's own table folders are Plan's to record (unknown extensions).
      await write(tenant.tenantId, found, (key) => !tables.some((t) => key.startsWith(landingPrefix(tenant.tenantId, t))));
      return found;
    },
    { concurrency: 8 },
  );
  all.push(...perTenant.flat());
  return { ignored: summarise(all), disabledWithFiles };
}
