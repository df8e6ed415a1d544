/**
 * DDL for the canonical tables. Created only when missing; an existing table is never altered.
 */
import { quoteIdentifier, tableRef } from '../../sql.js';
import { LINEAGE_COLUMNS, SORTING_KEY, TABLE_COLUMNS, TENANT_COLUMN, VERSION_COLUMN, type CanonicalTable } from '../../tables.js';

/**
 * Deduplication window, in insert blocks per table. Non-replicated MergeTree keeps none by
 * default; this many block hashes survive between a crashed insert and its redo, across all
 * tenants loading into the table meanwhile.
 */
export const DEDUPLICATION_WINDOW = 100_000;

export function createTableSql(table: CanonicalTable, database?: string): string {
  const columns = [TENANT_COLUMN, ...TABLE_COLUMNS[table], ...LINEAGE_COLUMNS]
    .map((c) => `  ${quoteIdentifier(c.name)} ${c.type}`)
    .join(',\n');
  return [
    `CREATE TABLE IF NOT EXISTS ${tableRef(table, database)}\n(\n${columns}\n)`,
    `ENGINE = ReplacingMergeTree(${quoteIdentifier(VERSION_COLUMN)})`,
    `ORDER BY (${SORTING_KEY.map(quoteIdentifier).join(', ')})`,
    `SETTINGS non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}`,
  ].join('\n');
}
