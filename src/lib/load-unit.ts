/**
 * Inserting a sealed load unit, the first time or again for a dead attempt, and recording its
 * members' outcomes. A unit of several files is one INSERT that writes one block under the
 * unit's token, so it lands whole or not at all and a redo adds nothing; it checks every row as
 * it reads, so a bad row anywhere leaves nothing in the table, and the unit is split: its
 * members load alone, where the check read names the file, row and column at fault. A file
 * alone is checked by a full read, then inserted in blocks of a pinned size under its own
 * tokens. Who may insert which unit is the claim protocol's to say (claims.ts).
 */
import pMap from 'p-map';
import { FileBusyError, PermanentError, isFileProblem, isSuperseded } from '../errors.js';
import type { Attempt, FileVersion, InsertBound, LoadUnit, UnitMember, Warehouse } from '../ports.js';
import { LEDGER_CONCURRENCY, memberFile, giveBackUnit, memberOf, nowOf, seal, settle, split, standAside, takeUnit, unitToken, type ClaimDeps } from './claims.js';
import { checkFile } from './check-file.js';
import { dedupToken, lineageEtag } from './dedup-token.js';
import type { FileResult } from './results.js';

/** The lineage of a file version as the warehouse tags its rows. */
export function fileRef(file: FileVersion) {
  return { tenant: file.tenant, table: file.table, key: file.key, etag: lineageEtag(file.etag, file.generation), version: file.etag };
}

/** How a load path inserts a unit's files and counts their rows. */
export interface UnitWriter {
  /**
   * Inserts the files as one block under `token`; returns each file's rows. A writer whose block
   * the engine knows by its token alone (streamed) leaves out a member whose object no longer
   * holds its version (its rows undefined), as the rest is still the same insert; the other
   * (in-engine) throws, and the unit is split. `bound`: from the sending attempt's lease,
   * undefined once it has ended.
   */
  insert(files: readonly FileVersion[], token: string, bound: InsertBound | undefined): Promise<(number | undefined)[]>;
  /** Each file's rows, counted from the file, for a unit found landed (undefined: left out of it, its object gone). */
  count(files: readonly FileVersion[]): Promise<(number | undefined)[]>;
}

/**
 * Each file's rows of a unit found landed, read from the files by `read`; counted in the table
 * instead when a file left the bucket (or changed) since the insert, on either load path. A
 * member gone with none of its rows there was left out of the insert (undefined).
 */
export async function countLanded(files: readonly FileVersion[], warehouse: Warehouse, read: (files: readonly FileVersion[]) => Promise<number[]>): Promise<(number | undefined)[]> {
  try {
    return await read(files);
  } catch (error) {
    if (!isFileProblem(error) && !isSuperseded(error)) throw error;
    const first = files[0]!;
    const counts = await warehouse.countRowsByFile(first.tenant, first.table, files.map((f) => f.key));
    const rows = files.map((f) => counts.get(f.key)?.get(lineageEtag(f.etag, f.generation)) ?? 0);
    return isSuperseded(error) ? rows.map((n) => (n > 0 ? n : undefined)) : rows;
  }
}

/**
 * An in-engine insert's time limit (a unit's, or a file's alone) runs this long past its
 * attempt's lease (a lease may be a few seconds, an insert under load a little longer).
 */
export const INSERT_PAST_LEASE_SECONDS = 30;

/**
 * When an in-engine insert is certainly over, counted from its attempt's lease: its time limit,
 * then the time to write the block it was reading (the engine checks the limit as it reads).
 */
export const INSERT_OVER_AFTER_LEASE_MS = (INSERT_PAST_LEASE_SECONDS + 30) * 1000;

/** The bound of an in-engine insert sent now by an attempt whose lease ends at `leaseUntil`; none once it has ended. */
export function insertBound(leaseUntil: Date, now: Date): InsertBound | undefined {
  const secondsLeft = (leaseUntil.getTime() - now.getTime()) / 1000;
  if (secondsLeft <= 0) return undefined;
  return { deadline: new Date(leaseUntil.getTime() + INSERT_PAST_LEASE_SECONDS * 1000), seconds: Math.ceil(secondsLeft) + INSERT_PAST_LEASE_SECONDS };
}

/** In-engine: ClickHouse reads the files for the insert; their rows are counted in its part, or read again. */
export function inEngineWriter(warehouse: Warehouse): UnitWriter {
  const count = (files: readonly FileVersion[]) => countLanded(files, warehouse, (fs) => warehouse.countRows(fs.map(fileRef)));
  return {
    async insert(files, token, bound) {
      const refs = files.map(fileRef);
      // Bounded by the lease, so that the next attempt can tell when it is over; never sent once
      // the lease has ended (a zombie's insert).
      if (bound === undefined) throw new FileBusyError('the lease ended before a load unit\'s insert was sent', { tenant: refs[0]!.tenant, table: refs[0]!.table });
      await warehouse.insertUnit(refs, token, bound);
      // The unit's one part, counted in the table, unless a merge reached it first: then the files.
      return (await warehouse.countInOwnPart(refs)) ?? count(files);
    },
    count,
  };
}

