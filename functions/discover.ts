/**
 * Task "Discover tenants and tables": validates the execution input, writes the work items as the
 * Map's manifest, and accounts for the landed objects no item will list (src/lib/discover-run.ts).
 */
import middy from '@middy/core';
import { discoverRun } from '../src/lib/discover-run.js';
import { parseExecutionInput } from '../src/lib/execution-input.js';
import type { DiscoverOutput } from '../src/lib/run-files.js';
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
  const input = parseExecutionInput(event.input, deps.config.tables);
  const now = event.now ? new Date(event.now) : new Date();
  return discoverRun({ runId: event.runId, input, now, ...(event.stateMachine ? { stateMachine: event.stateMachine } : {}) }, deps, (what, details) => logger.info(what, details));
})
  .use(observability())
  .use(idempotentHandler('discover', keyUnlessDryRun(['runId'], 'input.dryRun')));
