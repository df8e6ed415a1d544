/**
 * Load units: the small files of a batch, inserted by one INSERT that writes one block under one
 * deduplication token, so a batch costs the engine one query and one part instead of one a file.
 * The insert checks every row as it reads, and one block lands whole or not at all, so a bad row
 * anywhere leaves nothing of the unit in the table; its files are then loaded alone, where the
 * check read names the file, row and column at fault. Each file's rows are counted after the
 * insert in the part it wrote, or, if a merge has reached that part, from the files themselves.
 *
 * A unit's composition is recorded in the ledger before its insert starts and never changes.
 * Whoever finishes a unit (a retry, or a later run taking over a dead attempt) first asks the
 * table whether the unit landed (one block lands whole or not at all); if not, it inserts
 * exactly the recorded files again under the same token, so that an earlier insert still in
 * flight and this one are the same insert to the engine, which keeps one. (The engine's
 * deduplication ids depend on how many chunks the insert read, so a redo must read the same
 * files: a subset would be a different insert.) A file joins a unit only by a claim that no
 * attempt holds, so no file version is ever in two units that may both have landed.
 */
import { createHash } from 'node:crypto';
import pMap from 'p-map';
import { PermanentError, isFileProblem } from '../errors.js';
import type { FileVersion, LoadUnit, UnitMember, Warehouse } from '../ports.js';
import { checkBeforeUnit } from './check-file.js';
import { lineageEtag } from './dedup-token.js';
import {
  failedResult,
  fileRef,
  isBusy,
  recordedOutcome,
  settledOutcome,
  staleBefore,
  type FileResult,
  type LoadDeps,
  type UnitOutcome,
} from './load.js';

/** Ledger writes of one unit in flight at once. */
const LEDGER_CONCURRENCY = 8;

/** The insert deduplication token of a unit: its id, never its contents, decides it. */
export function unitToken(unit: Pick<LoadUnit, 'tenant' | 'table' | 'id'>): string {
  return createHash('sha256').update(['unit', unit.tenant, unit.table, unit.id].join('\n')).digest('hex').slice(0, 40);
}

/** One insert of a recorded unit: the first, or a redo finishing a dead attempt's. */
export interface UnitInsert {
  tenant: string;
  table: LoadUnit['table'];
  id: string;
  unit: LoadUnit;
  /** Keys of the members whose claims this attempt holds, sorted: it records these loaded. */
  claimed: string[];
  redo: boolean;
}

/** How a load path inserts a unit's files and counts their rows. */
export interface UnitWriter {
  /** Inserts the files as one block under `token`; returns each file's rows, counted from the file. */
  insert(files: readonly FileVersion[], token: string): Promise<number[]>;
  /** Each file's rows, counted from the file, for a unit found landed. */
  count(files: readonly FileVersion[]): Promise<number[]>;
}

/** In-engine: ClickHouse reads the files for the insert; their rows are counted in its part, or read again. */
export function inEngineWriter(warehouse: Warehouse): UnitWriter {
  const count = async (files: readonly FileVersion[]) => {
    try {
      return await warehouse.countRows(files.map(fileRef));
    } catch (error) {
      if (!isFileProblem(error)) throw error;
      // Only a file that left the bucket since its insert is counted in the table.
      const first = files[0]!;
      const counts = await warehouse.countRowsByFile(first.tenant, first.table, files.map((f) => f.key));
      return files.map((f) => counts.get(f.key)?.get(lineageEtag(f.etag, f.generation)) ?? 0);
    }
  };
  return {
    async insert(files, token) {
      const refs = files.map(fileRef);
      await warehouse.insertUnit(refs, token);
      // The unit's one part, counted in the table, unless a merge reached it first: then the files.
      return (await warehouse.countInOwnPart(refs)) ?? count(files);
    },
    count,
  };
}

export interface UnitDeps extends LoadDeps {
  newUnitId: () => string;
  writer: UnitWriter;
  /** Inserts a recorded unit and records its claimed files loaded: `insertRecordedUnit`, made idempotent on the unit. */
  insertUnit: (insert: UnitInsert) => Promise<FileResult[]>;
  /** Loads one file alone (checked, then in blocks), idempotent on the file version. */
  loadAlone: (file: FileVersion) => Promise<FileResult>;
}

