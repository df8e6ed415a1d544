/**
 * The load log: one row per file version outcome in ClickHouse, beside the data, for the
 * questions an on-call engineer asks in SQL (what failed this week and why, how long files took).
 *
 * The ledger decides; the log reports. A Load writes a file's row only after the ledger has
 * recorded its outcome (and Plan a skipped version's, after the ledger recorded the skip), and a
 * failed log write is reported, never thrown: the data is never lost or doubled for the log's sake. A row a Load or Plan never wrote (it died, or its write kept
 * failing) is written by the run's Validate from the ledger (log-repair.ts).
 *
 * A retry or a redone write never shows a file twice: the table is a ReplacingMergeTree keyed by
 * the file version (tenant, table, key, ETag, generation) with `finished_at` as its version, so
 * rows of one version collapse to its latest outcome (read with FINAL); and each write carries an
 * insert deduplication token derived from its rows, so the same write sent twice is one insert.
 */
import { createHash } from 'node:crypto';
import { TransientError, type PermanentCode } from '../errors.js';
import type { Attempt, FileVersion, LoadLog, LoadLogRow, TableEngine } from '../ports.js';
import { versionKey } from './results.js';

export const LOAD_LOG_TABLE = 'onceload_load_log';

/** The sorting key: one file version. */
export const LOAD_LOG_KEY = ['tenant_id', 'table_name', 'file_key', 'etag', 'generation'] as const;
/** The ReplacingMergeTree version: the latest outcome of a version wins (superseded, then loaded). */
export const LOAD_LOG_VERSION = 'finished_at';

const expected = `ReplacingMergeTree(${LOAD_LOG_VERSION}) ORDER BY (${LOAD_LOG_KEY.join(', ')})`;

/** A DDL problem of the log table, or undefined when its rows collapse as they must. */
export function logEngineProblem(engine: TableEngine | undefined): string | undefined {
  if (!engine) return `${LOAD_LOG_TABLE}: the table does not exist; expected ${expected}`;
  const family = /^(Replicated|Shared)?ReplacingMergeTree$/.test(engine.engine);
  const args = /ReplacingMergeTree\((.*?)\)/.exec(engine.engineFull)?.[1] ?? '';
  const version = args.split(',').pop()?.trim().replaceAll('`', '');
  const sorting = engine.sortingKey.replaceAll(' ', '').replaceAll('`', '');
  if (family && version === LOAD_LOG_VERSION && sorting === LOAD_LOG_KEY.join(',')) return undefined;
  return `${LOAD_LOG_TABLE}: engine is ${engine.engine}(${args}) ORDER BY (${engine.sortingKey}); expected ${expected}, or a retried write shows a file twice: drop it and the next run creates it`;
}

/** The insert deduplication token of a write: the same rows always give the same token. */
export function logToken(rows: readonly LoadLogRow[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(JSON.stringify(row)).update('\n');
  return hash.digest('hex').slice(0, 40);
}

type Outcome = { status: 'loaded'; rows: number } | { status: 'skipped' } | { status: 'failed'; error: { message: string; code: PermanentCode; context?: { row?: number; column?: string } } } | { status: 'superseded' };

/** Where a step's log rows go: a write that fails is handed to `failed`, never thrown. */
export interface OutcomeSink {
  write(rows: readonly LoadLogRow[]): Promise<void>;
  failed(error: unknown, rows: readonly LoadLogRow[]): void;
}

/** The sink of a handler: the load log, and a warning for a write that failed (the ledger holds the outcomes). */
export function logSink(log: Pick<LoadLog, 'write'>, warn: (message: string, details: Record<string, unknown>) => void): OutcomeSink {
  return {
    write: (rows) => log.write(rows),
    failed: (error, rows) => warn('load log not written', { rows: rows.length, files: rows.slice(0, 5).map((r) => r.key), error: error instanceof Error ? error.message : String(error) }),
  };
}

/** Tries of a load log write that fails in transit. */
const LOG_WRITE_TRIES = 3;

/**
 * Writes a step's rows in one insert. A failed log write loses a log row, never data: the
 * ledger holds the outcome, and throwing would only retry a step whose files are settled (the
 * retry writes no row for them).
 */
export async function writeLog(rows: readonly LoadLogRow[], sink: OutcomeSink): Promise<void> {
  if (rows.length === 0) return;
  for (let tries = 1; ; tries++) {
    try {
      return await sink.write(rows);
    } catch (error) {
      // A write that failed in transit may have landed: sent again, its token makes it one insert.
      if (error instanceof TransientError && tries < LOG_WRITE_TRIES) continue;
      return sink.failed(error, rows);
    }
  }
}

/**
 * The log rows of one attempt: the time it began on each file, and each outcome the ledger
 * recorded for it. Only outcomes the ledger accepted from this attempt are kept, so a file whose
 * outcome another attempt recorded is that attempt's row.
 */
export class OutcomeLog {
  readonly #began = new Map<string, string>();
  readonly #rows = new Map<string, LoadLogRow>();
  readonly #now: () => Date;
  readonly #since: string;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
    this.#since = now().toISOString();
  }

  /** The attempt begins on the files (checks or inserts them); the first call for a file counts. */
  started(files: readonly FileVersion[]): void {
    const at = this.#now().toISOString();
    for (const f of files) if (!this.#began.has(versionKey(f))) this.#began.set(versionKey(f), at);
  }

  /** The ledger recorded this outcome for the attempt. */
  settled(file: FileVersion, attempt: Pick<Attempt, 'id' | 'runId'>, outcome: Outcome): void {
    const failed = outcome.status === 'failed' ? outcome.error : undefined;
    this.#rows.set(versionKey(file), {
      runId: attempt.runId,
      tenant: file.tenant,
      table: file.table,
      key: file.key,
      etag: file.etag,
      generation: file.generation,
      outcome: outcome.status,
      rows: outcome.status === 'loaded' ? outcome.rows : 0,
      bytes: file.size,
      startedAt: this.#began.get(versionKey(file)) ?? this.#since,
      finishedAt: this.#now().toISOString(),
      attempt: attempt.id,
      errorCode: failed?.code ?? '',
      errorMessage: failed?.message ?? '',
      errorRow: failed?.context?.row ?? null,
      errorColumn: failed?.context?.column ?? null,
    });
  }

  /** The rows not yet taken, in the order their outcomes were recorded. */
  take(): LoadLogRow[] {
    const rows = [...this.#rows.values()];
    this.#rows.clear();
    return rows;
  }
}
