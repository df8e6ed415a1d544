/**
 * The one place identifiers become SQL. Values never do: they are bound as query parameters.
 */
import type { TableCatalog } from './tables.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Quotes an identifier after checking it is a plain name (letters, digits, underscores). */
export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`refusing to use ${JSON.stringify(name)} as an SQL identifier`);
  }
  return `\`${name}\``;
}

/** Quotes the name of a configured table (any other is refused), optionally qualified by a database. */
export function tableRef(table: string, tables: TableCatalog, database?: string): string {
  const quoted = quoteIdentifier(tables.get(table).name);
  return database ? `${quoteIdentifier(database)}.${quoted}` : quoted;
}

/**
 * Renders a SETTINGS clause from numbers and vetted strings. Settings go in the statement
 * rather than in client options because chDB applies client options as session-wide `SET`s,
 * and a sticky `insert_deduplication_token` would silently drop the next file's rows.
 */
export function settingsClause(settings: Record<string, number | string>): string {
  const parts = Object.entries(settings).map(([key, value]) => {
    quoteIdentifier(key);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new Error(`setting ${key} is not a finite number`);
      return `${key} = ${value}`;
    }
    if (!/^[A-Za-z0-9_./:+-]*$/.test(value)) {
      throw new Error(`setting ${key} has an unsafe value ${JSON.stringify(value)}`);
    }
    return `${key} = '${value}'`;
  });
  return parts.length ? ` SETTINGS ${parts.join(', ')}` : '';
}
