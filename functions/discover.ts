/**
 * Task "Discover tenants and tables": validates the execution input, writes the work items as the
 * Map's manifest, and accounts for the landed objects no item will list (src/lib/landing-census.ts).
 */
import middy from '@middy/core';
import { discover } from '../src/lib/discover.js';
import { parseExecutionInput } from '../src/lib/execution-input.js';
import { takeCensus } from '../src/lib/landing-census.js';
import { writeDiscovery, type DiscoverOutput } from '../src/lib/run-files.js';
import { earlierRunning } from '../src/lib/tick.js';
import { getDeps } from '../src/runtime/deps.js';
import { idempotentHandler, keyUnlessDryRun } from '../src/runtime/idempotency.js';
import { logger, observability } from '../src/runtime/observability.js';

export interface DiscoverEvent {
  runId: string;
  input: unknown;
  /** The execution's start time (ISO), the clock a `due` run reads. */
  now?: string;
  /** The state machine (`$$.StateMachine.Id`), whose running executions a tick looks at. */
  stateMachine?: string;
}

export const handler = middy(async (event: DiscoverEvent): Promise<DiscoverOutput> => {
  const deps = await getDeps();
  const now = event.now ? new Date(event.now) : new Date();
  const input = parseExecutionInput(event.input, deps.config.tables);
  // A tick behind an earlier run still going does nothing: that run loads what this one would.
  const earlier = input.due && event.stateMachine ? await earlierRunning({ stateMachine: event.stateMachine, name: event.runId, startedAt: now.toISOString() }, deps.executions) : undefined;
  if (earlier) {
    const skipped = `the tick was skipped: run ${earlier}, started earlier, is still running`;
    logger.warn('tick skipped', { runId: event.runId, earlier });
    const nothing = { runId: event.runId, dryRun: input.dryRun ?? false, tables: [], items: [], due: true, notDue: [], scheduled: [], ignored: { count: 0, sample: [] }, disabledWithFiles: [], skipped };
    return writeDiscovery(deps.runs, nothing, deps.config.mapConcurrency);
  }
  const registered = await deps.tenants.list();
  const discovery = await discover({ runId: event.runId, input, now }, { list: async () => registered }, deps.config.tables);
  const inRun = new Set(discovery.items.map((i) => i.tenant));
  // A run of named tenants reads only their folders; the bucket's top level is read by runs of all tenants.
  const census = await takeCensus(
    {
      runId: event.runId,
      now,
      dryRun: discovery.dryRun,
      runTenants: registered.filter((t) => inRun.has(t.tenantId)),
      registered,
      wholeBucket: input.tenants === undefined,
    },
    { store: deps.store, ledger: deps.ledger, tables: deps.config.tables },
  );
  logger.info('discovered', { items: discovery.items.length, tables: discovery.tables, notDue: discovery.notDue.length, dryRun: discovery.dryRun, ignored: census.ignored.count });
  // The items and what else was found go to the runs bucket: the state carries their location.
  return writeDiscovery(deps.runs, { ...discovery, ...census }, deps.config.mapConcurrency);
})
  .use(observability())
  .use(idempotentHandler('discover', keyUnlessDryRun(['runId'], 'input.dryRun')));
