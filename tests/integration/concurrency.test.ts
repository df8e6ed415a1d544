import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectEachAccounts } from './accounting.js';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

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

it('each report of two executions at once accounts for every listed file, those the other loaded included', async () => {
  await h.addTenant('pair', ['companies']);
  for (const n of range(1, 30)) h.land('pair', 'companies', `part-${n}.jsonl`, companyRows(range(n * 1000, 20)));
  h.land('pair', 'companies', 'notes.txt', 'not a data file');

  const reports = (await h.runMany(2, { tenants: ['pair'] })).map(report);
  await expectEachAccounts(h, reports, 'pair', 31);
  for (const r of reports) expect(r.items[0]!.loaded + r.items[0]!.byOther).toBe(30);
  expect(reports[0]!.items[0]!.byOther + reports[1]!.items[0]!.byOther).toBeGreaterThan(0);
  // Each file loaded once, by one of the two.
  expect(reports[0]!.items[0]!.loaded + reports[1]!.items[0]!.loaded).toBe(30);
  expect(await h.rawCount('companies', 'pair')).toBe(600);
});
