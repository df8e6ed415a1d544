import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

/** A data dir of its own for each group: the first holds 10,000 tenants, which a sweep would list. */
function useHarness(): () => Harness {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await openHarness({ ONCELOAD_SWEEP_HOURS: '24' });
  });
  afterAll(async () => h?.close());
  return () => h!;
}

const tick = (h: Harness, startTime: Date) => h.runtime.execute({ due: true }, { retryIntervalMs: 20, startTime });

describe('arrival marks: a scheduled tick between sweeps looks only where something landed', () => {
  const harness = useHarness();
  it('over 10,000 tenants x 4 tables, loads the 1% with new files, and the next tick is idle within 50 state transitions and 5 Lambda invocations', async () => {
    const h = harness();
    const deps = await h.runtime.deps();
    const tenants = range(0, 10_000).map((n) => `t${String(n).padStart(5, '0')}`);
    await deps.tenants.putMany(tenants.map((tenantId) => ({ tenantId, service: 'scale', enabled: true })));
    // A sweep an hour ago: the ticks below are between sweeps.
    const now = Date.now();
    await deps.arrivals.recordSweep(new Date(now - 3600_000).toISOString());
    const active = tenants.filter((_, i) => i % 100 === 0);
    for (const tenant of active) h.land(tenant, 'companies', 'new.jsonl', companyRows(range(1, 2)));
    await h.runtime.syncLanding();
    expect(await deps.arrivals.list()).toHaveLength(100);

    const busy = await tick(h, new Date(now));
    const run = report(busy);
    expect(run.ok).toBe(true);
    expect(run.totals.items).toBe(100);
    expect(run.totals.loaded).toBe(100);
    // Each item's Plan cleared its mark once it had listed the folder.
    expect(await deps.arrivals.list()).toEqual([]);

    const idle = await tick(h, new Date(now + 60_000));
    expect(report(idle).totals.items).toBe(0);
    expect(idle.usage.stateTransitions).toBeLessThanOrEqual(50);
    expect(idle.usage.taskInvocations).toBeLessThanOrEqual(5);
  });
});

describe('arrival marks and sweeps', () => {
  const harness = useHarness();

  it('keeps a mark when something landed after the folder was listed, and a sweep catches an object no event told of', async () => {
    const h = harness();
    const deps = await h.runtime.deps();
    await h.addTenant('quiet', ['companies']);
    await deps.arrivals.mark('quiet', 'companies', '2026-01-01T00:00:10.000Z');
    await deps.arrivals.clear('quiet', 'companies', '2026-01-01T00:00:05.000Z');
    expect((await deps.arrivals.list()).map((m) => m.tenant)).toContain('quiet');
    await deps.arrivals.clear('quiet', 'companies', '2026-01-01T00:00:10.000Z');
    expect((await deps.arrivals.list()).map((m) => m.tenant)).not.toContain('quiet');

    // A sweep an hour ago; then an object written straight to the bucket: no mark, as when an event is lost.
    await deps.arrivals.recordSweep(new Date(Date.now() - 3600_000).toISOString());
    await deps.aws.s3.send(new PutObjectCommand({ Bucket: deps.config.landingBucket, Key: 'quiet/canonical/companies/missed.jsonl', Body: companyRows(range(1, 3)) }));
    const now = Date.now() + 120_000;
    const between = report(await tick(h, new Date(now)));
    expect(between.totals.items).toBe(0);
    // A day after the last sweep, the tick lists every item, and records that it swept.
    const sweep = report(await tick(h, new Date(now + 25 * 3600_000)));
    expect(sweep.items.find((i) => i.tenant === 'quiet')?.loaded).toBe(1);
    expect(await h.rawCount('companies', 'quiet')).toBe(3);
    expect(await deps.arrivals.lastSweep()).toBe(new Date(now + 25 * 3600_000).toISOString());
  });
});
