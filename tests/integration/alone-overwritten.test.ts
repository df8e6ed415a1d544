/**
 * A file loaded alone whose attempt outlived its lease with its insert still to land, and whose
 * object is overwritten before the redo, on the real stores. The redo's pinned read is refused,
 * yet the version may not be called superseded while that insert can still land (its rows would
 * then be in the table as a version never loaded): the redo waits until the insert is certainly
 * over (the lease, the insert's time limit past it, its writing), and then the table's rows of
 * the version decide: all its checked rows, loaded; none, superseded.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { dedupToken } from '../../src/lib/dedup-token.js';
import { loadBatch } from '../../src/lib/load.js';
import { INSERT_OVER_AFTER_LEASE_MS, INSERT_PAST_LEASE_SECONDS, fileRef } from '../../src/lib/load-unit.js';
import type { Attempt, FileVersion, InsertBound, Warehouse } from '../../src/ports.js';
import { openRealBed, rowsByFile as rowsOf, type RealBed } from '../explore/real-bed.js';
import { attemptAt, batchDeps, batchOf } from '../unit/protocol-harness.js';

let bed: RealBed;
beforeAll(async () => {
  bed = await openRealBed();
});
afterAll(async () => bed?.close());

/** Rows enough that the file loads alone (larger than the test's unit bound). */
const body = (name: string) =>
  Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: i + 1, name: `${name}${i + 1}`, last_updated: '2026-01-01T00:00:00Z' })).join('\n') + '\n';

async function landOne(tenant: string): Promise<{ file: FileVersion; before: string }> {
  const key = `${tenant}/canonical/companies/a.jsonl`;
  const before = body('first');
  return { file: { tenant, table: 'companies', key, ...(await bed.put(key, before)), generation: 0 }, before };
}

/** A warehouse that records each file-alone insert's bound, and can lose one on its way. */
function watched(warehouse: Warehouse, seen: { limits: (InsertBound | undefined)[]; lose?: boolean }): Warehouse {
  return new Proxy(warehouse, {
    get(target, name) {
      const value = Reflect.get(target, name) as unknown;
      if (name !== 'insertFile') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<Warehouse['insertFile']>) => {
        seen.limits.push(args[2]);
        if (seen.lose) throw new Error('the invocation ended with its insert on its way');
        return warehouse.insertFile(...args);
      };
    },
  });
}

/** The bound of an insert sent as its attempt (of a lease of `seconds`) started: its lease and 30 s more. */
const boundOf = (attempt: Attempt, seconds: number): InsertBound => ({
  seconds: seconds + INSERT_PAST_LEASE_SECONDS,
  deadline: new Date(attempt.leaseUntil.getTime() + INSERT_PAST_LEASE_SECONDS * 1000),
});

const rowsByFile = (ref: string, tenant: string) => rowsOf(bed, ref, tenant);

it.each(['lands', 'never lands'] as const)('in-engine: the redo waits out the first insert, which %s, before it calls the version superseded', async (fate) => {
  const tenant = `alone-over-${fate.replace(' ', '-')}`;
  const { warehouse, ref, drop } = await bed.table(tenant.replaceAll('-', '_'));
  try {
    const { file, before } = await landOne(tenant);
    const seen: { limits: (InsertBound | undefined)[]; lose?: boolean } = { limits: [], lose: true };
    const first = attemptAt(bed.clock, `${tenant}-1`, 60);
    await expect(loadBatch(batchOf([file]), first, batchDeps(bed.ledger, watched(warehouse, seen), bed.clock))).rejects.toThrow(/on its way/);
    expect(seen.limits).toEqual([boundOf(first, 60)]);
    // The producer overwrites the file: the version the first insert read is no longer there.
    await bed.put(file.key, body('second'));
    bed.clock.advance(61);
    await expect(loadBatch(batchOf([file]), attemptAt(bed.clock, `${tenant}-2`), batchDeps(bed.ledger, warehouse, bed.clock))).rejects.toThrow(/may land until/);
    // It stood aside: the next attempt takes over at once, and waits only for the first insert.
    expect(await bed.ledger.get(file)).toMatchObject({ status: 'loading', leaseUntil: new Date(0).toISOString() });
    expect(await rowsByFile(ref, tenant)).toEqual({});
    if (fate === 'lands') {
      // The first insert, having read the version before it was overwritten, lands: the same
      // bytes put back for a moment are the same version (its ETag), read as that insert read them.
      await bed.put(file.key, before);
      await warehouse.insertFile(fileRef(file), dedupToken(file));
      await bed.put(file.key, body('second'));
    }
    bed.clock.advance(INSERT_OVER_AFTER_LEASE_MS / 1000);
    const results = await loadBatch(batchOf([file]), attemptAt(bed.clock, `${tenant}-3`), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(results.map((r) => [r.outcome, r.rows])).toEqual([fate === 'lands' ? ['loaded', 40] : ['superseded', undefined]]);
    expect(await rowsByFile(ref, tenant)).toEqual(fate === 'lands' ? { 'a.jsonl': 40 } : {});
  } finally {
    await drop();
  }
}, 60_000);

it("in-engine: a file alone's insert is bounded by its attempt's lease, and never sent once the lease has ended", async () => {
  const tenant = 'alone-over-bounded';
  const { warehouse, ref, drop } = await bed.table(tenant.replaceAll('-', '_'));
  try {
    const { file } = await landOne(tenant);
    const seen: { limits: (InsertBound | undefined)[] } = { limits: [] };
    await expect(loadBatch(batchOf([file]), attemptAt(bed.clock, `${tenant}-zombie`, -1), batchDeps(bed.ledger, watched(warehouse, seen), bed.clock))).rejects.toThrow(
      /lease ended before the file's insert/,
    );
    expect(seen.limits).toEqual([]);
    bed.clock.advance(3600);
    const second = attemptAt(bed.clock, `${tenant}-2`, 100);
    const results = await loadBatch(batchOf([file]), second, batchDeps(bed.ledger, watched(warehouse, seen), bed.clock));
    expect(results.map((r) => [r.outcome, r.rows])).toEqual([['loaded', 40]]);
    expect(seen.limits).toEqual([boundOf(second, 100)]);
    expect(await rowsByFile(ref, tenant)).toEqual({ 'a.jsonl': 40 });
  } finally {
    await drop();
  }
}, 60_000);

it('the engine reads no row of an insert that reaches it past its deadline, a unit or a file alone, and says so as a timeout, never as a bad row', async () => {
  const tenant = 'alone-over-deadline';
  const { warehouse, ref, drop } = await bed.table(tenant.replaceAll('-', '_'));
  try {
    const { file } = await landOne(tenant);
    // The engine's own clock decides: a deadline a second ago, however long the limit.
    const late: InsertBound = { deadline: new Date(Date.now() - 1000), seconds: 600 };
    for (const send of [() => warehouse.insertFile(fileRef(file), dedupToken(file), late), () => warehouse.insertUnit([fileRef(file)], '0123456789abcdef0123', late)]) {
      const error = await send().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TransientError);
      expect(String(error)).toMatch(/ended the insert by its bound \(no row read after .*\): the lease of its attempt had ended/);
    }
    expect(await rowsByFile(ref, tenant)).toEqual({});
    await warehouse.insertFile(fileRef(file), dedupToken(file), { deadline: new Date(Date.now() + 60_000), seconds: 60 });
    expect(await rowsByFile(ref, tenant)).toEqual({ 'a.jsonl': 40 });
  } finally {
    await drop();
  }
}, 60_000);
