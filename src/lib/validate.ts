/**
 * Validate: the run's final checks, each with figures, each able to fail.
 * - nothing lost: every file this run loaded has all its rows in the table, or newer versions of them;
 * - nothing doubled: no file version has more rows in the table than its object holds, and under
 *   the keys the run settled no version has rows that is neither loaded nor being loaded;
 * - re-runs move nothing: an item with no new files has the same count() FINAL before and after;
 * - engine DDL: every table touched is a ReplacingMergeTree of its version column ordered by its sorting key;
 * - schema: every table touched has the configured columns and types (schema-drift.ts).
 * It also writes the load log rows of the run's settled files that no Load wrote (log-repair.ts).
 */
import pMap from 'p-map';
import type { IgnoreReason, Ledger, LedgerEntry, LoadLog, Warehouse, TableEngine } from '../ports.js';
import { LOAD_LOG_TABLE, logEngineProblem } from './load-log.js';
import { repairLog, type LogRepair } from './log-repair.js';
import type { LoadTally } from './load-tally.js';
import { REASONS, SAMPLE_IGNORED, type IgnoredSummary } from './ignored.js';
import type { TableName, TableSpec } from '../tables.js';
import { schemaCheck } from './schema-drift.js';
import type { PlanCounts } from './plan.js';
import { auditLoaded, strayUnderKeys, type RowsByLineage } from './audit.js';
import { renderReport } from './report-text.js';
import type { WouldLoad } from './run-files.js';

export interface ItemSummary {
  tenant: string;
  table: TableName;
  /** The counts validation reads; the summary carries no more, so each item's state stays small. */
  countsAtStart?: Pick<PlanCounts, 'listed' | 'toLoad' | 'unchanged' | 'failedBefore'> & Partial<Pick<PlanCounts, 'ignored' | 'skipped'>>;
  plannedAt?: string;
  countFinalBefore?: number | null;
  /** Whether the table held any row of the tenant before the run (absent from an older plan: read from countFinalBefore). */
  rowsBefore?: boolean | null;
  wouldLoad?: string[];
  failedBefore?: string[];
  /** Objects of the table folder that are not a loadable file type (a sample). */
  ignored?: string[];
  /** What the item's Loads settled, added up over its rounds by Plan. */
  loadTotals?: LoadTally;
  /** Files left for the next run: the item reached its rounds for one execution. */
  deferred?: number;
  /** Set when the item's sub-workflow failed outside any file (caught by the state machine). */
  failure?: { Error?: string; Cause?: unknown };
}

export interface ValidateInput {
  runId: string;
  dryRun: boolean;
  items: ItemSummary[];
  /** Tenants a `due` run left out, and when each is next due (from Discover). */
  notDue?: { tenant: string; dueAt: string }[];
  /** Landed objects outside every item's table folder that are not loaded (from Discover). */
  ignored?: IgnoredSummary;
  /** Disabled tenants with landed files, which wait until the tenant is enabled. */
  disabledWithFiles?: string[];
  /** Why a scheduled tick did nothing (an earlier execution still running), from Discover. */
  skipped?: string;
  /** A dry run's every file it would load, from the runs bucket (Plan wrote them). */
  wouldLoadFiles?: WouldLoad[];
}

export type CheckName = 'files' | 'nothing-lost' | 'nothing-doubled' | 'reruns-move-nothing' | 'engine-ddl' | 'schema' | 'items';

export interface Check {
  name: CheckName;
  ok: boolean;
  detail: string;
  problems: string[];
}

export interface ItemReport {
  tenant: string;
  table: TableName;
  listed: number;
  loaded: number;
  /** Files this run planned that another execution running at the same time loaded. */
  byOther: number;
  rows: number;
  /** Files this run planned that failed, in this run or in another execution at the same time. */
  failed: number;
  unchanged: number;
  /** Failed in an earlier run and unchanged since: not retried. */
  failedBefore: number;
  /** Planned, but the object changed before its insert read it: the next run loads the new version. */
  superseded: number;
  /** Objects of the table folder that are not a loadable file type. */
  ignored: number;
  /** Versions before the tenant's start point: recorded `skipped` in the ledger, not loaded. */
  skipped: number;
  wouldLoad: number;
  /** Due, and left for the next run: the item loaded its share of one execution (ONCELOAD_MAX_ROUNDS). */
  deferred: number;
}

