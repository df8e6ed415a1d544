/**
 * The tables onceload writes, as configured (`onceload.tables.json`, checked by
 * `table-config.ts`): the only tables it touches, and the only table names that ever reach SQL
 * (quoted by `sql.ts`). The four canonical tables are the built-in default.
 */

import type { EpochUnit } from './lib/value-rules.js';

/** The name of a configured table: checked against the catalog wherever a name comes in. */
export type TableName = string;

export interface ColumnSpec {
  readonly name: string;
  /** ClickHouse type of the table column. */
  readonly type: string;
  /** DateTime64 columns only: the unit of the epoch numbers the column accepts besides ISO-8601 (none without it). */
  readonly epoch?: EpochUnit;
}

export interface TableSpec {
  readonly name: TableName;
  /** Source columns, in table order. */
  readonly columns: readonly ColumnSpec[];
  /** Columns every row must hold a value in: at least `id` and the version column. */
  readonly required: readonly string[];
  /** ReplacingMergeTree's version column: under FINAL the newest value per sorting key wins. */
  readonly version: string;
  readonly sortingKey: readonly string[];
}

export const ID_COLUMN = 'id';
export const DEFAULT_VERSION_COLUMN = 'last_updated';
export const DEFAULT_SORTING_KEY: readonly string[] = ['tenant_id', 'id'];

/**
 * Lineage columns onceload adds to every row; files may not carry them. A part holds few files,
 * so the key and ETag are dictionary-encoded: a large file's insert is a third faster and holds
 * a third less memory than with plain strings (tables created with String columns still load).
 */
export const LINEAGE_COLUMNS: readonly ColumnSpec[] = [
  { name: '_file', type: 'LowCardinality(String)' },
  { name: '_etag', type: 'LowCardinality(String)' },
  { name: '_loaded_at', type: 'DateTime64(3)' },
];

export const TENANT_COLUMN: ColumnSpec = { name: 'tenant_id', type: 'LowCardinality(String)' };

/** The configured tables, looked up by name. Built only from a checked configuration. */
export class TableCatalog {
  readonly #specs: ReadonlyMap<TableName, TableSpec>;

  /** `source` names where the configuration came from, for messages. */
  constructor(
    specs: readonly TableSpec[],
    readonly source: string,
  ) {
    this.#specs = new Map(specs.map((s) => [s.name, s]));
  }

  get names(): TableName[] {
    return [...this.#specs.keys()];
  }

  has(name: string): name is TableName {
    return this.#specs.has(name);
  }

  /** The table's definition; throws for a name that is no configured table. */
  get(name: string): TableSpec {
    const spec = this.#specs.get(name);
    if (!spec) throw new Error(`${JSON.stringify(name)} is not a configured table (${this.source}: ${this.names.join(', ')})`);
    return spec;
  }

  /** The configuration as JSON, every default spelled out (what a deployed function reads). */
  toJSON(): { tables: Record<string, { columns: ColumnSpec[]; required: string[]; version: string; sortingKey: string[] }> } {
    const tables: ReturnType<TableCatalog['toJSON']>['tables'] = {};
    for (const s of this.#specs.values()) {
      tables[s.name] = { columns: s.columns.map((c) => ({ name: c.name, type: c.type, ...(c.epoch ? { epoch: c.epoch } : {}) })), required: [...s.required], version: s.version, sortingKey: [...s.sortingKey] };
    }
    return { tables };
  }
}

const dt = 'DateTime64(3)';

/** The canonical tables, the configuration in force when no file declares others. */
export const CANONICAL_TABLES_CONFIG = {
  tables: {
    companies: {
      columns: [
        { name: 'id', type: 'UInt64' },
        { name: 'name', type: 'String' },
        { name: 'status', type: 'String' },
        { name: 'type', type: 'String' },
        { name: 'phone', type: 'String' },
        { name: 'website', type: 'String' },
        { name: 'date_entered', type: dt },
        { name: 'last_updated', type: dt },
      ],
    },
    contacts: {
      columns: [
        { name: 'id', type: 'UInt64' },
        { name: 'company_id', type: 'UInt64' },
        { name: 'first_name', type: 'String' },
        { name: 'last_name', type: 'String' },
        { name: 'email', type: 'String' },
        { name: 'title', type: 'String' },
        { name: 'date_entered', type: dt },
        { name: 'last_updated', type: dt },
      ],
    },
    tickets: {
      columns: [
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
    },
    time_entries: {
      columns: [
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
    },
  },
} as const;
