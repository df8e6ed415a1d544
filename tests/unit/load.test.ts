/**
 * The Load through the claim protocol, on the real ledger adapter (dynalite) and a warehouse
 * that drops a token it has seen, as ClickHouse does. Each case of attempts overlapping,
 * dying or outliving their leases is played in a fixed order; the explorer beside this file
 * plays orders nobody chose.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { seal, takeUnit, unitId } from '../../src/lib/claims.js';
import { dedupToken } from '../../src/lib/dedup-token.js';
import { loadBatch } from '../../src/lib/load.js';
import { INSERT_OVER_AFTER_LEASE_MS } from '../../src/lib/load-unit.js';
import { attemptAt, batchDeps, batchOf, DedupWarehouse, fileOf, mortal, openLedgerBed, type LedgerBed } from './protocol-harness.js';

let bed: LedgerBed;
beforeAll(async () => {
  bed = await openLedgerBed();
});
afterAll(async () => bed?.close());

let tenants = 0;
/** A fresh tenant with `names` files of 10 rows each (a negative count: a bad row at that line). */
function scene(spec: Record<string, number>, sizes: Record<string, number> = {}) {
  const tenant = `t${++tenants}`;
  const warehouse = new DedupWarehouse();
  const files = Object.entries(spec).map(([name, rows]) => {
    const file = fileOf(tenant, name, 'e1', sizes[name] ?? 100);
    warehouse.put(file, rows);
    return file;
  });
  return { tenant, warehouse, files };
}

