/**
 * The streamed load path end to end: the Load reads each file itself and streams its rows into
 * the insert in chunks (of 100 rows here), for a ClickHouse that cannot read the bucket.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Deps } from '../../src/runtime/deps.js';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

let h: Harness;
let deps: Deps;
beforeAll(async () => {
  h = await openHarness({ ONCELOAD_LOAD_PATH: 'streamed', ONCELOAD_INSERT_BLOCK_ROWS: '100' });
  await h.stopMerges();
  deps = await h.runtime.deps();
});
afterAll(async () => h?.close());

it('loads JSON lines, gzip and CSV with quoted commas and line breaks, once, and a re-run moves nothing', async () => {
  const tenant = 'stream-ok';
  await h.addTenant(tenant, ['companies']);
  h.land(tenant, 'companies', 'a.jsonl', companyRows(range(1, 250)));
  h.land(tenant, 'companies', 'b.jsonl.gz', gzipSync(companyRows(range(1001, 30))));
  h.land(tenant, 'companies', 'c.csv', `id,name,last_updated,tenant_id\n2001,"Smith, Jones\nand Co",2026-01-02 00:00:00,${tenant}\n2002,plain,2026-01-02 00:00:00,\n`);
  const first = report(await h.run({ tenants: [tenant] }));
  expect(first.totals).toMatchObject({ loaded: 3, rows: 282 });
  expect(await h.rawCount('companies', tenant)).toBe(282);
  const [row] = await h.query<{ name: string; t: string }>('SELECT name, tenant_id AS t FROM companies WHERE id = 2001');
  expect(row).toEqual({ name: 'Smith, Jones\nand Co', t: tenant });
  // The small files, JSON lines and CSV, are one unit.
  const ledger = [...(await deps.ledger.listItem(tenant, 'companies')).values()];
  expect(ledger.map((e) => [e.status, e.rows])).toEqual([
    ['loaded', 250],
    ['loaded', 30],
    ['loaded', 2],
  ]);
  expect(new Set(ledger.map((e) => e.unit)).size).toBe(1);

  const again = report(await h.run({ tenants: [tenant] }));
  expect(again.totals.loaded).toBe(0);
  expect(await h.rawCount('companies', tenant)).toBe(282);
});

it('fails every bad file with its own message and row, inserts nothing of any, and loads the good ones', async () => {
  const tenant = 'stream-bad';
  await h.addTenant(tenant, ['companies']);
  const lines = (n: number, at: number, line: string) => {
    const rows = companyRows(range(1, n)).trimEnd().split('\n');
    rows[at - 1] = line;
    return rows.join('\n') + '\n';
  };
  const bad: Record<string, [string | Buffer, RegExp]> = {
    // Rows 301 and 220 are in the fourth and third chunks of 100: found before any chunk is inserted.
    'deep-json.jsonl': [lines(400, 301, '{"id": 301, "last_updated": "2026-01-01T00:00:00Z", "name": "unterminated}'), /row 301: a JSON object is not closed/],
    'deep-type.jsonl': [lines(250, 220, '{"id":"one","last_updated":"2026-01-01T00:00:00Z"}'), /row 220, column id: expected a whole number from 0 to 18446744073709551615; got "one"/],
    'seed.jsonl': ['{"id":1,"created_date":"2026-01-01","last_updated":"2026-01-01T00:00:00Z"}\n', /row 1, column created_date: "created_date" is not a column/],
    'no-id.jsonl': ['{"name":"x","last_updated":"2026-01-01T00:00:00Z"}\n', /row 1, column id: id is missing or null/],
    'no-version.csv': ['id,name\n1,x\n', /column last_updated: required column last_updated is missing/],
    'empty-version.csv': ['id,last_updated\n1,\n', /row 1, column last_updated: last_updated is missing or null/],
    'other-tenant.jsonl': ['{"id":1,"last_updated":"2026-01-01T00:00:00Z","tenant_id":"someone-else"}\n', /row 1, column tenant_id: tenant_id names another tenant/],
    'empty.jsonl': ['', /the file is empty/],
    'blank.jsonl': ['\n\n', /the file has no rows/],
    'corrupt.jsonl.gz': [Buffer.from('not gzip'), /not a readable gzip file/],
    'ragged.csv': ['id,last_updated\n1,2026-01-01 00:00:00,extra\n', /row 1: the row has 3 fields, the header 2/],
    'table.parquet': [Buffer.from('PAR1\u0000\u0000'), /cannot be streamed row by row; load it with ONCELOAD_LOAD_PATH=in-engine/],
  };
  for (const [name, [content]] of Object.entries(bad)) h.land(tenant, 'companies', name, content);
  h.land(tenant, 'companies', 'good.jsonl', companyRows(range(5000, 40)));

  const result = await h.run({ tenants: [tenant] });
  expect(result.status).toBe('FAILED');
  const ledger = await deps.ledger.listItem(tenant, 'companies');
  for (const [name, [, message]] of Object.entries(bad)) {
    const entry = ledger.get(`${tenant}/canonical/companies/${name}`);
    expect(entry?.status, name).toBe('failed');
    expect(entry?.error, name).toMatch(message);
    expect(result.report?.text).toContain(name);
  }
  expect(await h.rawCount('companies', tenant)).toBe(40);
});

it('loads keys with quotes, spaces, glob characters and unicode', async () => {
  const tenant = 'stream-keys';
  await h.addTenant(tenant, ['companies']);
  const names = ["it's \"quoted\"; DROP TABLE companies; --.jsonl", 'ünïcødé 日本/ファイル.jsonl', 'glob*and?q{a,b}[x]..jsonl'];
  names.forEach((name, i) => h.land(tenant, 'companies', name, companyRows(range(i * 100 + 1, 10))));
  expect(report(await h.run({ tenants: [tenant] })).totals.loaded).toBe(3);
  const files = await h.query<{ f: string }>('SELECT DISTINCT _file AS f FROM companies WHERE tenant_id = {t:String}', { t: tenant });
  expect(files.map((r) => r.f).sort()).toEqual(names.map((n) => `${tenant}/canonical/companies/${n}`).sort());
});

it('reads only the version it planned: a file replaced since is refused as superseded (the local S3 answers If-Match as S3 does), and its new version loads on its own', async () => {
  const tenant = 'stream-replaced';
  await h.addTenant(tenant, ['companies']);
  const key = h.land(tenant, 'companies', 'r.jsonl', companyRows(range(1, 5)));
  await h.runtime.syncLanding();
  const [old] = await deps.store.list(key);
  h.land(tenant, 'companies', 'r.jsonl', companyRows(range(1, 7)));
  await h.runtime.syncLanding();
  await expect(deps.store.read(key, old!.etag)).rejects.toMatchObject({ code: 'SUPERSEDED', message: expect.stringMatching(/replaced/) });
  expect(report(await h.run({ tenants: [tenant] })).totals.rows).toBe(7);
});