const memberFile = (unit: Pick<LoadUnit, 'tenant' | 'table'>, m: UnitMember): FileVersion => ({
  tenant: unit.tenant,
  table: unit.table,
  key: m.key,
  etag: m.etag,
  size: m.size,
  generation: m.generation,
});

/** Loads `files` (one tenant x table) as a new unit, finishing first any unit a dead attempt left holding some of them. */
export async function loadInUnit(files: FileVersion[], runId: string, deps: UnitDeps): Promise<UnitOutcome> {
  const out: UnitOutcome = { results: [], alone: [], busy: [] };
  if (files.length === 0) return out;
  const { tenant, table } = files[0]!;
  const stale = staleBefore(deps);
  const id = deps.newUnitId();
  const members: FileVersion[] = [];
  const heldBy = new Map<string, FileVersion[]>();
  const claims = await pMap(files, (f) => deps.ledger.claim(f, runId, stale, id), { concurrency: LEDGER_CONCURRENCY });
  files.forEach((file, i) => {
    const claim = claims[i]!;
    if (claim.outcome === 'claimed') members.push(file);
    else if (claim.outcome === 'done') out.results.push(recordedOutcome(file, claim.entry));
    else if (claim.outcome === 'busy') out.busy.push(file);
    // Left loading alone by a dead attempt: its insert may have landed under the file's own token.
    else if (claim.entry.unit === undefined) out.alone.push(file);
    else heldBy.set(claim.entry.unit, [...(heldBy.get(claim.entry.unit) ?? []), file]);
  });

  for (const [held, heldFiles] of heldBy) {
    const unit = await deps.ledger.getUnit(tenant, table, held);
    if (!unit) {
      // Its attempt died before recording the unit, so before any insert: the files are free.
      for (const f of heldFiles) (await deps.ledger.takeOver(f, held, id, runId, stale) ? members : out.busy).push(f);
      continue;
    }
    const finished = await finishUnit(unit, runId, deps);
    for (const f of heldFiles) {
      const result = finished.get(f.key);
      if (result) out.results.push(result);
      else out.busy.push(f);
    }
  }
  if (members.length > 0) out.results.push(...(await startUnit(id, members, runId, deps)));
  return out;
}

/**
 * Finishes a recorded unit a dead attempt (or an earlier attempt of this run) left: takes over
 * the claims of its files still loading in it and inserts them again under the unit's token.
 * Returns the outcome of each member it settled, by key.
 */
export async function finishUnit(unit: LoadUnit, runId: string, deps: UnitDeps): Promise<Map<string, FileResult>> {
  const stale = staleBefore(deps);
  const results = new Map<string, FileResult>();
  const claimed: string[] = [];
  await pMap(
    unit.members,
    async (m) => {
      const file = memberFile(unit, m);
      if (await deps.ledger.takeOver(file, unit.id, unit.id, runId, stale)) claimed.push(m.key);
      else {
        const settled = await settledOutcome(file, deps.ledger);
        if (settled) results.set(m.key, settled);
      }
    },
    { concurrency: LEDGER_CONCURRENCY },
  );
  if (claimed.length === 0) return results;
  try {
    for (const r of await deps.insertUnit({ tenant: unit.tenant, table: unit.table, id: unit.id, unit, claimed: claimed.sort(), redo: true })) results.set(r.key, r);
  } catch (error) {
    if (!isBusy(error)) throw error;
  }
  return results;
}

/** The finisher `loadFile` needs for a file it finds in a unit. */
export function finishUnitOf(runId: string, deps: UnitDeps) {
  return async (file: FileVersion, held: string): Promise<FileResult | undefined> => {
    const unit = await deps.ledger.getUnit(file.tenant, file.table, held);
    if (unit) return (await finishUnit(unit, runId, deps)).get(file.key);
    // Never recorded, so never inserted: the claim becomes a claim of the file alone.
    if (await deps.ledger.takeOver(file, held, undefined, runId, staleBefore(deps))) return undefined;
    const settled = await settledOutcome(file, deps.ledger);
    if (settled) return settled;
    throw new PermanentError('CONFIGURATION', `the file's claim in load unit ${held} changed hands while being taken over`, { tenant: file.tenant, table: file.table, file: file.key });
  };
}

