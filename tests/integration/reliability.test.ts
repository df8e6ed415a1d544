import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/runtime/deps.js';
import { errors, faultInjector, isInsert, type Call, type FaultInjector } from './faults.js';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

let h: Harness;
let deps: Deps;
let faults: FaultInjector;
beforeAll(async () => {
  // A short Lambda timeout and claim timeout, so abandoned work expires in seconds, not minutes.
  h = await openHarness({ ONCELOAD_INSERT_BLOCK_ROWS: '100', ONCELOAD_LOAD_TIMEOUT_SECONDS: '2' }, { retryIntervalMs: 150, lambdaTimeoutSeconds: 2 });
  await h.stopMerges();
  deps = await h.runtime.deps();
  faults = faultInjector(deps);
});
afterEach(() => faults.clear());
afterAll(async () => h?.close());

let tenantSeq = 0;
/** A fresh tenant with `files` files of 250 rows (three insert blocks each). */
async function tenantWithFiles(files = 2): Promise<{ tenant: string; rows: number }> {
  const tenant = `rel-${++tenantSeq}`;
  await h.addTenant(tenant, ['companies']);
  for (const n of range(0, files)) h.land(tenant, 'companies', `f${n}.jsonl`, companyRows(range(n * 1000 + 1, 250)));
  return { tenant, rows: files * 250 };
}

async function expectExactlyOnce(tenant: string, rows: number) {
  expect(await h.rawCount('companies', tenant)).toBe(rows);
  const ledger = [...(await deps.ledger.listItem(tenant, 'companies')).values()];
  expect(ledger.every((e) => e.status === 'loaded' && e.rows === 250)).toBe(true);
  // The next run finds nothing to do and moves nothing.
  const again = report(await h.run({ tenants: [tenant] }));
  expect(again.totals.loaded).toBe(0);
  expect(await h.rawCount('companies', tenant)).toBe(rows);
}

const ledgerWrite = (status: string) => (call: Call) =>
  call.operation === 'UpdateItemCommand' &&
  call.target === deps.config.ledgerTable &&
  JSON.stringify(call.input.ExpressionAttributeValues ?? {}).includes(`"${status}"`);

/** Plan's listing of a tenant's prefix (not the local landing sync, which lists the whole bucket). */
const planListing = (call: Call) => call.operation === 'ListObjectsV2Command' && String(call.input.Prefix ?? '').includes('/canonical/');

const idempotencyCompletion = (call: Call) =>
  call.operation === 'UpdateItemCommand' &&
  call.target === deps.config.idempotencyTable &&
  JSON.stringify(call.input.Key ?? {}).includes('onceload.load-file');

describe('a fault at each step of a Load leaves every file inserted exactly once', () => {
  it.each([
    ['before the insert', () => faults.add({ store: 'clickhouse', when: isInsert, error: errors.clickhouseNetwork })],
    [
      'during a multi-block insert (the first blocks committed)',
      () =>
        faults.add({
          store: 'clickhouse',
          when: isInsert,
          // The same statement cut short after two of its three blocks, then the connection drops.
          rewriteSql: (sql) => sql.replace(/\sSETTINGS /, ' LIMIT 200 SETTINGS '),
          errorAfter: errors.clickhouseNetwork,
        }),
    ],
    ['after the insert, before the ledger write', () => faults.add({ store: 'dynamodb', when: ledgerWrite('loaded'), error: errors.connectionReset })],
    ['after the ledger write, before the idempotency record is completed', () => faults.add({ store: 'dynamodb', when: idempotencyCompletion, errorAfter: errors.serverError })],
  ])('%s', async (_step, inject) => {
    const { tenant, rows } = await tenantWithFiles();
    const fault = inject();
    const result = report(await h.run({ tenants: [tenant] }));
    expect(fault.fired()).toBe(1);
    expect(result.ok).toBe(true);
    await expectExactlyOnce(tenant, rows);
  });
});

describe('a transient fault of one store is retried and the run succeeds', () => {
  it.each([
    ['DynamoDB throttling the ledger read', () => faults.add({ store: 'dynamodb', when: (c) => c.operation === 'QueryCommand', error: errors.throttling, times: 2 })],
    ['DynamoDB 500 on the tenants scan', () => faults.add({ store: 'dynamodb', when: (c) => c.target === deps.config.tenantsTable, error: errors.serverError, times: 2 })],
    ['DynamoDB connection reset on the idempotency table', () => faults.add({ store: 'dynamodb', when: (c) => c.target === deps.config.idempotencyTable, error: errors.connectionReset, times: 2 })],
    ['S3 500 on the listing', () => faults.add({ store: 's3', when: planListing, error: errors.s3ServerError, times: 2 })],
    ['S3 connection reset', () => faults.add({ store: 's3', when: planListing, error: errors.connectionReset, times: 1 })],
    ['ClickHouse connection reset while reading a file', () => faults.add({ store: 'clickhouse', when: (c) => /countIf/.test(c.sql ?? ''), error: errors.clickhouseNetwork, times: 2 })],
  ])('%s', async (_what, inject) => {
    const { tenant, rows } = await tenantWithFiles();
    const fault = inject();
    const result = report(await h.run({ tenants: [tenant] }));
    expect(fault.fired()).toBeGreaterThanOrEqual(1);
    expect(result.ok).toBe(true);
    await expectExactlyOnce(tenant, rows);
  });
});

