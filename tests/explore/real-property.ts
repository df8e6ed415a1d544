/**
 * The claim protocol's property on the real stores: 2 to 4 attempts load the same files at once,
 * landed as real objects in the local S3, inserted by the ClickHouse warehouse adapter into chDB,
 * claimed in dynalite, all on one load path the schedule picks: in-engine (ClickHouse reads the
 * objects) or streamed (the Load reads each with a pinned GetObject and sends its rows).
 * fast-check's scheduler orders every ledger, warehouse, listing and object-read call, one call
 * at a time (a released call runs to its end before the next is chosen, a read's body read whole
 * within its call, so a seed replays the same schedule). Attempts die, outlive their leases, form units of different sizes,
 * and plan from the originals or from a listing made at a step the scheduler picks; the first
 * file's object is overwritten through the S3 API at a step it picks (a new ETag), or deleted and
 * its entry retired by another execution's Plan. Afterwards: the stale plan settles the old
 * version (loaded, if it had landed, else superseded), a later round loads the new one, the
 * stale plan run again leaves the newer version loaded; after each step every version's raw rows
 * by lineage are its rows exactly once when the ledger says loaded and none otherwise (mid-way,
 * streamed, some of a file alone whose claim is still loading: chunks are separate inserts), no loaded
 * version ever shows unloaded again, no row is stray, and at the end `verify` is clean.
 */
import fc from 'fast-check';
import { loadBatch } from '../../src/lib/load.js';
import { retireDeleted } from '../../src/lib/plan.js';
import { verify, verifyText } from '../../src/lib/audit.js';
import { versionName } from '../../src/lib/dedup-token.js';
import type { FileResult } from '../../src/lib/results.js';
import { streamedPath, streamedUnits } from '../../src/lib/streamed-load.js';
import type { BatchDeps } from '../../src/lib/load.js';
import { Readable } from 'node:stream';
import type { FileVersion, Ledger, LedgerEntry, ObjectStore, Warehouse } from '../../src/ports.js';
import { attemptAt, batchDeps, batchOf } from '../unit/protocol-harness.js';
import type { RealBed } from './real-bed.js';

/** Rows of a file version; a negative count is a bad row (no id) at that line of three. */
const rowsArb = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }) }, { weight: 1, arbitrary: fc.constant(-2) });

const attemptArb = fc.record({
  /** The attempt's process dies before its n-th store call. */
  dieAt: fc.option(fc.nat({ max: 30 }), { nil: undefined }),
  /** It dies as soon as its first insert has landed, before it records anything of it. */
  dieAfterInsert: fc.boolean(),
  /** Parked before its n-th store call until the others have ended, back after its lease: a zombie. */
  parkAt: fc.option(fc.nat({ max: 20 }), { nil: undefined }),
  /** In-engine, 16 bytes: every file loads alone; otherwise they load as one unit. */
  unitMaxBytes: fc.constantFrom(16, 100_000),
  leaseSeconds: fc.constantFrom(10, 60),
  /** `listing`: its plan is a listing of the bucket, made at a step the scheduler picks (after an overwrite, the new version). */
  plans: fc.constantFrom('originals', 'listing'),
  picks: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
});

/**
 * The load path of every attempt of a schedule: one path for all, as an operator keeps it while a
 * dead run is still to be redone (docs/exactly-once.md). Streamed, `chunkBytes` (a stage setting,
 * the same for every attempt) bounds a unit and each chunk of a file alone: 16, every file alone
 * a row a chunk; 150, a row or two a chunk; 100 000, the files one unit.
 */
const pathArb = fc.oneof(
  fc.record({ kind: fc.constant('in-engine' as const) }),
  fc.record({ kind: fc.constant('streamed' as const), chunkBytes: fc.constantFrom(16, 150, 100_000) }),
);

export type LoadPathName = 'in-engine' | 'streamed';

