/**
 * The claim protocol: who may insert a file version, and when. Every load path goes through
 * it (units and files alone, in-engine and streamed, Load retries, the local recovery after a
 * kill), and docs/exactly-once.md draws it. The rules:
 *
 * 1. An attempt (one invocation) claims a file version in the ledger; the claim carries the
 *    attempt's id and a lease that ends with the invocation. Nobody else touches the claim
 *    while the lease runs; once it has ended, another attempt may take it over.
 * 2. Files are inserted only as a sealed load unit: the attempt opens a unit record whose id is
 *    derived from its mode and its members' versions, binds every member's claim to it, then
 *    seals it. Only the opener can seal, and only while the record still names it.
 * 3. Whoever takes over a claim bound to an unsealed unit abandons that unit first, so its
 *    opener can never seal it: nothing of it was inserted, and its files are free again.
 * 4. Whoever takes over a claim bound to a sealed unit finishes that very unit: the same
 *    members, the same token, so an insert of it still running elsewhere and the redo are one
 *    insert to the engine.
 * 5. Only the holder of a claim records its outcome; a loaded version is remembered on its key
 *    for good, so an older version's claim can never make it look unloaded.
 * 6. A version whose key moved on to a later generation of the same bytes (its object deleted
 *    and its entry retired `gone`, or reset) is superseded at once: its claim can never succeed,
 *    so nobody waits for it, and it is neither loaded nor failed (R7 in the doc).
 */
import { createHash } from 'node:crypto';
import pMap from 'p-map';
import { FileBusyError, type ErrorContext, type PermanentCode } from '../errors.js';
import type { Attempt, FileVersion, Ledger, LedgerEntry, LoadUnit, UnitMember } from '../ports.js';
import { versionName } from './dedup-token.js';
import type { OutcomeLog } from './load-log.js';
import { failedResult, loadedResult, recordedOutcome, supersededResult, type FileResult } from './results.js';

/** Ledger writes of one batch in flight at once. */
export const LEDGER_CONCURRENCY = 8;

export interface ClaimDeps {
  ledger: Ledger;
  now?: () => Date;
  /** Told each outcome once the ledger has recorded it, for the load log. */
  outcomes?: Pick<OutcomeLog, 'started' | 'settled'>;
}

export const nowOf = (deps: ClaimDeps) => deps.now?.() ?? new Date();

/**
 * A unit's id, which is also its insert deduplication token: derived from what it loads (the
 * mode and the sorted member versions), never from who loads it, so every attempt at the same
 * work sends the same insert.
 */
export function unitId(mode: LoadUnit['mode'], tenant: string, table: string, members: readonly UnitMember[]): string {
  const versions = members.map((m) => [m.key, m.etag, String(m.generation)].join('\u0000')).sort();
  return createHash('sha256').update([mode, tenant, table, ...versions].join('\n')).digest('hex').slice(0, 40);
}

export const unitToken = (unit: Pick<LoadUnit, 'id'>): string => unit.id;

export const memberOf = (file: FileVersion): UnitMember => ({ key: file.key, etag: file.etag, size: file.size, generation: file.generation });

export const memberFile = (unit: Pick<LoadUnit, 'tenant' | 'table'>, m: UnitMember): FileVersion => ({
  tenant: unit.tenant,
  table: unit.table,
  key: m.key,
  etag: m.etag,
  size: m.size,
  generation: m.generation,
});

const sameVersion = (entry: LedgerEntry, file: FileVersion) => entry.etag === file.etag && entry.generation === file.generation;

/** What an attempt holds after claiming a batch's files. */
export interface Acquired {
  /** Versions whose outcome the ledger already records. */
  settled: FileResult[];
  /** Versions a live attempt holds. */
  busy: FileVersion[];
  /** Versions this attempt claimed, bound to no unit: to be checked and formed into units. */
  free: FileVersion[];
  /** Sealed units a dead attempt left, with the members whose claims this attempt took over: to be finished. */
  finish: { unit: LoadUnit; held: FileVersion[] }[];
  /**
   * Versions whose key holds another version's claim in one of the units to finish: claimable
   * once that unit is finished (claimed now, this attempt would find the key busy with itself).
   */
  afterFinish: FileVersion[];
}

