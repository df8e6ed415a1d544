import { afterAll, beforeAll, expect, it } from 'vitest';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  // Two files a round, two rounds an item in one execution.
  h = await openHarness({ ONCELOAD_PLAN_MAX_FILES: '2', ONCELOAD_BATCH_MAX_FILES: '1', ONCELOAD_MAX_ROUNDS: '2' });
});
afterAll(async () => h?.close());

it('an item with more files than its rounds load leaves the rest for the next run, says so, keeps its mark, and starves no other item', async () => {
  const deps = await h.runtime.deps();
  await h.addTenant('big', ['companies']);
  await h.addTenant('small', ['companies']);
  for (const n of range(0, 7)) h.land('big', 'companies', `f${n}.jsonl`, companyRows(range(n * 10 + 1, 2)));
  h.land('small', 'companies', 'f.jsonl', companyRows(range(1, 2)));
  // Ticks between sweeps, so the marks decide.
  await deps.arrivals.recordSweep(new Date(Date.now() - 3600_000).toISOString());
  await h.runtime.syncLanding();

  const first = report(await h.runtime.execute({ due: true }, { retryIntervalMs: 20 }));
  const big = first.items.find((i) => i.tenant === 'big')!;
  expect(big).toMatchObject({ listed: 7, loaded: 4, deferred: 3 });
  expect(first.items.find((i) => i.tenant === 'small')).toMatchObject({ loaded: 1, deferred: 0 });
  expect(first.ok).toBe(true);
  expect(first.totals.deferred).toBe(3);
  expect(first.text).toContain('3 left for the next run');
  expect(first.warnings.join('\n')).toContain('3 file(s) of 1 item(s) left for the next run');
  expect(big.loaded + big.unchanged + big.deferred).toBe(big.listed);
  expect((await deps.arrivals.list()).map((m) => m.tenant)).toEqual(['big']);

  const second = report(await h.runtime.execute({ due: true }, { retryIntervalMs: 20 }));
  expect(second.items.map((i) => i.tenant)).toEqual(['big']);
  expect(second.items[0]).toMatchObject({ loaded: 3, unchanged: 4, deferred: 0 });
  expect(await deps.arrivals.list()).toEqual([]);
  expect(await h.rawCount('companies', 'big')).toBe(14);
});
