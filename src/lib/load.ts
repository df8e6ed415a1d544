/**
 * Load: the files of one batch, each version inserted exactly once. In-engine, small files load
 * together in a one-block load unit (see load-unit.ts); a file larger than a unit may hold loads
 * alone: checked by a full read, then inserted in blocks of a pinned size under the file's own
 * deduplication token. Streamed, every file loads alone through the Load (see streamed-load.ts).
 * The ledger claim stops a second attempt, the token makes a redone insert add nothing, and a
 * permanent problem is recorded against the file instead of being retried.
 */
import { FileBusyError, isFileProblem, type PermanentCode } from '../errors.js';
import type { FileVersion, Ledger, LedgerEntry, Warehouse } from '../ports.js';
import type { CanonicalTable } from '../tables.js';
import { checkFile } from './check-file.js';
import { dedupToken, lineageEtag } from './dedup-token.js';
import type { PlannedFile } from './plan.js';

export interface LoadBatchInput {
  runId: string;
  tenant: string;
  table: CanonicalTable;
  round: number;
  batch: number;
  files: PlannedFile[];
}

export interface FileResult {
  key: string;
  etag: string;
  generation: number;
  /** `loaded` by this attempt; `done` when the ledger already had the outcome. */
  status: 'loaded' | 'failed' | 'done';
  /** The ledger's final status of the file version. */
  outcome: 'loaded' | 'failed';
  rows?: number;
  error?: string;
  code?: PermanentCode;
  /** The run that loaded (or failed) the file. */
  runId: string;
}

export interface LoadDeps {
  ledger: Ledger;
  warehouse: Warehouse;
  /** A `loading` claim older than this many seconds belongs to a dead attempt. */
  loadTimeoutSeconds: number;
  now?: () => Date;
}

export interface LoadAloneDeps extends LoadDeps {
  /** Inserts the claimed file version so that a redo adds nothing, and returns its rows; a bad file throws a PermanentError. */
  loadRows: (file: FileVersion) => Promise<number>;
  /**
   * Finishes the load unit holding `file` for a dead attempt: its results, or undefined when the
   * unit was never recorded and the claim has become this attempt's. (Only a change of the unit
   * size between attempts puts a file that loads alone in a unit.)
   */
  finishUnit: (file: FileVersion, unit: string) => Promise<FileResult | undefined>;
}

export function staleBefore(deps: LoadDeps): Date {
  const now = deps.now?.() ?? new Date();
  return new Date(now.getTime() - deps.loadTimeoutSeconds * 1000);
}

/** The lineage of a file version as the warehouse tags its rows. */
export function fileRef(file: FileVersion) {
  return { tenant: file.tenant, table: file.table, key: file.key, etag: lineageEtag(file.etag, file.generation) };
}

export function failedResult(file: FileVersion, runId: string, error: { message: string; code: PermanentCode }): FileResult {
  return { key: file.key, etag: file.etag, generation: file.generation, status: 'failed', outcome: 'failed', error: error.message, code: error.code, runId };
}

/** In-engine, a file alone: a full check read, then the insert in blocks under the file's own token. */
export function checkThenInsert(warehouse: Warehouse): (file: FileVersion) => Promise<number> {
  return async (file) => {
    const rows = await checkFile(fileRef(file), file.size, warehouse);
    await warehouse.insertFile(fileRef(file), dedupToken(file));
    return rows;
  };
}

/** Loads one file alone, claimed in the ledger for the time of its insert. */
export async function loadFile(file: FileVersion, runId: string, deps: LoadAloneDeps): Promise<FileResult> {
  let claim = await deps.ledger.claim(file, runId, staleBefore(deps));
  if (claim.outcome === 'held' && claim.entry.unit !== undefined) {
    const finished = await deps.finishUnit(file, claim.entry.unit);
    if (finished) return finished;
    claim = { outcome: 'claimed' };
  }
  if (claim.outcome === 'done') return recordedOutcome(file, claim.entry);
  if (claim.outcome !== 'claimed') {
    throw new FileBusyError(`another attempt (run ${claim.entry.runId}) is loading this file`, { tenant: file.tenant, table: file.table, file: file.key });
  }
  let rows: number;
  try {
    rows = await deps.loadRows(file);
  } catch (error) {
    if (isFileProblem(error)) {
      await deps.ledger.markFailed(file, runId, error.message);
      return failedResult(file, runId, error);
    }
    // Let the retry claim the file at once instead of waiting for the claim to go stale.
    await deps.ledger.release(file, runId).catch(() => undefined);
    throw error;
  }
  await deps.ledger.markLoaded(file, runId, rows);
  return { key: file.key, etag: file.etag, generation: file.generation, status: 'loaded', outcome: 'loaded', rows, runId };
}