/**
 * Told the rows a file's check counted, before anything of it is inserted; answers how to bound
 * each insert of it as it is sent, from the attempt's lease (none once the lease has ended: then
 * nothing more of the file may be sent).
 */
export type Checked = (rows: number) => Promise<() => InsertBound | undefined>;

/** In-engine, a file alone: a full check read, then the insert in blocks under the file's own token. */
export function checkThenInsert(warehouse: Warehouse): (file: FileVersion, checked: Checked) => Promise<number> {
  return async (file, checked) => {
    const rows = await checkFile(fileRef(file), file.size, warehouse);
    const bound = (await checked(rows))();
    // Bounded by the lease as a unit's insert is, so that a redo can tell when it is over.
    if (bound === undefined) throw new FileBusyError("the lease ended before the file's insert was sent", { tenant: file.tenant, table: file.table, file: file.key });
    await warehouse.insertFile(fileRef(file), dedupToken(file), bound);
    return rows;
  };
}

/** A load path: how units are written and how a file alone is loaded (returning its rows). */
export interface LoadPath {
  writer: UnitWriter;
  /** Loads a file alone; calls `checked` with its rows once it has read them all, before inserting any. */
  loadAlone: (file: FileVersion, checked: Checked) => Promise<number>;
}

export interface UnitDeps extends ClaimDeps {
  warehouse: Warehouse;
  path: LoadPath;
}

/**
 * Inserts a sealed unit and records the outcome of the members whose claims `attempt` holds.
 * `redo`: an earlier attempt may have inserted it; if its rows are in the table it is only
 * counted, else inserted again under the same token (which the engine drops if it landed).
 */
export async function runUnit(unit: LoadUnit, held: readonly FileVersion[], attempt: Attempt, redo: boolean, deps: UnitDeps): Promise<FileResult[]> {
  deps.outcomes?.started(held);
  if (unit.mode === 'alone') return Promise.all(held.map((file) => runAlone(file, attempt, deps)));
  if (unit.state === 'split') return eachAlone(held, attempt, deps);
  const files = unit.members.map((m) => memberFile(unit, m));
  const rows = redo && (await landedBefore(unit, deps)) ? await deps.path.writer.count(files) : await insertUnit(unit, files, attempt, deps);
  // One block: nothing landed. Each member loads alone, where its own check names the fault (or
  // its pinned read finds it replaced).
  if (!rows) return eachAlone(await split(unit, held, attempt, deps), attempt, deps);
  const rowsOf = new Map(files.map((f, i) => [f.key, rows[i]]));
  const left = held.filter((file) => rowsOf.get(file.key) === undefined);
  // Members left out of the insert, their objects gone: the unit lands whole, so an earlier
  // insert of it either holds all their rows or, once this one has landed, never will.
  const leftAt = new Map(left.map((file, i) => [file.key, i]));
  const leftRows = left.length > 0 ? await rowsLanded(unit.tenant, unit.table, left.map(memberOf), deps) : [];
  return pMap(
    held,
    (file) => {
      const i = leftAt.get(file.key);
      if (i === undefined) return record(file, rowsOf.get(file.key) ?? 0, attempt, deps);
      return leftRows[i]! > 0 ? record(file, leftRows[i]!, attempt, deps) : settle(file, attempt, { status: 'superseded' }, deps);
    },
    { concurrency: LEDGER_CONCURRENCY },
  );
}

/**
 * Sends the unit's insert; returns each member's rows, or undefined when it failed for a member
 * and nothing of the unit is in the table or can land: the unit is to be split.
 */
async function insertUnit(unit: LoadUnit, files: FileVersion[], attempt: Attempt, deps: UnitDeps): Promise<(number | undefined)[] | undefined> {
  const earlier = await takeUnit(unit, attempt, deps);
  try {
    return await deps.path.writer.insert(files, unitToken(unit), insertBound(attempt.leaseUntil, nowOf(deps)));
  } catch (error) {
    if (!isFileProblem(error) && !isSuperseded(error)) throw error;
    // A bad row fails every insert of the unit alike: none of them wrote anything.
    if (!isSuperseded(error) || earlier === undefined) return undefined;
    // A member's object went. Another attempt's insert may have read it before and land yet, so
    // the members loading alone could double: only once that insert is over does the table say.
    const over = new Date(Date.parse(earlier.leaseUntil) + INSERT_OVER_AFTER_LEASE_MS);
    if (nowOf(deps) <= over) {
      await giveBackUnit(unit, attempt, earlier, deps);
      throw new FileBusyError(`a member of load unit ${unit.id} left the bucket, and an earlier insert of the unit may land until ${over.toISOString()}`, { tenant: unit.tenant, table: unit.table });
    }
    return (await landedBefore(unit, deps)) ? deps.path.writer.count(files) : undefined;
  }
}

