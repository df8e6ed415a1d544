import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectEachAccounts } from './accounting.js';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  // Three files a round, one a batch: an item of ten files takes four rounds and a closing one.
  h = await openHarness({ ONCELOAD_PLAN_MAX_FILES: '3', ONCELOAD_BATCH_MAX_FILES: '1' });
});
afterAll(async () => h?.close());

it('an item loaded over several rounds counts every file once, from its Loads', async () => {
  await h.addTenant('rounds', ['companies']);
  for (const n of range(1, 10)) h.land('rounds', 'companies', `part-${String(n).padStart(2, '0')}.jsonl`, companyRows(range(n * 1000, 5)));
  const run = report(await h.run({ tenants: ['rounds'] }));
  expect(run.items[0]).toMatchObject({ listed: 10, loaded: 10, rows: 50, byOther: 0, failed: 0, superseded: 0 });
});

it('two executions at once over several rounds each count the files the other loaded among those it planned', async () => {
  await h.addTenant('pair', ['companies']);
  for (const n of range(1, 10)) h.land('pair', 'companies', `part-${String(n).padStart(2, '0')}.jsonl`, companyRows(range(n * 1000, 5)));
  const reports = (await h.runMany(2, { tenants: ['pair'] })).map(report);
  await expectEachAccounts(h, reports, 'pair', 10);
  expect(reports[0]!.items[0]!.loaded + reports[1]!.items[0]!.loaded).toBe(10);
  expect(await h.rawCount('companies', 'pair')).toBe(50);
});
