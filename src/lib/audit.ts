/**
 * The audit: for loaded file versions, the rows counted from the source object (read pinned to
 * the version) against the raw rows in the table by lineage (`_file`, `_etag`). The expected
 * count never comes from the insert being checked, so an insert that dropped or doubled rows
 * cannot agree with itself. Validate runs it on the files its run loaded; `onceload verify` on
 * every loaded version, and also lists rows whose lineage is no loaded version (stray).
 */
import { isSuperseded } from '../errors.js';
import type { FileRef, Ledger, LedgerEntry, Warehouse } from '../ports.js';
import type { TableName } from '../tables.js';
import { lineageEtag, parseVersionName } from './dedup-token.js';

export interface AuditFindings {
  lost: string[];
  doubled: string[];
  stray: string[];
  /** Versions whose object is gone or replaced, checked against the ledger's count instead. */
  sourceGone: number;
}

const refOf = (e: LedgerEntry): FileRef => ({ tenant: e.tenant, table: e.table, key: e.key, etag: lineageEtag(e.etag, e.generation), version: e.etag });

/** The object is no longer there to count (deleted, or replaced by another version). */
const gone = isSuperseded;

/** Each version's rows counted from its object; the ledger's count where the object is gone or replaced. */
async function sourceRows(entries: readonly LedgerEntry[], warehouse: Warehouse): Promise<{ rows: number[]; gone: number }> {
  try {
    return { rows: await warehouse.countRows(entries.map(refOf)), gone: 0 };
  } catch (error) {
    if (!gone(error)) throw error;
  }
  // One object is gone: count them one by one.
  let missing = 0;
  const rows: number[] = [];
  for (const entry of entries) {
    try {
      rows.push((await warehouse.countRows([refOf(entry)]))[0] ?? 0);
    } catch (error) {
      if (!gone(error)) throw error;
      missing++;
      rows.push(entry.rows ?? 0);
    }
  }
  return { rows, gone: missing };
}

/** Raw rows by key, then lineage ETag (`Warehouse.countRowsByFile`). */
export type RowsByLineage = Map<string, Map<string, number>>;

/**
 * Compares loaded versions of one tenant x table with the table; `counted`: the table's rows of
 * (at least) their keys, when the caller has read them already.
 */
export async function auditLoaded(tenant: string, table: TableName, loaded: readonly LedgerEntry[], warehouse: Warehouse, counted?: RowsByLineage): Promise<AuditFindings> {
  const where = `${tenant}/${table}`;
  const findings: AuditFindings = { lost: [], doubled: [], stray: [], sourceGone: 0 };
  if (loaded.length === 0) return findings;
  const [source, inTable] = await Promise.all([sourceRows(loaded, warehouse), counted ?? warehouse.countRowsByFile(tenant, table, loaded.map((e) => e.key))]);
  findings.sourceGone = source.gone;
  for (const [i, entry] of loaded.entries()) {
    const etag = lineageEtag(entry.etag, entry.generation);
    const rows = inTable.get(entry.key)?.get(etag) ?? 0;
    const expected = source.rows[i]!;
    if (rows > expected) findings.doubled.push(`${where} ${entry.key}: ${rows} rows in the table, ${expected} in the file`);
    if (rows < expected) {
      // ReplacingMergeTree merges drop rows that a newer version replaced: only rows with no
      // equal-or-newer version of their id anywhere in the table are lost.
      const uncovered = await warehouse.uncoveredRows(refOf(entry));
      if (uncovered > 0) findings.lost.push(`${where} ${entry.key}: ${uncovered} of ${expected} rows are not in the table`);
    }
  }
  return findings;
}

export interface VerifyReport {
  ok: boolean;
  filesChecked: number;
  lost: string[];
  doubled: string[];
  stray: string[];
  sourceGone: number;
}

/** Audits every loaded version of the given tenants x tables, and the table's rows of no loaded version. */
export async function verify(
  scope: { tenants: readonly string[]; tables: readonly TableName[] },
  deps: { ledger: Pick<Ledger, 'listItem'>; warehouse: Warehouse },
): Promise<VerifyReport> {
  const report: VerifyReport = { ok: true, filesChecked: 0, lost: [], doubled: [], stray: [], sourceGone: 0 };
  for (const tenant of scope.tenants) {
    for (const table of scope.tables) {
      const entries = [...(await deps.ledger.listItem(tenant, table)).values()];
      const loaded = entries.filter((e) => e.status === 'loaded');
      const findings = await auditLoaded(tenant, table, loaded, deps.warehouse);
      report.filesChecked += loaded.length;
      report.lost.push(...findings.lost);
      report.doubled.push(...findings.doubled);
      report.sourceGone += findings.sourceGone;
      report.stray.push(...(await strayRows(tenant, table, entries, deps.warehouse)));
    }
  }
  report.ok = report.lost.length + report.doubled.length + report.stray.length === 0;
  return report;
}

/** The report as an on-call engineer reads it. */
export function verifyText(report: VerifyReport): string {
  const section = (name: string, lines: string[]) => (lines.length ? [`${name} (${lines.length}):`, ...lines.map((l) => `  - ${l}`)] : [`${name}: none`]);
  return [
    `verify: ${report.ok ? 'OK' : 'NOT OK'}, ${report.filesChecked} loaded file version(s) counted from their objects against the table` +
      (report.sourceGone ? ` (${report.sourceGone} no longer in the bucket: checked against the ledger's count)` : ''),
    ...section('lost rows', report.lost),
    ...section('doubled rows', report.doubled),
    ...section('stray rows', report.stray),
  ].join('\n');
}

/**
 * The lineages (`key`, lineage ETag) whose rows the ledger accounts for: every version it records
 * as loaded, and with `inFlight` the version a claim is still loading (its insert may have landed
 * before its outcome is written, or in part before its attempt died: a redo completes it).
 */
function accountedFor(entries: readonly LedgerEntry[], inFlight: boolean): Set<string> {
  const known = new Set<string>();
  for (const e of entries) {
    if (e.status === 'loaded' || (inFlight && e.status === 'loading')) known.add(`${e.key}\u0000${lineageEtag(e.etag, e.generation)}`);
    for (const name of e.loadedVersions ?? []) {
      const v = parseVersionName(name);
      known.add(`${e.key}\u0000${lineageEtag(v.etag, v.generation)}`);
    }
  }
  return known;
}

function unaccounted(tenant: string, table: TableName, rows: RowsByLineage, known: Set<string>, what: string): string[] {
  const stray: string[] = [];
  for (const [key, byEtag] of rows) {
    for (const [etag, n] of byEtag) if (n > 0 && !known.has(`${key}\u0000${etag}`)) stray.push(`${tenant}/${table} ${key} (${etag}): ${n} rows of ${what}`);
  }
  return stray;
}

/** Rows of the table whose lineage is no version the ledger records as loaded. */
export async function strayRows(tenant: string, table: TableName, entries: readonly LedgerEntry[], warehouse: Warehouse): Promise<string[]> {
  return unaccounted(tenant, table, await warehouse.lineages(tenant, table), accountedFor(entries, false), 'no loaded version');
}

/**
 * Of the keys in `rows` (those a run settled), rows of a version neither loaded nor being loaded:
 * an insert that landed after its version ended `superseded` or `failed` (a zombie's, see
 * docs/exactly-once.md), or rows written outside onceload under a file's lineage.
 */
export function strayUnderKeys(tenant: string, table: TableName, rows: RowsByLineage, entries: readonly LedgerEntry[]): string[] {
  return unaccounted(tenant, table, rows, accountedFor(entries, true), 'a version neither loaded nor being loaded');
}