describe('one attempt', () => {
  it('loads small files as one unit under a token derived from their versions, a large file alone, and records each', async () => {
    const { warehouse, files } = scene({ a: 10, b: 20, big: 30 }, { big: 5000 });
    const results = await loadBatch(batchOf(files), attemptAt(bed.clock, 'A'), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(results.map((r) => [r.key.split('/').pop(), r.status, r.rows])).toEqual([
      ['a.jsonl', 'loaded', 10],
      ['b.jsonl', 'loaded', 20],
      ['big.jsonl', 'loaded', 30],
    ]);
    const members = files.slice(0, 2).map(({ key, etag, size, generation }) => ({ key, etag, size, generation }));
    expect(warehouse.inserts).toEqual([
      { keys: [files[0]!.key, files[1]!.key], token: unitId('unit', files[0]!.tenant, 'companies', members) },
      { keys: [files[2]!.key], token: dedupToken(files[2]!) },
    ]);
    for (const file of files) expect(await bed.ledger.get(file)).toMatchObject({ status: 'loaded', rows: warehouse.rowsOf(file) });
    // A later attempt finds everything done and inserts nothing.
    const again = await loadBatch(batchOf(files), attemptAt(bed.clock, 'B'), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(again.every((r) => r.status === 'done' && r.outcome === 'loaded')).toBe(true);
    expect(warehouse.inserts).toHaveLength(2);
  });

  it('reads no table columns: the plan checked them once for the item', async () => {
    const { warehouse, files } = scene({ a: 10 });
    warehouse.describeColumns = async () => {
      throw new Error('a Load batch asked for the table columns');
    };
    const results = await loadBatch(batchOf(files), attemptAt(bed.clock, 'A'), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(results.map((r) => r.outcome)).toEqual(['loaded']);
  });

  it('splits a unit whose insert a bad row fails: the bad file fails, named with its row, and the others load alone', async () => {
    const { warehouse, files } = scene({ a: 10, bad: -7, c: 5 });
    const results = await loadBatch(batchOf(files), attemptAt(bed.clock, 'A'), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(results.map((r) => r.status)).toEqual(['loaded', 'failed', 'loaded']);
    expect(results[1]).toMatchObject({ code: 'MISSING_VALUE' });
    expect(warehouse.landed(files[0]!)).toBe(1);
    expect(warehouse.landed(files[1]!)).toBe(0);
    expect(warehouse.landed(files[2]!)).toBe(1);
  });

  it('ends its leases when an insert fails for a reason that is not the file, so the retry takes over at once', async () => {
    const { warehouse, files } = scene({ a: 10, b: 10 });
    warehouse.beforeInsert = async () => {
      throw new TransientError('connection reset');
    };
    await expect(loadBatch(batchOf(files), attemptAt(bed.clock, 'A'), batchDeps(bed.ledger, warehouse, bed.clock))).rejects.toMatchObject({ name: 'TransientError' });
    warehouse.beforeInsert = async () => undefined;
    // No time passes: the retry does not wait for A's lease.
    const results = await loadBatch(batchOf(files), attemptAt(bed.clock, 'B'), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(results.map((r) => r.status)).toEqual(['loaded', 'loaded']);
    expect(files.map((f) => warehouse.landed(f))).toEqual([1, 1]);
  });
});

describe('attempts that overlap (each case of docs/exactly-once.md)', () => {
  it('S1: an attempt that outlived its lease before sealing cannot insert once another took its files over', async () => {
    const { warehouse, files } = scene({ a: 10, b: 10 });
    const a = mortal(bed.ledger);
    const atSeal = a.hold('sealUnit');
    const first = loadBatch(batchOf(files), attemptAt(bed.clock, 'A', 60), batchDeps(a.ledger, warehouse, bed.clock)).catch((e: Error) => e);
    await atSeal.reached;
    bed.clock.advance(120);
    // Another attempt of the same run, with one more file: it forms another unit of the same files.
    const more = [...files, fileOf(files[0]!.tenant, 'c')];
    warehouse.put(more[2]!, 10);
    const second = await loadBatch(batchOf(more), attemptAt(bed.clock, 'B', 60), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(second.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
    atSeal.release();
    expect(await first).toMatchObject({ name: 'FileBusyError' });
    expect(more.map((f) => warehouse.landed(f))).toEqual([1, 1, 1]);
  });

  it('S1: a zombie whose insert is still running and the attempt that takes over send the same insert', async () => {
    const { warehouse, files } = scene({ a: 10, b: 10 });
    let park!: () => void;
    const parked = new Promise<void>((r) => (park = r));
    let inInsert!: () => void;
    const reached = new Promise<void>((r) => (inInsert = r));
    warehouse.beforeInsert = async () => {
      warehouse.beforeInsert = async () => undefined;
      inInsert();
      await parked;
    };
    const first = loadBatch(batchOf(files), attemptAt(bed.clock, 'A', 60), batchDeps(bed.ledger, warehouse, bed.clock)).catch((e: Error) => e);
    await reached;
    bed.clock.advance(120);
    // A different batch shape (one more file) takes over: it must still finish A's unit as sealed.
    const { files: more } = { files: [...files, fileOf(files[0]!.tenant, 'c')] };
    warehouse.put(more[2]!, 10);
    const second = await loadBatch(batchOf(more), attemptAt(bed.clock, 'B', 60), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(second.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
    park();
    await first;
    expect(more.map((f) => warehouse.landed(f))).toEqual([1, 1, 1]);
    for (const file of more) expect(await bed.ledger.get(file)).toMatchObject({ status: 'loaded', rows: 10 });
  });

  it('S1: an attempt acting past its own lease takes nothing over, so the next one waits out the insert still landing before calling its deleted file superseded', async () => {
    const { warehouse, files } = scene({ a: 10 });
    // A's insert has read the file; its block is written only once `land` is called.
    let land!: () => void;
    const landing = new Promise<boolean>((r) => (land = () => r(true)));
    let read!: () => void;
    const wasRead = new Promise<void>((r) => (read = r));
    warehouse.insertUnit = (refs, token) => warehouse.insertUnitHeld(refs, token, () => (read(), landing));
    const zombie = attemptAt(bed.clock, 'Z', 10);
    const first = loadBatch(batchOf(files), attemptAt(bed.clock, 'A', 60), batchDeps(bed.ledger, warehouse, bed.clock)).catch((e: Error) => e);
    await wasRead;
    bed.clock.advance(90);
    warehouse.remove(files[0]!);
    // Z's lease ended at 10 s, before A's: it must take nothing over, or B would wait only for Z.
    await expect(loadBatch(batchOf(files), zombie, batchDeps(bed.ledger, warehouse, bed.clock))).rejects.toMatchObject({ name: 'FileBusyError' });
    expect(await bed.ledger.get(files[0]!)).toMatchObject({ attempt: 'A' });
    await expect(loadBatch(batchOf(files), attemptAt(bed.clock, 'B', 60), batchDeps(bed.ledger, warehouse, bed.clock))).rejects.toMatchObject({ name: 'FileBusyError' });
    land();
    await first;
    expect(warehouse.landed(files[0]!)).toBe(1);
    bed.clock.advance(60 + INSERT_OVER_AFTER_LEASE_MS / 1000 + 1);
    const last = await loadBatch(batchOf(files), attemptAt(bed.clock, 'C', 60), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(last.map((r) => [r.outcome, r.rows])).toEqual([['loaded', 10]]);
    expect(warehouse.landed(files[0]!)).toBe(1);
  });

  it('S1: the lease a sealed unit names never moves back, whoever takes it: the next holder waits for the latest insert', async () => {
    const { files } = scene({ a: 10 });
    const a = attemptAt(bed.clock, 'A', 60);
    const deps = { ledger: bed.ledger, now: () => bed.clock.now };
    expect((await bed.ledger.claim(files[0]!, a, bed.clock.now)).outcome).toBe('claimed');
    const unit = await seal('unit', files, a, deps);
    // An attempt whose lease ended long ago takes the unit (as a handler past its timeout could).
    const late = { id: 'Z', runId: 'run-1', leaseUntil: new Date(bed.clock.now.getTime() - 50_000) };
    expect(await takeUnit(unit, late, deps)).toEqual({ attempt: 'A', leaseUntil: a.leaseUntil.toISOString() });
    const next = await takeUnit(unit, attemptAt(bed.clock, 'B', 60), deps);
    expect(next).toEqual({ attempt: 'Z', leaseUntil: a.leaseUntil.toISOString() });
  });

  it('S3: a unit split, then its attempt died after loading one member alone: the retry loads the others, and loses none', async () => {
    const { warehouse, files } = scene({ a: 10, bad: -3, c: 8 });
    const a = mortal(bed.ledger);
    warehouse.beforeInsert = async (keys) => {
      if (keys.length === 1 && keys[0] === files[2]!.key) {
        a.kill();
        throw new Error('the process died');
      }
    };
    await expect(loadBatch(batchOf(files), attemptAt(bed.clock, 'A', 60), batchDeps(a.ledger, warehouse, bed.clock))).rejects.toThrow();
    warehouse.beforeInsert = async () => undefined;
    bed.clock.advance(120);
    const retry = await loadBatch(batchOf(files), attemptAt(bed.clock, 'B', 60), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(retry.map((r) => [r.outcome, r.rows])).toEqual([
      ['loaded', 10],
      ['failed', undefined],
      ['loaded', 8],
    ]);
    expect(files.map((f) => warehouse.landed(f))).toEqual([1, 0, 1]);
  });

  it('S3: a unit split, then its attempt died before loading any member alone: the retry loads them alone, it does not form the failed unit again', async () => {
    const { warehouse, files } = scene({ a: 10, bad: -3, c: 8 });
    const a = mortal(bed.ledger);
    let held!: (hold: ReturnType<typeof a.hold>) => void;
    const atFirstAlone = new Promise<ReturnType<typeof a.hold>>((resolve) => (held = resolve));
    warehouse.beforeInsert = async (keys) => {
      // The unit's insert: it fails on the bad row; the attempt dies as it starts on the members alone.
      if (keys.length === 3) held(a.hold('openUnit'));
    };
    const first = loadBatch(batchOf(files), attemptAt(bed.clock, 'A', 60), batchDeps(a.ledger, warehouse, bed.clock)).catch((e: Error) => e);
    const hold = await atFirstAlone;
    await hold.reached;
    a.kill();
    hold.release();
    await first;
    warehouse.beforeInsert = async () => undefined;
    bed.clock.advance(120);
    const retry = await loadBatch(batchOf(files), attemptAt(bed.clock, 'B', 60), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(retry.map((r) => [r.outcome, r.rows])).toEqual([
      ['loaded', 10],
      ['failed', undefined],
      ['loaded', 8],
    ]);
    expect(files.map((f) => warehouse.landed(f))).toEqual([1, 0, 1]);
  });

  it('S7: the unit size changed between a killed attempt and its retry: the retry finishes the sealed unit, it does not load its files alone', async () => {
    const { warehouse, files } = scene({ a: 10, b: 10, c: 10 });
    const a = mortal(bed.ledger);
    // The insert reaches the engine, then the process dies before it hears back.
    warehouse.beforeInsert = async () => {
      warehouse.beforeInsert = async () => undefined;
      a.kill();
    };
    await expect(loadBatch(batchOf(files), attemptAt(bed.clock, 'A', 60), batchDeps(a.ledger, warehouse, bed.clock, 64 * 1024 * 1024))).rejects.toThrow();
    bed.clock.advance(120);
    const retry = await loadBatch(batchOf(files), attemptAt(bed.clock, 'B', 60), batchDeps(bed.ledger, warehouse, bed.clock, 16));
    expect(retry.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
    expect(files.map((f) => warehouse.landed(f))).toEqual([1, 1, 1]);
  });

  it('S6: after a local kill -9 the leases end at once and the next run finishes the sealed unit with the same insert', async () => {
    const { warehouse, files } = scene({ a: 10, b: 10 });
    const a = mortal(bed.ledger);
    warehouse.beforeInsert = async () => {
      warehouse.beforeInsert = async () => undefined;
      a.kill();
    };
    await expect(loadBatch(batchOf(files), attemptAt(bed.clock, 'A', 900), batchDeps(a.ledger, warehouse, bed.clock))).rejects.toThrow();
    // Without recovery, the next attempt must wait for the dead one's lease.
    await expect(loadBatch(batchOf(files), attemptAt(bed.clock, 'B', 60), batchDeps(bed.ledger, warehouse, bed.clock))).rejects.toMatchObject({ name: 'FileBusyError' });
    expect(await bed.ledger.expireLeases()).toBeGreaterThan(0);
    const next = await loadBatch(batchOf(files), attemptAt(bed.clock, 'C', 60), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(next.map((r) => r.status)).toEqual(['loaded', 'loaded']);
    expect(files.map((f) => warehouse.landed(f))).toEqual([1, 1]);
    expect(new Set(warehouse.inserts.map((i) => i.token)).size).toBe(1);
  });

  it('waits for a live attempt instead of taking its files, and answers from the ledger once it has settled them', async () => {
    const { warehouse, files } = scene({ a: 10 });
    const a = mortal(bed.ledger);
    const atSettle = a.hold('settle');
    const first = loadBatch(batchOf(files), attemptAt(bed.clock, 'A', 60), batchDeps(a.ledger, warehouse, bed.clock));
    await atSettle.reached;
    await expect(loadBatch(batchOf(files), attemptAt(bed.clock, 'B', 60), batchDeps(bed.ledger, warehouse, bed.clock))).rejects.toMatchObject({ name: 'FileBusyError' });
    atSettle.release();
    await first;
    expect((await loadBatch(batchOf(files), attemptAt(bed.clock, 'C', 60), batchDeps(bed.ledger, warehouse, bed.clock)))[0]).toMatchObject({ status: 'done', rows: 10 });
    expect(warehouse.landed(files[0]!)).toBe(1);
  });

  it('a stale plan of a file deleted and retired gone while a dead attempt held its claim unbound is superseded at once, never busy', async () => {
    const { warehouse, files } = scene({ a: 10 });
    const a = mortal(bed.ledger);
    const atOpen = a.hold('openUnit');
    const first = loadBatch(batchOf(files), attemptAt(bed.clock, 'A', 60), batchDeps(a.ledger, warehouse, bed.clock)).catch((e: Error) => e);
    await atOpen.reached;
    a.kill();
    atOpen.release();
    await first;
    bed.clock.advance(120);
    // The object is deleted; another execution's Plan retires its entry at the next generation.
    warehouse.remove(files[0]!);
    expect(await bed.ledger.retireGone((await bed.ledger.get(files[0]!))!, bed.clock.now)).toBe(true);
    const stale = await loadBatch(batchOf(files), attemptAt(bed.clock, 'B', 60), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(stale.map((r) => [r.status, r.outcome, r.rows])).toEqual([['done', 'superseded', undefined]]);
    expect(await bed.ledger.get(files[0]!)).toMatchObject({ status: 'gone', generation: 1 });
    expect(warehouse.landed(files[0]!)).toBe(0);
  });

  it('a planned file deleted before its Load reads it ends superseded, not failed', async () => {
    const { warehouse, files } = scene({ a: 10, b: 10 });
    warehouse.remove(files[0]!);
    const results = await loadBatch(batchOf(files), attemptAt(bed.clock, 'A'), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(results.map((r) => [r.status, r.outcome])).toEqual([
      ['superseded', 'superseded'],
      ['loaded', 'loaded'],
    ]);
    expect(await bed.ledger.get(files[0]!)).toMatchObject({ status: 'superseded' });
  });

  it('a version superseded after its unit was sealed, then claimed again (its object holds it again), loads in that very unit, never busy', async () => {
    const { warehouse, files } = scene({ a: 10 });
    warehouse.remove(files[0]!);
    const first = await loadBatch(batchOf(files), attemptAt(bed.clock, 'A'), batchDeps(bed.ledger, warehouse, bed.clock, 16));
    expect(first.map((r) => r.outcome)).toEqual(['superseded']);
    warehouse.deleted.clear();
    const again = await loadBatch(batchOf(files), attemptAt(bed.clock, 'B'), batchDeps(bed.ledger, warehouse, bed.clock, 16));
    expect(again.map((r) => [r.outcome, r.rows])).toEqual([['loaded', 10]]);
    expect(warehouse.landed(files[0]!)).toBe(1);
  });

  /** Attempt A loads files[0] alone (its count told to the claim as `tell` says) and dies before recording the outcome; the object is then deleted. */
  async function diedAloneThenDeleted(tell: (rows: number) => number | undefined) {
    const { warehouse, files } = scene({ a: 10 });
    const a = mortal(bed.ledger);
    const atSettle = a.hold('settle');
    const deps = batchDeps(a.ledger, warehouse, bed.clock, 16);
    const loadAlone = deps.path.loadAlone;
    deps.path = { ...deps.path, loadAlone: (file, checked) => loadAlone(file, async (rows) => { const told = tell(rows); return told === undefined ? () => ({ deadline: new Date(bed.clock.now.getTime() + 90_000), seconds: 90 }) : checked(told); }) };
    const first = loadBatch(batchOf(files), attemptAt(bed.clock, 'A', 60), deps).catch((e: Error) => e);
    await atSettle.reached;
    a.kill();
    atSettle.release();
    await first;
    warehouse.remove(files[0]!);
    // Past A's lease and its insert's bound: whatever A sent is over.
    bed.clock.advance(60 + INSERT_OVER_AFTER_LEASE_MS / 1000 + 1);
    const redo = await loadBatch(batchOf(files), attemptAt(bed.clock, 'B', 60), batchDeps(bed.ledger, warehouse, bed.clock, 16));
    expect(warehouse.landed(files[0]!)).toBe(1);
    return { redo, file: files[0]! };
  }

  it('a file loaded alone whose attempt died before recording it, deleted before the redo, is loaded when the table holds every row its check counted', async () => {
    const { redo, file } = await diedAloneThenDeleted((rows) => rows);
    expect(redo.map((r) => [r.outcome, r.rows])).toEqual([['loaded', 10]]);
    expect(await bed.ledger.get(file)).toMatchObject({ status: 'loaded', rows: 10 });
  });

  it('...but fails naming the rows left in the table, never superseded, when they are fewer than its check counted (blocks cut short) or no count was recorded', async () => {
    const short = (await diedAloneThenDeleted((rows) => rows + 5)).redo;
    expect(short.map((r) => [r.outcome, r.code])).toEqual([['failed', 'NOT_FOUND']]);
    expect(short[0]!.error).toContain('10 row(s) of it are in the table');
    expect(short[0]!.error).toContain('its check counted 15');
    const unknown = (await diedAloneThenDeleted(() => undefined)).redo;
    expect(unknown.map((r) => [r.outcome, r.code])).toEqual([['failed', 'NOT_FOUND']]);
    expect(unknown[0]!.error).toContain('10 row(s) of it are in the table');
  });

  it.each([
    ['a plan of the new version', 'older', 'newer'],
    ['a stale plan of the old version', 'newer', 'older'],
  ] as const)('S2/S4: %s, finding the other version dead in a sealed unit, finishes that unit and settles its own version in the same attempt, never busy on itself', async (_, deadName, plannedName) => {
    const { tenant, warehouse } = scene({});
    const v = { older: fileOf(tenant, 'k', 'e-old'), newer: fileOf(tenant, 'k', 'e-new') };
    warehouse.put(v.older, 5);
    warehouse.put(v.newer, 6);
    const [dead, planned] = [v[deadName], v[plannedName]];
    // A seals its unit of one version and dies before the insert: its claim stays, bound, nothing landed.
    const a = mortal(bed.ledger);
    warehouse.beforeInsert = async () => {
      warehouse.beforeInsert = async () => undefined;
      a.kill();
      throw new Error('A died');
    };
    await expect(loadBatch(batchOf([dead]), attemptAt(bed.clock, 'A', 60), batchDeps(a.ledger, warehouse, bed.clock))).rejects.toThrow('A died');
    expect(await bed.ledger.get(dead)).toMatchObject({ status: 'loading', etag: dead.etag });
    // The object is overwritten: only the newer version can be read.
    warehouse.remove(v.older);
    // Past A's lease and its insert's bound: whatever A sent is over.
    bed.clock.advance(60 + INSERT_OVER_AFTER_LEASE_MS / 1000 + 1);
    const results = await loadBatch(batchOf([planned]), attemptAt(bed.clock, 'B', 60), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(results.map((r) => r.outcome)).toEqual([planned === v.newer ? 'loaded' : 'superseded']);
    expect([warehouse.landed(v.older), warehouse.landed(v.newer)]).toEqual([0, 1]);
    expect((await bed.ledger.get(planned))?.loadedVersions).toEqual([`${v.newer.etag}/0`]);
  });

  it('S2/S4: a stale plan of an older version never makes the newer loaded version look unloaded', async () => {
    const { tenant, warehouse } = scene({});
    const older = fileOf(tenant, 'k', 'e-old');
    const newer = fileOf(tenant, 'k', 'e-new');
    warehouse.put(older, 5);
    warehouse.put(newer, 6);
    await loadBatch(batchOf([newer]), attemptAt(bed.clock, 'A'), batchDeps(bed.ledger, warehouse, bed.clock));
    // A batch planned before the overwrite claims the older version, which ends superseded.
    expect((await bed.ledger.claim(older, attemptAt(bed.clock, 'B'), bed.clock.now)).outcome).toBe('claimed');
    expect(await bed.ledger.settle(older, attemptAt(bed.clock, 'B'), { status: 'superseded' })).toBe(true);
    const again = await loadBatch(batchOf([newer]), attemptAt(bed.clock, 'C'), batchDeps(bed.ledger, warehouse, bed.clock));
    expect(again[0]).toMatchObject({ status: 'done', outcome: 'loaded' });
    expect(warehouse.landed(newer)).toBe(1);
  });
});