/** Schedules on either load path, or on the one named. */
export const realScheduleArbOn = (path?: LoadPathName) => fc.record({
  path: path ? pathArb.filter((p) => p.kind === path) : pathArb,
  files: fc.array(rowsArb, { minLength: 1, maxLength: 3 }),
  attempts: fc.array(attemptArb, { minLength: 2, maxLength: 4 }),
  /** After this many store calls in all, the clock moves 100 s: every lease so far has ended. */
  clockJumps: fc.uniqueArray(fc.nat({ max: 40 }), { minLength: 1, maxLength: 2 }),
  /**
   * The first file's object is overwritten (or, one time in four, deleted, and its entry retired by
   * another execution's Plan) after this many store calls (after the schedule if it ends sooner).
   */
  overwrite: fc.option(fc.record({ at: fc.nat({ max: 40 }), rows: rowsArb, deletes: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) }), { nil: undefined, freq: 5 }),
  scheduler: fc.scheduler(),
});

export const realScheduleArb = realScheduleArbOn();

export type RealSchedule = typeof realScheduleArb extends fc.Arbitrary<infer T> ? T : never;

class Died extends Error {
  override name = 'Died';
}

/** A landed file version and what the table must hold of it. */
interface Version {
  file: FileVersion;
  /** Its rows; a negative number: it has a bad row and must never land. */
  rows: number;
}

const vname = (v: Pick<FileVersion, 'key' | 'etag'>) => `${v.key}@${v.etag}`;

