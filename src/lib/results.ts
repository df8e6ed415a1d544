/** What a Load reports for each file version of its batch. */
import type { PermanentCode } from '../errors.js';
import type { FileVersion, LedgerEntry } from '../ports.js';

export interface FileResult {
  key: string;
  etag: string;
  generation: number;
  /** `loaded`, `failed` or `superseded` by this attempt; `done` when the ledger already had the outcome. */
  status: 'loaded' | 'failed' | 'superseded' | 'done';
  /** The ledger's final status of the file version. */
  outcome: 'loaded' | 'failed' | 'superseded';
  rows?: number;
  error?: string;
  code?: PermanentCode;
  /** The run that settled the file. */
  runId: string;
}

export const versionKey = (file: Pick<FileVersion, 'key' | 'etag' | 'generation'>) => `${file.key}\u0000${file.etag}\u0000${file.generation}`;

export function loadedResult(file: FileVersion, runId: string, rows: number): FileResult {
  return { key: file.key, etag: file.etag, generation: file.generation, status: 'loaded', outcome: 'loaded', rows, runId };
}

export function failedResult(file: FileVersion, runId: string, error: { message: string; code: PermanentCode }): FileResult {
  return { key: file.key, etag: file.etag, generation: file.generation, status: 'failed', outcome: 'failed', error: error.message, code: error.code, runId };
}

export function supersededResult(file: FileVersion, runId: string): FileResult {
  return { key: file.key, etag: file.etag, generation: file.generation, status: 'superseded', outcome: 'superseded', runId };
}

/** The result of a file version whose outcome the ledger already records. */
export function recordedOutcome(file: Pick<FileVersion, 'key' | 'etag' | 'generation'>, entry: LedgerEntry): FileResult {
  return {
    key: file.key,
    etag: file.etag,
    generation: file.generation,
    status: 'done',
    outcome: entry.status === 'loaded' ? 'loaded' : entry.status === 'superseded' ? 'superseded' : 'failed',
    runId: entry.runId,
    ...(entry.rows !== undefined && entry.etag === file.etag ? { rows: entry.rows } : {}),
    ...(entry.error ? { error: entry.error } : {}),
  };
}
