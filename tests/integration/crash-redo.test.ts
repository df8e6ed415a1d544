import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Deps } from '../../src/runtime/deps.js';
import { dedupToken } from '../../src/lib/dedup-token.js';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

let h: Harness;
let deps: Deps;
let inserts = 0;
beforeAll(async () => {
  // Files larger than 1 KB load alone, in blocks of 100 rows.
  h = await openHarness({ ONCELOAD_INSERT_BLOCK_ROWS: '100', ONCELOAD_BATCH_MAX_BYTES: '1024' });
  await h.stopMerges();
  deps = await h.runtime.deps();
  // A test seam at the client: count the INSERTs that reach ClickHouse.
  const command = deps.clickhouse.command.bind(deps.clickhouse);
  deps.clickhouse.command = (params) => {
    if (/^\s*INSERT/i.test(params.query)) inserts++;
    return command(params);
  };
});
afterAll(async () => h?.close());

/** Fails the next ledger write that records a file as loaded: the crash after the insert. */
function crashBeforeLedgerWrite(times = 1): { fired: () => number } {
  let fired = 0;
  deps.aws.documents.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { TableName?: string; ExpressionAttributeValues?: Record<string, unknown> };
      if (fired < times && input.TableName === deps.config.ledgerTable && input.ExpressionAttributeValues?.[':status'] === 'loaded') {
        fired++;
        throw Object.assign(new Error('injected: connection reset before the ledger write'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
      }
      return next(args);
    },
    { step: 'initialize', name: `crash-${Math.random()}` },
  );
  return { fired: () => fired };
}

it('adds no row when an insert is redone after a crash between the insert and the ledger write, for a file of many insert blocks', async () => {
  await h.addTenant('crash', ['companies']);
  h.land('crash', 'companies', 'big.jsonl', companyRows(range(1, 1000)));
  const crash = crashBeforeLedgerWrite();
  inserts = 0;

  const result = report(await h.run({ tenants: ['crash'] }));

  expect(crash.fired()).toBe(1);
  expect(inserts).toBe(2);
  expect(result.ok).toBe(true);
  expect(await h.rawCount('companies', 'crash')).toBe(1000);
  const parts = await h.query<{ n: number }>("SELECT count() AS n FROM system.parts WHERE table = 'companies' AND active AND rows > 0 AND partition_id = 'all'");
  expect(Number(parts[0]?.n)).toBeGreaterThanOrEqual(10);
  const entry = (await deps.ledger.listItem('crash', 'companies')).get('crash/canonical/companies/big.jsonl');
  expect(entry?.status).toBe('loaded');
  expect(entry?.rows).toBe(1000);
});

it('honours an explicit deduplication token on INSERT ... SELECT from s3(): same token no rows, another token all rows', async () => {
  await h.addTenant('token', ['companies']);
  h.land('token', 'companies', 'f.jsonl', companyRows(range(1, 250)));
  await h.runtime.syncLanding();
  const [file] = await deps.store.list('token/canonical/companies/');
  const ref = { tenant: 'token', table: 'companies' as const, key: file!.key, etag: file!.etag };
  const token = dedupToken({ ...ref, generation: 0 });

  await deps.warehouse.insertFile(ref, token);
  await deps.warehouse.insertFile(ref, token);
  expect(await h.rawCount('companies', 'token')).toBe(250);

  await deps.warehouse.insertFile(ref, dedupToken({ ...ref, generation: 1 }));
  expect(await h.rawCount('companies', 'token')).toBe(500);
});

it('lands two different files with the same rows: one insert token never leaks into the next insert', async () => {
  await h.addTenant('twins', ['companies']);
  h.land('twins', 'companies', 'one.jsonl', companyRows(range(1, 120)));
  h.land('twins', 'companies', 'two.jsonl', companyRows(range(1, 120)));
  expect(report(await h.run({ tenants: ['twins'] })).totals.loaded).toBe(2);
  expect(await h.rawCount('companies', 'twins')).toBe(240);
});

it('deduplicates a redone unit only when it reads the same files: the engine numbers its chunks, so a subset is another insert', async () => {
  await h.addTenant('unit', ['companies']);
  for (const n of range(0, 3)) h.land('unit', 'companies', `u${n}.jsonl`, companyRows(range(n * 1000 + 1, 150)));
  await h.runtime.syncLanding();
  const files = (await deps.store.list('unit/canonical/companies/')).map((f) => ({ tenant: 'unit', table: 'companies' as const, key: f.key, etag: f.etag }));
  const token = 'feedfacefeedface0123';

  await deps.warehouse.insertUnit(files, token);
  expect(await h.rawCount('companies', 'unit')).toBe(450);
  // The same files again, in another order: one insert to the engine.
  await deps.warehouse.insertUnit([...files].reverse(), token);
  expect(await h.rawCount('companies', 'unit')).toBe(450);
  // Fewer files under the same token is not the same insert: why a redo always reads the recorded unit whole.
  await deps.warehouse.insertUnit(files.slice(0, 2), token);
  expect(await h.rawCount('companies', 'unit')).toBe(750);
});

it("counts a unit's rows in the one part its insert wrote, and only while no merge or second insert has reached it", async () => {
  await h.addTenant('parts', ['companies']);
  for (const n of range(0, 3)) h.land('parts', 'companies', `p${n}.jsonl`, companyRows(range(n * 1000 + 1, 100 + n * 10)));
  await h.runtime.syncLanding();
  const files = (await deps.store.list('parts/canonical/companies/')).map((f) => ({ tenant: 'parts', table: 'companies' as const, key: f.key, etag: f.etag }));

  await deps.warehouse.insertUnit(files, 'abcdabcdabcdabcd0001');
  expect(await deps.warehouse.countInOwnPart(files)).toEqual([100, 110, 120]);
  // The part holds more than these files: not theirs alone.
  expect(await deps.warehouse.countInOwnPart(files.slice(0, 2))).toBeUndefined();

  // Inserted twice (under another token): two parts, so the table cannot say what one file holds.
  await deps.warehouse.insertUnit(files, 'abcdabcdabcdabcd0002');
  expect(await deps.warehouse.countInOwnPart(files)).toBeUndefined();

  // Merged: the part is no insert's own any more (a merge may have replaced rows of it).
  await deps.clickhouse.command({ query: 'SYSTEM START MERGES companies' });
  await deps.clickhouse.command({ query: 'OPTIMIZE TABLE companies FINAL' });
  await deps.clickhouse.command({ query: 'SYSTEM STOP MERGES companies' });
  expect(await deps.warehouse.countInOwnPart(files)).toBeUndefined();
  expect(await deps.warehouse.countRows(files)).toEqual([100, 110, 120]);
});
