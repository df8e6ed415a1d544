/** Task "Discover tenants and tables": validates the execution input and lists the work items. */
import middy from '@middy/core';
import { discover, type Discovery } from '../src/lib/discover.js';
import { getDeps } from '../src/runtime/deps.js';
import { idempotentHandler, keyUnlessDryRun } from '../src/runtime/idempotency.js';
import { logger, observability } from '../src/runtime/observability.js';

export interface DiscoverEvent {
  runId: string;
  input: unknown;
  /** The execution's start time (ISO), the clock a `due` run reads. */
  now?: string;
}

export const handler = middy(async (event: DiscoverEvent): Promise<Discovery> => {
  const deps = await getDeps();
  const discovery = await discover({ runId: event.runId, input: event.input, now: event.now ? new Date(event.now) : new Date() }, deps.tenants);
  logger.info('discovered', { items: discovery.items.length, tables: discovery.tables, notDue: discovery.notDue.length, dryRun: discovery.dryRun });
  return discovery;
})
  .use(observability())
  .use(idempotentHandler('discover', keyUnlessDryRun(['runId'], 'input.dryRun')));
