/**
 * After a run validates, the last success of each of its tenants with a schedule moves to the
 * run's start time: the clock schedules read. Tenants without one are due on every tick and
 * cost no write.
 */
import type { TenantDirectory } from '../ports.js';
import type { RunReport, ValidateInput } from './validate.js';

/** Records the run's success for its scheduled tenants; returns them. A dry run or a failed run records nothing. */
export async function recordRunSuccess(
  input: Pick<ValidateInput, 'dryRun' | 'items'> & { startedAt?: string; scheduled?: string[] },
  report: Pick<RunReport, 'ok'>,
  tenants: TenantDirectory,
): Promise<string[]> {
  if (!report.ok || input.dryRun) return [];
  // The start time, not the end: a schedule counts from when the run looked at the tenant's files.
  const at = new Date(input.startedAt ?? Date.now());
  if (Number.isNaN(at.getTime())) throw new Error(`the run's start time ${JSON.stringify(input.startedAt)} is not a date`);
  // Without the list (an execution started before Discover gave it), every tenant of the run.
  const scheduled = input.scheduled ? new Set(input.scheduled) : undefined;
  const ids = [...new Set(input.items.map((i) => i.tenant))].filter((t) => !scheduled || scheduled.has(t)).sort();
  if (ids.length > 0) await tenants.recordSuccess(ids, at.toISOString());
  return ids;
}
