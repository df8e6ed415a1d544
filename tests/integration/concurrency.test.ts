import { afterAll, beforeAll, expect, it } from 'vitest';
import { companyRows, openHarness, range, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
  await h.stopMerges();
});
afterAll(async () => h?.close());

it('inserts each file once when 44 executions start at once on one tenant and table', async () => {
  await h.addTenant('crowd', ['companies']);
  for (const n of range(1, 5)) h.land('crowd', 'companies', `part-${n}.jsonl`, companyRows(range(n * 1000, 200)));

  const results = await h.runMany(44, { tenants: ['crowd'] });

  expect(results.map((r) => r.status)).toEqual(Array(44).fill('SUCCEEDED'));
  // Merges are stopped: a second insert of any file would show in the raw count.
  expect(await h.rawCount('companies', 'crowd')).toBe(1000);
  const ledger = await (await h.runtime.deps()).ledger.listItem('crowd', 'companies');
  expect(ledger.size).toBe(5);
  expect([...ledger.values()].every((e) => e.status === 'loaded' && e.rows === 200)).toBe(true);
  // Exactly one execution loaded each file; the others got its stored result.
  const loaders = new Set([...ledger.values()].map((e) => e.runId));
  expect(loaders.size).toBeGreaterThanOrEqual(1);
});
