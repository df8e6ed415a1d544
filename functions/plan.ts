/** Task "Plan the files to load": the new, changed, reset or unfinished files of one tenant x table. */
import middy from '@middy/core';
import { plan, type PlanInput, type PlanResult } from '../src/lib/plan.js';
import { getDeps } from '../src/runtime/deps.js';
import { idempotentHandler, keyUnlessDryRun } from '../src/runtime/idempotency.js';
import { observability } from '../src/runtime/observability.js';

export const handler = middy(async (event: PlanInput): Promise<PlanResult> => {
  const deps = await getDeps();
  return plan(event, { store: deps.store, ledger: deps.ledger, warehouse: deps.warehouse, limits: deps.config });
})
  .use(observability())
  .use(idempotentHandler('plan', keyUnlessDryRun(['runId', 'tenant', 'table', 'previous.nextRound'])));
