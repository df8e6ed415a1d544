/**
 * The canonical tables: the only tables onceload writes, and the only identifiers
 * that ever reach SQL (validated and quoted by `sql.ts`).
 */

export const CANONICAL_TABLES = ['companies', 'contacts', 'tickets', 'time_entries'] as const;
export type CanonicalTable = (typeof CANONICAL_TABLES)[number];

export interface ColumnSpec {
  readonly name: string;
  /** ClickHouse type of the table column. */
  readonly type: string;
}

const dt = 'DateTime64(3)';

/** Source columns per table, in table order. `id` and `last_updated` are required in every file. */
export const TABLE_COLUMNS: Readonly<Record<CanonicalTable, readonly ColumnSpec[]>> = {
  companies: [
    { name: 'id', type: 'UInt64' },
    { name: 'name', type: 'String' },
    { name: 'status', type: 'String' },
    { name: 'type', type: 'String' },
    { name: 'phone', type: 'String' },
    { name: 'website', type: 'String' },
    { name: 'date_entered', type: dt },
    { name: 'last_updated', type: dt },
  ],
  contacts: [
    { name: 'id', type: 'UInt64' },
    { name: 'company_id', type: 'UInt64' },
    { name: 'first_name', type: 'String' },
    { name: 'last_name', type: 'String' },
    { name: 'email', type: 'String' },
    { name: 'title', type: 'String' },
    { name: 'date_entered', type: dt },
    { name: 'last_updated', type: dt },
  ],
  tickets: [
    { name: 'id', type: 'UInt64' },
    { name: 'company_id', type: 'UInt64' },
    { name: 'contact_id', type: 'Nullable(UInt64)' },
    { name: 'summary', type: 'String' },
    { name: 'status', type: 'String' },
    { name: 'priority', type: 'String' },
    { name: 'board', type: 'String' },
    { name: 'date_entered', type: dt },
    { name: 'closed_at', type: `Nullable(${dt})` },
    { name: 'last_updated', type: dt },
  ],
  time_entries: [
    { name: 'id', type: 'UInt64' },
    { name: 'company_id', type: 'UInt64' },
    { name: 'ticket_id', type: 'Nullable(UInt64)' },
    { name: 'member', type: 'String' },
    { name: 'hours', type: 'Decimal(9, 2)' },
    { name: 'notes', type: 'String' },
    { name: 'time_start', type: dt },
    { name: 'time_end', type: `Nullable(${dt})` },
    { name: 'date_entered', type: dt },
    { name: 'last_updated', type: dt },
  ],
};

export const REQUIRED_COLUMNS = ['id', 'last_updated'] as const;

/**
 * Lineage columns onceload adds to every row; files may not carry them. A part holds few files,
 * so the key and ETag are dictionary-encoded: a large file's insert is a third faster and holds
 * a third less memory than with plain strings (tables created with String columns still load).
 */
export const LINEAGE_COLUMNS: readonly ColumnSpec[] = [
  { name: '_file', type: 'LowCardinality(String)' },
  { name: '_etag', type: 'LowCardinality(String)' },
  { name: '_loaded_at', type: dt },
];

export const TENANT_COLUMN: ColumnSpec = { name: 'tenant_id', type: 'LowCardinality(String)' };

/** Version column and sorting key every canonical table must have. */
export const VERSION_COLUMN = 'last_updated';
export const SORTING_KEY = ['tenant_id', 'id'] as const;

export function isCanonicalTable(name: string): name is CanonicalTable {
  return (CANONICAL_TABLES as readonly string[]).includes(name);
}

export function sourceColumnNames(table: CanonicalTable): string[] {
  return TABLE_COLUMNS[table].map((c) => c.name);
}