/** Error names that mean "another attempt holds this work right now": worth waiting for. */
const BUSY = new Set(['FileBusyError', 'IdempotencyAlreadyInProgressError']);

export const isBusy = (error: unknown): error is Error => error instanceof Error && BUSY.has(error.name);

/** What a batch's files in a unit came to: results, files to load alone, files held elsewhere. */
export interface UnitOutcome {
  results: FileResult[];
  /** Files a dead attempt left loading alone: finished alone, under their own token. */
  alone: FileVersion[];
  /** Files a live attempt holds. */
  busy: FileVersion[];
}

export interface BatchSteps {
  /** The batch's files that load together, as units; the others load alone. */
  unitsOf: (files: FileVersion[]) => FileVersion[][];
  loadInUnit: (files: FileVersion[]) => Promise<UnitOutcome>;
  /** The idempotent load of one file alone. */
  loadAlone: (file: FileVersion) => Promise<FileResult>;
  /** The file's outcome if the ledger already has it, e.g. from an attempt that died after recording it. */
  settled: (file: FileVersion) => Promise<FileResult | undefined>;
}

/**
 * Loads every file of a batch. A file held by another attempt does not stop the others: if the
 * ledger already records its outcome, that is the answer; otherwise the batch fails with a busy
 * error once the rest are done, so the state machine retries it with backoff, and the finished
 * files answer from the ledger.
 */
export async function loadBatch(input: LoadBatchInput, steps: BatchSteps): Promise<FileResult[]> {
  const files: FileVersion[] = input.files.map((planned) => ({ tenant: input.tenant, table: input.table, ...planned }));
  const units = steps.unitsOf(files).filter((u) => u.length > 0);
  const inUnits = new Set(units.flat());
  const results = new Map<string, FileResult>();
  const waiting: FileVersion[] = [];
  const alone = files.filter((f) => !inUnits.has(f));
  for (const unit of units) {
    const outcome = await steps.loadInUnit(unit);
    for (const r of outcome.results) results.set(r.key, r);
    waiting.push(...outcome.busy);
    alone.push(...outcome.alone);
  }
  let busy: unknown;
  for (const file of alone) {
    try {
      const result = await steps.loadAlone(file);
      results.set(result.key, result);
    } catch (error) {
      if (!isBusy(error)) throw error;
      waiting.push(file);
      busy ??= error;
    }
  }
  for (const file of waiting) {
    const settled = await steps.settled(file);
    if (settled) results.set(file.key, settled);
    else busy ??= new FileBusyError('another attempt is loading this file', { tenant: file.tenant, table: file.table, file: file.key });
  }
  if (busy) throw busy;
  return files.flatMap((f) => results.get(f.key) ?? []);
}

/** The ledger's outcome of a file version, if it is loaded or failed. */
export async function settledOutcome(file: FileVersion, ledger: Ledger): Promise<FileResult | undefined> {
  const entry = await ledger.get(file);
  if (!entry || entry.etag !== file.etag || entry.generation !== file.generation) return undefined;
  if (entry.status !== 'loaded' && entry.status !== 'failed') return undefined;
  return recordedOutcome(file, entry);
}

/** The result of a file version whose outcome the ledger already records. */
export function recordedOutcome(file: Pick<FileVersion, 'key' | 'etag' | 'generation'>, entry: LedgerEntry): FileResult {
  return {
    key: file.key,
    etag: file.etag,
    generation: file.generation,
    status: 'done',
    outcome: entry.status === 'loaded' ? 'loaded' : 'failed',
    runId: entry.runId,
    ...(entry.rows !== undefined ? { rows: entry.rows } : {}),
    ...(entry.error ? { error: entry.error } : {}),
  };
}