export interface FileFailure {
  tenant: string;
  table: TableName;
  key?: string;
  error: string;
}

export interface RunReport {
  ok: boolean;
  runId: string;
  dryRun: boolean;
  totals: { items: number; listed: number; loaded: number; byOther: number; rows: number; failed: number; unchanged: number; failedBefore: number; superseded: number; wouldLoad: number; ignored: number; skipped: number; deferred: number };
  /** A few of the ignored objects of the run, with why. */
  ignored: { key: string; reason: IgnoreReason }[];
  /** Every item, those with work first. */
  items: ItemReport[];
  failures: FileFailure[];
  checks: Check[];
  warnings: string[];
  /** The tenants a `due` run left out. */
  notDue: { tenant: string; dueAt: string }[];
  /** What validation itself cost: it reads only the tenant x table rows of the files the run loaded. */
  cost: { seconds: number; warehouseQueries: number; ledgerReads: number };
  /** Set when a scheduled tick did nothing because an earlier execution was still running. */
  skipped?: string;
  /** A dry run: every file it would load. */
  wouldLoadFiles?: WouldLoad[];
  text: string;
}

/** A failure's message in the report, cut short: the ledger keeps it whole (onceload files). */
const MAX_ERROR_CHARS = 300;
const shortError = (error: string) => (error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS)}... (see onceload files)` : error);
const active = (i: ItemReport) => i.loaded + i.byOther + i.failed + i.failedBefore + i.superseded + i.wouldLoad + i.ignored + i.skipped + i.deferred > 0;

/** The engine a table must have, for messages. */
export const expectedEngine = (spec: TableSpec) => `ReplacingMergeTree(${spec.version}) ORDER BY (${spec.sortingKey.join(', ')})`;

/** A DDL problem of one table, or undefined when it is of the ReplacingMergeTree family as required. */
export function engineProblem(spec: TableSpec, engine: TableEngine | undefined): string | undefined {
  const table = spec.name;
  if (!engine) return `${table}: the table does not exist; expected ${expectedEngine(spec)}`;
  const family = /^(Replicated|Shared)?ReplacingMergeTree$/.test(engine.engine);
  // The version column is the engine's last argument (Replicated engines put the path and replica first).
  const args = /ReplacingMergeTree\((.*?)\)/.exec(engine.engineFull)?.[1] ?? '';
  const version = args.split(',').pop()?.trim().replaceAll('`', '');
  const sorting = engine.sortingKey.replaceAll(' ', '').replaceAll('`', '');
  if (!family || version !== spec.version || sorting !== spec.sortingKey.join(',')) {
    return `${table}: engine is ${engine.engine}(${args}) ORDER BY (${engine.sortingKey}); expected ${expectedEngine(spec)}. onceload never rewrites a table: recreate it and move the rows yourself`;
  }
  return undefined;
}

function check(name: CheckName, problems: string[], detail: string): Check {
  return { name, ok: problems.length === 0, detail, problems };
}

interface ItemFindings {
  report: ItemReport;
  failures: FileFailure[];
  lost: string[];
  doubled: string[];
  moved: string[];
  warnings: string[];
  filesChecked: number;
  /** The ledger entries this run settled (for the load log's repair). */
  settled: LedgerEntry[];
}

/** `count() FINAL` after the run of each item with nothing to load, by `tenant#table`. */
type IdleCounts = Map<string, number>;

const isIdle = (item: ItemSummary): boolean => item.countsAtStart?.toLoad === 0 && typeof item.countFinalBefore === 'number';

/** The idle items' counts, one query a table for all its tenants, rather than one an item. */
async function countIdle(items: readonly ItemSummary[], warehouse: Warehouse): Promise<IdleCounts> {
  const byTable = new Map<TableName, string[]>();
  for (const item of items.filter(isIdle)) byTable.set(item.table, [...(byTable.get(item.table) ?? []), item.tenant]);
  const counts: IdleCounts = new Map();
  for (const [table, tenants] of byTable) {
    for (const [tenant, n] of await warehouse.countFinalByTenant(table, tenants)) counts.set(`${tenant}#${table}`, n);
  }
  return counts;
}

