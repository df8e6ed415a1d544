/** Task "Validate the run": counts and engine checks, and the run report; a run that validates counts as its tenants' last success. */
import middy from '@middy/core';
import { recordRunSuccess } from '../src/lib/record-success.js';
import { validateRun, type RunReport, type ValidateInput } from '../src/lib/validate.js';
import { getDeps } from '../src/runtime/deps.js';
import { idempotentHandler, keyUnlessDryRun } from '../src/runtime/idempotency.js';
import { observability, reportValidation } from '../src/runtime/observability.js';

/** `startedAt` is the execution's start time (ISO). */
export type ValidateEvent = ValidateInput & { startedAt?: string; scheduled?: string[] };

export const handler = middy(async (event: ValidateEvent): Promise<RunReport> => {
  const deps = await getDeps();
  const report = await validateRun(event, { ledger: deps.ledger, warehouse: deps.warehouse });
  await recordRunSuccess(event, report, deps.tenants);
  reportValidation(report);
  return report;
})
  .use(observability())
  .use(idempotentHandler('validate', keyUnlessDryRun(['runId'])));
