/**
 * The audit that cannot agree with itself: `verify` and the Validate state count each loaded
 * file version again from its object, so rows removed, copied or dropped by a bad insert are
 * named by file, whatever the ledger recorded.
 */
import { expect, it } from 'vitest';
import { verify } from '../../src/lib/audit.js';
import { useFaultHarness } from './fault-harness.js';
import { isTableInsert } from './faults.js';
import { companyRows, range, report } from './harness.js';

const t = useFaultHarness('verify');
const keyOf = (tenant: string, n: number) => `${tenant}/canonical/companies/f${n}.jsonl`;
const audit = (tenant: string) => verify({ tenants: [tenant], tables: ['companies'] }, t.deps);

it('names exactly the file whose rows were deleted, copied, or that no loaded version owns', async () => {
  const { tenant } = await t.tenantWithFiles(3);
  expect(report(await t.h.run({ tenants: [tenant] })).ok).toBe(true);
  expect(await audit(tenant)).toMatchObject({ ok: true, filesChecked: 3, lost: [], doubled: [], stray: [] });

  // A delete is a mutation, which runs only while merges do (the harness stops them).
  await t.h.command('SYSTEM START MERGES companies');
  await t.h.command(`ALTER TABLE companies DELETE WHERE tenant_id = '${tenant}' AND _file = '${keyOf(tenant, 0)}' AND id % 5 = 0 SETTINGS mutations_sync = 2`);
  await t.h.command('SYSTEM STOP MERGES companies');
  await t.h.command(`INSERT INTO companies SELECT * FROM companies WHERE tenant_id = '${tenant}' AND _file = '${keyOf(tenant, 1)}' LIMIT 7`);
  await t.h.command(`INSERT INTO companies (tenant_id, id, last_updated, _file, _etag) VALUES ('${tenant}', 999999, now(), 'nowhere.jsonl', 'e0')`);
  const found = await audit(tenant);
  expect(found.ok).toBe(false);
  expect(found.lost).toEqual([`${tenant}/companies ${keyOf(tenant, 0)}: 50 of 250 rows are not in the table`]);
  expect(found.doubled).toEqual([`${tenant}/companies ${keyOf(tenant, 1)}: 257 rows in the table, 250 in the file`]);
  expect(found.stray).toHaveLength(1);
  expect(found.stray[0]).toContain('nowhere.jsonl');
});

it('fails Validate when an insert drops every other row, though the rows it counted in its own part agree with it', async () => {
  const { tenant } = await t.tenantWithFiles(1);
  t.faults.add({ store: 'clickhouse', when: isTableInsert, rewriteSql: (sql) => sql.replace(/\sSETTINGS /, ' AND toUInt64(id) % 2 = 0 SETTINGS ') });
  const result = await t.h.run({ tenants: [tenant] });
  expect(result.status).toBe('FAILED');
  expect(result.cause).toMatch(/FAIL nothing-lost/);
  expect(result.cause).toContain(`${keyOf(tenant, 0)}: 125 of 250 rows are not in the table`);
  expect((await audit(tenant)).lost).toHaveLength(1);
});

it('fails Validate when an insert lands every row twice', async () => {
  const { tenant } = await t.tenantWithFiles(1);
  const twice = (sql: string) => {
    const m = /^(\s*INSERT INTO [^(]+\([^)]*\))([\s\S]*?)(\sSETTINGS [\s\S]*)$/.exec(sql)!;
    return `${m[1]} ${m[2]} UNION ALL ${m[2]} ${m[3]}`;
  };
  t.faults.add({ store: 'clickhouse', when: isTableInsert, rewriteSql: twice });
  const result = await t.h.run({ tenants: [tenant] });
  expect(result.status).toBe('FAILED');
  expect(result.cause).toMatch(/FAIL nothing-doubled/);
  expect(result.cause).toContain(`${keyOf(tenant, 0)}: 500 rows in the table, 250 in the file`);
  expect((await audit(tenant)).doubled).toHaveLength(1);
});

it('fails Validate on rows under a file it settled of a version neither loaded nor being loaded, as a late insert of a superseded version leaves', async () => {
  const { tenant } = await t.tenantWithFiles(1);
  expect(report(await t.h.run({ tenants: [tenant] })).ok).toBe(true);
  // The file changes; before the run, rows land under its key with the lineage of a version the
  // ledger never recorded loaded: what a zombie's insert of a version that ended superseded leaves.
  t.h.land(tenant, 'companies', 'f0.jsonl', companyRows(range(1, 240)));
  await t.h.command(`INSERT INTO companies (tenant_id, id, last_updated, _file, _etag) SELECT '${tenant}', number + 1, now(), '${keyOf(tenant, 0)}', 'late-etag' FROM numbers(3)`);
  const result = await t.h.run({ tenants: [tenant] });
  expect(result.status).toBe('FAILED');
  expect(result.cause).toMatch(/FAIL nothing-doubled/);
  expect(result.cause).toContain(`${keyOf(tenant, 0)} (late-etag): 3 rows of a version neither loaded nor being loaded`);
  // The new version itself loaded once; verify names the same rows.
  expect((await audit(tenant)).stray).toEqual([`${tenant}/companies ${keyOf(tenant, 0)} (late-etag): 3 rows of no loaded version`]);
});
