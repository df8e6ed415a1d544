/**
 * The claim protocol's property, for schedules nobody chose: 2 to 4 attempts load the same
 * batch at once, and fast-check's scheduler decides the order of every ledger and warehouse
 * call they make. Attempts die at a step it picks, outlive their leases when it moves the clock,
 * and form units of different sizes (a setting changed between attempts); some files have a
 * bad row. Some start late (a retry), and some send inserts that land slowly: read first,
 * written once the others have ended, if still within the insert's bound. The clock may move
 * on between an attempt's last look at it and the engine's start of its insert: the engine then
 * refuses an insert past its deadline. The first file's object may be deleted at a step it picks, and another execution's
 * Plan retire its entry `gone` at once. After each schedule no version has landed twice and the
 * ledger never claims a load the table does not hold; after one clean attempt, every good version
 * has landed exactly once and the ledger agrees, a deleted one that never landed ends superseded
 * at once, and a deleted one that landed unrecorded is never called superseded.
 */
import fc from 'fast-check';
import { TransientError } from '../../src/errors.js';
import type { FileRef, InsertBound, Ledger, Warehouse } from '../../src/ports.js';
import { loadBatch } from '../../src/lib/load.js';
import { retireDeleted } from '../../src/lib/plan.js';
import { attemptAt, batchDeps, batchOf, DedupWarehouse, fileOf, type LedgerBed } from '../unit/protocol-harness.js';

const attemptArb = fc.record({
  /** The attempt's process dies before its n-th store call. */
  dieAt: fc.option(fc.nat({ max: 40 }), { nil: undefined }),
  /**
   * The attempt is parked before its n-th store call until every attempt not parked has ended,
   * and comes back after its lease: a zombie, as a Lambda whose INSERT outlived it.
   */
  parkAt: fc.option(fc.nat({ max: 25 }), { nil: undefined }),
  /** It starts once this many store calls were made in all (a retry of a batch, or a later run's). */
  startAfter: fc.option(fc.nat({ max: 30 }), { nil: undefined }),
  /** The unit size it forms with: 16 bytes makes every file load alone. */
  unitMaxBytes: fc.constantFrom(16, 1000),
  leaseSeconds: fc.constantFrom(10, 60),
  /**
   * Its inserts (a unit's, or a file's alone) read their files, then write only once every other
   * attempt has ended, the clock moved on by `seconds` (its lease may end meanwhile), the first file's
   * object deleted first if `deleteFirst`: an insert still landing after its attempt, its files
   * gone. It lands if the clock is then within its bound (read by its deadline, within its time
   * limit) plus the engine's time to write it.
   */
  slowInsert: fc.option(fc.record({ seconds: fc.constantFrom(5, 15, 45, 90), deleteFirst: fc.boolean() }), { nil: undefined }),
  /** Which of the files its batch holds (a plan of another round or run forms other units). */
  picks: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
});

export const scheduleArb = fc.record({
  /** Rows of each file; a negative count is a bad row at that line. */
  files: fc.array(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 9 }) }, { weight: 1, arbitrary: fc.constant(-2) }), { minLength: 1, maxLength: 4 }),
  attempts: fc.array(attemptArb, { minLength: 2, maxLength: 4 }),
  /** After this many store calls in all, the clock moves `jumpSeconds`. */
  clockJumps: fc.uniqueArray(fc.nat({ max: 40 }), { minLength: 1, maxLength: 3 }),
  jumpSeconds: fc.constantFrom(15, 25, 55, 100),
  /** After this many store calls in all, the first file's object is deleted and a Plan retires its entry. */
  deleteAt: fc.option(fc.nat({ max: 40 }), { nil: undefined, freq: 2 }),
  scheduler: fc.scheduler(),
});

/** How long the engine may take to write an insert's block once its time limit has passed. */
const ENGINE_WRITE_MS = 30_000;

class Died extends Error {
  override name = 'Died';
}

let runs = 0;

/** Runs one schedule; throws (an assertion message) when an invariant breaks. */
export type Schedule = typeof scheduleArb extends fc.Arbitrary<infer T> ? T : never;

