/** Schedules: a tenant with an interval is due once that long has passed since its last successful run. */
import type { TenantRecord } from '../ports.js';

type Schedule = Pick<TenantRecord, 'everySeconds' | 'lastSuccessAt'>;

/** When the tenant is next due; undefined when every tick is (no schedule, or no success yet). */
export function nextDueAt(tenant: Schedule): Date | undefined {
  if (!tenant.everySeconds || tenant.lastSuccessAt === undefined) return undefined;
  const last = Date.parse(tenant.lastSuccessAt);
  // An unreadable time must not hold a tenant back for ever.
  if (Number.isNaN(last)) return undefined;
  return new Date(last + tenant.everySeconds * 1000);
}

/**
 * Slack for a tenant whose interval equals the rule's period: execution start times drift by
 * moments, and without it a tick landing just before the hour would skip the tenant to the next.
 */
export function graceSeconds(everySeconds: number): number {
  return Math.min(60, everySeconds / 10);
}

export function isDue(tenant: Schedule, now: Date): boolean {
  const next = nextDueAt(tenant);
  return next === undefined || now.getTime() >= next.getTime() - graceSeconds(tenant.everySeconds!) * 1000;
}
