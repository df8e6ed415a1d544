/**
 * A load unit whose attempt outlived its lease with its insert still to land, and one of whose
 * members' objects is deleted before the redo, on the real stores. The redo cannot send the same
 * insert again, yet its other members must not land twice when the first insert lands late.
 * Streamed: the engine knows the unit's one block by its token alone, so the redo sends the
 * members still there under that token, and whichever lands first is the one. In-engine: the
 * block is known by what it holds, so the redo waits until the first insert is certainly over
 * (its lease, its time limit past it, its part written) and then asks the table.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { unitId, memberOf } from '../../src/lib/claims.js';
import { loadBatch } from '../../src/lib/load.js';
import { INSERT_OVER_AFTER_LEASE_MS, INSERT_PAST_LEASE_SECONDS, fileRef } from '../../src/lib/load-unit.js';
import { streamedPath, streamedUnits } from '../../src/lib/streamed-load.js';
import type { FileVersion, InsertBound, RecordChunk, Warehouse } from '../../src/ports.js';
import { openRealBed, rowsByFile as rowsOf, type RealBed } from '../explore/real-bed.js';
import { attemptAt, batchDeps, batchOf } from '../unit/protocol-harness.js';

let bed: RealBed;
beforeAll(async () => {
  bed = await openRealBed();
});
afterAll(async () => bed?.close());

const body = (ids: number[]) => ids.map((id) => JSON.stringify({ id, name: `n${id}`, last_updated: '2026-01-01T00:00:00Z' })).join('\n') + '\n';

/** A warehouse whose unit inserts never reach the engine: the attempt's invocation ended while they were on their way. */
function inFlight(warehouse: Warehouse, held: { records?: [RecordChunk, string]; unit?: boolean }): Warehouse {
  return new Proxy(warehouse, {
    get(target, name) {
      const value = Reflect.get(target, name) as unknown;
      if (name === 'insertRecords') {
        return async (chunk: RecordChunk, token?: string) => {
          if (token === undefined) return warehouse.insertRecords(chunk);
          held.records = [chunk, token];
          throw new Error('the invocation ended with its insert on its way');
        };
      }
      if (name === 'insertUnit') {
        return async () => {
          held.unit = true;
          throw new Error('the invocation ended with its insert on its way');
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function landTwo(tenant: string): Promise<FileVersion[]> {
  const files: FileVersion[] = [];
  for (const [name, ids] of [['a', [1, 2, 3]], ['b', [4, 5]]] as const) {
    const key = `${tenant}/canonical/companies/${name}.jsonl`;
    files.push({ tenant, table: 'companies', key, ...(await bed.put(key, body([...ids]))), generation: 0 });
  }
  return files;
}

const rowsByFile = (ref: string, tenant: string) => rowsOf(bed, ref, tenant);

it.each(['before', 'after'] as const)('streamed: the first insert landing %s the redo, the members still there land once and the gone one as that insert left it', async (when) => {
  const tenant = `gone-streamed-${when}`;
  const { warehouse, ref, drop } = await bed.table(tenant.replaceAll('-', '_'));
  try {
    const files = await landTwo(tenant);
    const depsOf = (wh: Warehouse) => {
      const stream = { store: bed.store, warehouse: wh, chunkRows: bed.insertBlockRows, chunkBytes: 100_000 };
      return { ...batchDeps(bed.ledger, wh, bed.clock), path: streamedPath(stream), unitsOf: (free: FileVersion[]) => streamedUnits(free, stream) };
    };
    const held: { records?: [RecordChunk, string] } = {};
    await expect(loadBatch(batchOf(files), attemptAt(bed.clock, `${tenant}-1`), depsOf(inFlight(warehouse, held)))).rejects.toThrow(/on its way/);
    expect(held.records?.[0].map((part) => part.file.key)).toEqual(files.map((f) => f.key));
    await bed.remove(files[1]!.key);
    const late = () => warehouse.insertRecords(...held.records!);
    if (when === 'before') await late();
    bed.clock.advance(3600);
    const results = await loadBatch(batchOf(files), attemptAt(bed.clock, `${tenant}-2`), depsOf(warehouse));
    if (when === 'after') await late();
    expect(results.map((r) => [r.key.split('/').pop(), r.outcome, r.rows])).toEqual([
      ['a.jsonl', 'loaded', 3],
      when === 'before' ? ['b.jsonl', 'loaded', 2] : ['b.jsonl', 'superseded', undefined],
    ]);
    expect(await rowsByFile(ref, tenant)).toEqual(when === 'before' ? { 'a.jsonl': 3, 'b.jsonl': 2 } : { 'a.jsonl': 3 });
  } finally {
    await drop();
  }
}, 60_000);

it.each(['lands', 'never lands'] as const)('in-engine: the redo waits out the first insert, which %s, before the members still there load', async (fate) => {
  const tenant = `gone-engine-${fate.replace(' ', '-')}`;
  const { warehouse, ref, drop } = await bed.table(tenant.replaceAll('-', '_'));
  try {
    const files = await landTwo(tenant);
    const held: { unit?: boolean } = {};
    const first = attemptAt(bed.clock, `${tenant}-1`, 60);
    await expect(loadBatch(batchOf(files), first, batchDeps(bed.ledger, inFlight(warehouse, held), bed.clock))).rejects.toThrow(/on its way/);
    expect(held.unit).toBe(true);
    const gone = files[1]!;
    await bed.remove(gone.key);
    // Its lease is over, its insert may not be: the redo must not load the members alone yet.
    bed.clock.advance(61);
    await expect(loadBatch(batchOf(files), attemptAt(bed.clock, `${tenant}-2`), batchDeps(bed.ledger, warehouse, bed.clock))).rejects.toThrow(/may land until/);
    expect(await rowsByFile(ref, tenant)).toEqual({});
    if (fate === 'lands') {
      // The first insert, having read the member before it went, lands: the same bytes put back
      // for a moment are the same version (its ETag), read as that insert read them.
      await bed.put(gone.key, body([4, 5]));
      const members = files.map(memberOf);
      await warehouse.insertUnit(files.map(fileRef), unitId('unit', tenant, 'companies', members));
      await bed.remove(gone.key);
    }
    bed.clock.advance(INSERT_OVER_AFTER_LEASE_MS / 1000);
    const results = await loadBatch(batchOf(files), attemptAt(bed.clock, `${tenant}-3`), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(results.map((r) => [r.key.split('/').pop(), r.outcome, r.rows])).toEqual([
      ['a.jsonl', 'loaded', 3],
      fate === 'lands' ? ['b.jsonl', 'loaded', 2] : ['b.jsonl', 'superseded', undefined],
    ]);
    expect(await rowsByFile(ref, tenant)).toEqual(fate === 'lands' ? { 'a.jsonl': 3, 'b.jsonl': 2 } : { 'a.jsonl': 3 });
  } finally {
    await drop();
  }
}, 60_000);

it('in-engine: a unit insert is bounded by its attempt\'s lease, and never sent once the lease has ended', async () => {
  const tenant = 'gone-engine-bounded';
  const { warehouse, ref, drop } = await bed.table(tenant.replaceAll('-', '_'));
  try {
    const files = await landTwo(tenant);
    const limits: (InsertBound | undefined)[] = [];
    const watched = new Proxy(warehouse, {
      get(target, name) {
        const value = Reflect.get(target, name) as unknown;
        if (name !== 'insertUnit') return typeof value === 'function' ? value.bind(target) : value;
        return (...args: Parameters<Warehouse['insertUnit']>) => (limits.push(args[2]), warehouse.insertUnit(...args));
      },
    });
    // An attempt parked until its lease ended: it claims and seals, then may not send.
    const zombie = attemptAt(bed.clock, `${tenant}-zombie`, -1);
    await expect(loadBatch(batchOf(files), zombie, batchDeps(bed.ledger, watched, bed.clock))).rejects.toThrow(/lease ended before/);
    expect(limits).toEqual([]);
    bed.clock.advance(3600);
    const second = attemptAt(bed.clock, `${tenant}-2`, 100);
    const results = await loadBatch(batchOf(files), second, batchDeps(bed.ledger, watched, bed.clock));
    expect(results.map((r) => r.outcome)).toEqual(['loaded', 'loaded']);
    expect(limits).toEqual([{ seconds: 100 + INSERT_PAST_LEASE_SECONDS, deadline: new Date(second.leaseUntil.getTime() + INSERT_PAST_LEASE_SECONDS * 1000) }]);
    expect(await rowsByFile(ref, tenant)).toEqual({ 'a.jsonl': 3, 'b.jsonl': 2 });
  } finally {
    await drop();
  }
}, 60_000);