/** JSON lines of a version: ids unique to it, so no merge ever replaces one version's rows by another's. */
function body(file: number, version: number, rows: number): string {
  const lines = Array.from({ length: rows < 0 ? 3 : rows }, (_, j) =>
    j + 1 === -rows
      ? { name: 'no id', last_updated: '2026-01-01T00:00:00Z' }
      : { id: 1000 * (file + 1) + 100 * version + j, name: `f${file}v${version}r${j}`, last_updated: '2026-01-01T00:00:00Z' },
  );
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

/**
 * One store call at a time: the explorer waits until no call is running and every attempt has
 * either asked for its next call, been parked, or ended, before the scheduler picks the next.
 */
class Turns {
  running = 0;
  #quiet: (() => void)[] = [];
  enter() {
    this.running++;
  }
  leave() {
    if (--this.running === 0) for (const wake of this.#quiet.splice(0)) wake();
  }
  async quiet(): Promise<void> {
    for (;;) {
      // A macrotask: every continuation of the call that ended has run up to its next call.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.running === 0) return;
      await new Promise<void>((wake) => this.#quiet.push(wake));
    }
  }
}

async function buffered(body: Readable): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of body as AsyncIterable<Buffer>) pieces.push(piece);
  return Buffer.concat(pieces);
}

let runs = 0;

/** Schedules that reached the known limit: a version's rows landed unproven (cut short, or a zombie's insert after the redo), its object gone. */
export const cutShort = { count: 0 };

const isLoaded = (entry: LedgerEntry | undefined, file: FileVersion) =>
  entry !== undefined && ((entry.etag === file.etag && entry.generation === file.generation && entry.status === 'loaded') || (entry.loadedVersions ?? []).includes(versionName(file)));

/** Runs one schedule on the real stores; throws (naming what broke) when an invariant does not hold. */
export async function checkRealSchedule(bed: RealBed, schedule: RealSchedule): Promise<void> {
  const tenant = `r${++runs}`;
  const { warehouse, ref, drop } = await bed.table(tenant);
  try {
    await explore(bed, schedule, tenant, warehouse, ref);
  } finally {
    await drop();
  }
}

async function explore(bed: RealBed, schedule: RealSchedule, tenant: string, warehouse: Warehouse, table: string): Promise<void> {
  const { scheduler: s } = schedule;
  const prefix = `${tenant}/canonical/companies/`;
  const versions = new Map<string, Version>();
  const land = async (i: number, version: number, rows: number): Promise<FileVersion> => {
    const key = `${prefix}f${i}.jsonl`;
    const { etag, size } = await bed.put(key, body(i, version, rows));
    const file: FileVersion = { tenant, table: 'companies', key, etag, size, generation: 0 };
    versions.set(vname(file), { file, rows });
    return file;
  };
  const originals: FileVersion[] = [];
  for (const [i, rows] of schedule.files.entries()) originals.push(await land(i, 0, rows));
  let overwritten: FileVersion | undefined;
  let deleted = false;
  /** Another execution's Plan: it lists the bucket, and retires the entries of objects no longer there. */
  const planElsewhere = async () => retireDeleted(await bed.store.list(prefix), await bed.ledger.listItem(tenant, 'companies'), { ledger: bed.ledger, now: () => bed.clock.now });
  const overwrite = async () => {
    if (!schedule.overwrite || overwritten || deleted) return;
    if (!schedule.overwrite.deletes) return void (overwritten = await land(0, 1, schedule.overwrite.rows));
    await bed.remove(originals[0]!.key);
    deleted = true;
    await planElsewhere();
  };

  const turns = new Turns();
  const parked: (() => void)[] = [];
  let calls = 0;
  let ended = 0;
  /** Every call of one attempt to a port becomes a task the scheduler releases in its own order. */
  const through = <T extends object>(port: T, label: string, at: { dieAt?: number | undefined; parkAt?: number | undefined; dieAfterInsert: boolean }, mine: { calls: number; dead: boolean }): T =>
    new Proxy(port, {
      get(target, name) {
        // The adapters keep private fields: their getters and methods run on the adapter itself.
        const value = Reflect.get(target, name) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const n = mine.calls++;
          if (n === at.parkAt) {
            // Its lease ends while it is away.
            bed.clock.advance(100);
            await new Promise<void>((wake) => parked.push(wake));
          }
          await s.schedule(Promise.resolve(), `${label}.${String(name)}`);
          turns.enter();
          try {
            if (schedule.clockJumps.includes(++calls)) bed.clock.advance(100);
            if (calls === schedule.overwrite?.at) await overwrite();
            if (mine.dead || (at.dieAt !== undefined && n >= at.dieAt)) throw new Died(`${label} died`);
            let out = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            // An object read's body is read whole within its call: no byte arrives between steps.
            if (out instanceof Readable) out = Readable.from([await buffered(out)]);
            if (at.dieAfterInsert && String(name).startsWith('insert')) mine.dead = true;
            return out;
          } finally {
            turns.leave();
          }
        };
      },
    });
  /** The Load's wiring on the schedule's path (as functions/load.ts builds it). */
  const depsOn = (ledger: Ledger, wh: Warehouse, store: ObjectStore, unitMaxBytes?: number): BatchDeps => {
    const deps = batchDeps(ledger, wh, bed.clock, unitMaxBytes);
    if (schedule.path.kind === 'in-engine') return deps;
    const stream = { store, warehouse: wh, chunkRows: bed.insertBlockRows, chunkBytes: schedule.path.chunkBytes };
    return { ...deps, path: streamedPath(stream), unitsOf: (free) => streamedUnits(free, stream) };
  };
  const listed = async (store: RealBed['store']): Promise<FileVersion[]> =>
    (await store.list(prefix)).sort((a, b) => a.key.localeCompare(b.key)).map((f) => ({ tenant, table: 'companies', key: f.key, etag: f.etag, size: f.size, generation: 0 }));

  const attempts = schedule.attempts.map((a, i) =>
    (async () => {
      const mine = { calls: 0, dead: false };
      const label = `A${i}`;
      const ledger = through(bed.ledger, label, a, mine);
      const wh = through(warehouse, label, a, mine);
      const store = through(bed.store, label, a, mine);
      const planned = a.plans === 'listing' ? await listed(store) : originals;
      const picked = planned.filter((_, j) => a.picks[j]);
      const batch = batchOf(picked.length > 0 ? picked : planned);
      return loadBatch(batch, attemptAt(bed.clock, `${tenant}-${label}`, a.leaseSeconds), depsOn(ledger, wh, store, a.unitMaxBytes));
    })().finally(() => ended++),
  );
  const settled = Promise.allSettled(attempts);
  for (;;) {
    await turns.quiet();
    if (s.count() > 0) await s.waitOne();
    else if (parked.length > 0) for (const wake of parked.splice(0)) wake();
    else break;
  }
  if (ended !== attempts.length) throw new Error(`${attempts.length - ended} attempt(s) wait on something the schedule never releases`);
  await settled;

  const everLoaded = new Set<string>();
  /**
   * Versions whose object went before anything could prove their rows complete: the known limit
   * (docs/exactly-once.md, what is not covered yet). A file alone cut short between two chunks,
   * or a zombie's insert of bytes it read before the overwrite, landing after the redo found the
   * object replaced and settled it superseded. Nothing can check them against their object; a
   * later claim must end them failed, naming the rows in the table, and be all `verify` flags.
   */
  const incomplete = new Set<string>();
  /** The stores against the ledger; `settledAll`: every attempt has ended and nothing is left loading. */
  const check = async (when: string, settled: boolean, only?: readonly FileVersion[]) => {
    const lineages = await bed.query<{ file: string; etag: string; rows: string }>(
      `SELECT _file AS file, _etag AS etag, count() AS rows FROM ${table} WHERE tenant_id = {tenant:String} GROUP BY _file, _etag`,
      { tenant },
    );
    const inTable = new Map(lineages.map((l) => [`${l.file}@${l.etag}`, Number(l.rows)]));
    for (const name of inTable.keys()) if (!versions.has(name)) throw new Error(`${when}: rows of ${name}, a version never landed`);
    for (const [name, { file, rows: want }] of versions) {
      const rows = inTable.get(name) ?? 0;
      // A version the step did not plan (another's listing found it) may still await its redo.
      const settledAll = settled && (!only || only.some((f) => vname(f) === name));
      if (incomplete.has(name)) {
        const entry = await bed.ledger.get(file);
        // Failed, or the key has moved on to a newer version since; never loaded, never doubled
        // (a zombie's whole insert may have landed: all its rows, unproven).
        if (isLoaded(entry, file) || (entry?.etag === file.etag && entry.status !== 'failed') || rows === 0 || rows > want) {
          throw new Error(`${when}: ${name}, its rows unproven and its object gone, shows ${entry?.etag}@${entry?.status} with ${rows} of its ${want} rows in the table`);
        }
        continue;
      }
      if (rows > 0 && want < 0) throw new Error(`${when}: ${rows} rows of ${name}, a version with a bad row`);
      const entry = await bed.ledger.get(file);
      // Streamed, a file alone is inserted a chunk per call: an attempt that died between two has
      // left some, its claim still loading, until a redo sends the rest under the same tokens.
      const partial = !settledAll && schedule.path.kind === 'streamed' && rows < want && entry?.status === 'loading' && entry.etag === file.etag && entry.generation === file.generation;
      if (rows > 0 && rows !== want && !partial) throw new Error(`${when}: ${rows} rows of ${name} in the table, ${want} in the version (${rows > want ? 'more' : 'fewer'} than it holds)`);
      const loaded = isLoaded(entry, file);
      if (loaded && rows !== want) throw new Error(`${when}: ${name} is loaded in the ledger, the table holds ${rows} of its ${want} rows`);
      if (loaded && entry?.etag === file.etag && entry.rows !== want) throw new Error(`${when}: ${name} is loaded in the ledger with ${entry.rows} rows, the version has ${want}`);
      if (everLoaded.has(name) && !loaded) throw new Error(`${when}: ${name} was loaded, the ledger now shows ${entry?.etag}@${entry?.status}: it moved backwards`);
      if (loaded) everLoaded.add(name);
      if (settledAll && !loaded && rows > 0) throw new Error(`${when}: ${rows} rows of ${name} in the table, the ledger says ${entry?.etag === file.etag ? entry.status : `nothing of it (it holds ${entry?.etag}@${entry?.status})`}`);
    }
  };
  await check('after the schedule', false);

  // Every lease has ended; the overwrite has happened, if the schedule ended before its step.
  bed.clock.advance(3600);
  await overwrite();
  if (deleted) await planElsewhere();
  const clean = async (files: readonly FileVersion[], id: string) => {
    try {
      return await loadBatch(batchOf(files), attemptAt(bed.clock, `${tenant}-${id}`, 60), depsOn(bed.ledger, warehouse, bed.store));
    } catch (error) {
      const ledger = await Promise.all(files.map(async (f) => JSON.stringify(await bed.ledger.get(f))));
      throw new Error(`the ${id} attempt, after every lease ended: ${(error as Error).message}\nledger: ${ledger.join('\n        ')}`, { cause: error });
    }
  };
  const expectOutcomes = (when: string, results: readonly FileResult[], files: readonly FileVersion[], want: (v: Version) => string[]) => {
    for (const [i, file] of files.entries()) {
      const outcome = results[i]?.outcome ?? 'nothing';
      const allowed = want(versions.get(vname(file))!);
      if (!allowed.includes(outcome)) throw new Error(`${when}: ${vname(file)} is ${outcome}, expected ${allowed.join(' or ')}`);
    }
  };
  const replaced = (v: Version) => v.file.key === originals[0]!.key && (deleted || (overwritten !== undefined && v.file.etag !== overwritten.etag));
  // The stale plan: an old version whose object was overwritten is loaded only if it landed before.
  const stale = await clean(originals, 'stale');
  for (const [i, file] of originals.entries()) {
    const result = stale[i];
    const v = versions.get(vname(file))!;
    if (schedule.path.kind === 'streamed' && replaced(v) && v.rows > 0 && result?.outcome === 'failed' && /cannot be checked complete/.test(result.error ?? '')) incomplete.add(vname(file));
  }
  if (incomplete.size > 0) cutShort.count++;
  expectOutcomes('the stale plan', stale, originals, (v) =>
    replaced(v) ? [v.rows > 0 ? 'loaded' : 'failed', 'superseded', ...(incomplete.has(vname(v.file)) ? ['failed'] : [])] : [v.rows > 0 ? 'loaded' : 'failed'],
  );
  await check('after the stale plan', true, originals);
  // A later round plans what the bucket holds: the new version loads.
  const current = await listed(bed.store);
  if (current.length > 0) expectOutcomes('a later round', await clean(current, 'later'), current, (v) => [v.rows > 0 ? 'loaded' : 'failed']);
  await check('after a later round', true);
  if (overwritten || deleted) {
    // The stale plan once more (a late retry): the newer version stays loaded, and so does the old
    // one if it was; one never loaded may be claimed again, and ends failed or superseded, never loaded.
    const again = await clean(originals, 'stale-again');
    for (const [i, file] of originals.entries()) {
      const was = stale[i]?.outcome;
      const allowed: (string | undefined)[] = replaced(versions.get(vname(file))!) && was !== 'loaded' ? ['failed', 'superseded'] : [was];
      if (!allowed.includes(again[i]?.outcome)) throw new Error(`the stale plan again: ${vname(file)} is ${again[i]?.outcome}, was ${was}`);
    }
    await check('after the stale plan again', true);
  }
  const report = await verify({ tenants: [tenant], tables: ['companies'] }, { ledger: bed.ledger, warehouse });
  // Only the versions whose rows were left unproven may show, as rows of no loaded version.
  const flagged = (line: string) => [...incomplete].some((name) => line.includes(`${versions.get(name)!.file.key} (${versions.get(name)!.file.etag})`));
  if (report.lost.length + report.doubled.length > 0 || !report.stray.every(flagged)) throw new Error(`verify is not clean:\n${verifyText(report)}`);
  if (report.stray.length !== incomplete.size) throw new Error(`verify names ${report.stray.length} stray version(s), ${incomplete.size} were left unproven with their object gone:\n${verifyText(report)}`);
}
