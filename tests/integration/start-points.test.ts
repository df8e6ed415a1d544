/**
 * Start points through the real ASL: a tenant onboarded with `--since` or `--start-after` loads
 * only the files after it; the ones before are recorded `skipped` in the ledger and the load log,
 * counted in the report, and load once reset or once the start point moves back.
 */
import { rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateTenant } from '../../src/cli/tenant-commands.js';
import { LOAD_LOG_TABLE } from '../../src/lib/load-log.js';
import { parseStartSince } from '../../src/lib/start-point.js';
import type { ItemReport } from '../../src/lib/validate.js';
import type { FileStatus, LoadLogRow } from '../../src/ports.js';
import { errors, faultInjector, isInsert } from './faults.js';
import { companyRows, openHarness, range, report, type Harness, type RunResult } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => h?.close());


async function statuses(tenant: string): Promise<Record<string, FileStatus>> {
  const entries = await (await h.runtime.deps()).ledger.listItem(tenant, 'companies');
  return Object.fromEntries([...entries.values()].map((e) => [e.key.slice(`${tenant}/canonical/companies/`.length), e.status]));
}

/** The tenant's load log (FINAL: one row a file version), as `onceload log` reads it. */
async function logOf(tenant: string, outcome?: LoadLogRow['outcome']): Promise<LoadLogRow[]> {
  const rows = await (await h.runtime.deps()).loadLog.read({ tenant, limit: 1000, ...(outcome ? { outcome } : {}) });
  return rows.sort((a, b) => a.key.localeCompare(b.key) || a.generation - b.generation);
}

/** Skipped rows as stored, before any merge or FINAL: a re-run that wrote one more would show here. */
async function rawSkippedRows(tenant: string): Promise<number> {
  const [row] = await h.query<{ n: string }>(`SELECT count() AS n FROM ${LOAD_LOG_TABLE} WHERE tenant_id = {tenant:String} AND outcome = 'skipped'`, { tenant });
  return Number(row?.n ?? 0);
}

const short = (tenant: string, r: LoadLogRow) => r.key.slice(`${tenant}/canonical/companies/`.length);

/** The run's item of the tenant, checked to account for every listed file. */
function itemOf(result: RunResult, tenant: string): ItemReport {
  const r = report(result);
  expect(r.ok, r.text).toBe(true);
  const item = r.items.find((i) => i.tenant === tenant)!;
  const accounted = item.loaded + item.byOther + item.unchanged + item.failed + item.failedBefore + item.ignored + item.superseded + item.wouldLoad + item.deferred + item.skipped;
  expect(accounted, JSON.stringify(item)).toBe(item.listed);
  return item;
}

