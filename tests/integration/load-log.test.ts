/**
 * The load log through the real ASL: one row per file version outcome, written after the ledger,
 * never twice for a retried or redone write, and never at the cost of the data.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOAD_LOG_TABLE } from '../../src/lib/load-log.js';
import type { LoadLogRow } from '../../src/ports.js';
import { errors, faultInjector, isInsert, type Call } from './faults.js';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness({ ONCELOAD_INSERT_BLOCK_ROWS: '100' });
});
afterAll(async () => h?.close());

const logInsert = (call: Call) => isInsert(call) && (call.sql ?? '').includes(LOAD_LOG_TABLE);

async function logOf(tenant: string): Promise<LoadLogRow[]> {
  const rows = await (await h.runtime.deps()).loadLog.read({ tenant, limit: 1000 });
  return rows.sort((a, b) => a.key.localeCompare(b.key));
}

/** Rows as stored, before any merge or FINAL: what the insert deduplication token alone kept out. */
async function rawLogRows(tenant: string): Promise<number> {
  const [row] = await h.query<{ n: string }>(`SELECT count() AS n FROM ${LOAD_LOG_TABLE} WHERE tenant_id = {tenant:String}`, { tenant });
  return Number(row?.n ?? 0);
}

async function stopLogMerges(): Promise<void> {
  await (await h.runtime.deps()).loadLog.ensure();
  await h.command(`SYSTEM STOP MERGES ${LOAD_LOG_TABLE}`);
}

