/**
 * The file ledger's two operations, shared by `onceload files` and the console: the entries of a
 * tenant, table and status, and a reset that marks files to load again under a new token.
 */
import { tenantTables } from '../lib/discover.js';
import { listIgnoredObjects, REASONS } from '../lib/ignored.js';
import type { FileStatus, IgnoredObject, LedgerEntry } from '../ports.js';
import type { Stores } from '../remote/stage-stores.js';
import { loadTables } from '../table-config.js';
import type { TableName } from '../tables.js';
import { InputError } from '../errors.js';

export const FILE_STATUSES = ['loading', 'loaded', 'failed', 'reset', 'superseded', 'gone', 'skipped', 'ignored'] as const;

export interface FilesFilter {
  tenant?: string;
  table?: TableName;
  status?: FileStatus | 'ignored';
}

/** `ignored`: the landed objects that are not loaded, kept apart from the file entries. */
export type FilesResult = { ignored: true; objects: IgnoredObject[] } | { ignored: false; entries: LedgerEntry[] };

export async function queryFiles(deps: Pick<Stores, 'tenants' | 'ledger'>, filter: FilesFilter): Promise<FilesResult> {
  const tenantIds = filter.tenant ? [filter.tenant] : (await deps.tenants.list()).map((t) => t.tenantId);
  if (filter.status === 'ignored') {
    const objects = (await listIgnoredObjects(deps.ledger, { tenants: tenantIds, wholeBucket: filter.tenant === undefined })).filter(
      (o) => !filter.table || o.key.includes(`/canonical/${filter.table}/`),
    );
    return { ignored: true, objects };
  }
  const entries: LedgerEntry[] = [];
  const tables = filter.table ? [filter.table] : loadTables().names;
  for (const tenant of tenantIds) {
    for (const table of tables) {
      for (const e of (await deps.ledger.listItem(tenant, table)).values()) if (!filter.status || e.status === filter.status) entries.push(e);
    }
  }
  return { ignored: false, entries };
}

/** Which files a reset names: one table of a tenant, every table of a tenant, or everything; one key or a status. */
export interface ResetScope {
  tenant?: string;
  table?: TableName;
  all?: boolean;
  key?: string;
  status?: 'loaded' | 'failed' | 'skipped';
}

/** Resets the files; returns how many, per tenant x table that had any. */
export async function resetFiles(deps: Stores, scope: ResetScope): Promise<{ total: number; byItem: { tenant: string; table: TableName; reset: number }[] }> {
  const known = await deps.tenants.list();
  if (scope.tenant !== undefined && !known.some((t) => t.tenantId === scope.tenant)) throw new InputError(`no tenant ${JSON.stringify(scope.tenant)}`, '--tenant');
  const tenants = scope.all ? known : known.filter((t) => t.tenantId === scope.tenant);
  const catalog = loadTables();
  const byItem: { tenant: string; table: TableName; reset: number }[] = [];
  let total = 0;
  for (const tenant of tenants) {
    const tables = scope.table !== undefined ? [scope.table] : tenantTables(tenant, catalog);
    for (const table of tables) {
      const reset = await deps.ledger.reset({
        tenant: tenant.tenantId,
        table,
        ...(scope.key !== undefined ? { key: scope.key } : {}),
        ...(scope.status !== undefined ? { status: scope.status } : {}),
      });
      if (reset === 0) continue;
      // A scheduled tick between sweeps looks only at marked items: a reset is marked like an arrival.
      await deps.arrivals.mark(tenant.tenantId, table, new Date().toISOString());
      byItem.push({ tenant: tenant.tenantId, table, reset });
      total += reset;
    }
  }
  return { total, byItem };
}

/** `onceload files`' output: a tab-separated table, or the entries as JSON. */
export function filesText(found: FilesResult, json: boolean): string {
  const header = 'tenant\ttable\tstatus\trows\tkey\tetag\trun\terror';
  if (found.ignored) {
    if (json) return JSON.stringify(found.objects, null, 2);
    // The reason stands in the error column.
    return [header, ...found.objects.map((o) => [o.key.split('/')[0], '', 'ignored', '', o.key, o.etag, o.runId, `${o.reason}: ${REASONS[o.reason]}`].join('\t'))].join('\n');
  }
  if (json) return JSON.stringify(found.entries, null, 2);
  return [header, ...found.entries.map((e) => [e.tenant, e.table, e.status, e.rows ?? '', e.key, e.etag, e.runId, e.error ?? ''].join('\t'))].join('\n');
}
