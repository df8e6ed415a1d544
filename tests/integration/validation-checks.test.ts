import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateRun } from '../../src/lib/validate.js';
import { companyRows, openHarness, range, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => h?.close());

it('fails validation naming the table when a canonical table is a plain MergeTree, and leaves the table and its rows untouched', async () => {
  const deps = await h.runtime.deps();
  await deps.clickhouse.command({
    query: `CREATE TABLE contacts (tenant_id LowCardinality(String), id UInt64, company_id UInt64, first_name String, last_name String,
              email String, title String, date_entered DateTime64(3), last_updated DateTime64(3), _file String, _etag String, _loaded_at DateTime64(3))
            ENGINE = MergeTree ORDER BY (tenant_id, id)`,
  });
  await deps.clickhouse.command({ query: "INSERT INTO contacts (tenant_id, id, last_updated) VALUES ('legacy', 1, now64(3)), ('legacy', 2, now64(3))" });
  const ddlBefore = await h.query<{ q: string }>('SELECT create_table_query AS q FROM system.tables WHERE name = {t:String}', { t: 'contacts' });

  await h.addTenant('drift', ['contacts', 'companies']);
  h.land('drift', 'contacts', 'c.jsonl', range(1, 3).map((id) => JSON.stringify({ id, last_updated: '2026-01-01T00:00:00Z' })).join('\n'));
  h.land('drift', 'companies', 'c.jsonl', companyRows(range(1, 3)));
  const result = await h.run({ tenants: ['drift'] });

  expect(result.status).toBe('FAILED');
  expect(result.cause).toMatch(/FAIL engine-ddl/);
  expect(result.report?.text).toMatch(/contacts: engine is MergeTree.*expected ReplacingMergeTree\(last_updated\) ORDER BY \(tenant_id, id\)/);
  expect(result.report?.text).not.toMatch(/companies: engine/);
  const ddlAfter = await h.query<{ q: string }>('SELECT create_table_query AS q FROM system.tables WHERE name = {t:String}', { t: 'contacts' });
  expect(ddlAfter).toEqual(ddlBefore);
  expect(await h.rawCount('contacts', 'legacy')).toBe(2);
  // A table of an earlier layout (String lineage columns) still takes the rows.
  expect(await h.rawCount('contacts', 'drift')).toBe(3);
});

describe('each count check fails on a crafted case', () => {
  async function loadedRun(tenant: string): Promise<{ runId: string; key: string }> {
    await h.addTenant(tenant, ['companies']);
    const key = h.land(tenant, 'companies', 'f.jsonl', companyRows(range(1, 20)));
    const result = await h.run({ tenants: [tenant] });
    expect(result.status).toBe('SUCCEEDED');
    return { runId: result.executionName, key };
  }

  async function revalidate(runId: string, tenant: string, countFinalBefore?: number) {
    const deps = await h.runtime.deps();
    const counts = { listed: 1, toLoad: countFinalBefore === undefined ? 1 : 0, new: 1, changed: 0, reset: 0, resumed: 0, unchanged: 0, failedBefore: 0, ignored: 0 };
    return validateRun(
      { runId, dryRun: false, items: [{ tenant, table: 'companies', countsAtStart: counts, plannedAt: new Date().toISOString(), countFinalBefore: countFinalBefore ?? null }] },
      { ledger: deps.ledger, warehouse: deps.warehouse },
    );
  }

  it('nothing doubled: fails when a file has more rows in the table than the ledger recorded', async () => {
    const { runId, key } = await loadedRun('doubled');
    expect((await revalidate(runId, 'doubled')).ok).toBe(true);
    await h.command(`INSERT INTO companies (tenant_id, id, last_updated, _file, _etag) SELECT tenant_id, id, last_updated, _file, _etag FROM companies WHERE tenant_id = 'doubled' LIMIT 3`);
    const report = await revalidate(runId, 'doubled');
    const check = report.checks.find((c) => c.name === 'nothing-doubled');
    expect(check?.ok).toBe(false);
    expect(check?.problems[0]).toContain(`${key}: 23 rows in the table, 20 in the file`);
  });

  it('nothing lost: fails when rows of a loaded file are missing from the table', async () => {
    const { runId, key } = await loadedRun('lost');
    await h.command("DELETE FROM companies WHERE tenant_id = 'lost' AND id <= 4");
    const report = await revalidate(runId, 'lost');
    const check = report.checks.find((c) => c.name === 'nothing-lost');
    expect(check?.ok).toBe(false);
    expect(check?.problems[0]).toContain(`${key}: 4 of 20 rows are not in the table`);
  });

  it('re-runs move nothing: fails when count() FINAL moved with no new file', async () => {
    const { runId } = await loadedRun('moved');
    expect((await revalidate(runId, 'moved', 20)).ok).toBe(true);
    await h.command("INSERT INTO companies (tenant_id, id, last_updated) VALUES ('moved', 999, now64(3))");
    const report = await revalidate(runId, 'moved', 20);
    const check = report.checks.find((c) => c.name === 'reruns-move-nothing');
    expect(check?.ok).toBe(false);
    expect(check?.problems[0]).toContain('was 20 before the run and 21 after');
    // Idle items are counted one query a table: each tenant its own count, one with no row 0.
    const counts = await (await h.runtime.deps()).warehouse.countFinalByTenant('companies', ['moved', 'nobody']);
    expect([...counts]).toEqual([['moved', 21], ['nobody', 0]]);
  });
});

it('fails the run naming the table and the reset when a table was dropped behind onceload, and the reset loads its files again once', async () => {
  await h.addTenant('dropped', ['tickets']);
  const rows = range(1, 30).map((id) => JSON.stringify({ id, company_id: 1, last_updated: '2026-01-01T00:00:00Z' })).join('\n');
  h.land('dropped', 'tickets', 'a.jsonl', rows);
  expect((await h.run({ tenants: ['dropped'] })).status).toBe('SUCCEEDED');
  await h.command('DROP TABLE tickets');

  const result = await h.run({ tenants: ['dropped'] });
  expect(result.status).toBe('FAILED');
  expect(result.cause).toMatch(/FAIL nothing-lost/);
  expect(result.report?.text).toContain('dropped/tickets: the table holds no row of this tenant, yet the ledger records 1 file(s) loaded earlier');
  expect(result.report?.text).toContain('onceload files reset --tenant dropped --table tickets --status loaded');

  const deps = await h.runtime.deps();
  expect(await deps.ledger.reset({ tenant: 'dropped', table: 'tickets', status: 'loaded' })).toBe(1);
  expect((await h.run({ tenants: ['dropped'] })).status).toBe('SUCCEEDED');
  expect(await h.rawCount('tickets', 'dropped')).toBe(30);
});

it('fails the run naming the table when its rows of the tenant were deleted behind onceload, though the run loads a new file', async () => {
  await h.addTenant('emptied', ['tickets']);
  const rows = (from: number) => range(from, 20).map((id) => JSON.stringify({ id, company_id: 1, last_updated: '2026-01-01T00:00:00Z' })).join('\n');
  h.land('emptied', 'tickets', 'a.jsonl', rows(1));
  expect((await h.run({ tenants: ['emptied'] })).status).toBe('SUCCEEDED');
  await h.command("DELETE FROM tickets WHERE tenant_id = 'emptied'");
  h.land('emptied', 'tickets', 'b.jsonl', rows(100));

  const result = await h.run({ tenants: ['emptied'] });
  expect(result.status).toBe('FAILED');
  expect(result.cause).toContain('emptied/tickets: the table holds no row of this tenant, yet the ledger records 1 file(s) loaded earlier');
});
