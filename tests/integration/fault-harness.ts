/**
 * The setup the fault tests share: one harness for the test file with merges stopped (so a
 * second insert shows in the raw count), a fault injector cleared after each test, and tenants
 * of 250-row files. Short Lambda and claim timeouts make abandoned work expire in seconds.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { LedgerEntry } from '../../src/ports.js';
import type { Deps } from '../../src/runtime/deps.js';
import { faultInjector, type FaultInjector } from './faults.js';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

export interface FaultHarness {
  readonly h: Harness;
  readonly deps: Deps;
  readonly faults: FaultInjector;
  /** A fresh tenant with `files` files of 250 rows (three insert blocks each when loaded alone). */
  tenantWithFiles(files?: number): Promise<{ tenant: string; rows: number }>;
  /** Every row in the table once, every ledger item loaded, and a next run that moves nothing. */
  expectExactlyOnce(tenant: string, rows: number, each?: (entry: LedgerEntry) => boolean | Promise<boolean>): Promise<void>;
}

export function useFaultHarness(prefix: string, env: Record<string, string> = {}): FaultHarness {
  let h: Harness;
  let deps: Deps;
  let faults: FaultInjector;
  beforeAll(async () => {
    h = await openHarness({ ONCELOAD_INSERT_BLOCK_ROWS: '100', ...env }, { retryIntervalMs: 150, lambdaTimeoutSeconds: 2 });
    await h.stopMerges();
    deps = await h.runtime.deps();
    faults = faultInjector(deps);
  });
  afterEach(() => faults.clear());
  afterAll(async () => h?.close());

  let tenantSeq = 0;
  return {
    get h() {
      return h;
    },
    get deps() {
      return deps;
    },
    get faults() {
      return faults;
    },
    async tenantWithFiles(files = 2) {
      const tenant = `${prefix}-${++tenantSeq}`;
      await h.addTenant(tenant, ['companies']);
      for (const n of range(0, files)) h.land(tenant, 'companies', `f${n}.jsonl`, companyRows(range(n * 1000 + 1, 250)));
      return { tenant, rows: files * 250 };
    },
    async expectExactlyOnce(tenant, rows, each = () => true) {
      expect(await h.rawCount('companies', tenant)).toBe(rows);
      const ledger = [...(await deps.ledger.listItem(tenant, 'companies')).values()];
      expect(ledger.map((e) => [e.key, e.status, e.rows])).toEqual(ledger.map((e) => [e.key, 'loaded', 250]));
      expect(await Promise.all(ledger.map(each))).toEqual(ledger.map(() => true));
      const again = report(await h.run({ tenants: [tenant] }));
      expect(again.totals.loaded).toBe(0);
      expect(await h.rawCount('companies', tenant)).toBe(rows);
    },
  };
}
