/**
 * Load: the files of one batch, each version inserted exactly once. The claim protocol
 * (claims.ts) decides what this attempt may insert: files no one holds, and what dead attempts
 * left (a sealed unit is finished exactly as it was sealed). Small files load together in a
 * one-block load unit; a file larger than a unit may hold loads alone (load-unit.ts). A
 * permanent problem is recorded against the file instead of being retried; any other error
 * ends this attempt's leases, so the retry takes its claims over at once.
 */
import pMap from 'p-map';
import { FileBusyError, isFileProblem, isSuperseded } from '../errors.js';
import type { Attempt, FileVersion } from '../ports.js';
import type { TableName } from '../tables.js';
import { LEDGER_CONCURRENCY, acquire, seal, settle, settledOutcome } from './claims.js';
import { checkBeforeUnit } from './check-file.js';
import { OutcomeLog, writeLog, type OutcomeSink } from './load-log.js';
import { fileRef, runUnit, type UnitDeps } from './load-unit.js';
import type { PlannedFile } from './plan.js';
import { versionKey, type FileResult } from './results.js';

export type { OutcomeSink };

export interface LoadBatchInput {
  runId: string;
  tenant: string;
  table: TableName;
  round: number;
  batch: number;
  files: PlannedFile[];
}

export interface BatchDeps extends UnitDeps {
  /** The claimed files that load together, as units; the others load alone. */
  unitsOf: (files: FileVersion[]) => FileVersion[][];
  /** Where the outcomes this attempt recorded in the ledger are logged (load-log.ts). */
  log?: OutcomeSink;
}

/** Error names that mean "another attempt holds this work right now": worth waiting for. */
const BUSY = new Set(['FileBusyError', 'IdempotencyAlreadyInProgressError']);

export const isBusy = (error: unknown): error is Error => error instanceof Error && BUSY.has(error.name);

/**
 * Loads every file of a batch. A file held by a live attempt does not stop the others: if the
 * ledger records its outcome by the end, that is the answer; otherwise the batch fails with a
 * busy error once the rest are done, so the state machine retries it after that attempt's
 * lease has ended, and the finished files answer from the ledger.
 */
export async function loadBatch(input: LoadBatchInput, attempt: Attempt, deps: BatchDeps): Promise<FileResult[]> {
  const sink = deps.log;
  if (!sink) return loadFiles(input, attempt, deps);
  const outcomes = new OutcomeLog(deps.now);
  try {
    return await loadFiles(input, attempt, { ...deps, outcomes });
  } finally {
    // After the ledger, whether the batch ends well or not: what it settled is logged either way.
    await writeLog(outcomes.take(), sink);
  }
}

async function loadFiles(input: LoadBatchInput, attempt: Attempt, deps: BatchDeps): Promise<FileResult[]> {
  // The table's columns were checked against the configuration by the item's first Plan round.
  const files: FileVersion[] = input.files.map((planned) => ({ tenant: input.tenant, table: input.table, ...planned }));
  const results = new Map<string, FileResult>();
  const add = (rs: readonly FileResult[]) => rs.forEach((r) => results.set(versionKey(r), r));
  const acquired = await acquire(files, attempt, deps);
  add(acquired.settled);
  try {
    let { finish, afterFinish } = acquired;
    for (let pass = 1; ; pass++) {
      for (const { unit, held } of finish) add(await runUnit(unit, held, attempt, true, deps));
      if (afterFinish.length === 0) break;
      // Their keys held another version in the units just finished: they can be claimed now.
      // A key found held by yet another dead unit more than twice is left to the retry.
      if (pass === 3) {
        acquired.busy.push(...afterFinish);
        break;
      }
      const again = await acquire(afterFinish, attempt, deps);
      add(again.settled);
      acquired.free.push(...again.free);
      acquired.busy.push(...again.busy);
      ({ finish, afterFinish } = again);
    }
    const units = deps.unitsOf(acquired.free).filter((u) => u.length > 0);
    const inUnits = new Set(units.flat());
    for (const group of units) add(await loadUnit(group, attempt, deps));
    for (const file of acquired.free.filter((f) => !inUnits.has(f))) add(await runUnit(await seal('alone', [file], attempt, deps), [file], attempt, false, deps));
  } catch (error) {
    // Let the retry take these claims over at once instead of waiting for the invocation to end.
    await pMap(files, (f) => deps.ledger.release(f, attempt).catch(() => undefined), { concurrency: LEDGER_CONCURRENCY });
    throw error;
  }
  let busy: Error | undefined;
  for (const file of acquired.busy) {
    const settled = await settledOutcome(file, deps.ledger);
    if (settled) add([settled]);
    else busy ??= new FileBusyError('another attempt is loading this file', { tenant: file.tenant, table: file.table, file: file.key });
  }
  if (busy) throw busy;
  return files.flatMap((f) => results.get(versionKey(f)) ?? []);
}

/** Checks what a unit's insert cannot check for itself, then seals and inserts the files that pass. */
async function loadUnit(files: FileVersion[], attempt: Attempt, deps: BatchDeps): Promise<FileResult[]> {
  const results: FileResult[] = [];
  const members: FileVersion[] = [];
  deps.outcomes?.started(files);
  for (const file of files) {
    try {
      await checkBeforeUnit(fileRef(file), file.size, deps.warehouse);
      members.push(file);
    } catch (error) {
      if (isSuperseded(error)) results.push(await settle(file, attempt, { status: 'superseded' }, deps));
      else if (isFileProblem(error)) results.push(await settle(file, attempt, { status: 'failed', error }, deps));
      else throw error;
    }
  }
  if (members.length === 0) return results;
  return [...results, ...(await runUnit(await seal('unit', members, attempt, deps), members, attempt, false, deps))];
}