/** Records the unit of the claimed files that may join one, and inserts it. */
async function startUnit(id: string, files: FileVersion[], runId: string, deps: UnitDeps): Promise<FileResult[]> {
  const { tenant, table } = files[0]!;
  const results: FileResult[] = [];
  const members: UnitMember[] = [];
  const unit: LoadUnit = { tenant, table, id, runId, members, createdAt: (deps.now?.() ?? new Date()).toISOString() };
  try {
    for (const file of files) {
      try {
        await checkBeforeUnit(fileRef(file), file.size, deps.warehouse);
        members.push({ key: file.key, etag: file.etag, size: file.size, generation: file.generation });
      } catch (error) {
        if (!isFileProblem(error)) throw error;
        await deps.ledger.markFailed(file, runId, error.message);
        results.push(failedResult(file, runId, error));
      }
    }
    if (members.length === 0) return results;
    await deps.ledger.recordUnit(unit);
  } catch (error) {
    // Nothing was inserted: let any attempt claim the files at once.
    await releaseAll(files, runId, deps);
    throw error;
  }
  results.push(...(await deps.insertUnit({ tenant, table, id, unit, claimed: members.map((m) => m.key).sort(), redo: false })));
  return results;
}

async function releaseAll(files: readonly FileVersion[], runId: string, deps: LoadDeps): Promise<void> {
  await pMap(files, (f) => deps.ledger.release(f, runId).catch(() => undefined), { concurrency: LEDGER_CONCURRENCY });
}

/**
 * Inserts a recorded unit under its token, unless a redo finds an earlier insert of it landed,
 * and records its claimed files loaded with their rows (a file with none fails as empty). If
 * the insert fails for a file's fault, it wrote nothing (one block), so each file is loaded
 * alone instead: only the file at fault fails, named with its row and column.
 */
export async function insertRecordedUnit(insert: UnitInsert, runId: string, deps: UnitDeps): Promise<FileResult[]> {
  const { unit } = insert;
  const files = unit.members.map((m) => memberFile(unit, m));
  const mine = files.filter((f) => insert.claimed.includes(f.key));
  let rows: number[];
  if (insert.redo && (await landedBefore(unit, deps))) {
    rows = await deps.writer.count(files);
  } else {
    try {
      rows = await deps.writer.insert(files, unitToken(unit));
    } catch (error) {
      if (!isFileProblem(error)) {
        await releaseAll(mine, runId, deps);
        throw error;
      }
      return loadEachAlone(unit, mine, runId, deps);
    }
  }
  const rowsOf = new Map(files.map((f, i) => [f.key, rows[i] ?? 0]));
  return pMap(
    mine,
    async (file): Promise<FileResult> => {
      const n = rowsOf.get(file.key)!;
      if (n > 0) {
        await deps.ledger.markLoaded(file, runId, n);
        return { key: file.key, etag: file.etag, generation: file.generation, status: 'loaded', outcome: 'loaded', rows: n, runId };
      }
      const empty = new PermanentError('EMPTY_FILE', 'the file has no rows', { tenant: file.tenant, table: file.table, file: file.key });
      await deps.ledger.markFailed(file, runId, empty.message);
      return failedResult(file, runId, empty);
    },
    { concurrency: LEDGER_CONCURRENCY },
  );
}

/** Whether an earlier insert of the unit landed: any of its rows in the table (it lands whole or not at all). */
async function landedBefore(unit: LoadUnit, deps: UnitDeps): Promise<boolean> {
  const counts = await deps.warehouse.countRowsByFile(unit.tenant, unit.table, unit.members.map((m) => m.key));
  return unit.members.some((m) => (counts.get(m.key)?.get(lineageEtag(m.etag, m.generation)) ?? 0) > 0);
}

async function loadEachAlone(unit: LoadUnit, files: FileVersion[], runId: string, deps: UnitDeps): Promise<FileResult[]> {
  const stale = staleBefore(deps);
  const results: FileResult[] = [];
  for (const file of files) {
    if (await deps.ledger.takeOver(file, unit.id, undefined, runId, stale)) results.push(await deps.loadAlone(file));
  }
  return results;
}
