/**
 * Attempts of the deployed Load handler interleaved by hand against the real embedded stores
 * (dynalite, the local S3, chDB): one attempt is parked at a named step by a hold at its
 * client, outlives its invocation, and another attempt runs the same batch meanwhile.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { handler as load } from '../../functions/load.js';
import type { LoadBatchInput } from '../../src/lib/load.js';
import type { FileResult } from '../../src/lib/results.js';
import { lambdaContext } from '../../src/local/lambda-context.js';
import { useFaultHarness } from './fault-harness.js';
import type { Call } from './faults.js';
import { companyRows, range, report } from './harness.js';

const t = useFaultHarness('interleave');

async function batchOf(tenant: string, runId: string): Promise<LoadBatchInput> {
  await t.h.runtime.syncLanding();
  const files = await t.deps.store.list(`${tenant}/canonical/companies/`);
  return { runId, tenant, table: 'companies', round: 0, batch: 0, files: files.map((f) => ({ key: f.key, etag: f.etag, size: f.size, generation: 0 })) };
}

const invoke = (event: LoadBatchInput, timeoutSeconds: number) =>
  (load as unknown as (e: unknown, c: unknown) => Promise<{ files: FileResult[] }>)(event, lambdaContext('onceload-load', timeoutSeconds));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The first write of a load unit's record: where an attempt commits to a unit's composition. */
const unitRecordWrite = (call: Call) => call.operation === 'PutItemCommand' && call.target === t.deps.config.ledgerTable;

it('S1: an attempt parked before its unit is recorded, past its timeout, cannot insert once the retry has loaded its files', async () => {
  const { tenant, rows } = await t.tenantWithFiles(2);
  const event = await batchOf(tenant, 'run-s1');
  let release!: () => void;
  let reached!: () => void;
  const parkedAt = new Promise<void>((resolve) => (reached = resolve));
  t.faults.add({ store: 'dynamodb', when: (call) => unitRecordWrite(call) && (reached(), true), hold: new Promise<void>((resolve) => (release = resolve)) });

  const first = invoke(event, 1).catch((error: Error) => error);
  await parkedAt;
  // The first invocation's time is up; Step Functions tries the batch again.
  await sleep(1200);
  const retry = await invoke(event, 30);
  expect(retry.files.map((f) => f.outcome)).toEqual(['loaded', 'loaded']);
  release();
  await first;

  expect(await t.h.rawCount('companies', tenant)).toBe(rows);
  await t.expectExactlyOnce(tenant, rows);
});

it('S2/S4: a batch planned before its object was overwritten reads nothing of the new bytes: that version ends superseded, the new one loads once', async () => {
  const { tenant } = await t.tenantWithFiles(2);
  const stale = await batchOf(tenant, 'run-s2');
  // The producer overwrites f0 between the plan and the Load: 100 other rows.
  t.h.land(tenant, 'companies', 'f0.jsonl', companyRows(range(5001, 100), '2026-02-01T00:00:00Z'));
  await t.h.runtime.syncLanding();
  const out = await invoke(stale, 30);
  expect(out.files.map((f) => [f.key.split('/').pop(), f.outcome])).toEqual([
    ['f0.jsonl', 'superseded'],
    ['f1.jsonl', 'loaded'],
  ]);
  // Nothing of either version of f0 was loaded under the planned version's lineage.
  expect(await t.h.rawCount('companies', tenant)).toBe(250);
  expect(report(await t.h.run({ tenants: [tenant] })).totals.loaded).toBe(1);
  expect(await t.h.rawCount('companies', tenant)).toBe(350);
  const byFile = await t.h.query<{ file: string; n: string }>(
    "SELECT _file AS file, count() AS n FROM companies WHERE tenant_id = {tenant:String} GROUP BY _file ORDER BY _file",
    { tenant },
  );
  expect(byFile.map((r) => Number(r.n))).toEqual([100, 250]);
});

/** Deletes a landed object from the bucket, as its producer would. */
async function deleteObject(key: string): Promise<void> {
  rmSync(join(t.h.runtime.landingDir, key));
  expect((await t.h.runtime.syncLanding()).deleted).toBe(1);
}

const outcomes = (files: FileResult[]) => files.map((f) => [f.key.split('/').pop(), f.outcome]);

it('a batch planned before its object was deleted and retired gone by another execution settles that version superseded at once, never busy', async () => {
  const { tenant } = await t.tenantWithFiles(2);
  expect(report(await t.h.run({ tenants: [tenant] })).totals.loaded).toBe(2);
  const [f0] = (await batchOf(tenant, 'run-gone')).files;
  // Reset by an operator: execution A plans f0 again at the next generation.
  expect(await t.deps.ledger.reset({ tenant, table: 'companies', key: f0!.key })).toBe(1);
  const planned: LoadBatchInput = { ...(await batchOf(tenant, 'run-gone')), files: [{ ...f0!, generation: 1 }] };
  await deleteObject(f0!.key);
  // Execution B's Plan no longer lists f0 and retires its entry.
  expect(report(await t.h.run({ tenants: [tenant] })).ok).toBe(true);
  expect((await t.deps.ledger.get({ tenant, table: 'companies', key: f0!.key }))?.status).toBe('gone');

  const out = await invoke(planned, 30);
  expect(outcomes(out.files)).toEqual([['f0.jsonl', 'superseded']]);
  expect((await t.deps.ledger.get({ tenant, table: 'companies', key: f0!.key }))).toMatchObject({ status: 'gone', generation: 2 });
  expect(await t.h.rawCount('companies', tenant)).toBe(500);
  const next = report(await t.h.run({ tenants: [tenant] }));
  expect(next.ok).toBe(true);
  expect(next.totals.loaded).toBe(0);
});