/** Claims every file of a batch for `attempt`, taking over what dead attempts left (rules 1, 3, 4). */
export async function acquire(files: readonly FileVersion[], attempt: Attempt, deps: ClaimDeps): Promise<Acquired> {
  const out: Acquired = { settled: [], busy: [], free: [], finish: [], afterFinish: [] };
  const inUnits = new Map<string, Held[]>();
  const otherVersion: { file: FileVersion; unit: string }[] = [];
  const claims = await pMap(files, (f) => deps.ledger.claim(f, attempt, nowOf(deps)), { concurrency: LEDGER_CONCURRENCY });
  await pMap(
    files.map((file, i) => ({ file, claim: claims[i]! })),
    async ({ file, claim }) => {
      if (claim.outcome === 'claimed') out.free.push(file);
      else if (claim.outcome === 'done') out.settled.push(recordedOutcome(file, claim.entry));
      else if (claim.outcome === 'busy') out.busy.push(file);
      // Another generation of this version (a plan from before a reset): not this batch's to take.
      else if (!sameVersion(claim.entry, file) && claim.entry.unit === undefined) out.busy.push(file);
      else if (!sameVersion(claim.entry, file)) {
        // Another version's dead claim, bound to a unit: that unit is settled first (below).
        const { entry } = claim;
        const other: FileVersion = { ...file, etag: entry.etag, size: entry.size, generation: entry.generation };
        otherVersion.push({ file, unit: entry.unit! });
        inUnits.set(entry.unit!, [...(inUnits.get(entry.unit!) ?? []), { file: other, entry, other: true }]);
      } else if (claim.entry.unit === undefined) {
        // Its attempt died before binding it to a unit, so before any insert (rule 2).
        (await deps.ledger.takeOver(file, { attempt: claim.entry.attempt ?? '', unit: undefined }, attempt, nowOf(deps)) ? out.free : out.busy).push(file);
      } else inUnits.set(claim.entry.unit, [...(inUnits.get(claim.entry.unit) ?? []), { file, entry: claim.entry }]);
    },
    { concurrency: LEDGER_CONCURRENCY },
  );
  for (const [id, mine] of inUnits) await takeOverUnit(files[0]!.tenant, files[0]!.table, id, mine, attempt, deps, out);
  // Once the other version's unit is finished (or abandoned), the key can be claimed for this one.
  const finishing = new Set(out.finish.map((f) => f.unit.id));
  for (const { file, unit } of otherVersion) {
    if (finishing.has(unit)) {
      out.afterFinish.push(file);
      continue;
    }
    const claim = await deps.ledger.claim(file, attempt, nowOf(deps));
    if (claim.outcome === 'claimed') out.free.push(file);
    else if (claim.outcome === 'done') out.settled.push(recordedOutcome(file, claim.entry));
    else out.busy.push(file);
  }
  return out;
}

/** A claim a dead attempt bound to a unit; `other` when it is not the version this batch planned. */
interface Held {
  file: FileVersion;
  entry: LedgerEntry;
  other?: boolean;
}

/** Takes over the claims a dead attempt bound to unit `id`: abandons it if unsealed, finishes it if sealed. */
async function takeOverUnit(
  tenant: string,
  table: LoadUnit['table'],
  id: string,
  mine: Held[],
  attempt: Attempt,
  deps: ClaimDeps,
  out: Acquired,
): Promise<void> {
  let unit = await deps.ledger.getUnit(tenant, table, id);
  if (!unit || unit.state === 'open' || unit.state === 'abandoned') {
    if (!(await deps.ledger.abandonUnit({ tenant, table, id }, nowOf(deps)))) {
      unit = await deps.ledger.getUnit(tenant, table, id);
      // Its opener is alive and still forming it.
      if (unit?.state !== 'sealed' && unit?.state !== 'split') return void out.busy.push(...mine.map((m) => m.file));
    } else {
      // Rule 3: nothing of it was inserted; its members' claims become this attempt's, unbound.
      for (const held of mine) await untie(held, attempt, deps, out);
      return;
    }
  }
  if (unit.state === 'split') {
    // Its insert wrote nothing; each member loads alone.
    for (const held of mine) await untie(held, attempt, deps, out);
    return;
  }
  // Rule 4: sealed. Take over every member still loading in it, so the redo settles them all.
  const held: FileVersion[] = [];
  await pMap(
    unit.members.map((m) => memberFile(unit, m)),
    async (file) => {
      const entry = await deps.ledger.get(file);
      if (entry?.status === 'loading' && sameVersion(entry, file) && entry.unit === id && (await deps.ledger.takeOver(file, { attempt: entry.attempt ?? '', unit: id }, attempt, nowOf(deps)))) held.push(file);
    },
    { concurrency: LEDGER_CONCURRENCY },
  );
  if (held.length > 0) out.finish.push({ unit, held });
  for (const { file, other } of mine) if (!other && !held.some((h) => h.key === file.key)) await settledOrBusy(file, deps, out);
}

