import { afterAll, beforeAll, expect, it } from 'vitest';
import { CANONICAL_TABLES as CANONICAL } from '../../src/table-config.js';

const CANONICAL_TABLES = CANONICAL.names;
import { localDefinition } from '../../src/local/state-machine.js';
import { openHarness, range, report, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => h?.close());

it('runs one execution over 200 tenants x 4 tables with a bounded Map, well inside the state payload limit', async () => {
  const deps = await h.runtime.deps();
  for (const n of range(0, 200)) {
    const tenant = `t${String(n).padStart(3, '0')}`;
    await deps.tenants.put({ tenantId: tenant, service: 'scale', enabled: true });
    if (n % 20 === 0) {
      for (const table of CANONICAL_TABLES) h.land(tenant, table, 'f.jsonl', `{"id":1,"last_updated":"2026-01-01T00:00:00Z"}\n{"id":2,"last_updated":"2026-01-01T00:00:00Z"}\n`);
    }
  }
  // Each Plan lists its prefix once: listings in flight at once bound the Map's item concurrency.
  let inFlight = 0;
  let peak = 0;
  deps.aws.s3.middlewareStack.add(
    (next) => async (args) => {
      const prefix = String((args.input as { Prefix?: string }).Prefix ?? '');
      if (!prefix.includes('/canonical/')) return next(args);
      peak = Math.max(peak, ++inFlight);
      try {
        return await next(args);
      } finally {
        inFlight--;
      }
    },
    { step: 'initialize', name: 'countListings' },
  );
  await h.runtime.syncLanding();
  // Step Functions caps a state's payload at 256 KiB: the Map's summaries bound one execution.
  let summaries = '';
  const result = await h.runtime.execute({}, {
    retryIntervalMs: 20,
    onEvent: (event) => {
      if (event.type === 'StateExited' && event.state?.name === 'Plan and load every tenant and table') summaries = JSON.stringify(event.state.output);
    },
  });
  const run = report(result);
  expect(run.ok).toBe(true);
  expect(run.totals.items).toBe(800);
  expect(run.totals.loaded).toBe(40);
  expect(run.totals.rows).toBe(80);
  // The report (Validate's output, under AWS's cap, which the local runtime enforces) lists the
  // items with work first and counts the rest.
  expect(run.items.filter((i) => i.loaded > 0)).toHaveLength(40);
  expect(run.items).toHaveLength(400);
  expect(run.itemsNotListed).toBe(400);
  expect(result.usage.largestPayloadBytes).toBeLessThan(256 * 1024);
  const map = localDefinition().States['Plan and load every tenant and table'] as { MaxConcurrency: number };
  expect(peak).toBeGreaterThan(1);
  expect(peak).toBeLessThanOrEqual(map.MaxConcurrency);
  // 800 items in under 184 KiB, about 230 bytes an item: room for about 1,100 items an execution (README).
  expect(Buffer.byteLength(summaries)).toBeLessThan(184 * 1024);
});

it('plans a tenant x table of more files than one S3 listing page holds', async () => {
  const tenant = 'many-files';
  await h.addTenant(tenant, ['companies']);
  // S3 pages a listing at 1,000 keys; the local S3 must hand out continuation tokens too.
  const files = 1_050;
  for (const n of range(0, files)) h.land(tenant, 'companies', `f${n}.jsonl`, `{"id":${n + 1},"last_updated":"2026-01-01T00:00:00Z"}\n`);
  const dry = report(await h.run({ tenants: [tenant], dryRun: true }));
  expect(dry.totals.wouldLoad).toBe(files);
});

it('fails as AWS does, with States.DataLimitExceeded naming the state, when a state returns more than 256 KiB', async () => {
  const deps = await h.runtime.deps();
  // About 39 bytes an item: 2,000 tenants x 4 tables make Discover's output about 300 KiB.
  for (const n of range(0, 1800)) await deps.tenants.put({ tenantId: `u${String(n).padStart(4, '0')}`, service: 'scale', enabled: true });
  const result = await h.runtime.execute({}, { retryIntervalMs: 20 });
  expect(result.status).toBe('FAILED');
  expect(result.error).toBe('States.DataLimitExceeded');
  expect(result.cause).toMatch(/^The state\/task 'Discover tenants and tables' returned a result with a size exceeding the maximum number of bytes service limit/);
  expect(result.usage.largestPayloadBytes).toBeGreaterThan(256 * 1024);
});
