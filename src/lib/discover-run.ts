/**
 * The Discover step: the run's items, chosen from the tenants (every item on a sweep or a run
 * started by hand, the marked ones on a scheduled tick between sweeps), the census of landed
 * objects no item lists, and all of it written to the runs bucket for the Map and Validate.
 */
import type { ArrivalMarks, ExecutionDirectory, Ledger, ObjectStore, RunStore, TenantDirectory } from '../ports.js';
import type { TableCatalog } from '../tables.js';
import { markKey, sweepDue } from './arrivals.js';
import { discover, tenantTables } from './discover.js';
import type { ExecutionInput } from './execution-input.js';
import type { IgnoredLedger } from './ignored.js';
import { takeCensus } from './landing-census.js';
import { writeDiscovery, type DiscoverOutput } from './run-files.js';
import { earlierRunning } from './tick.js';

export interface DiscoverRunDeps {
  tenants: Pick<TenantDirectory, 'list'>;
  store: ObjectStore;
  ledger: IgnoredLedger & Pick<Ledger, 'listItem'>;
  runs: RunStore;
  executions: ExecutionDirectory;
  arrivals: ArrivalMarks;
  config: { tables: TableCatalog; mapConcurrency: number; sweepHours: number };
}

export interface DiscoverRunEvent {
  runId: string;
  input: ExecutionInput;
  now: Date;
  stateMachine?: string;
}

export async function discoverRun(event: DiscoverRunEvent, deps: DiscoverRunDeps, log: (what: string, details: Record<string, unknown>) => void = () => undefined): Promise<DiscoverOutput> {
  const { runId, input, now } = event;
  const { tables, mapConcurrency, sweepHours } = deps.config;
  const dryRun = input.dryRun ?? false;
  // A tick behind an earlier run still going does nothing: that run loads what this one would.
  const earlier = input.due && event.stateMachine ? await earlierRunning({ stateMachine: event.stateMachine, name: runId, startedAt: now.toISOString() }, deps.executions) : undefined;
  if (earlier) {
    const skipped = `the tick was skipped: run ${earlier}, started earlier, is still running`;
    log('tick skipped', { runId, earlier });
    const nothing = { runId, dryRun, tables: [], items: [], due: true, notDue: [], scheduled: [], ignored: { count: 0, sample: [] }, disabledWithFiles: [], skipped };
    return writeDiscovery(deps.runs, nothing, mapConcurrency);
  }
  const registered = await deps.tenants.list();
  const marks = await deps.arrivals.list();
  // A scheduled tick between sweeps looks only where something landed; a sweep catches any missed event.
  const sweeping = !input.due || sweepDue(await deps.arrivals.lastSweep(), now, sweepHours);
  const marked = new Set(marks.map(markKey));
  const discovery = await discover({ runId, input, now, marks: { marked, onlyMarked: !sweeping } }, { list: async () => registered }, tables);
  const byId = new Map(registered.map((t) => [t.tenantId, t]));
  const inRun = new Set(discovery.items.map((i) => i.tenant));
  // Between sweeps the census reads only the marked tenants' folders, and the bucket's top level
  // only when an object landed outside every registered tenant's folder.
  const censusTenants = sweeping ? inRun : new Set(marks.filter((m) => byId.get(m.tenant)?.enabled).map((m) => m.tenant));
  const wholeBucket = sweeping ? input.tenants === undefined : marks.some((m) => !byId.has(m.tenant));
  const census = await takeCensus(
    { runId, now, dryRun, runTenants: registered.filter((t) => censusTenants.has(t.tenantId)), registered, wholeBucket },
    { store: deps.store, ledger: deps.ledger, tables },
  );
  if (!dryRun) {
    if (input.due && sweeping) await deps.arrivals.recordSweep(now.toISOString());
    // Marks of no item the census looked at are done with; those of tenants disabled or not due wait.
    const items = new Set(discovery.items.map(markKey));
    const waits = (tenant: string, table: string) => {
      const t = byId.get(tenant);
      return t !== undefined && tenantTables(t, tables).includes(table) && (!t.enabled || discovery.notDue.some((n) => n.tenant === tenant));
    };
    const looked = (tenant: string) => (byId.has(tenant) ? censusTenants.has(tenant) : wholeBucket);
    for (const m of marks) if (!items.has(markKey(m)) && !waits(m.tenant, m.table) && looked(m.tenant)) await deps.arrivals.clear(m.tenant, m.table, now.toISOString());
  }
  log('discovered', { items: discovery.items.length, tables: discovery.tables, notDue: discovery.notDue.length, dryRun, ignored: census.ignored.count, marks: marks.length, sweeping });
  return writeDiscovery(deps.runs, { ...discovery, ...census }, mapConcurrency);
}