/**
 * Takes over a claim bound to a unit that wrote nothing and unbinds it: the planned version is
 * free to load; another version (no longer the object's) ends superseded, freeing the key.
 */
async function untie({ file, entry, other }: Held, attempt: Attempt, deps: ClaimDeps, out: Acquired): Promise<void> {
  const taken = (await deps.ledger.takeOver(file, { attempt: entry.attempt ?? '', unit: entry.unit }, attempt, nowOf(deps))) && (await deps.ledger.bind(file, attempt, undefined));
  if (other) {
    // Not this batch's version: its outcome is recorded, nobody waits for it.
    if (taken && (await deps.ledger.settle(file, attempt, { status: 'superseded' }))) deps.outcomes?.settled(file, attempt, { status: 'superseded' });
  } else if (taken) out.free.push(file);
  else await settledOrBusy(file, deps, out);
}

async function settledOrBusy(file: FileVersion, deps: ClaimDeps, out: Acquired): Promise<void> {
  const settled = await settledOutcome(file, deps.ledger);
  if (settled) out.settled.push(settled);
  else out.busy.push(file);
}

/**
 * Forms a sealed unit of `files`, all claimed by `attempt` and bound to no unit (rule 2); or
 * returns the `split` record of the same members, whose insert is known to fail. Throws
 * a FileBusyError if the attempt lost a claim meanwhile: its lease ended and another attempt
 * took the file over, and that attempt now decides.
 */
export async function seal(mode: LoadUnit['mode'], files: readonly FileVersion[], attempt: Attempt, deps: ClaimDeps): Promise<LoadUnit> {
  const { tenant, table } = files[0]!;
  const members = files.map(memberOf);
  const unit: LoadUnit = {
    tenant,
    table,
    id: unitId(mode, tenant, table, members),
    mode,
    members,
    state: 'open',
    attempt: attempt.id,
    leaseUntil: attempt.leaseUntil.toISOString(),
    runId: attempt.runId,
    createdAt: nowOf(deps).toISOString(),
  };
  const lost = (why: string) => new FileBusyError(`lost a claim while forming load unit ${unit.id}: ${why}`, { tenant, table, file: files[0]!.key });
  const bindAll = async () => {
    const bound = await pMap(files, (f) => deps.ledger.bind(f, attempt, unit.id), { concurrency: LEDGER_CONCURRENCY });
    if (bound.includes(false)) throw lost('a member was taken over');
  };
  if (!(await deps.ledger.openUnit(unit))) {
    // The same members were formed before. Split: their insert is known to fail, so they load alone.
    const existing = await deps.ledger.getUnit(tenant, table, unit.id);
    if (existing?.state === 'split') return existing;
    // Sealed, and its members settled (superseded) and claimed again since, all by this attempt:
    // it is finished as sealed (rule 4), the same insert under the same token.
    if (existing?.state === 'sealed') return (await bindAll(), existing);
    // Left open by a dead attempt: fence it out, then open.
    if (!(await deps.ledger.abandonUnit(unit, nowOf(deps))) || !(await deps.ledger.openUnit(unit))) throw lost('the unit is held by another attempt');
  }
  await bindAll();
  if (!(await deps.ledger.sealUnit(unit, attempt))) throw lost('the unit was abandoned');
  return { ...unit, state: 'sealed' };
}

/** The attempt a sealed unit names, and its lease. */
export type UnitHolder = Pick<LoadUnit, 'attempt' | 'leaseUntil'>;

/**
 * Before sending the insert of a sealed unit: the unit names this attempt and its lease, so that
 * whoever comes next knows when every insert of it sent so far has ended. Returns the attempt it
 * named before (whose insert, if any, ends with its lease: load-unit.ts), or undefined when that
 * was this attempt. Throws a FileBusyError if another attempt took the unit meanwhile.
 */
export async function takeUnit(unit: LoadUnit, attempt: Attempt, deps: ClaimDeps): Promise<UnitHolder | undefined> {
  // Opened by this attempt: any earlier insert of it was this attempt's own, and has ended.
  if (unit.attempt === attempt.id) return undefined;
  const current = await deps.ledger.getUnit(unit.tenant, unit.table, unit.id);
  if (current?.state !== 'sealed' || !(await deps.ledger.takeUnit(current, holderAfter(current, attempt)))) {
    throw new FileBusyError(`load unit ${unit.id} was taken by another attempt`, { tenant: unit.tenant, table: unit.table });
  }
  return { attempt: current.attempt, leaseUntil: current.leaseUntil };
}

/**
 * The unit names `before` again: this attempt's insert of it failed and is over, so it is not
 * one to wait for (otherwise each attempt waiting would make the next one wait for it).
 */
