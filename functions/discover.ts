/** Task "Discover tenants and tables": validates the execution input and lists the work items. */
import middy from '@middy/core';
import { discover, type Discovery } from '../src/lib/discover.js';
import { getDeps } from '../src/runtime/deps.js';
import { idempotentHandler, keyUnlessDryRun } from '../src/runtime/idempotency.js';

export interface DiscoverEvent {
  runId: string;
  input: unknown;
}

export const handler = middy(async (event: DiscoverEvent): Promise<Discovery> => {
  const deps = await getDeps();
  return discover(event, deps.tenants);
}).use(idempotentHandler('discover', keyUnlessDryRun(['runId'], 'input.dryRun')));
