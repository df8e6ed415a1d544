/**
 * Validate writes the load log rows a run's Loads never wrote. A Load that dies between its
 * ledger write and its log write leaves those file versions without a row, and a retry finds them
 * settled and writes none; Validate reads the ledger entries its run settled anyway, so it
 * compares them with the run's rows in the log (one query) and inserts the missing (one insert).
 *
 * A repaired row is keyed as the Load's would have been (the file version), so if the Load's own
 * write lands too the two collapse under FINAL. Its `finished_at` is the ledger's time of the
 * outcome, never later than the Load's own row, so the Load's row (with its attempt, error code,
 * row and column) wins the collapse; the ledger keeps a failure's code, row and column for it. The
 * ledger keeps no attempt id once a file is settled: a repaired row's `attempt` is `validate`.
 */
import type { LedgerEntry, LoadLog, LoadLogRow, LoggedVersion } from '../ports.js';
import { writeLog, type OutcomeSink } from './load-log.js';

/** The `attempt` of a row Validate wrote. */
export const REPAIR_ATTEMPT = 'validate';

const LOGGED = new Set(['loaded', 'failed', 'superseded', 'skipped']);

const versionId = (v: LoggedVersion) => [v.tenant, v.table, v.key, v.etag, v.generation].join('\u0000');

/** The log row of an outcome the ledger records, as near the Load's (or Plan's) as the ledger allows. */
export function ledgerLogRow(entry: LedgerEntry): LoadLogRow | undefined {
  if (!LOGGED.has(entry.status)) return undefined;
  const failed = entry.status === 'failed';
  return {
    runId: entry.runId,
    tenant: entry.tenant,
    table: entry.table,
    key: entry.key,
    etag: entry.etag,
    generation: entry.generation,
    outcome: entry.status as LoadLogRow['outcome'],
    rows: entry.status === 'loaded' ? (entry.rows ?? 0) : 0,
    bytes: entry.size,
    startedAt: entry.startedAt,
    finishedAt: entry.updatedAt,
    attempt: REPAIR_ATTEMPT,
    errorCode: failed ? (entry.errorCode ?? '') : '',
    errorMessage: failed ? (entry.error ?? '') : '',
    errorRow: failed ? (entry.errorRow ?? null) : null,
    errorColumn: failed ? (entry.errorColumn ?? null) : null,
  };
}

export interface LogRepair {
  /** Rows written by this repair. */
  written: number;
  /** A few of their keys. */
  sample: string[];
  /** Why the repair did not happen (the rows, if any, are still missing). */
  error?: string;
}

/**
 * Writes the rows of the run's settled entries that the log lacks. Never throws: the ledger holds
 * the outcomes, and a missing log row is no reason to fail a run.
 */
export async function repairLog(runId: string, settled: readonly LedgerEntry[], log: Pick<LoadLog, 'versionsOfRun' | 'write'>): Promise<LogRepair> {
  const rows = settled
    .filter((e) => e.runId === runId)
    .map(ledgerLogRow)
    .filter((r): r is LoadLogRow => r !== undefined);
  if (rows.length === 0) return { written: 0, sample: [] };
  let failure: string | undefined;
  try {
    const tenants = [...new Set(rows.map((r) => r.tenant))].sort();
    const logged = new Set((await log.versionsOfRun(runId, tenants)).map(versionId));
    // In a fixed order, so the same repair sent again carries the same token.
    const missing = rows.filter((r) => !logged.has(versionId(r))).sort((a, b) => versionId(a).localeCompare(versionId(b)));
    const sink: OutcomeSink = {
      write: (batch) => log.write(batch),
      failed: (error) => {
        failure = error instanceof Error ? error.message : String(error);
      },
    };
    await writeLog(missing, sink);
    return failure === undefined ? { written: missing.length, sample: missing.slice(0, 3).map((r) => r.key) } : { written: 0, sample: [], error: failure };
  } catch (error) {
    return { written: 0, sample: [], error: error instanceof Error ? error.message : String(error) };
  }
}