it('a Load past its timeout: the next attempt proceeds once the in-progress record and the claim expire', async () => {
  const { tenant, rows } = await tenantWithFiles(1);
  let release!: () => void;
  const hung = faults.add({ store: 'clickhouse', when: isInsert, hold: new Promise<void>((resolve) => (release = resolve)) });
  const stuck = h.run({ tenants: [tenant] });
  await expect.poll(() => hung.fired(), { timeout: 20_000 }).toBe(1);

  const next = report(await h.run({ tenants: [tenant] }));
  expect(next.totals.loaded).toBe(1);
  expect(await h.rawCount('companies', tenant)).toBe(rows);

  // The stuck attempt finally wakes: its late insert is dropped as a duplicate.
  release();
  await stuck;
  await expectExactlyOnce(tenant, rows);
});

it('fails every bad file beside good ones, each with its own message, and loads the good ones', async () => {
  const tenant = 'all-bad';
  await h.addTenant(tenant, ['companies']);
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
  for (const [name, content] of Object.entries(bad)) h.land(tenant, 'companies', name, content);
  h.land(tenant, 'companies', 'good-1.jsonl', companyRows(range(1000, 30)));
  h.land(tenant, 'companies', 'good-2.jsonl.gz', gzipSync(companyRows(range(2000, 20))));

  const result = await h.run({ tenants: [tenant] });
  expect(result.status).toBe('FAILED');
  const ledger = await deps.ledger.listItem(tenant, 'companies');
  for (const name of Object.keys(bad)) {
    const entry = ledger.get(`${tenant}/canonical/companies/${name}`);
    expect(entry?.status, name).toBe('failed');
    expect(entry?.error, name).toContain(name);
    expect(result.cause).toContain(name);
  }
  expect(await h.rawCount('companies', tenant)).toBe(50);
});

it('loads S3 keys with quotes, spaces, semicolons, glob characters and unicode, and the tables survive', async () => {
  const tenant = 'hostile';
  await h.addTenant(tenant, ['companies']);
  const names = ["it's \"quoted\"; DROP TABLE companies; --.jsonl", 'ünïcødé 日本/ファイル.jsonl', 'glob*and?q{a,b}[x].jsonl', '100%+plus#hash&amp=.jsonl'];
  names.forEach((name, i) => h.land(tenant, 'companies', name, companyRows(range(i * 100 + 1, 10))));
  const result = report(await h.run({ tenants: [tenant] }));
  expect(result.totals.loaded).toBe(4);
  expect(await h.rawCount('companies', tenant)).toBe(40);
  const files = await h.query<{ f: string }>("SELECT DISTINCT _file AS f FROM companies WHERE tenant_id = 'hostile' ORDER BY f");
  expect(files.map((r) => r.f).sort()).toEqual(names.map((n) => `${tenant}/canonical/companies/${n}`).sort());
});

describe('reset', () => {
  it('loads a failed file on the next run once it is fixed in place', async () => {
    const tenant = 'fixed';
    await h.addTenant(tenant, ['companies']);
    h.land(tenant, 'companies', 'x.jsonl', '{"id":1,"created_date":"2026-01-01","last_updated":"2026-01-01T00:00:00Z"}\n');
    expect((await h.run({ tenants: [tenant] })).status).toBe('FAILED');
    h.land(tenant, 'companies', 'x.jsonl', '{"id":1,"date_entered":"2026-01-01","last_updated":"2026-01-01T00:00:00Z"}\n');
    expect(report(await h.run({ tenants: [tenant] })).totals.loaded).toBe(1);
    expect(await h.rawCount('companies', tenant)).toBe(1);
  });

  it('reloads a reset file once, under a new token, and FINAL still shows one row per id', async () => {
    const { tenant, rows } = await tenantWithFiles(1);
    report(await h.run({ tenants: [tenant] }));
    const key = `${tenant}/canonical/companies/f0.jsonl`;
    expect(await deps.ledger.reset({ tenant, table: 'companies', key })).toBe(1);

    const reloaded = report(await h.run({ tenants: [tenant] }));
    expect(reloaded.totals.loaded).toBe(1);
    expect(await h.rawCount('companies', tenant)).toBe(rows * 2);
    expect(await h.finalCount('companies', tenant)).toBe(rows);
    expect((await deps.ledger.get({ tenant, table: 'companies', key }))?.generation).toBe(1);

    expect(report(await h.run({ tenants: [tenant] })).totals.loaded).toBe(0);
    expect(await h.rawCount('companies', tenant)).toBe(rows * 2);
  });
});