describe('a tenant onboarded with --since', () => {
  it('loads only the files last modified after it; the older ones are skipped, reported, and load once reset', async () => {
    const deps = await h.runtime.deps();
    await deps.tenants.put({ tenantId: 'hist', service: 'test', enabled: true, tables: ['companies'] });
    // Two files of the history, landed in 2024 (a new local object's LastModified is its file's time), and this year's file.
    const old1 = h.land('hist', 'companies', 'old-1.jsonl', companyRows(range(1, 5), '2024-06-01T00:00:00Z', 'old'));
    const old2 = h.land('hist', 'companies', 'old-2.jsonl', companyRows(range(6, 5), '2024-07-01T00:00:00Z', 'old'));
    utimesSync(join(h.runtime.landingDir, old1), new Date('2024-06-01T00:00:00Z'), new Date('2024-06-01T00:00:00Z'));
    utimesSync(join(h.runtime.landingDir, old2), new Date('2024-07-01T00:00:00Z'), new Date('2024-07-01T00:00:00Z'));
    h.land('hist', 'companies', 'new-1.jsonl', companyRows(range(11, 3), '2026-01-02T00:00:00Z', 'new'));
    await updateTenant(deps.tenants, 'hist', { since: parseStartSince('2025-01-01') });

    const firstRun = await h.run({ tenants: ['hist'] });
    const first = itemOf(firstRun, 'hist');
    expect(first).toMatchObject({ listed: 3, loaded: 1, rows: 3, skipped: 2 });
    expect(await statuses('hist')).toEqual({ 'old-1.jsonl': 'skipped', 'old-2.jsonl': 'skipped', 'new-1.jsonl': 'loaded' });
    expect(await h.finalCount('companies', 'hist')).toBe(3);
    // The load log has a row for each skipped version, written by Plan: no rows, the object's bytes, the run.
    const skippedRows = await logOf('hist', 'skipped');
    expect(skippedRows.map((r) => [short('hist', r), r.rows, r.bytes, r.generation, r.runId])).toEqual([
      ['old-1.jsonl', 0, Buffer.byteLength(companyRows(range(1, 5), '2024-06-01T00:00:00Z', 'old')), 0, firstRun.executionName],
      ['old-2.jsonl', 0, Buffer.byteLength(companyRows(range(6, 5), '2024-07-01T00:00:00Z', 'old')), 0, firstRun.executionName],
    ]);
    for (const r of skippedRows) expect(Date.parse(r.finishedAt)).toBeGreaterThanOrEqual(Date.parse(r.startedAt));
    expect((await logOf('hist')).map((r) => [short('hist', r), r.outcome])).toEqual([['new-1.jsonl', 'loaded'], ['old-1.jsonl', 'skipped'], ['old-2.jsonl', 'skipped']]);
    expect(await rawSkippedRows('hist')).toBe(2);

    // Again: nothing loads, the skipped entries are left as they were, the table does not move.
    const before = await deps.ledger.listItem('hist', 'companies');
    const againResult = await h.run({ tenants: ['hist'] });
    expect(report(againResult).text).toContain('2 skipped (before the start point)');
    expect(itemOf(againResult, 'hist')).toMatchObject({ listed: 3, loaded: 0, unchanged: 1, skipped: 2 });
    expect(await deps.ledger.listItem('hist', 'companies')).toEqual(before);
    expect(await h.finalCount('companies', 'hist')).toBe(3);
    // Nor the load log: the re-run's Plan records no skip, so it writes no row (counted as stored, not FINAL).
    expect(await rawSkippedRows('hist')).toBe(2);
    expect(await logOf('hist', 'skipped')).toEqual(skippedRows);

    // A reset loads a skipped file though it is before the start point, once.
    expect(await deps.ledger.reset({ tenant: 'hist', table: 'companies', key: 'hist/canonical/companies/old-1.jsonl' })).toBe(1);
    expect(itemOf(await h.run({ tenants: ['hist'] }), 'hist')).toMatchObject({ loaded: 1, rows: 5, skipped: 1, unchanged: 1 });
    expect(await statuses('hist')).toMatchObject({ 'old-1.jsonl': 'loaded', 'old-2.jsonl': 'skipped' });
    expect(itemOf(await h.run({ tenants: ['hist'] }), 'hist')).toMatchObject({ loaded: 0, skipped: 1, unchanged: 2 });
    expect(await h.finalCount('companies', 'hist')).toBe(8);
    // The reset is a new generation: its load is a row of its own beside the skip of generation 0.
    expect((await logOf('hist')).filter((r) => short('hist', r) === 'old-1.jsonl').map((r) => [r.generation, r.outcome, r.rows])).toEqual([[0, 'skipped', 0], [1, 'loaded', 5]]);
    expect(await rawSkippedRows('hist')).toBe(2);

    // A skipped file landed again is a new version, last modified now, after the start point: it loads.
    h.land('hist', 'companies', 'old-2.jsonl', companyRows(range(6, 5), '2026-02-01T00:00:00Z', 'again'));
    expect(itemOf(await h.run({ tenants: ['hist'] }), 'hist')).toMatchObject({ loaded: 1, rows: 5, skipped: 0, unchanged: 2 });
    expect(await statuses('hist')).toEqual({ 'old-1.jsonl': 'loaded', 'old-2.jsonl': 'loaded', 'new-1.jsonl': 'loaded' });
    expect(await h.finalCount('companies', 'hist')).toBe(13);
    expect(itemOf(await h.run({ tenants: ['hist'] }), 'hist')).toMatchObject({ loaded: 0, skipped: 0, unchanged: 3 });
  });
});