describe('the load log', () => {
  it('logs each file version once: loaded with its rows and bytes, failed with its code, row and column; a log write redone in transit adds nothing', async () => {
    await stopLogMerges();
    await h.addTenant('logged', ['companies']);
    const good = companyRows(range(1, 40));
    h.land('logged', 'companies', 'a.jsonl', good);
    h.land('logged', 'companies', 'b.jsonl', companyRows(range(100, 10)));
    h.land('logged', 'companies', 'bad.jsonl', '{"id":1,"last_updated":"2026-01-01T00:00:00Z"}\n{"id":"abc","last_updated":"2026-01-01T00:00:00Z"}\n');
    // The first log write lands, and its caller hears a network error: it sends the same write again.
    const redo = faultInjector(await h.runtime.deps()).add({ store: 'clickhouse', when: logInsert, errorAfter: errors.clickhouseNetwork, times: 1 });

    const run = await h.run({ tenants: ['logged'] });
    expect(run.status).toBe('FAILED');
    expect(redo.fired()).toBe(1);
    const log = await logOf('logged');
    expect(log.map((r) => [r.key, r.outcome, r.rows, r.errorCode, r.errorRow, r.errorColumn])).toEqual([
      ['logged/canonical/companies/a.jsonl', 'loaded', 40, '', null, null],
      ['logged/canonical/companies/b.jsonl', 'loaded', 10, '', null, null],
      ['logged/canonical/companies/bad.jsonl', 'failed', 0, 'WRONG_TYPE', 2, 'id'],
    ]);
    const [a, , bad] = log;
    expect(a).toMatchObject({ tenant: 'logged', table: 'companies', bytes: Buffer.byteLength(good), generation: 0, runId: expect.stringMatching(/^run-/) });
    expect(a!.etag).toMatch(/^"?[0-9a-f]{32}"?$/);
    expect(Date.parse(a!.finishedAt)).toBeGreaterThanOrEqual(Date.parse(a!.startedAt));
    expect(bad!.errorMessage).toContain('row 2');
    // The ledger recorded the same outcomes first.
    const ledger = await (await h.runtime.deps()).ledger.listItem('logged', 'companies');
    expect(log.map((r) => ledger.get(r.key)?.status)).toEqual(['loaded', 'loaded', 'failed']);
    expect(await rawLogRows('logged')).toBe(3);

    // Nothing changed: a run again logs nothing new.
    expect((await h.run({ tenants: ['logged'] })).status).toBe('SUCCEEDED');
    expect(await rawLogRows('logged')).toBe(3);
  });

  it("answers the README's on-call queries", async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### The load log'), readme.indexOf('### Values load as written'));
    const queries = [...section.matchAll(/^onceload sql "([^"]+)"$/gm)].map((m) => m[1]!);
    expect(queries).toHaveLength(3);
    const [byCode, perDay, slowest] = await Promise.all(queries.map((q) => h.query<Record<string, string | number>>(q)));
    const numbers = (rows: Record<string, string | number>[] | undefined) => (rows ?? []).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, /^\d+$/.test(String(v)) ? Number(v) : v])));
    expect(numbers(byCode)).toContainEqual(expect.objectContaining({ error_code: 'WRONG_TYPE', files: 1, example: 'logged/canonical/companies/bad.jsonl' }));
    expect(numbers(perDay)).toContainEqual(expect.objectContaining({ tenant_id: 'logged', rows: 50, files: 2 }));
    expect(slowest!.map((r) => r.file_key)).toEqual(expect.arrayContaining(['logged/canonical/companies/a.jsonl', 'logged/canonical/companies/b.jsonl']));
  });

  it('shows one row for an outcome written twice, and the latest outcome of a version written again', async () => {
    const deps = await h.runtime.deps();
    const before = await logOf('logged');
    // The same write again (a Load retried after its log write): the engine drops it by its token.
    await deps.loadLog.write(before);
    expect(await rawLogRows('logged')).toBe(3);
    // A later outcome of one version (superseded, then loaded by another attempt): the rows collapse to it.
    const later = { ...before[0]!, outcome: 'superseded' as const, attempt: 'another', finishedAt: new Date(Date.parse(before[0]!.finishedAt) + 1000).toISOString() };
    await deps.loadLog.write([later]);
    expect(await rawLogRows('logged')).toBe(4);
    const after = await logOf('logged');
    expect(after).toHaveLength(3);
    expect(after[0]).toEqual(later);
    expect((await deps.loadLog.read({ tenant: 'logged', outcome: 'loaded', limit: 10 })).map((r) => r.key)).toEqual(['logged/canonical/companies/b.jsonl']);
  });

  it('logs each file once however many executions load the same work at once', async () => {
    await h.addTenant('crowd', ['companies']);
    for (let i = 0; i < 6; i++) h.land('crowd', 'companies', `f${i}.jsonl`, companyRows(range(i * 100, 5 + i)));
    const runs = await h.runMany(3, { tenants: ['crowd'] });
    expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const log = await logOf('crowd');
    expect(log.map((r) => [r.key.split('/').pop(), r.outcome, r.rows])).toEqual(range(0, 6).map((i) => [`f${i}.jsonl`, 'loaded', 5 + i]));
    // Written once each, by the attempt that recorded the outcome: no collapse needed.
    expect(await rawLogRows('crowd')).toBe(6);
    expect(await h.rawCount('companies', 'crowd')).toBe(45);
  });

  it('loads a file once and the run succeeds when the log cannot be written: only the log row is missing', async () => {
    await h.addTenant('unlogged', ['companies']);
    h.land('unlogged', 'companies', 'c.jsonl', companyRows(range(1, 25)));
    const down = faultInjector(await h.runtime.deps()).add({ store: 'clickhouse', when: logInsert, error: errors.clickhouseNetwork, times: 10 });
    const run = report(await h.run({ tenants: ['unlogged'] }));
    // The Load's three tries, then Validate's three: neither fails the run.
    expect(down.fired()).toBe(6);
    expect(run.warnings).toContainEqual(expect.stringContaining('load log: the rows its Loads and Plans did not write could not be written by Validate'));
    expect(run.totals).toMatchObject({ loaded: 1, rows: 25 });
    expect(await h.rawCount('companies', 'unlogged')).toBe(25);
    expect(await logOf('unlogged')).toEqual([]);
    faultInjector(await h.runtime.deps()).clear();
    expect(report(await h.run({ tenants: ['unlogged'] })).totals).toMatchObject({ loaded: 0, unchanged: 1 });
    expect(await h.rawCount('companies', 'unlogged')).toBe(25);
  });

  it('has one row per file version of a run whose Load never wrote its log rows: Validate writes them, and a re-run adds nothing', async () => {
    await stopLogMerges();
    const deps = await h.runtime.deps();
    await deps.tenants.put({ tenantId: 'repaired', service: 'test', enabled: true, tables: ['companies'], startAfter: '0-old.jsonl' });
    h.land('repaired', 'companies', '0-old.jsonl', companyRows(range(1, 5)));
    h.land('repaired', 'companies', 'a.jsonl', companyRows(range(1, 30)));
    h.land('repaired', 'companies', 'b.jsonl', companyRows(range(100, 7)));
    h.land('repaired', 'companies', 'bad.jsonl', '{"id":1,"last_updated":"2026-01-01T00:00:00Z"}\n{"id":"abc","last_updated":"2026-01-01T00:00:00Z"}\n');
    // Plan's write of the skip and the Load's write of its outcomes never happen (three tries each):
    // as if each had died right after the ledger accepted its outcomes.
    const lost = faultInjector(deps).add({ store: 'clickhouse', when: logInsert, error: errors.clickhouseNetwork, times: 6 });

    const run = await h.run({ tenants: ['repaired'] });
    expect(run.status).toBe('FAILED');
    expect(lost.fired()).toBe(6);
    faultInjector(deps).clear();
    expect(run.report?.warnings).toContainEqual(expect.stringContaining('load log: 4 row(s) written by Validate'));
    const log = await logOf('repaired');
    expect(log.map((r) => [r.key.split('/').pop(), r.outcome, r.rows, r.errorCode, r.attempt, r.runId])).toEqual([
      ['0-old.jsonl', 'skipped', 0, '', 'validate', run.executionName],
      ['a.jsonl', 'loaded', 30, '', 'validate', run.executionName],
      ['b.jsonl', 'loaded', 7, '', 'validate', run.executionName],
      ['bad.jsonl', 'failed', 0, 'WRONG_TYPE', 'validate', run.executionName],
    ]);
    expect(log[3]!.errorMessage).toContain('row 2');
    // Where the fault is, as the Load's own row would have named it: kept by the ledger.
    expect([log[3]!.errorRow, log[3]!.errorColumn]).toEqual([2, 'id']);
    expect(log[1]!.bytes).toBe(Buffer.byteLength(companyRows(range(1, 30))));
    // Its times are the ledger's: when the file was claimed, and when its outcome was recorded.
    const ledger = await deps.ledger.listItem('repaired', 'companies');
    expect(log.map((r) => [r.startedAt, r.finishedAt])).toEqual(log.map((r) => [ledger.get(r.key)!.startedAt, ledger.get(r.key)!.updatedAt]));
    expect(await rawLogRows('repaired')).toBe(4);

    // The Load's own write landing after all (same file version, its later time): under FINAL its row wins, one a version.
    await deps.loadLog.write(log.filter((r) => r.outcome === 'loaded').map((r) => ({ ...r, attempt: 'late-load', finishedAt: new Date(Date.parse(r.finishedAt) + 5).toISOString() })));
    expect((await logOf('repaired')).map((r) => r.attempt)).toEqual(['validate', 'late-load', 'late-load', 'validate']);
    // A re-run settles nothing and writes nothing.
    const again = report(await h.run({ tenants: ['repaired'] }));
    expect(again.warnings.filter((w) => w.startsWith('load log'))).toEqual([]);
    expect(await rawLogRows('repaired')).toBe(6);
    expect(await logOf('repaired')).toHaveLength(4);
  });

  it("has a row for the file of a Load that died right after the ledger recorded it: Validate's", async () => {
    await stopLogMerges();
    const deps = await h.runtime.deps();
    await h.addTenant('died', ['companies']);
    h.land('died', 'companies', 'a.jsonl', companyRows(range(1, 12)));
    h.land('died', 'companies', 'b.jsonl', companyRows(range(50, 8)));
    // The ledger records one file loaded, and the Load never hears of it: it throws, and its retry finds the file settled.
    const settledLoaded = (call: Call) =>
      call.operation === 'UpdateItemCommand' && call.target === deps.config.ledgerTable && JSON.stringify(call.input.ExpressionAttributeValues ?? {}).includes('"loaded"');
    const died = faultInjector(deps).add({ store: 'dynamodb', when: settledLoaded, errorAfter: errors.connectionReset, times: 1 });
    const run = report(await h.run({ tenants: ['died'] }));
    faultInjector(deps).clear();
    expect(died.fired()).toBe(1);
    expect(run.totals).toMatchObject({ loaded: 2, rows: 20 });
    expect(run.warnings).toContainEqual(expect.stringContaining('load log: 1 row(s) written by Validate'));
    const log = await logOf('died');
    expect(log.map((r) => [r.key.split('/').pop(), r.outcome, r.rows])).toEqual([
      ['a.jsonl', 'loaded', 12],
      ['b.jsonl', 'loaded', 8],
    ]);
    expect(log.filter((r) => r.attempt === 'validate')).toHaveLength(1);
    expect(await rawLogRows('died')).toBe(2);
    expect(await h.rawCount('companies', 'died')).toBe(20);
    report(await h.run({ tenants: ['died'] }));
    expect(await rawLogRows('died')).toBe(2);
  });

  it('fails validation when the log table would not collapse duplicates, naming it', async () => {
    await h.command(`DROP TABLE ${LOAD_LOG_TABLE}`);
    await h.command(`CREATE TABLE ${LOAD_LOG_TABLE} (tenant_id String, table_name String, file_key String, etag String, generation UInt32, finished_at DateTime64(3)) ENGINE = MergeTree ORDER BY (tenant_id, table_name, file_key)`);
    await h.addTenant('ddl', ['companies']);
    h.land('ddl', 'companies', 'd.jsonl', companyRows(range(1, 3)));
    const run = await h.run({ tenants: ['ddl'] });
    expect(run.status).toBe('FAILED');
    expect(run.cause).toContain(`${LOAD_LOG_TABLE}: engine is MergeTree`);
    // Dropped, the next run creates it as it must be.
    await h.command(`DROP TABLE ${LOAD_LOG_TABLE}`);
    h.land('ddl', 'companies', 'e.jsonl', companyRows(range(10, 3)));
    report(await h.run({ tenants: ['ddl'] }));
    expect((await logOf('ddl')).map((r) => r.outcome)).toEqual(['loaded']);
  });
});
