import { afterAll, beforeAll, expect, it } from 'vitest';
import { CANONICAL_TABLES as CANONICAL } from '../../src/table-config.js';

const CANONICAL_TABLES = CANONICAL.names;
import { withoutLocalFields } from '../../src/local/distributed-map.js';
import { localDefinition } from '../../src/local/state-machine.js';
import { openHarness, range, report, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness({ ONCELOAD_MAP_CONCURRENCY: '3' });
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
  const result = await h.runtime.execute({}, { retryIntervalMs: 20 });
  const run = report(result);
  expect(run.ok).toBe(true);
  expect(run.totals.items).toBe(800);
  expect(run.totals.loaded).toBe(40);
  expect(run.totals.rows).toBe(80);
  // The full report, in the runs bucket, lists every item, those with work first.
  expect(run.items).toHaveLength(800);
  expect(run.items.slice(0, 40).every((i) => i.loaded > 0)).toBe(true);
  expect(result.usage.largestPayloadBytes).toBeLessThan(256 * 1024);
  const map = localDefinition().States['Plan and load every tenant and table'] as { MaxConcurrencyPath: string };
  expect(map.MaxConcurrencyPath).toBe('$.maxConcurrency');
  expect(peak).toBeGreaterThan(1);
  // The stage's ONCELOAD_MAP_CONCURRENCY (the harness sets 3), handed to the Map by Discover.
  expect(peak).toBeLessThanOrEqual(3);
});

it('plans a tenant x table of more files than one S3 listing page holds', async () => {
  const tenant = 'many-files';
  await h.addTenant(tenant, ['companies']);
  // S3 pages a listing at 1,000 keys; the local S3 must hand out continuation tokens too.
  const files = 1_050;
  for (const n of range(0, files)) h.land(tenant, 'companies', `f${n}.jsonl`, `{"id":${n + 1},"last_updated":"2026-01-01T00:00:00Z"}\n`);
  const dry = report(await h.run({ tenants: [tenant], dryRun: true }));
  expect(dry.totals.wouldLoad).toBe(files);
  // The report names every file it would load, however many (no state carries them).
  expect(dry.wouldLoadFiles).toHaveLength(files);
  expect(new Set(dry.wouldLoadFiles!.map((f) => f.key)).size).toBe(files);
  expect(dry.text).toContain(`would load ${files.toLocaleString('en-US')} file(s):`);
});

it('runs 1,201 tenant x table items in one execution: no state carries the items, the summary stays under 8 KiB, the report in the runs bucket lists them all', async () => {
  const deps = await h.runtime.deps();
  // The Map's output used to carry every item's summary, about 230 bytes each: past about 1,100 items it broke the 256 KiB cap.
  await deps.tenants.putMany(range(0, 100).map((n) => ({ tenantId: `u${String(n).padStart(4, '0')}`, service: 'scale', enabled: true })));
  // As AWS sees them: without the local runtime's ItemReader and ResultWriter steps and fields.
  const local = localDefinition().emulation.steps;
  const sizes = new Map<string, number>();
  const result = await h.runtime.execute({}, {
    retryIntervalMs: 20,
    onEvent: (event) => {
      if (event.type === 'StateExited' && event.index === undefined && event.state && !local.has(event.state.name)) sizes.set(event.state.name, Buffer.byteLength(JSON.stringify(withoutLocalFields(event.state.output))));
    },
  });
  const run = report(result);
  expect(run.ok).toBe(true);
  expect(run.totals.items).toBe(100 * 4 + 200 * 4 + 1);
  expect(run.items).toHaveLength(run.totals.items);
  // Every state of the parent execution passes a few hundred bytes: locations and totals, no lists.
  expect(sizes.size).toBeGreaterThan(5);
  expect(Math.max(...sizes.values())).toBeLessThan(8 * 1024);
  expect(sizes.get('Discover tenants and tables')).toBeLessThan(1024);
  // The execution's output is Validate's summary, with where the full report is.
  const summary = result.output as { report: { Bucket: string; Key: string }; text: string };
  expect(Buffer.byteLength(JSON.stringify(summary))).toBeLessThan(8 * 1024);
  expect(summary.report).toEqual({ Bucket: 'onceload-runs', Key: `runs/${result.executionName}/report.json` });
  expect(summary.text).toContain(`full report: s3://onceload-runs/runs/${result.executionName}/report.json`);
});

it('fails as AWS does, with States.DataLimitExceeded, when an execution input passes 256 KiB', async () => {
  const result = await h.runtime.execute({ tenants: ['x'.repeat(300 * 1024)] }, { retryIntervalMs: 20 });
  expect(result.status).toBe('FAILED');
  expect(result.error).toBe('States.DataLimitExceeded');
  expect(result.usage.largestPayloadBytes).toBeGreaterThan(256 * 1024);
});
