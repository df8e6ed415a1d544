/** What every report of executions running at once on one item must say about its files. */
import { expect } from 'vitest';
import type { RunReport } from '../../src/lib/validate.js';
import type { Harness } from './harness.js';

/**
 * Each report accounts for every listed file, and counts as the other's exactly the files the
 * other loaded among those it planned (those it found already loaded when it planned are
 * unchanged). Two reports, one tenant x table.
 */
export async function expectEachAccounts(h: Harness, reports: RunReport[], tenant: string, listed: number): Promise<void> {
  const ledger = [...(await (await h.runtime.deps()).ledger.listItem(tenant, 'companies')).values()];
  const loadedBy = (runId: string) => ledger.filter((e) => e.runId === runId && e.status === 'loaded').length;
  for (const [n, r] of reports.entries()) {
    const item = r.items.find((i) => i.tenant === tenant)!;
    const accounted = item.loaded + item.byOther + item.unchanged + item.failed + item.failedBefore + item.ignored + item.superseded + item.wouldLoad + item.deferred;
    expect(accounted, JSON.stringify(item)).toBe(item.listed);
    expect(item.listed).toBe(listed);
    if (item.byOther > 0) expect(r.text).toContain(`${item.byOther} loaded by another execution`);
    expect(item.byOther, JSON.stringify(item)).toBe(loadedBy(reports[1 - n]!.runId) - item.unchanged);
  }
}
