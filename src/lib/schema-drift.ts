/**
 * Drift between the configured tables and the tables in ClickHouse. A column the configuration
 * adds is additive: `onceload tables migrate` adds it, and until then no file of the table loads
 * (its insert names the column) and the run fails saying what to run. A changed type or a column
 * the configuration dropped is never fixed by onceload: changing a type can lose values, and
 * dropping a column loses them all.
 */
import { PermanentError } from '../errors.js';
import type { TableColumns, Warehouse } from '../ports.js';
import { quoteIdentifier } from '../sql.js';
import { LINEAGE_COLUMNS, TENANT_COLUMN, type ColumnSpec, type TableName, type TableSpec } from '../tables.js';

export interface Drift {
  table: TableName;
  /** Configured columns the table lacks, in configuration order. */
  missing: ColumnSpec[];
  /** Columns whose type in the table is not the configured one. */
  changed: { name: string; configured: string; actual: string }[];
  /** Columns of the table the configuration does not declare. */
  dropped: ColumnSpec[];
}

/** onceload's own columns are not the configuration's to declare (and older tables may hold them as String). */
const OWN = new Set([TENANT_COLUMN.name, ...LINEAGE_COLUMNS.map((c) => c.name)]);

export function tableDrift(spec: TableSpec, actual: TableColumns): Drift {
  const inTable = new Map(actual.columns.map((c) => [c.name, c.type]));
  const declared = new Set(spec.columns.map((c) => c.name));
  return {
    table: spec.name,
    missing: spec.columns.filter((c) => !inTable.has(c.name)),
    changed: spec.columns.flatMap((c) => {
      const type = inTable.get(c.name);
      return type !== undefined && type !== c.type ? [{ name: c.name, configured: c.type, actual: type }] : [];
    }),
    dropped: actual.columns.filter((c) => !OWN.has(c.name) && !declared.has(c.name)),
  };
}

/** The statement that adds a configured column, as a user would run it. */
export function addColumnStatement(table: TableName, column: ColumnSpec): string {
  return `ALTER TABLE ${quoteIdentifier(table)} ADD COLUMN ${quoteIdentifier(column.name)} ${column.type}`;
}

/** What stops the table from loading: one line per column, each saying what to do, each led by the table's name. */
export function driftProblems(drift: Drift, source: string): string[] {
  return columnProblems(drift, source).map((p) => `${drift.table}: ${p}`);
}

/** The problems of `driftProblems`, without the table's name (for a message whose context names it). */
function columnProblems(drift: Drift, source: string): string[] {
  return [
    ...drift.missing.map((c) => `column ${c.name} ${c.type} is in ${source} but not in the table: run \`onceload tables migrate\`, or: ${addColumnStatement(drift.table, c)}`),
    ...drift.changed.map(
      (c) => `column ${c.name} is ${c.actual} in the table and ${c.configured} in ${source}; onceload never changes a column's type: restore it in ${source}, or change the table yourself`,
    ),
  ];
}

/** What loads anyway but is worth saying: a column no file fills any more. */
export function driftWarnings(drift: Drift, source: string): string[] {
  return drift.dropped.map(
    (c) => `${drift.table}: column ${c.name} ${c.type} is in the table but not in ${source}; onceload never drops a column: new rows get its default (drop it yourself if it is no longer wanted)`,
  );
}

/** The drift of those of `tables` that exist. */
export async function describeDrift(tables: readonly TableName[], warehouse: Pick<Warehouse, 'tables' | 'describeColumns'>): Promise<Drift[]> {
  const actual = await warehouse.describeColumns(tables);
  return actual.map((a) => tableDrift(warehouse.tables.get(a.table), a));
}

/** Refuses to load into a table that lacks configured columns or holds another type: its inserts would fail every file. */
export async function assertNoDrift(tenant: string, table: TableName, warehouse: Pick<Warehouse, 'tables' | 'describeColumns'>): Promise<void> {
  const [drift] = await describeDrift([table], warehouse);
  // The error's context names the table; its message does not again.
  const problems = drift ? columnProblems(drift, warehouse.tables.source) : [];
  if (problems.length > 0) throw new PermanentError('DDL_DRIFT', problems.join('; '), { tenant, table });
}

/** Validate's schema check over the tables a run touched: problems fail the run, warnings do not. */
export async function schemaCheck(tables: readonly TableName[], warehouse: Pick<Warehouse, 'tables' | 'describeColumns'>): Promise<{ problems: string[]; warnings: string[]; detail: string }> {
  const drifts = await describeDrift(tables, warehouse);
  const source = warehouse.tables.source;
  return {
    problems: drifts.flatMap((d) => driftProblems(d, source)),
    warnings: drifts.flatMap((d) => driftWarnings(d, source)),
    detail: `${drifts.length} table(s) compared with ${source}`,
  };
}
