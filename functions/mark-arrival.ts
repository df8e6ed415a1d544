/**
 * Marks the tenant x table of an object created in (or deleted from) the landing bucket, from
 * the bucket's S3 event notification through EventBridge: the next scheduled tick looks there
 * (src/lib/arrivals.ts). One conditional write; a redelivered event changes nothing.
 */
import middy from '@middy/core';
import { markArrivals } from '../src/lib/arrivals.js';
import { getDeps } from '../src/runtime/deps.js';
import { idempotentHandler } from '../src/runtime/idempotency.js';
import { observability } from '../src/runtime/observability.js';

/** The part of an EventBridge "Object Created" / "Object Deleted" event onceload reads. */
export interface S3ObjectEvent {
  id: string;
  time: string;
  detail: { object: { key: string } };
}

export const handler = middy(async (event: S3ObjectEvent): Promise<{ marked: number }> => {
  const deps = await getDeps();
  return { marked: await markArrivals([event.detail.object.key], event.time, deps.arrivals) };
})
  .use(observability())
  .use(idempotentHandler('mark-arrival', 'id'));
