/** Task "Validate the run": counts and engine checks, and the run report. */
import middy from '@middy/core';
import { validateRun, type RunReport, type ValidateInput } from '../src/lib/validate.js';
import { getDeps } from '../src/runtime/deps.js';
import { idempotentHandler, keyUnlessDryRun } from '../src/runtime/idempotency.js';

export const handler = middy(async (event: ValidateInput): Promise<RunReport> => {
  const deps = await getDeps();
  return validateRun(event, { ledger: deps.ledger, warehouse: deps.warehouse });
}).use(idempotentHandler('validate', keyUnlessDryRun(['runId'])));
