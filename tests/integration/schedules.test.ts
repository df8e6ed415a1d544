/**
 * Schedules through the real ASL: `{ "due": true }` runs only the tenants whose interval has
 * elapsed since their last success. The clock is the execution's start time, set per run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { WorkItem } from '../../src/lib/discover.js';
import { readDiscovery, type DiscoveryRecord } from '../../src/lib/run-files.js';
import { manifestKey } from '../../src/lib/run-layout.js';
import type { ExecutionResult } from '../../src/local/state-machine.js';
import { faultInjector } from './faults.js';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => h?.close());

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const minutes = (n: number) => new Date(T0 + n * 60_000);

/** One execution started at `at`, with what its Discover wrote to the runs bucket (items and the tenants not due). */
async function tick(at: Date, input: unknown = { due: true }): Promise<{ result: ExecutionResult; discovery: (Omit<DiscoveryRecord, 'items'> & { items: WorkItem[] }) | undefined }> {
  await h.runtime.syncLanding();
  const result = await h.runtime.execute(input, { retryIntervalMs: 20, startTime: at });
  const runs = (await h.runtime.deps()).runs;
  const manifest = await runs.get(manifestKey(result.executionName));
  if (manifest === undefined) return { result, discovery: undefined };
  const items = manifest.split('\n').filter(Boolean).map((line) => JSON.parse(line) as WorkItem);
  return { result, discovery: { ...(await readDiscovery(runs, result.executionName)), items } };
}

const tenantsRun = (result: ExecutionResult) => [...new Set(report(result).items.map((i) => i.tenant))].sort();

/** A tenant of the companies table with a schedule, and optionally a last success already. */
async function scheduled(tenantId: string, everySeconds: number, lastSuccessAt?: Date): Promise<void> {
  const deps = await h.runtime.deps();
  const last = lastSuccessAt ? { lastSuccessAt: lastSuccessAt.toISOString() } : {};
  await deps.tenants.put({ tenantId, service: 'test', enabled: true, tables: ['companies'], everySeconds, ...last });
}

async function lastSuccess(tenant: string): Promise<string | undefined> {
  const tenants = await (await h.runtime.deps()).tenants.list();
  return tenants.find((t) => t.tenantId === tenant)?.lastSuccessAt;
}