export async function checkSchedule(bed: LedgerBed, schedule: Schedule): Promise<void> {
  const { scheduler: s } = schedule;
  const tenant = `x${++runs}`;
  const warehouse = new DedupWarehouse();
  const files = schedule.files.map((rows, i) => {
    const file = fileOf(tenant, `f${i}`);
    warehouse.put(file, rows);
    return file;
  });
  let deleted = false;
  /** Another execution's Plan: it lists the bucket, and retires what is no longer there. */
  const planElsewhere = async () =>
    retireDeleted(
      files.filter((_, i) => !(deleted && i === 0)).map(({ key, etag, size }) => ({ key, etag, size })),
      await bed.ledger.listItem(tenant, 'companies'),
      { ledger: bed.ledger, now: () => bed.clock.now },
    );
  const deleteFirst = async () => {
    deleted = true;
    warehouse.remove(files[0]!);
    await planElsewhere();
  };
  let calls = 0;
  let running = schedule.attempts.length;
  const parked: (() => void)[] = [];
  /** Attempts yet to start: each starts at its mark, or once nothing else can move. */
  const waiting: { at: number; start: () => void }[] = [];
  const startDue = () => {
    for (const w of waiting.filter((w) => w.at <= calls)) waiting.splice(waiting.indexOf(w), 1)[0]!.start();
  };
  const wakeParked = () => {
    if (parked.length + waiting.length === 0 || parked.length + waiting.length < running) return;
    if (waiting.length > 0) for (const w of waiting.splice(0)) w.start();
    else for (const wake of parked.splice(0)) wake();
  };
  /** Every call of one attempt to a port becomes a task the scheduler releases in its own order. */
  const through = <T extends object>(port: T, label: string, at: { dieAt?: number | undefined; parkAt?: number | undefined; slowInsert?: { seconds: number; deleteFirst: boolean } | undefined }, mine: { calls: number }): T =>
    new Proxy(port, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const n = mine.calls++;
          if (n === at.parkAt) {
            // Its lease ends while it is away.
            bed.clock.advance(100);
            await new Promise<void>((wake) => {
              parked.push(wake);
              wakeParked();
            });
          }
          await s.schedule(Promise.resolve(), `${label}.${String(name)}`);
          if (schedule.clockJumps.includes(++calls)) bed.clock.advance(schedule.jumpSeconds);
          startDue();
          if (calls === schedule.deleteAt) await deleteFirst();
          if (at.dieAt !== undefined && n >= at.dieAt) throw new Died(`${label} died`);
          const bound = name === 'insertUnit' || name === 'insertFile' ? (args[2] as InsertBound | undefined) : undefined;
          // The engine reads no row of an insert past its deadline, however late the insert reached it.
          if (bound && bed.clock.now > bound.deadline) throw new TransientError('ClickHouse: the insert ran past the lease of its attempt');
          if ((name === 'insertUnit' || name === 'insertFile') && at.slowInsert) {
            const sent = bed.clock.now.getTime();
            const slow = at.slowInsert;
            const writing = async () => {
              bed.clock.advance(slow.seconds);
              if (slow.deleteFirst && !deleted) await deleteFirst();
              await new Promise<void>((wake) => {
                parked.push(wake);
                wakeParked();
              });
              // Its rows were read by the deadline; the engine writes them within its time to write.
              return bound === undefined || bed.clock.now.getTime() <= Math.min(sent + bound.seconds * 1000, bound.deadline.getTime()) + ENGINE_WRITE_MS;
            };
            if (name === 'insertFile') return warehouse.insertFileHeld(args[0] as FileRef, args[1] as string, writing);
            return warehouse.insertUnitHeld(args[0] as readonly FileRef[], args[1] as string, writing);
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const attempts = schedule.attempts.map(async (a, i) => {
    if (a.startAfter !== undefined) {
      const at = a.startAfter;
      await new Promise<void>((start) => {
        waiting.push({ at, start });
        wakeParked();
      });
    }
    const mine = { calls: 0 };
    const ledger = through<Ledger>(bed.ledger, `A${i}`, a, mine);
    const wh = through<Warehouse>(warehouse, `A${i}`, a, mine);
    const picked = files.filter((_, j) => a.picks[j]);
    return loadBatch(batchOf(picked.length > 0 ? picked : files), attemptAt(bed.clock, `${tenant}-A${i}`, a.leaseSeconds), batchDeps(ledger, wh, bed.clock, a.unitMaxBytes)).finally(() => {
      running--;
      wakeParked();
    });
  });
  await s.waitFor(Promise.allSettled(attempts));

  const check = async (when: string) => {
    for (const [i, file] of files.entries()) {
      const landed = warehouse.landed(file);
      if (landed > 1) throw new Error(`${when}: ${file.key} landed ${landed} times`);
      const entry = await bed.ledger.get(file);
      if (entry?.status === 'loaded' && (landed !== 1 || entry.rows !== schedule.files[i])) {
        throw new Error(`${when}: ${file.key} is loaded in the ledger with ${entry.rows} rows, but landed ${landed} times of ${schedule.files[i]} rows`);
      }
    }
  };
  await check('after the schedule');
  // Every lease has ended: one clean attempt settles whatever is left.
  bed.clock.advance(3600);
  if (deleted) await planElsewhere();
  const results = await loadBatch(batchOf(files), attemptAt(bed.clock, `${tenant}-final`, 60), batchDeps(bed.ledger, warehouse, bed.clock));
  await check('after a clean attempt');
  for (const [i, file] of files.entries()) {
    const gone = deleted && i === 0;
    const good = schedule.files[i]! > 0 && !(gone && warehouse.landed(file) === 0);
    // A deleted version whose insert landed before its attempt died unrecorded is loaded if it was
    // one block (a unit); alone, nothing can check its blocks complete, so it fails, and says so.
    const want = good ? (gone ? ['loaded', 'failed'] : ['loaded']) : gone ? ['superseded'] : ['failed'];
    if (!want.includes(results[i]?.outcome ?? '')) throw new Error(`after a clean attempt: ${file.key} is ${results[i]?.outcome}, expected ${want.join(' or ')}`);
    if (warehouse.landed(file) !== (good ? 1 : 0)) throw new Error(`after a clean attempt: ${file.key} landed ${warehouse.landed(file)} times`);
  }
}
