import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useFaultHarness } from './fault-harness.js';
import { errors, isInsert, type Call } from './faults.js';
import { companyRows, range, report } from './harness.js';

const t = useFaultHarness('rel');
const { tenantWithFiles, expectExactlyOnce } = t;

/** Plan's listing of a tenant's prefix (not the local landing sync, which lists the whole bucket). */
const planListing = (call: Call) => call.operation === 'ListObjectsV2Command' && String(call.input.Prefix ?? '').includes('/canonical/');

describe('a transient fault of one store is retried and the run succeeds', () => {
  it.each([
    ['DynamoDB throttling the ledger read', () => t.faults.add({ store: 'dynamodb', when: (c) => c.operation === 'QueryCommand', error: errors.throttling, times: 2 })],
    ['DynamoDB 500 on the tenants scan', () => t.faults.add({ store: 'dynamodb', when: (c) => c.target === t.deps.config.tenantsTable, error: errors.serverError, times: 2 })],
    ['DynamoDB connection reset on the idempotency table', () => t.faults.add({ store: 'dynamodb', when: (c) => c.target === t.deps.config.idempotencyTable, error: errors.connectionReset, times: 2 })],
    ['S3 500 on the listing', () => t.faults.add({ store: 's3', when: planListing, error: errors.s3ServerError, times: 2 })],
    ['S3 connection reset', () => t.faults.add({ store: 's3', when: planListing, error: errors.connectionReset, times: 1 })],
    ['ClickHouse connection reset while counting the rows of the part a unit wrote', () => t.faults.add({ store: 'clickhouse', when: (c) => !isInsert(c) && /_part AS part/.test(c.sql ?? ''), error: errors.clickhouseNetwork, times: 2 })],
  ])('%s', async (_what, inject) => {
    const { tenant, rows } = await tenantWithFiles();
    const fault = inject();
    const result = report(await t.h.run({ tenants: [tenant] }));
    expect(fault.fired()).toBeGreaterThanOrEqual(1);
    expect(result.ok).toBe(true);
    await expectExactlyOnce(tenant, rows);
  });
});

it('a Load past its timeout: the next attempt proceeds once the in-progress record and the claim expire', async () => {
  const { tenant, rows } = await tenantWithFiles(1);
  let release!: () => void;
  const hung = t.faults.add({ store: 'clickhouse', when: isInsert, hold: new Promise<void>((resolve) => (release = resolve)) });
  const stuck = t.h.run({ tenants: [tenant] });
  await expect.poll(() => hung.fired(), { timeout: 20_000 }).toBe(1);

  // The next attempt is either this execution or the stuck one's own retry of its timed-out
  // Load, whichever takes the expired claim first: either way exactly one of them loads the file.
  const next = report(await t.h.run({ tenants: [tenant] }));
  expect(await t.h.rawCount('companies', tenant)).toBe(rows);

  // The stuck attempt finally wakes: its late insert is dropped as a duplicate.
  release();
  const late = report(await stuck);
  expect(next.totals.loaded + late.totals.loaded).toBe(1);
  await expectExactlyOnce(tenant, rows);
});