describe('due runs', () => {
  it('runs a scheduled tenant once its interval has elapsed, and an unscheduled one on every tick where it has new files', async () => {
    await scheduled('a', 3600);
    await h.addTenant('b', ['companies']);
    h.land('a', 'companies', '1.jsonl', companyRows(range(1, 10)));
    h.land('b', 'companies', '1.jsonl', companyRows(range(1, 10)));

    const first = await tick(minutes(0));
    expect(tenantsRun(first.result)).toEqual(['a', 'b']);
    expect(report(first.result).totals.loaded).toBe(2);
    expect(await lastSuccess('a')).toBe(minutes(0).toISOString());
    // b has no schedule: due on every tick, and no write to record it.
    expect(await lastSuccess('b')).toBeUndefined();

    h.land('a', 'companies', '2.jsonl', companyRows(range(11, 5)));
    h.land('b', 'companies', '2.jsonl', companyRows(range(11, 5)));
    const half = await tick(minutes(30));
    expect(tenantsRun(half.result)).toEqual(['b']);
    expect(report(half.result).totals.loaded).toBe(1);
    expect(half.discovery?.notDue).toEqual([{ tenant: 'a', dueAt: minutes(60).toISOString() }]);
    expect(report(half.result).notDue).toEqual([{ tenant: 'a', dueAt: minutes(60).toISOString() }]);
    expect(report(half.result).text).toContain(`not due, skipped: 1 tenant(s)\n  - a: next due ${minutes(60).toISOString()}`);
    expect(await h.rawCount('companies', 'a')).toBe(10);
    expect(await lastSuccess('a')).toBe(minutes(0).toISOString());
    expect(await lastSuccess('b')).toBeUndefined();

    // a's mark waited while it was not due; b has nothing new since the last tick, so no item.
    const later = await tick(minutes(61));
    expect(tenantsRun(later.result)).toEqual(['a']);
    expect(later.discovery?.notDue).toEqual([]);
    expect(await h.rawCount('companies', 'a')).toBe(15);
    expect(await lastSuccess('a')).toBe(minutes(61).toISOString());

    // A run that started earlier but validates later never moves the last success back.
    report((await tick(minutes(45), { tenants: ['a'] })).result);
    expect(await lastSuccess('a')).toBe(minutes(61).toISOString());
  });

  it('succeeds with nothing to do when no tenant is due', async () => {
    await scheduled('idle', 3600, minutes(0));
    const { result, discovery } = await tick(minutes(10), { due: true, tenants: ['idle'] });
    expect(report(result).ok).toBe(true);
    expect(report(result).items).toEqual([]);
    expect(discovery?.items).toEqual([]);
    expect(discovery?.notDue).toEqual([{ tenant: 'idle', dueAt: minutes(60).toISOString() }]);
    expect(await lastSuccess('idle')).toBe(minutes(0).toISOString());
  });

  it('records no success for a dry run', async () => {
    await scheduled('dry', 3600);
    h.land('dry', 'companies', '1.jsonl', companyRows(range(1, 2)));
    const dry = await tick(minutes(0), { due: true, tenants: ['dry'], dryRun: true });
    expect(tenantsRun(dry.result)).toEqual(['dry']);
    expect(await lastSuccess('dry')).toBeUndefined();
    // A dry run leaves the arrival mark for the run that loads.
    expect((await (await h.runtime.deps()).arrivals.list()).some((m) => m.tenant === 'dry')).toBe(true);
  });

  it('records no success for a run that fails validation, so the tenant stays due', async () => {
    await scheduled('c', 3600);
    h.land('c', 'companies', 'renamed.jsonl', JSON.stringify({ id: 1, created_date: '2026-01-01', last_updated: '2026-01-02T00:00:00Z' }) + '\n');

    const failed = await tick(minutes(0), { due: true, tenants: ['c'] });
    expect(failed.result.status).toBe('FAILED');
    expect(failed.result.error).toBe('ValidationFailed');
    expect(await lastSuccess('c')).toBeUndefined();

    // Still due five minutes later, but the failed file is not retried until it changes: nothing to do.
    const idle = await tick(minutes(5), { due: true, tenants: ['c'] });
    expect(tenantsRun(idle.result)).toEqual([]);
    expect(await lastSuccess('c')).toBeUndefined();
    // The file fixed: the tick loads it and validates.
    h.land('c', 'companies', 'renamed.jsonl', JSON.stringify({ id: 1, last_updated: '2026-01-02T00:00:00Z' }) + '\n');
    const retried = await tick(minutes(6), { due: true, tenants: ['c'] });
    expect(tenantsRun(retried.result)).toEqual(['c']);
    expect(await lastSuccess('c')).toBe(minutes(6).toISOString());
  });

  it('skips a tick while an earlier execution is still running, says so in the report, and runs the next tick once it has ended', async () => {
    await scheduled('slow', 60);
    h.land('slow', 'companies', '1.jsonl', companyRows(range(1, 3)));
    await h.runtime.syncLanding();
    // The earlier execution is held at its Plan's listing of the tenant's folder.
    let release!: () => void;
    const held = faultInjector(await h.runtime.deps()).add({
      store: 's3',
      when: (c) => c.operation === 'ListObjectsV2Command' && String(c.input.Prefix ?? '').startsWith('slow/canonical/'),
      hold: new Promise<void>((resolve) => (release = resolve)),
    });
    const earlier = h.runtime.execute({ tenants: ['slow'] }, { retryIntervalMs: 20, startTime: minutes(0), executionName: 'run-earlier' });
    await vi.waitFor(() => expect(held.fired()).toBe(1), { timeout: 30_000 });

    const skipped = await tick(minutes(2), { due: true, tenants: ['slow'] });
    const run = report(skipped.result);
    expect(run.ok).toBe(true);
    expect(run.skipped).toBe('the tick was skipped: run run-earlier, started earlier, is still running');
    expect(run.totals.items).toBe(0);
    expect(run.text).toContain('the tick was skipped: run run-earlier');
    expect((skipped.result.output as { skipped?: string }).skipped).toBe(run.skipped);
    expect(skipped.discovery?.items).toEqual([]);
    // A run started by hand is never skipped.
    expect(report(await h.runtime.execute({ tenants: ['slow'], dryRun: true }, { retryIntervalMs: 20, startTime: minutes(3) })).skipped).toBeUndefined();

    release();
    expect(report(await earlier).totals.loaded).toBe(1);
    h.land('slow', 'companies', '2.jsonl', companyRows(range(4, 2)));
    const next = await tick(minutes(4), { due: true, tenants: ['slow'] });
    expect(report(next.result).skipped).toBeUndefined();
    expect(tenantsRun(next.result)).toEqual(['slow']);
  });

  it('keeps the last success when a tenant is added again with a new schedule, or none', async () => {
    const deps = await h.runtime.deps();
    const find = async () => (await deps.tenants.list()).find((t) => t.tenantId === 'moved');
    await scheduled('moved', 3600, minutes(0));
    await scheduled('moved', 7200);
    expect(await find()).toMatchObject({ everySeconds: 7200, lastSuccessAt: minutes(0).toISOString() });
    await deps.tenants.put({ tenantId: 'moved', service: 'test', enabled: true, tables: ['companies'] });
    expect(await find()).toEqual({ tenantId: 'moved', service: 'test', enabled: true, tables: ['companies'], lastSuccessAt: minutes(0).toISOString() });
  });
});

describe('schedules through the CLI', () => {
  const BIN = join(import.meta.dirname, '../../bin/onceload.js');
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'onceload-due-cli-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  function onceload(...args: string[]) {
    const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ONCELOAD_DATA_DIR: dataDir }, timeout: 120_000 });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it('adds a tenant with --every, refuses a bad duration, and skips the tenant on a --due run until it is due', () => {
    const bad = onceload('tenants', 'add', 'often', '--every', '30s');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--every');
    expect(onceload('tenants', 'add', 'hourly', '--every', '1h', '--tables', 'companies').stdout).toContain('tenant hourly added, due every 1h');
    expect(onceload('tenants', 'list').stdout).toMatch(/hourly\tdefault\ttrue\tcompanies\t1h\t-/);

    const dir = join(dataDir, 'landing', 'hourly', 'canonical', 'companies');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.jsonl'), companyRows(range(1, 3)));
    const first = onceload('run', '--due');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/1 file\(s\) loaded \(3 rows\)/);
    expect(onceload('tenants', 'list').stdout).toMatch(/hourly\tdefault\ttrue\tcompanies\t1h\t\d{4}-\d\d-\d\dT[\d:.]+Z/);

    const again = onceload('run', '--due');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('not due, skipped: 1 tenant(s)');
    expect(again.stdout).toMatch(/- hourly: next due \d{4}-/);
  });
});