async function validateItem(item: ItemSummary, input: ValidateInput, deps: { ledger: Pick<Ledger, 'listItem'>; warehouse: Warehouse }, idleCounts: IdleCounts): Promise<ItemFindings> {
  const where = `${item.tenant}/${item.table}`;
  const counts = item.countsAtStart;
  const report: ItemReport = {
    tenant: item.tenant,
    table: item.table,
    listed: counts?.listed ?? 0,
    loaded: 0,
    byOther: 0,
    rows: 0,
    failed: 0,
    unchanged: counts?.unchanged ?? 0,
    failedBefore: counts?.failedBefore ?? 0,
    superseded: 0,
    ignored: counts?.ignored ?? 0,
    skipped: counts?.skipped ?? 0,
    wouldLoad: input.dryRun ? (counts?.toLoad ?? 0) : 0,
    deferred: item.deferred ?? 0,
  };
  const findings: ItemFindings = { report, failures: [], lost: [], doubled: [], moved: [], warnings: [], filesChecked: 0, settled: [] };
  if (item.failure) {
    const cause = typeof item.failure.Cause === 'string' ? item.failure.Cause : JSON.stringify(item.failure.Cause ?? '');
    findings.failures.push({ tenant: item.tenant, table: item.table, error: shortError(`${item.failure.Error ?? 'Error'}: ${cause}`) });
  }
  if (item.failedBefore?.length) {
    findings.warnings.push(`${where}: ${counts?.failedBefore ?? item.failedBefore.length} file(s) failed in an earlier run and are not retried until they change or are reset, e.g. ${item.failedBefore[0]}`);
  }
  if (input.dryRun) return findings;

  // An item that had nothing to load or skip wrote nothing to the ledger: read it only if a check needs it.
  const nothingSettled = counts?.toLoad === 0 && !counts.skipped;
  const entries = nothingSettled ? [] : [...(await deps.ledger.listItem(item.tenant, item.table)).values()];
  const mine = entries.filter((e) => e.runId === input.runId);
  findings.settled = mine;
  const loaded = mine.filter((e) => e.status === 'loaded');
  for (const e of mine.filter((e) => e.status === 'failed')) {
    findings.failures.push({ tenant: item.tenant, table: item.table, key: e.key, error: shortError(e.error ?? 'failed') });
  }
  // What the Loads settled for this run, counted from their results (load-tally.ts).
  const tally = item.loadTotals ?? {};
  const byKey = new Map(entries.map((e) => [e.key, e]));
  // A planned file another execution failed failed for this run too; its report names the same fault.
  for (const other of tally.failedByOther ?? []) {
    const entry = byKey.get(other.key);
    const error = entry?.runId === other.runId ? (entry.error ?? 'failed') : 'failed';
    findings.failures.push({ tenant: item.tenant, table: item.table, key: other.key, error: shortError(`${error} (in run ${other.runId})`) });
  }
  const unlistedByOther = (tally.byOtherFailed ?? 0) - (tally.failedByOther?.length ?? 0);
  report.byOther = tally.byOther ?? 0;
  report.superseded = tally.superseded ?? 0;
  report.loaded = loaded.length;
  report.failed = findings.failures.length + unlistedByOther;
  report.rows = loaded.reduce((sum, e) => sum + (e.rows ?? 0), 0);
  findings.filesChecked = loaded.length;

  // The table's rows under every key this run settled, by version, in one query: the loaded
  // versions' rows are counted again from their objects, never from the insert being checked
  // (see audit.ts), and no other version's rows may be there (a late insert of one that ended
  // superseded or failed would otherwise pass).
  const inTable: RowsByLineage = mine.length > 0 ? await deps.warehouse.countRowsByFile(item.tenant, item.table, mine.map((e) => e.key)) : new Map();
  const audit = await auditLoaded(item.tenant, item.table, loaded, deps.warehouse, inTable);
  findings.lost.push(...audit.lost);
  findings.doubled.push(...audit.doubled);
  let stray = strayUnderKeys(item.tenant, item.table, inTable, entries);
  // Judged on a ledger read after the table: a claim another execution made since the first read
  // (its insert already in the table) accounts for its rows; a version whose rows landed never
  // goes back to unclaimed, so what is still unaccounted for is stray.
  if (stray.length > 0) stray = strayUnderKeys(item.tenant, item.table, inTable, [...(await deps.ledger.listItem(item.tenant, item.table)).values()]);
  findings.doubled.push(...stray);

  // Every loaded file has rows (an empty one fails), so files loaded earlier and no row of the
  // tenant in the table means the table was dropped or emptied outside onceload.
  const hadRows = item.rowsBefore ?? (typeof item.countFinalBefore === 'number' ? item.countFinalBefore > 0 : null);
  if (counts && counts.unchanged > 0 && hadRows === false) {
    findings.lost.push(
      `${where}: the table holds no row of this tenant, yet the ledger records ${counts.unchanged} file(s) loaded earlier: ${item.table} was dropped or emptied outside onceload; load them again with: onceload files reset --tenant ${item.tenant} --table ${item.table} --status loaded`,
    );
  }
  if (isIdle(item)) {
    const before = item.countFinalBefore!;
    const after = idleCounts.get(`${item.tenant}#${item.table}`)!;
    if (after !== before) {
      const all = [...(await deps.ledger.listItem(item.tenant, item.table)).values()];
      const concurrent = concurrentLoads(all, input.runId, item.plannedAt);
      if (concurrent.length > 0) {
        findings.warnings.push(`${where}: count() FINAL moved ${before} -> ${after} while run ${concurrent[0]!.runId} loaded ${concurrent.length} file(s)`);
      } else {
        findings.moved.push(`${where}: count() FINAL was ${before} before the run and ${after} after, with no new file`);
      }
    }
  }
  return findings;
}