export async function giveBackUnit(unit: LoadUnit, attempt: Attempt, before: UnitHolder, deps: ClaimDeps): Promise<void> {
  await deps.ledger.takeUnit({ ...unit, ...holderAfter(before, attempt) }, before);
}

/**
 * Ends the attempt's lease on a file alone whose insert is over, so the next attempt takes it
 * over at once; what that one waits for is the inserts of the holders before this one.
 */
export async function standAside(file: FileVersion, attempt: Attempt, deps: ClaimDeps): Promise<void> {
  await deps.ledger.standAside(file, attempt);
}

/**
 * The unit as `attempt` takes it from `before`: named by it, with the later of the two leases,
 * so the lease a unit names never moves back. An attempt that acts past its own lease (a
 * handler outliving its timeout) must not make the next one wait less than an insert sent
 * earlier may still take to land.
 */
function holderAfter(before: UnitHolder, attempt: Attempt): UnitHolder {
  const mine = attempt.leaseUntil.toISOString();
  return { attempt: attempt.id, leaseUntil: mine > before.leaseUntil ? mine : before.leaseUntil };
}

/** A sealed unit whose insert failed for a member's fault (and so wrote nothing): its members go back to loading alone. */
export async function split(unit: LoadUnit, held: readonly FileVersion[], attempt: Attempt, deps: ClaimDeps): Promise<FileVersion[]> {
  if (!(await deps.ledger.splitUnit(unit))) throw new FileBusyError(`load unit ${unit.id} is no longer sealed`, { tenant: unit.tenant, table: unit.table });
  const unbound = await pMap(held, (f) => deps.ledger.bind(f, attempt, undefined), { concurrency: LEDGER_CONCURRENCY });
  return held.filter((_, i) => unbound[i]);
}

/**
 * Records a held version's outcome (rule 5) and returns the file's result; if the claim was lost
 * meanwhile, the outcome the ledger records, or a busy error.
 */
export async function settle(
  file: FileVersion,
  attempt: Attempt,
  outcome: { status: 'loaded'; rows: number } | { status: 'failed'; error: { message: string; code: PermanentCode; context?: ErrorContext } } | { status: 'superseded' },
  deps: ClaimDeps,
): Promise<FileResult> {
  const recorded =
    outcome.status === 'failed'
      ? { status: 'failed' as const, error: outcome.error.message, code: outcome.error.code, row: outcome.error.context?.row, column: outcome.error.context?.column }
      : outcome;
  if (await deps.ledger.settle(file, attempt, recorded)) {
    // Only now, after the ledger: a log row never claims an outcome the ledger does not hold.
    deps.outcomes?.settled(file, attempt, outcome);
    if (outcome.status === 'loaded') return loadedResult(file, attempt.runId, outcome.rows);
    return outcome.status === 'failed' ? failedResult(file, attempt.runId, outcome.error) : supersededResult(file, attempt.runId);
  }
  const settled = await settledOutcome(file, deps.ledger);
  if (settled) return settled;
  throw new FileBusyError(`lost the claim before recording the file as ${outcome.status}`, { tenant: file.tenant, table: file.table, file: file.key });
}

/**
 * The key moved to a later generation of these very bytes (an entry retired `gone` when its
 * object was deleted, or reset) since the version was planned: no claim of the planned
 * generation can ever succeed again, so it is superseded, neither loaded nor failed (rule 6).
 */
const overtaken = (entry: LedgerEntry, file: FileVersion) => entry.etag === file.etag && entry.generation > file.generation;

/** The ledger's outcome of a file version, if it is loaded, failed or superseded. */
export async function settledOutcome(file: FileVersion, ledger: Ledger): Promise<FileResult | undefined> {
  const entry = await ledger.get(file);
  if (!entry) return undefined;
  if (entry.loadedVersions?.includes(versionName(file)) && !sameVersion(entry, file)) return recordedOutcome(file, { ...entry, status: 'loaded' });
  // Nothing of it was recorded: no rows or error of the key's other generations are its own.
  if (overtaken(entry, file)) return { ...supersededResult(file, entry.runId), status: 'done' };
  if (!sameVersion(entry, file)) return undefined;
  if (entry.status !== 'loaded' && entry.status !== 'failed' && entry.status !== 'superseded') return undefined;
  return recordedOutcome(file, entry);
}

/**
 * After a local process died (kill -9), its leases are ended at once: its owner is known to be
 * dead. Nothing is released: the next attempt takes the claims over by the rules above, and
 * finishes a sealed unit with the very insert the dead process may have sent.
 */
export function endDeadLeases(ledger: Ledger): Promise<number> {
  return ledger.expireLeases();
}