async function eachAlone(files: readonly FileVersion[], attempt: Attempt, deps: UnitDeps): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for (const file of files) results.push(...(await runUnit(await seal('alone', [file], attempt, deps), [file], attempt, false, deps)));
  return results;
}

async function runAlone(file: FileVersion, attempt: Attempt, deps: UnitDeps): Promise<FileResult> {
  // The count goes on the claim before the insert, with when the insert is certainly over: a
  // redo that finds the object replaced waits that out, then judges the table's rows by the count.
  const checked: Checked = async (rows) => {
    const over = new Date(attempt.leaseUntil.getTime() + INSERT_OVER_AFTER_LEASE_MS);
    if (!(await deps.ledger.noteChecked(file, attempt, rows, over))) throw new FileBusyError('lost the claim before inserting the file', { tenant: file.tenant, table: file.table, file: file.key });
    return () => insertBound(attempt.leaseUntil, nowOf(deps));
  };
  let rows: number;
  try {
    rows = await deps.path.loadAlone(file, checked);
  } catch (error) {
    if (isSuperseded(error)) return supersededAlone(file, attempt, deps);
    if (!isFileProblem(error)) throw error;
    return settle(file, attempt, { status: 'failed', error }, deps);
  }
  return record(file, rows, attempt, deps);
}

/**
 * A file alone whose object no longer holds the version. An earlier insert (a dead attempt's, or
 * one cut short before a failure that a late retry claims afresh) may have left its blocks: all
 * of them (as many rows as its check counted) make it loaded; some of them, or a count never
 * recorded, cannot be made complete, and that fails loudly instead of passing for a version
 * never loaded. An earlier holder's insert that may still be running is waited out first, or
 * its blocks could land after the version was called superseded.
 */
async function supersededAlone(file: FileVersion, attempt: Attempt, deps: UnitDeps): Promise<FileResult> {
  const entry = await deps.ledger.get(file);
  const holds = entry?.status === 'loading' && entry.etag === file.etag && entry.generation === file.generation && entry.attempt === attempt.id;
  const over = holds ? entry.earlierInsertsOverAt : undefined;
  if (over !== undefined && nowOf(deps) <= new Date(over)) {
    // This attempt's own insert is over: the next attempt takes over at once and waits only for the earlier ones.
    await standAside(file, attempt, deps);
    throw new FileBusyError(`the object no longer holds this version, and an earlier insert of it may land until ${over}`, { tenant: file.tenant, table: file.table, file: file.key });
  }
  // Not only on a redo: a version that failed cut short may be claimed afresh by a late retry.
  const [landed = 0] = await rowsLanded(file.tenant, file.table, [file], deps);
  if (landed === 0) return settle(file, attempt, { status: 'superseded' }, deps);
  if (holds && entry.checkedRows === landed) return record(file, landed, attempt, deps);
  const error = new PermanentError(
    'NOT_FOUND',
    `the object no longer holds this version, and ${landed} row(s) of it are in the table from an earlier insert that cannot be checked complete against it` +
      (holds && entry.checkedRows !== undefined ? ` (its check counted ${entry.checkedRows})` : ''),
    { tenant: file.tenant, table: file.table, file: file.key },
  );
  return settle(file, attempt, { status: 'failed', error }, deps);
}

/** Records a member's rows; a version with none fails as empty. */
async function record(file: FileVersion, rows: number, attempt: Attempt, deps: UnitDeps): Promise<FileResult> {
  if (rows > 0) return settle(file, attempt, { status: 'loaded', rows }, deps);
  const empty = new PermanentError('EMPTY_FILE', 'the file has no rows', { tenant: file.tenant, table: file.table, file: file.key });
  return settle(file, attempt, { status: 'failed', error: empty }, deps);
}

/** Whether an earlier insert of the unit landed: any of its rows in the table (it lands whole or not at all). */
async function landedBefore(unit: LoadUnit, deps: UnitDeps): Promise<boolean> {
  return (await rowsLanded(unit.tenant, unit.table, unit.members, deps)).some((rows) => rows > 0);
}

/** Each member version's rows in the table. */
async function rowsLanded(tenant: string, table: LoadUnit['table'], members: readonly UnitMember[], deps: UnitDeps): Promise<number[]> {
  const counts = await deps.warehouse.countRowsByFile(tenant, table, members.map((m) => m.key));
  return members.map((m) => counts.get(m.key)?.get(lineageEtag(m.etag, m.generation)) ?? 0);
}
