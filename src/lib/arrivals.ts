/**
 * Arrival marks decide what a scheduled tick looks at: the tenant x table items where objects
 * landed (or were deleted) since they were last listed, instead of every folder of every tenant.
 * S3 event notifications mark (functions/mark-arrival.ts; locally the landing sync), a Plan that
 * has listed the item clears its mark, and a periodic sweep lists everything, for any event
 * that was missed.
 */
import type { ArrivalMarks, TenantRecord } from '../ports.js';
import type { TableCatalog } from '../tables.js';
import { tenantTables } from './discover.js';

/** The item a landed key belongs to; '' where the key has no tenant or no table folder. */
export function arrivalOf(key: string): { tenant: string; table: string } {
  const [tenant = '', area, table = ''] = key.split('/');
  const inTable = area === 'canonical' && key.split('/').length > 3;
  // A loose object at the top level has no tenant: the bucket's census looks at it.
  return { tenant: key.includes('/') ? tenant : '', table: inTable ? table : '' };
}

export const markKey = (m: { tenant: string; table: string }) => `${m.tenant}#${m.table}`;

/** Marks each item of `keys` once, at `at` (ISO). */
export async function markArrivals(keys: readonly string[], at: string, marks: Pick<ArrivalMarks, 'mark'>): Promise<number> {
  const items = new Map(keys.map((key) => arrivalOf(key)).map((item) => [markKey(item), item]));
  for (const item of items.values()) await marks.mark(item.tenant, item.table, at);
  return items.size;
}

/** Whether a scheduled tick lists every item: the first ever, then once every `sweepHours`. */
export function sweepDue(lastSweep: string | undefined, now: Date, sweepHours: number): boolean {
  return lastSweep === undefined || now.getTime() - Date.parse(lastSweep) >= sweepHours * 3600_000;
}

/**
 * Once an item's Plan hands out nothing more, its folder as listed at `plannedAt` is done with:
 * the mark goes, unless something landed after that listing. A dry run changes nothing.
 */
export async function clearWhenDone(
  item: { tenant: string; table: string; marked?: boolean; dryRun: boolean },
  plan: { batches: readonly unknown[]; plannedAt: string; deferred?: number },
  marks: Pick<ArrivalMarks, 'clear'>,
): Promise<void> {
  // Files left for the next run keep the item marked.
  if (item.marked && !item.dryRun && plan.batches.length === 0 && !plan.deferred) await marks.clear(item.tenant, item.table, plan.plannedAt);
}

/** A tenant added, enabled or widened has files no event told of: its tables are marked. */
export async function markTenant(tenant: TenantRecord, catalog: TableCatalog, marks: Pick<ArrivalMarks, 'mark'>, at = new Date().toISOString()): Promise<void> {
  if (!tenant.enabled) return;
  for (const table of tenantTables(tenant, catalog)) await marks.mark(tenant.tenantId, table, at);
}
