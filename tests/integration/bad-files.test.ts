import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/lib/validate.js';
import { companyRows, openHarness, range, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness({ ONCELOAD_INSERT_BLOCK_ROWS: '100' });
  await h.stopMerges();
});
afterAll(async () => h?.close());

async function failedRun(tenant: string): Promise<RunReport> {
  const result = await h.run({ tenants: [tenant] });
  expect(result.status).toBe('FAILED');
  expect(result.error).toBe('ValidationFailed');
  // On failure the execution's cause is the readable report; the ledger has the details.
  return { text: result.cause } as RunReport;
}

async function ledgerOf(tenant: string) {
  return (await h.runtime.deps()).ledger.listItem(tenant, 'companies');
}

describe('bad files', () => {
  it('rejects a file with an unknown column, naming the column and the file; inserts nothing of it; loads the others', async () => {
    await h.addTenant('seed', ['companies']);
    h.land('seed', 'companies', 'good.jsonl', companyRows(range(1, 40)));
    h.land('seed', 'companies', 'renamed.jsonl', range(100, 5).map((id) => JSON.stringify({ id, created_date: '2026-01-01', last_updated: '2026-01-02T00:00:00Z' })).join('\n'));

    const run = await failedRun('seed');
    expect(run.text).toContain('created_date');
    expect(run.text).toContain('seed/canonical/companies/renamed.jsonl');
    const ledger = await ledgerOf('seed');
    expect(ledger.get('seed/canonical/companies/renamed.jsonl')?.status).toBe('failed');
    expect(ledger.get('seed/canonical/companies/renamed.jsonl')?.error).toContain('created_date');
    expect(ledger.get('seed/canonical/companies/good.jsonl')?.status).toBe('loaded');
    expect(await h.rawCount('companies', 'seed')).toBe(40);

    // Not retried until it changes: the next run skips it and succeeds.
    const rerun = await h.run({ tenants: ['seed'] });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(await h.rawCount('companies', 'seed')).toBe(40);
  });

  it('leaves nothing of a file whose bad line lies past its first insert block', async () => {
    await h.addTenant('deep', ['companies']);
    const lines = companyRows(range(1, 1000)).trimEnd().split('\n');
    lines[849] = '{"id": 850, "last_updated": "2026-01-01T00:00:00Z", "name": "unterminated}';
    h.land('deep', 'companies', 'deep.jsonl', lines.join('\n') + '\n');
    h.land('deep', 'companies', 'fine.jsonl', companyRows(range(5000, 10)));

    const run = await failedRun('deep');
    expect(run.text).toContain('deep/canonical/companies/deep.jsonl');
    expect(run.text).toMatch(/row 850/);
    expect(await h.rawCount('companies', 'deep')).toBe(10);
    const ledger = await ledgerOf('deep');
    expect(ledger.get('deep/canonical/companies/deep.jsonl')?.status).toBe('failed');
  });

  it('loads files that name their own tenant in tenant_id when their unit splits over a bad neighbour and each loads alone', async () => {
    const tenant = 'own-tenant';
    await h.addTenant(tenant, ['companies']);
    const own = range(1, 30).map((id) => JSON.stringify({ id, tenant_id: tenant, name: `c${id}`, last_updated: '2026-01-01T00:00:00Z' })).join('\n') + '\n';
    h.land(tenant, 'companies', 'own.jsonl', own);
    h.land(tenant, 'companies', 'own.csv', `id,tenant_id,name,last_updated\n${range(100, 20).map((id) => `${id},${tenant},c${id},2026-01-01T00:00:00Z`).join('\n')}\n`);
    h.land(tenant, 'companies', 'foreign.jsonl', '{"id":1000,"tenant_id":"someone-else","last_updated":"2026-01-01T00:00:00Z"}\n');

    await failedRun(tenant);
    const ledger = await ledgerOf(tenant);
    expect(ledger.get(`${tenant}/canonical/companies/foreign.jsonl`)?.status).toBe('failed');
    for (const name of ['own.jsonl', 'own.csv']) expect(ledger.get(`${tenant}/canonical/companies/${name}`), name).toMatchObject({ status: 'loaded' });
    expect(await h.rawCount('companies', tenant)).toBe(50);
  });

  it.each([
    ['missing id', 'no-id.jsonl', '{"name":"x","last_updated":"2026-01-01T00:00:00Z"}\n', /id/],
    ['missing last_updated', 'no-version.jsonl', '{"id":1,"name":"x"}\n{"id":2}\n', /last_updated/],
    ['a null id on row 2', 'null-id.jsonl', '{"id":1,"last_updated":"2026-01-01T00:00:00Z"}\n{"id":null,"last_updated":"2026-01-01T00:00:00Z"}\n', /row 2.*id|id.*row 2/],
    ['a wrong type', 'wrong-type.jsonl', '{"id":1,"last_updated":"2026-01-01T00:00:00Z"}\n{"id":"abc","last_updated":"2026-01-01T00:00:00Z"}\n', /row 2/],
    ['an empty file', 'empty.jsonl', '', /empty/],
    ['a CSV with a wrong header', 'bad.csv', 'id,last_updated,nme\n1,2026-01-01 00:00:00,x\n', /nme/],
    ['a corrupt gzip', 'corrupt.jsonl.gz', 'this is not gzip', /corrupt\.jsonl\.gz/],
    ['a truncated gzip', 'truncated.jsonl.gz', gzipSync(companyRows(range(1, 5000))).subarray(0, 9000), /^[^,]*, table companies, file "[^"]+truncated\.jsonl\.gz": not a readable gzip file \(truncated or corrupt\)/],
    ['a truncated parquet file', 'short.parquet', 'PAR1 truncated', /short\.parquet/],
    ['another tenant in tenant_id', 'foreign.jsonl', '{"id":1,"tenant_id":"someone-else","last_updated":"2026-01-01T00:00:00Z"}\n', /tenant_id/],
  ])('fails a file with %s, names the problem, and inserts nothing of it', async (_what, name, content, message) => {
    const tenant = `bad-${name.replace(/[^a-z]/g, '')}`;
    await h.addTenant(tenant, ['companies']);
    h.land(tenant, 'companies', name, content);
    h.land(tenant, 'companies', 'good.jsonl.gz', gzipSync(companyRows(range(1, 7))));
    const run = await failedRun(tenant);
    expect(run.text).toContain(`${tenant}/canonical/companies/${name}`);
    const entry = (await ledgerOf(tenant)).get(`${tenant}/canonical/companies/${name}`);
    expect(entry?.status).toBe('failed');
    expect(entry?.error).toMatch(message);
    expect(await h.rawCount('companies', tenant)).toBe(7);
    const other = await h.query<{ n: number }>("SELECT count() AS n FROM companies WHERE tenant_id = 'someone-else'");
    expect(Number(other[0]?.n)).toBe(0);
  });
});