/** Entries another run settled or claimed since this item planned: it may have moved the count. */
function concurrentLoads(entries: LedgerEntry[], runId: string, since: string | undefined): LedgerEntry[] {
  return entries.filter((e) => e.runId !== runId && (since === undefined || e.updatedAt >= since || e.startedAt >= since));
}

/** The report's line on the load log's repair, when it wrote rows or failed. */
function repairNote(repair: LogRepair): string | undefined {
  if (repair.error !== undefined) return `load log: the rows its Loads and Plans did not write could not be written by Validate (${shortError(repair.error)}); the ledger holds their outcomes: onceload files`;
  if (repair.written === 0) return undefined;
  return `load log: ${repair.written} row(s) written by Validate, of file versions a Load or Plan settled without logging them, e.g. ${repair.sample[0]}`;
}

/** Counts the calls made through a port, so the report can say what validation cost. */
function counting<T extends object>(port: T, tally: { calls: number }): T {
  return new Proxy(port, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        tally.calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** `loadLog`: its DDL is checked with the tables' (absent in tests of the tables alone). */
export async function validateRun(
  input: ValidateInput,
  ports: { ledger: Pick<Ledger, 'listItem'>; warehouse: Warehouse; loadLog?: Pick<LoadLog, 'describe' | 'versionsOfRun' | 'write'>; warn?: (message: string, details: Record<string, unknown>) => void },
): Promise<RunReport> {
  const started = performance.now();
  const queries = { calls: 0 };
  const ledgerReads = { calls: 0 };
  const deps = { ledger: counting(ports.ledger, ledgerReads), warehouse: counting(ports.warehouse, queries) };
  const idleCounts = input.dryRun ? new Map<string, number>() : await countIdle(input.items, deps.warehouse);
  const findings = await pMap(input.items, (item) => validateItem(item, input, deps, idleCounts), { concurrency: 4 });
  const failures = findings.flatMap((f) => f.failures);
  const checks: Check[] = [];
  const itemFailures = failures.filter((f) => f.key === undefined);
  const fileFailures = failures.filter((f) => f.key !== undefined);
  checks.push(check('items', itemFailures.map((f) => `${f.tenant}/${f.table}: ${f.error}`), `${input.items.length - itemFailures.length} of ${input.items.length} tenant x table items completed`));
  const schemaWarnings: string[] = [];
  let repaired: LogRepair | undefined;
  if (!input.dryRun) {
    const filesChecked = findings.reduce((n, f) => n + f.filesChecked, 0);
    checks.push(check('files', fileFailures.map((f) => `${f.tenant}/${f.table} ${f.key}: ${f.error}`), `${fileFailures.length} file(s) failed`));
    checks.push(check('nothing-lost', findings.flatMap((f) => f.lost), `${filesChecked} file(s) loaded by this run checked against the table`));
    checks.push(check('nothing-doubled', findings.flatMap((f) => f.doubled), `${filesChecked} file(s) checked for extra rows by (_file, _etag)`));
    const idle = input.items.filter(isIdle).length;
    checks.push(check('reruns-move-nothing', findings.flatMap((f) => f.moved), `${idle} item(s) with no new file kept their count() FINAL`));
    const tables = [...new Set(input.items.map((i) => i.table))];
    const engines = new Map((await deps.warehouse.describeTables(tables)).map((e) => [e.table, e]));
    const ddl = tables.map((t) => engineProblem(deps.warehouse.tables.get(t), engines.get(t))).filter((p): p is string => p !== undefined);
    const logProblem = ports.loadLog ? logEngineProblem(await ports.loadLog.describe()) : undefined;
    if (logProblem) ddl.push(logProblem);
    // Into a table that would not collapse a repaired row with the Load's, nothing is written.
    if (ports.loadLog && !logProblem) repaired = await repairLog(input.runId, findings.flatMap((f) => f.settled), counting(ports.loadLog, queries));
    const also = ports.loadLog ? ` (and ${LOAD_LOG_TABLE}, by file version)` : '';
    checks.push(check('engine-ddl', ddl, `${tables.length} table(s) are ReplacingMergeTree of their version column, ordered by their sorting key${also}`));
    const schema = await schemaCheck(tables, deps.warehouse);
    checks.push(check('schema', schema.problems, schema.detail));
    schemaWarnings.push(...schema.warnings);
  }
  const items = findings.map((f) => f.report);
  const totals = items.reduce(
    (t, i) => ({
      items: t.items + 1,
      listed: t.listed + i.listed,
      loaded: t.loaded + i.loaded,
      byOther: t.byOther + i.byOther,
      rows: t.rows + i.rows,
      failed: t.failed + i.failed,
      unchanged: t.unchanged + i.unchanged,
      failedBefore: t.failedBefore + i.failedBefore,
      superseded: t.superseded + i.superseded,
      wouldLoad: t.wouldLoad + i.wouldLoad,
      ignored: t.ignored + i.ignored,
      skipped: t.skipped + i.skipped,
      deferred: t.deferred + i.deferred,
    }),
    { items: 0, listed: 0, loaded: 0, byOther: 0, rows: 0, failed: 0, unchanged: 0, failedBefore: 0, superseded: 0, wouldLoad: 0, ignored: input.ignored?.count ?? 0, skipped: 0, deferred: 0 },
  );
  const ignored = [
    ...(input.ignored?.sample ?? []),
    ...input.items.flatMap((i) => (i.ignored ?? []).map((key) => ({ key, reason: 'unknown-extension' as const }))),
  ].slice(0, SAMPLE_IGNORED);
  const warnings = [...findings.flatMap((f) => f.warnings), ...schemaWarnings];
  if (repaired?.error !== undefined) ports.warn?.('load log not repaired', { runId: input.runId, error: repaired.error });
  const logNote = repaired && repairNote(repaired);
  if (logNote) warnings.push(logNote);
  // Ignored objects are not failures, but never silent: a line every run while they are landed.
  if (totals.ignored > 0) {
    const few = ignored.slice(0, 3).map((o) => `${o.key} (${REASONS[o.reason]})`).join('; ');
    warnings.unshift(`${totals.ignored} object(s) ignored, not loaded, e.g. ${few}; list them: onceload files --status ignored`);
  }
  if (input.disabledWithFiles?.length) {
    warnings.push(`tenant(s) disabled, their landed files wait until enabled: ${input.disabledWithFiles.slice(0, 10).join(', ')}`);
  }
  if (input.skipped) warnings.unshift(input.skipped);
  const deferredItems = items.filter((i) => i.deferred > 0);
  if (deferredItems.length > 0) {
    const first = deferredItems[0]!;
    warnings.push(`${totals.deferred} file(s) of ${deferredItems.length} item(s) left for the next run, each item having loaded its share of one execution (ONCELOAD_MAX_ROUNDS), e.g. ${first.tenant}/${first.table}: ${first.deferred}`);
  }
  const report: Omit<RunReport, 'text'> = {
    ...(input.skipped ? { skipped: input.skipped } : {}),
    ...(input.dryRun ? { wouldLoadFiles: input.wouldLoadFiles ?? [] } : {}),
    ok: checks.every((c) => c.ok),
    runId: input.runId,
    dryRun: input.dryRun,
    totals,
    items: [...items.filter(active), ...items.filter((i) => !active(i))],
    failures,
    checks,
    warnings,
    ignored,
    notDue: input.notDue ?? [],
    cost: { seconds: Math.round(performance.now() - started) / 1000, warehouseQueries: queries.calls, ledgerReads: ledgerReads.calls },
  };
  return { ...report, text: renderReport(report) };
}
