import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_TTL_ATTRIBUTE } from '../../src/dynamo-schema.js';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
  await h.stopMerges();
});
afterAll(async () => h?.close());

describe('the pipeline through the local runtime', () => {
  it('loads every file on the first run, and nothing on the second, with no count moving', async () => {
    await h.addTenant('first', ['companies', 'contacts']);
    h.land('first', 'companies', '2026/a.jsonl', companyRows(range(1, 150)));
    h.land('first', 'companies', '2026/b.jsonl', companyRows(range(151, 50)));
    h.land('first', 'contacts', 'c.jsonl', range(1, 30).map((id) => JSON.stringify({ id, email: `${id}@x`, last_updated: '2026-01-01 10:00:00' })).join('\n'));

    const first = report(await h.run({ tenants: ['first'] }));
    expect(first.ok).toBe(true);
    expect(first.totals.loaded).toBe(3);
    expect(first.totals.rows).toBe(230);
    expect(await h.rawCount('companies', 'first')).toBe(200);
    expect(await h.rawCount('contacts', 'first')).toBe(30);

    const second = report(await h.run({ tenants: ['first'] }));
    expect(second.ok).toBe(true);
    expect(second.totals.loaded).toBe(0);
    expect(second.totals.unchanged).toBe(3);
    expect(second.checks.find((c) => c.name === 'reruns-move-nothing')?.detail).toMatch(/^2 item/);
    expect(await h.rawCount('companies', 'first')).toBe(200);
    expect(await h.rawCount('contacts', 'first')).toBe(30);
  });

  it('writes no Plan idempotency record for a tenant x table with nothing new, and one per round that loads', async () => {
    const deps = await h.runtime.deps();
    const planRecords = async () => {
      const page = await deps.aws.dynamodb.send(
        new ScanCommand({ TableName: deps.config.idempotencyTable, FilterExpression: 'begins_with(id, :p)', ExpressionAttributeValues: { ':p': { S: 'onceload.plan' } } }),
      );
      return page.Items?.length ?? 0;
    };
    await h.addTenant('quiet', ['companies', 'contacts']);
    h.land('quiet', 'companies', 'a.jsonl', companyRows(range(1, 5)));
    const before = await planRecords();
    expect(report(await h.run({ tenants: ['quiet'] })).totals.loaded).toBe(1);
    // companies had a file: one record; contacts had none: no record.
    expect(await planRecords()).toBe(before + 1);
    // By default a ledger entry never expires: it must outlive the file it describes.
    const { Items } = await deps.aws.dynamodb.send(
      new ScanCommand({ TableName: deps.config.ledgerTable, FilterExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'quiet#companies' } } }),
    );
    expect(deps.config.ledgerTtlDays).toBe(0);
    expect(Items?.[0]?.status?.S).toBe('loaded');
    expect(Items?.[0]?.[LEDGER_TTL_ATTRIBUTE]).toBeUndefined();
    expect(report(await h.run({ tenants: ['quiet'] })).totals.loaded).toBe(0);
    expect(await planRecords()).toBe(before + 1);
  });

  it('keeps the newest last_updated under FINAL, and never lets an older version win', async () => {
    await h.addTenant('versions', ['companies']);
    h.land('versions', 'companies', '1.jsonl', companyRows([1, 2], '2026-02-01T00:00:00Z', 'middle'));
    report(await h.run({ tenants: ['versions'] }));
    h.land('versions', 'companies', '2.jsonl', companyRows([1], '2026-03-01T00:00:00Z', 'newest'));
    h.land('versions', 'companies', '3.jsonl', companyRows([2], '2026-01-01T00:00:00Z', 'oldest'));
    expect(report(await h.run({ tenants: ['versions'] })).totals.loaded).toBe(2);

    const rows = await h.query<{ id: string; name: string }>(
      "SELECT id, name FROM companies FINAL WHERE tenant_id = 'versions' ORDER BY id",
    );
    expect(rows.map((r) => [Number(r.id), r.name])).toEqual([
      [1, 'newest1'],
      [2, 'middle2'],
    ]);
  });

  it('loads a file again when its content changes, and leaves an unchanged one alone', async () => {
    await h.addTenant('changes', ['companies']);
    h.land('changes', 'companies', 'stable.jsonl', companyRows(range(1, 10)));
    h.land('changes', 'companies', 'moving.jsonl', companyRows(range(11, 10)));
    report(await h.run({ tenants: ['changes'] }));

    h.land('changes', 'companies', 'moving.jsonl', companyRows(range(11, 15), '2026-05-01T00:00:00Z'));
    const rerun = report(await h.run({ tenants: ['changes'] }));
    expect(rerun.totals.loaded).toBe(1);
    expect(rerun.totals.unchanged).toBe(1);
    const byFile = await h.query<{ file: string; etags: string; n: string }>(
      "SELECT _file AS file, uniqExact(_etag) AS etags, count() AS n FROM companies WHERE tenant_id = 'changes' GROUP BY _file ORDER BY _file",
    );
    expect(byFile.map((r) => [r.file, Number(r.etags), Number(r.n)])).toEqual([
      ['changes/canonical/companies/moving.jsonl', 2, 25],
      ['changes/canonical/companies/stable.jsonl', 1, 10],
    ]);
    expect(await h.finalCount('companies', 'changes')).toBe(25);
  });

  it('a dry run reports what would load and writes nothing: no ledger item, no row, no idempotency record', async () => {
    await h.addTenant('dry', ['companies']);
    h.land('dry', 'companies', 'x.jsonl', companyRows(range(1, 5)));
    const records = await h.idempotencyRecords();
    const dry = report(await h.run({ tenants: ['dry'], dryRun: true }));
    expect(dry.dryRun).toBe(true);
    expect(dry.totals.wouldLoad).toBe(1);
    expect(await h.idempotencyRecords()).toBe(records);
    expect(await h.rawCount('companies', 'dry')).toBe(0);
    const deps = await h.runtime.deps();
    expect((await deps.ledger.listItem('dry', 'companies')).size).toBe(0);
  });

  it('refuses bad execution input with a Fail state naming the field, before any work', async () => {
    const records = await h.idempotencyRecords();
    for (const [input, field] of [
      [{ tenants: ['nobody'] }, 'tenants[0]'],
      [{ tables: ['invoices'] }, 'tables[0]'],
      [{ dryrun: true }, 'dryrun'],
      [{ dryRun: 'yes' }, 'dryRun'],
    ] as const) {
      const result = await h.run(input);
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('InputError');
      expect(result.cause).toContain(field);
    }
    expect(await h.idempotencyRecords()).toBe(records);
  });
});
