/** After a run validates, each of its tenants' last success moves to the run's start time: the clock schedules read. */
import type { TenantDirectory } from '../ports.js';
import type { RunReport, ValidateInput } from './validate.js';

/** Records the run's success for its tenants; returns them. A dry run or a failed run records nothing. */
export async function recordRunSuccess(
  input: ValidateInput & { startedAt?: string },
  report: Pick<RunReport, 'ok'>,
  tenants: TenantDirectory,
): Promise<string[]> {
  if (!report.ok || input.dryRun) return [];
  // The start time, not the end: a schedule counts from when the run looked at the tenant's files.
  const at = new Date(input.startedAt ?? Date.now());
  if (Number.isNaN(at.getTime())) throw new Error(`the run's start time ${JSON.stringify(input.startedAt)} is not a date`);
  const ids = [...new Set(input.items.map((i) => i.tenant))].sort();
  if (ids.length > 0) await tenants.recordSuccess(ids, at.toISOString());
  return ids;
}
