/**
 * Load: one file version at a time, each its own unit of exactly-once. The ledger claim stops a
 * second attempt, the insert's deduplication token makes a redone insert add nothing, and a
 * permanent problem is recorded against the file instead of being retried.
 */
import { FileBusyError, isFileProblem, type PermanentCode } from '../errors.js';
import type { FileScan, FileVersion, Ledger, LedgerEntry, Warehouse } from '../ports.js';
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

/** A file version to load, with its scan when the batch scan read it. */
export type FileToLoad = FileVersion & { scanned?: FileScan };

export async function loadFile(file: FileToLoad, runId: string, deps: LoadDeps): Promise<FileResult> {
  const now = deps.now?.() ?? new Date();
  const staleBefore = new Date(now.getTime() - deps.loadTimeoutSeconds * 1000);
  const base = { key: file.key, etag: file.etag, generation: file.generation };
  const claim = await deps.ledger.claim(file, runId, staleBefore);
  if (claim.outcome === 'done') return recordedOutcome(file, claim.entry);
  if (claim.outcome === 'busy') {
    throw new FileBusyError(`another attempt (run ${claim.entry.runId}) is loading this file`, { tenant: file.tenant, table: file.table, file: file.key });
  }
  const ref = { tenant: file.tenant, table: file.table, key: file.key, etag: lineageEtag(file.etag, file.generation) };
  let rows: number;
  try {
    rows = await checkFile(ref, file.size, deps.warehouse, file.scanned);
    await deps.warehouse.insertFile(ref, dedupToken(file));
  } catch (error) {
    if (isFileProblem(error)) {
      await deps.ledger.markFailed(file, runId, error.message);
      return { ...base, status: 'failed', outcome: 'failed', error: error.message, code: error.code, runId };
    }
    // Let the retry claim the file at once instead of waiting for the claim to go stale.
    await deps.ledger.release(file, runId).catch(() => undefined);
    throw error;
  }
  await deps.ledger.markLoaded(file, runId, rows);
  return { ...base, status: 'loaded', outcome: 'loaded', rows, runId };
}

/** Error names that mean "another attempt holds this file right now": worth waiting for. */
const BUSY = new Set(['FileBusyError', 'IdempotencyAlreadyInProgressError']);

export interface BatchSteps {
  /** Scans the batch's files in one read; a problem of any file makes each file scan alone. */
  scanAll?: (files: FileVersion[]) => Promise<FileScan[]>;
  /** The idempotent per-file load. */
  loadOne: (file: FileToLoad) => Promise<FileResult>;
  /** The file's outcome if the ledger already has it, e.g. from an attempt that died after recording it. */
  settled: (file: FileVersion) => Promise<FileResult | undefined>;
}

/**
 * Loads every file of a batch. A file held by another attempt does not stop the others: if the
 * ledger already records its outcome, that is the answer; otherwise the batch fails with the
 * busy error once the rest are done, so the state machine retries it with backoff, and the
 * finished files answer from their idempotency records.
 */
export async function loadBatch(input: LoadBatchInput, steps: BatchSteps): Promise<FileResult[]> {
  const files: FileVersion[] = input.files.map((planned) => ({ tenant: input.tenant, table: input.table, ...planned }));
  const scans = await scanTogether(files, steps.scanAll);
  const results: FileResult[] = [];
  let busy: unknown;
  for (const [i, file] of files.entries()) {
    try {
      results.push(await steps.loadOne(scans[i] ? { ...file, scanned: scans[i] } : file));
    } catch (error) {
      if (!(error instanceof Error && BUSY.has(error.name))) throw error;
      const settled = await steps.settled(file);
      if (settled) results.push(settled);
      else busy ??= error;
    }
  }
  if (busy) throw busy;
  return results;
}

/** The batch's scans from one read, or none when a file's own problem stops it (each is then scanned alone). */
async function scanTogether(files: FileVersion[], scanAll: BatchSteps['scanAll']): Promise<(FileScan | undefined)[]> {
  if (!scanAll || files.length < 2 || files.some((f) => f.size === 0)) return [];
  try {
    return await scanAll(files);
  } catch (error) {
    if (isFileProblem(error)) return [];
    throw error;
  }
}

/** The ledger's outcome of a file version, if it is loaded or failed. */
export async function settledOutcome(file: FileVersion, ledger: Ledger): Promise<FileResult | undefined> {
  const entry = await ledger.get(file);
  if (!entry || entry.etag !== file.etag || entry.generation !== file.generation) return undefined;
  if (entry.status !== 'loaded' && entry.status !== 'failed') return undefined;
  return recordedOutcome(file, entry);
}

/** The result of a file version whose outcome the ledger already records. */
function recordedOutcome(file: FileVersion, entry: LedgerEntry): FileResult {
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
