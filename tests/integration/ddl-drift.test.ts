import { afterAll, beforeAll, expect, it } from 'vitest';
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
  expect(result.cause).toMatch(/contacts: engine is MergeTree.*expected ReplacingMergeTree\(last_updated\) ORDER BY \(tenant_id, id\)/);
  expect(result.cause).not.toMatch(/companies: engine/);
  const ddlAfter = await h.query<{ q: string }>('SELECT create_table_query AS q FROM system.tables WHERE name = {t:String}', { t: 'contacts' });
  expect(ddlAfter).toEqual(ddlBefore);
  expect(await h.rawCount('contacts', 'legacy')).toBe(2);
});
