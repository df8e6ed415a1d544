/**
 * The streamed path's redo of a load unit whose insert landed before its attempt died, on the real
 * stores: the object is deleted or overwritten before the redo, so the unit's rows can no longer be
 * read and counted from it; they are counted in the table, and the version ends loaded.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadBatch } from '../../src/lib/load.js';
import { streamedPath, streamedUnits } from '../../src/lib/streamed-load.js';
import type { FileVersion, Warehouse } from '../../src/ports.js';
import { openRealBed, type RealBed } from '../explore/real-bed.js';
import { attemptAt, batchDeps, batchOf } from '../unit/protocol-harness.js';

let bed: RealBed;
beforeAll(async () => {
  bed = await openRealBed();
});
afterAll(async () => bed?.close());

const body = (ids: number[]) => ids.map((id) => JSON.stringify({ id, name: `n${id}`, last_updated: '2026-01-01T00:00:00Z' })).join('\n') + '\n';

/** The warehouse of an attempt whose process dies as soon as an insert under a token has landed. */
const diesAfterInsert = (warehouse: Warehouse): Warehouse =>
  new Proxy(warehouse, {
    get(target, name) {
      const value = Reflect.get(target, name) as unknown;
      if (name !== 'insertRecords' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<Warehouse['insertRecords']>) => {
        await (value as Warehouse['insertRecords']).apply(target, args);
        if (args[1] !== undefined) throw new Error('the attempt died after its insert');
      };
    },
  });

it.each(['deleted', 'overwritten'] as const)('counts in the table the rows of a landed unit whose object was %s before the redo, and records the version loaded', async (change) => {
  const tenant = `redo-${change}`;
  const { warehouse, ref, drop } = await bed.table(tenant.replace('-', '_'));
  try {
    const key = `${tenant}/canonical/companies/a.jsonl`;
    const { etag, size } = await bed.put(key, body([1, 2, 3, 4]));
    const file: FileVersion = { tenant, table: 'companies', key, etag, size, generation: 0 };
    const depsOf = (wh: Warehouse) => {
      const stream = { store: bed.store, warehouse: wh, chunkRows: bed.insertBlockRows, chunkBytes: 100_000 };
      return { ...batchDeps(bed.ledger, wh, bed.clock), path: streamedPath(stream), unitsOf: (free: FileVersion[]) => streamedUnits(free, stream) };
    };
    await expect(loadBatch(batchOf([file]), attemptAt(bed.clock, `${tenant}-1`), depsOf(diesAfterInsert(warehouse)))).rejects.toThrow(/died/);
    if (change === 'deleted') await bed.remove(key);
    else await bed.put(key, body([5]));
    bed.clock.advance(3600);
    const [result] = await loadBatch(batchOf([file]), attemptAt(bed.clock, `${tenant}-2`), depsOf(warehouse));
    expect(result).toMatchObject({ outcome: 'loaded', rows: 4 });
    expect(await bed.ledger.get(file)).toMatchObject({ etag, status: 'loaded', rows: 4 });
    const [{ rows }] = (await bed.query<{ rows: string }>(`SELECT count() AS rows FROM ${ref} WHERE _etag = {etag:String}`, { etag })) as [{ rows: string }];
    expect(Number(rows)).toBe(4);
  } finally {
    await drop();
  }
}, 60_000);

it('keeps a file alone cut short between its chunks, its object overwritten, failed when its version is claimed afresh after the key moved on', async () => {
  const tenant = 'cut-short';
  const { warehouse, drop } = await bed.table('cut_short');
  try {
    const key = `${tenant}/canonical/companies/a.jsonl`;
    const put = async (ids: number[]): Promise<FileVersion> => ({ tenant, table: 'companies', key, ...(await bed.put(key, body(ids))), generation: 0 });
    // Every row its own chunk: the first attempt dies once its first chunk has landed.
    const depsOf = (wh: Warehouse) => {
      const stream = { store: bed.store, warehouse: wh, chunkRows: bed.insertBlockRows, chunkBytes: 16 };
      return { ...batchDeps(bed.ledger, wh, bed.clock), path: streamedPath(stream), unitsOf: (free: FileVersion[]) => streamedUnits(free, stream) };
    };
    const old = await put([1, 2, 3]);
    await expect(loadBatch(batchOf([old]), attemptAt(bed.clock, `${tenant}-1`), depsOf(diesAfterInsert(warehouse)))).rejects.toThrow(/died/);
    const current = await put([4]);
    bed.clock.advance(3600);
    const load = async (file: FileVersion, id: string) => (await loadBatch(batchOf([file]), attemptAt(bed.clock, `${tenant}-${id}`), depsOf(warehouse)))[0];
    expect(await load(old, 'redo')).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/1 row\(s\) of it are in the table/) });
    expect(await load(current, 'current')).toMatchObject({ outcome: 'loaded', rows: 1 });
    // A late retry of the old plan claims the old version again: its row is still there, never complete.
    expect(await load(old, 'late')).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/1 row\(s\) of it are in the table/) });
  } finally {
    await drop();
  }
}, 60_000);

it("never sends a streamed file alone's next chunk once its attempt's lease has ended; the redo sends the rest under the same chunk tokens", async () => {
  const tenant = 'lease-between-chunks';
  const { warehouse, ref, drop } = await bed.table('lease_between_chunks');
  try {
    const key = `${tenant}/canonical/companies/a.jsonl`;
    const file: FileVersion = { tenant, table: 'companies', key, ...(await bed.put(key, body([1, 2, 3, 4]))), generation: 0 };
    // Every row its own chunk; the attempt's lease runs out while its first chunk is inserted.
    const depsOf = (wh: Warehouse) => {
      const stream = { store: bed.store, warehouse: wh, chunkRows: bed.insertBlockRows, chunkBytes: 16 };
      return { ...batchDeps(bed.ledger, wh, bed.clock), path: streamedPath(stream), unitsOf: (free: FileVersion[]) => streamedUnits(free, stream) };
    };
    const slow = new Proxy(warehouse, {
      get(target, name) {
        const value = Reflect.get(target, name) as unknown;
        if (name !== 'insertRecords' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<Warehouse['insertRecords']>) => {
          await (value as Warehouse['insertRecords']).apply(target, args);
          if (args[1] !== undefined) bed.clock.advance(61);
        };
      },
    });
    await expect(loadBatch(batchOf([file]), attemptAt(bed.clock, `${tenant}-1`, 60), depsOf(slow))).rejects.toThrow(/lease ended before chunk 2 of the file was sent/);
    const rows = async () => Number(((await bed.query<{ rows: string }>(`SELECT count() AS rows FROM ${ref}`, {})) as [{ rows: string }])[0].rows);
    expect(await rows()).toBe(1);
    bed.clock.advance(3600);
    const [result] = await loadBatch(batchOf([file]), attemptAt(bed.clock, `${tenant}-2`), depsOf(warehouse));
    expect(result).toMatchObject({ outcome: 'loaded', rows: 4 });
    expect(await rows()).toBe(4);
  } finally {
    await drop();
  }
}, 60_000);
