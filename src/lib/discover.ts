/**
 * Discover: expands the enabled tenants of the checked execution input into
 * tenant x table work items; a `due` run keeps only the tenants their schedule says are due.
 */
import { InputError } from '../errors.js';
import type { TenantDirectory, TenantRecord } from '../ports.js';
import type { TableCatalog, TableName } from '../tables.js';
import { isDue, nextDueAt } from './due.js';
import type { ExecutionInput } from './execution-input.js';
import type { StartPoint } from './start-point.js';

export interface WorkItem {
  tenant: string;
  table: TableName;
  /** The item carries an arrival mark, which its Plan clears once it has listed the folder. */
  marked?: boolean;
  /** The tenant's start point, when it has one: Plan skips the versions before it. */
  startPoint?: StartPoint;
}

/** The tenant's start point, or undefined when it has none. */
export function startPointOf(tenant: Pick<TenantRecord, 'since' | 'startAfter'>): StartPoint | undefined {
  if (tenant.since === undefined && tenant.startAfter === undefined) return undefined;
  return { ...(tenant.since !== undefined ? { since: tenant.since } : {}), ...(tenant.startAfter !== undefined ? { startAfter: tenant.startAfter } : {}) };
}

export interface Discovery {
  runId: string;
  dryRun: boolean;
  tables: TableName[];
  items: WorkItem[];
  /** Whether the run took only the tenants that are due. */
  due: boolean;
  /** Tenants a `due` run left out, and when each is next due (ISO). */
  notDue: { tenant: string; dueAt: string }[];
  /** Tenants with a schedule that the run covers whole (every table): the ones whose success it records. */
  scheduled: string[];
}

/** A tenant's tables that are configured: a table dropped from the configuration is no work. */
export function tenantTables(tenant: Pick<TenantRecord, 'tables'>, tables: TableCatalog): TableName[] {
  return tenant.tables ? tenant.tables.filter((t) => tables.has(t)) : tables.names;
}

/**
 * `input` is the execution input as parseExecutionInput checked it; `now` is the execution's
 * start time, so a retried or replayed Discover picks the same tenants.
 */
export async function discover(
  params: { runId: string; input: ExecutionInput; now: Date; marks?: { marked: ReadonlySet<string>; onlyMarked: boolean } },
  tenants: Pick<TenantDirectory, 'list'>,
  catalog: TableCatalog,
): Promise<Discovery> {
  const { input, marks } = params;
  const isMarked = (tenant: string, table: string) => marks?.marked.has(`${tenant}#${table}`) ?? false;
  if (Number.isNaN(params.now.getTime())) throw new Error('discover needs the execution start time as now; got an invalid date');
  const known = await tenants.list();
  const byId = new Map(known.map((t) => [t.tenantId, t]));
  for (const [index, id] of (input.tenants ?? []).entries()) {
    const tenant = byId.get(id);
    if (!tenant) throw new InputError(`unknown tenant ${JSON.stringify(id)}`, `tenants[${index}]`);
    if (!tenant.enabled) throw new InputError(`tenant ${JSON.stringify(id)} is disabled`, `tenants[${index}]`);
  }
  const chosen = input.tenants ? new Set(input.tenants) : undefined;
  const wantedTables = new Set<TableName>(input.tables ?? catalog.names);
  const due = input.due ?? false;
  const items: WorkItem[] = [];
  const notDue: Discovery['notDue'] = [];
  for (const tenant of known) {
    if (!tenant.enabled || (chosen && !chosen.has(tenant.tenantId))) continue;
    if (due && !isDue(tenant, params.now)) {
      notDue.push({ tenant: tenant.tenantId, dueAt: nextDueAt(tenant)!.toISOString() });
      continue;
    }
    for (const table of tenantTables(tenant, catalog)) {
      if (!wantedTables.has(table)) continue;
      // A tick between sweeps takes only the items where something landed.
      if (marks?.onlyMarked && !isMarked(tenant.tenantId, table)) continue;
      const startPoint = startPointOf(tenant);
      items.push({ tenant: tenant.tenantId, table, ...(marks ? { marked: isMarked(tenant.tenantId, table) } : {}), ...(startPoint ? { startPoint } : {}) });
    }
  }
  const tables = catalog.names.filter((t) => items.some((i) => i.table === t));
  // A run of some of a tenant's tables (`tables` in the input) does not restart its schedule.
  const inRun = new Set(items.map((i) => `${i.tenant}#${i.table}`));
  // Between sweeps an unmarked table has nothing new, so it counts as covered; a tenant with no item is not recorded.
  const ran = new Set(items.map((i) => i.tenant));
  const covered = (t: TenantRecord) =>
    ran.has(t.tenantId) && tenantTables(t, catalog).every((table) => inRun.has(`${t.tenantId}#${table}`) || (marks?.onlyMarked && !isMarked(t.tenantId, table)));
  const scheduled = known.filter((t) => t.everySeconds && covered(t)).map((t) => t.tenantId);
  return { runId: params.runId, dryRun: input.dryRun ?? false, tables, items, due, notDue, scheduled };
}