describe('a tenant onboarded with --start-after', () => {
  it('skips the keys at or before it in each table folder, a dry run writes no skip, a deleted skipped file is retired, and clearing it loads them', async () => {
    const deps = await h.runtime.deps();
    await deps.tenants.put({ tenantId: 'keys', service: 'test', enabled: true, tables: ['companies'], startAfter: '2025/12/31.jsonl' });
    h.land('keys', 'companies', '2025/12/30.jsonl', companyRows(range(1, 2)));
    h.land('keys', 'companies', '2025/12/31.jsonl', companyRows(range(3, 2)));
    h.land('keys', 'companies', '2025/12/31.jsonl.gz.txt', 'not a data file\n');
    h.land('keys', 'companies', '2026/01/01.jsonl', companyRows(range(5, 2)));

    const dry = report(await h.run({ tenants: ['keys'], dryRun: true }));
    expect(dry.items.find((i) => i.tenant === 'keys')).toMatchObject({ listed: 4, wouldLoad: 1, skipped: 2, ignored: 1 });
    expect(dry.text).toContain('2 skipped (before the start point)');
    expect(await statuses('keys')).toEqual({});
    expect(await logOf('keys')).toEqual([]);

    expect(itemOf(await h.run({ tenants: ['keys'] }), 'keys')).toMatchObject({ listed: 4, loaded: 1, rows: 2, skipped: 2, ignored: 1 });
    expect(await statuses('keys')).toEqual({ '2025/12/30.jsonl': 'skipped', '2025/12/31.jsonl': 'skipped', '2026/01/01.jsonl': 'loaded' });
    expect(await h.finalCount('companies', 'keys')).toBe(2);

    // A skipped file deleted from the bucket retires its entry, like a failed one.
    rmSync(join(h.runtime.landingDir, 'keys', 'canonical', 'companies', '2025', '12', '30.jsonl'));
    expect(itemOf(await h.run({ tenants: ['keys'] }), 'keys')).toMatchObject({ listed: 3, loaded: 0, skipped: 1, unchanged: 1 });
    expect(await statuses('keys')).toEqual({ '2025/12/30.jsonl': 'gone', '2025/12/31.jsonl': 'skipped', '2026/01/01.jsonl': 'loaded' });

    // The start point is judged on every run: cleared, what it skipped loads, once.
    await updateTenant(deps.tenants, 'keys', { startAfter: false });
    expect(itemOf(await h.run({ tenants: ['keys'] }), 'keys')).toMatchObject({ loaded: 1, rows: 2, skipped: 0, unchanged: 1 });
    expect(await h.finalCount('companies', 'keys')).toBe(4);
    // The same version skipped, then loaded: one row, its latest outcome.
    expect((await logOf('keys')).map((r) => [short('keys', r), r.outcome])).toEqual([
      ['2025/12/30.jsonl', 'skipped'],
      ['2025/12/31.jsonl', 'loaded'],
      ['2026/01/01.jsonl', 'loaded'],
    ]);
    expect(itemOf(await h.run({ tenants: ['keys'] }), 'keys')).toMatchObject({ loaded: 0, skipped: 0, unchanged: 2 });
  });
});

describe('the load log of skipped versions', () => {
  it('a log write that fails never fails the run: the skips are in the ledger, only their rows are missing', async () => {
    const deps = await h.runtime.deps();
    await deps.tenants.put({ tenantId: 'nolog', service: 'test', enabled: true, tables: ['companies'], startAfter: '2025/zz' });
    h.land('nolog', 'companies', '2025/a.jsonl', companyRows(range(1, 2)));
    h.land('nolog', 'companies', '2025/b.jsonl', companyRows(range(3, 2)));
    const logInsert = (call: Parameters<typeof isInsert>[0]) => isInsert(call) && (call.sql ?? '').includes(LOAD_LOG_TABLE);
    const down = faultInjector(deps).add({ store: 'clickhouse', when: logInsert, error: errors.clickhouseNetwork, times: 10 });
    try {
      expect(itemOf(await h.run({ tenants: ['nolog'] }), 'nolog')).toMatchObject({ listed: 2, loaded: 0, skipped: 2 });
      // Plan's one insert, sent three times (a write that fails in transit), then a warning; then
      // Validate's insert of the rows Plan did not write, three times too, and a warning.
      expect(down.fired()).toBe(6);
    } finally {
      faultInjector(deps).clear();
    }
    expect(await statuses('nolog')).toEqual({ '2025/a.jsonl': 'skipped', '2025/b.jsonl': 'skipped' });
    expect(await logOf('nolog')).toEqual([]);
    expect(itemOf(await h.run({ tenants: ['nolog'] }), 'nolog')).toMatchObject({ loaded: 0, skipped: 2 });
    expect(await logOf('nolog')).toEqual([]);
  });
});