it('a batch whose object is deleted before its Load reads it ends that version superseded, not failed; the next run retires it gone', async () => {
  const { tenant } = await t.tenantWithFiles(2);
  const planned = await batchOf(tenant, 'run-deleted');
  await deleteObject(planned.files[0]!.key);
  const out = await invoke(planned, 30);
  expect(outcomes(out.files)).toEqual([
    ['f0.jsonl', 'superseded'],
    ['f1.jsonl', 'loaded'],
  ]);
  expect(await t.h.rawCount('companies', tenant)).toBe(250);
  const next = await t.h.run({ tenants: [tenant] });
  expect(next.status).toBe('SUCCEEDED');
  expect(report(next).warnings.join('\n')).not.toContain('f0.jsonl');
  expect((await t.deps.ledger.get({ tenant, table: 'companies', key: planned.files[0]!.key }))?.status).toBe('gone');
});

/** An insert of one file alone (a unit's insert names its files by an array). */
const aloneInsert = (call: Call) => call.store === 'clickhouse' && /^\s*INSERT INTO/.test(call.sql ?? '') && (call.sql ?? '').includes('{file:String}');
const unitInsert = (call: Call) => call.store === 'clickhouse' && /^\s*INSERT INTO/.test(call.sql ?? '') && (call.sql ?? '').includes('{keys:Array(String)}');

it('S3: a unit split on a bad member, then its attempt died after loading one member alone: the retry loads the other, fails the bad one, and the dead attempt redone adds nothing', async () => {
  const { tenant } = await t.tenantWithFiles(3);
  // f1's 100th row has no id: the unit's insert fails, its members load alone.
  const lines = companyRows(range(1001, 250)).trimEnd().split('\n');
  lines[99] = JSON.stringify({ name: 'no id', last_updated: '2026-01-01T00:00:00Z' });
  t.h.land(tenant, 'companies', 'f1.jsonl', lines.join('\n') + '\n');
  const event = await batchOf(tenant, 'run-s3');
  let aloneInserts = 0;
  let release!: () => void;
  let reached!: () => void;
  const parkedAt = new Promise<void>((resolve) => (reached = resolve));
  // The second member inserted alone never reaches the engine while the attempt lives.
  t.faults.add({ store: 'clickhouse', when: (call) => aloneInsert(call) && ++aloneInserts === 2 && (reached(), true), hold: new Promise<void>((resolve) => (release = resolve)), times: 1 });

  const first = invoke(event, 1).catch((error: Error) => error);
  await parkedAt;
  expect(await t.h.rawCount('companies', tenant)).toBe(250);
  await sleep(1200);
  const retry = await invoke(event, 30);
  expect(retry.files.map((f) => [f.key.split('/').pop(), f.outcome, f.rows])).toEqual([
    ['f0.jsonl', 'loaded', 250],
    ['f1.jsonl', 'failed', undefined],
    ['f2.jsonl', 'loaded', 250],
  ]);
  release();
  await first;
  expect(await t.h.rawCount('companies', tenant)).toBe(500);
  const byFile = await t.h.query<{ file: string; n: string }>('SELECT _file AS file, toString(count()) AS n FROM companies WHERE tenant_id = {tenant:String} GROUP BY _file ORDER BY _file', { tenant });
  expect(byFile.map((r) => [r.file.split('/').pop(), r.n])).toEqual([
    ['f0.jsonl', '250'],
    ['f2.jsonl', '250'],
  ]);
});

it('S7: a retry whose batch holds only some members of a sealed unit finishes that unit exactly, with the dead attempt\'s insert, and loads none alone', async () => {
  const { tenant, rows } = await t.tenantWithFiles(3);
  const event = await batchOf(tenant, 'run-s7');
  let release!: () => void;
  let reached!: () => void;
  const parkedAt = new Promise<void>((resolve) => (reached = resolve));
  t.faults.add({ store: 'clickhouse', when: (call) => unitInsert(call) && (reached(), true), hold: new Promise<void>((resolve) => (release = resolve)), times: 1 });
  t.faults.record = true;

  const first = invoke(event, 1).catch((error: Error) => error);
  await parkedAt;
  await sleep(1200);
  // The plan of the retry batched differently: one member of the sealed unit.
  const retry = await invoke({ ...event, files: event.files.slice(0, 1) }, 30);
  expect(retry.files.map((f) => f.outcome)).toEqual(['loaded']);
  release();
  await first;
  t.faults.record = false;
  expect(t.faults.calls.filter(aloneInsert)).toHaveLength(0);
  await t.expectExactlyOnce(tenant, rows);
});