it('fails every bad file beside good ones, each with its own message, and loads the good ones', async () => {
  const tenant = 'all-bad';
  await t.h.addTenant(tenant, ['companies']);
  const deep = companyRows(range(1, 400)).trimEnd().split('\n');
  deep[300] = '{"id": 301, "last_updated": "2026-01-01T00:00:00Z", "name": "unterminated}';
  const bad: Record<string, string | Buffer> = {
    'malformed.jsonl': '{"id":1,"last_updated":"2026-01-01T00:00:00Z"\n',
    'deep.jsonl': deep.join('\n') + '\n',
    'header.csv': 'id,last_updated,nme\n1,2026-01-01 00:00:00,x\n',
    'seed.jsonl': '{"id":1,"created_date":"2026-01-01","last_updated":"2026-01-01T00:00:00Z"}\n',
    'no-id.jsonl': '{"name":"x","last_updated":"2026-01-01T00:00:00Z"}\n',
    'no-version.jsonl': '{"id":1}\n',
    'type.jsonl': '{"id":"one","last_updated":"2026-01-01T00:00:00Z"}\n',
    'empty.jsonl': '',
    'corrupt.jsonl.gz': Buffer.from('not gzip'),
    'truncated.parquet': Buffer.from('PAR1\u0000\u0000'),
  };
  for (const [name, content] of Object.entries(bad)) t.h.land(tenant, 'companies', name, content);
  t.h.land(tenant, 'companies', 'good-1.jsonl', companyRows(range(1000, 30)));
  t.h.land(tenant, 'companies', 'good-2.jsonl.gz', gzipSync(companyRows(range(2000, 20))));

  const result = await t.h.run({ tenants: [tenant] });
  expect(result.status).toBe('FAILED');
  const ledger = await t.deps.ledger.listItem(tenant, 'companies');
  for (const name of Object.keys(bad)) {
    const entry = ledger.get(`${tenant}/canonical/companies/${name}`);
    expect(entry?.status, name).toBe('failed');
    expect(entry?.error, name).toContain(name);
    expect(result.report?.text).toContain(name);
  }
  expect(await t.h.rawCount('companies', tenant)).toBe(50);
});

it('loads S3 keys with quotes, spaces, semicolons, glob characters and unicode, and the tables survive', async () => {
  const tenant = 'hostile';
  await t.h.addTenant(tenant, ['companies']);
  const names = ["it's \"quoted\"; DROP TABLE companies; --.jsonl", 'ünïcødé 日本/ファイル.jsonl', 'glob*and?q{a,b}[x].jsonl', '100%+plus#hash&amp=.jsonl'];
  names.forEach((name, i) => t.h.land(tenant, 'companies', name, companyRows(range(i * 100 + 1, 10))));
  const result = report(await t.h.run({ tenants: [tenant] }));
  expect(result.totals.loaded).toBe(4);
  expect(await t.h.rawCount('companies', tenant)).toBe(40);
  const files = await t.h.query<{ f: string }>("SELECT DISTINCT _file AS f FROM companies WHERE tenant_id = 'hostile' ORDER BY f");
  expect(files.map((r) => r.f).sort()).toEqual(names.map((n) => `${tenant}/canonical/companies/${n}`).sort());
});

describe('reset', () => {
  it('loads a failed file on the next run once it is fixed in place', async () => {
    const tenant = 'fixed';
    await t.h.addTenant(tenant, ['companies']);
    t.h.land(tenant, 'companies', 'x.jsonl', '{"id":1,"created_date":"2026-01-01","last_updated":"2026-01-01T00:00:00Z"}\n');
    expect((await t.h.run({ tenants: [tenant] })).status).toBe('FAILED');
    t.h.land(tenant, 'companies', 'x.jsonl', '{"id":1,"date_entered":"2026-01-01","last_updated":"2026-01-01T00:00:00Z"}\n');
    expect(report(await t.h.run({ tenants: [tenant] })).totals.loaded).toBe(1);
    expect(await t.h.rawCount('companies', tenant)).toBe(1);
  });

  it('reloads a reset file once, under a new token, and FINAL still shows one row per id', async () => {
    const { tenant, rows } = await tenantWithFiles(1);
    report(await t.h.run({ tenants: [tenant] }));
    const key = `${tenant}/canonical/companies/f0.jsonl`;
    expect(await t.deps.ledger.reset({ tenant, table: 'companies', key })).toBe(1);

    const reloaded = report(await t.h.run({ tenants: [tenant] }));
    expect(reloaded.totals.loaded).toBe(1);
    expect(await t.h.rawCount('companies', tenant)).toBe(rows * 2);
    expect(await t.h.finalCount('companies', tenant)).toBe(rows);
    expect((await t.deps.ledger.get({ tenant, table: 'companies', key }))?.generation).toBe(1);

    expect(report(await t.h.run({ tenants: [tenant] })).totals.loaded).toBe(0);
    expect(await t.h.rawCount('companies', tenant)).toBe(rows * 2);
  });
});
