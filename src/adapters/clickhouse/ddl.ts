/**
 * DDL of the configured tables: created when missing, and altered only by `onceload tables
 * migrate`, only to add the columns the configuration declares (never a DROP or a type change).
 */
import { quoteIdentifier, tableRef } from '../../sql.js';
import { LINEAGE_COLUMNS, TENANT_COLUMN, type ColumnSpec, type TableCatalog } from '../../tables.js';

/**
 * Deduplication window, in insert blocks per table. Non-replicated MergeTree keeps none by
 * default; this many block hashes survive between a crashed insert and its redo, across all
 * tenants loading into the table meanwhile.
 */
export const DEDUPLICATION_WINDOW = 100_000;

export function createTableSql(tables: TableCatalog, table: string, database?: string): string {
  const spec = tables.get(table);
  const columns = [TENANT_COLUMN, ...spec.columns, ...LINEAGE_COLUMNS]
    .map((c) => `  ${quoteIdentifier(c.name)} ${c.type}`)
    .join(',\n');
  return [
    `CREATE TABLE IF NOT EXISTS ${tableRef(table, tables, database)}\n(\n${columns}\n)`,
    `ENGINE = ReplacingMergeTree(${quoteIdentifier(spec.version)})`,
    `ORDER BY (${spec.sortingKey.map(quoteIdentifier).join(', ')})`,
    `SETTINGS non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}`,
  ].join('\n');
}

/** Adds one configured column; IF NOT EXISTS makes a repeated migrate a no-op. */
export function addColumnSql(tables: TableCatalog, table: string, column: ColumnSpec, database?: string): string {
  return `ALTER TABLE ${tableRef(table, tables, database)} ADD COLUMN IF NOT EXISTS ${quoteIdentifier(column.name)} ${column.type}`;
}
