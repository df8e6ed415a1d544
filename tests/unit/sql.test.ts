import { describe, expect, it } from 'vitest';
import { quoteIdentifier, settingsClause, tableRef } from '../../src/sql.js';
import { createTableSql } from '../../src/adapters/clickhouse/ddl.js';
import { CANONICAL_TABLES, parseTablesConfig } from '../../src/table-config.js';

describe('SQL identifiers and settings', () => {
  it('quotes plain identifiers and refuses anything else', () => {
    expect(quoteIdentifier('last_updated')).toBe('`last_updated`');
    for (const bad of ['a b', 'a;b', "a'b", 'a`b', '1a', '', 'a-b']) expect(() => quoteIdentifier(bad)).toThrow(/identifier/);
  });

  it('refers only to configured tables', () => {
    expect(tableRef('companies', CANONICAL_TABLES, 'db')).toBe('`db`.`companies`');
    expect(() => tableRef('system.users', CANONICAL_TABLES)).toThrow(/not a configured table/);
    const invoices = parseTablesConfig({ tables: { invoices: { columns: [{ name: 'id', type: 'String' }, { name: 'last_updated', type: 'DateTime64(3)' }] } } }, 'test');
    expect(tableRef('invoices', invoices)).toBe('`invoices`');
    expect(() => tableRef('companies', invoices)).toThrow(/"companies" is not a configured table \(test: invoices\)/);
  });

  it('renders settings and refuses unsafe values', () => {
    expect(settingsClause({ max_threads: 1, session_timezone: 'UTC' })).toBe(" SETTINGS max_threads = 1, session_timezone = 'UTC'");
    expect(() => settingsClause({ x: "a'; DROP TABLE t; --" })).toThrow(/unsafe/);
    expect(() => settingsClause({ x: Number.NaN })).toThrow(/finite/);
    expect(() => settingsClause({ 'x; DROP': 1 })).toThrow(/identifier/);
  });

  it('creates a ReplacingMergeTree keyed by tenant and id with a deduplication window, only if missing', () => {
    const ddl = createTableSql(CANONICAL_TABLES, 'tickets');
    expect(ddl).toMatch(/^CREATE TABLE IF NOT EXISTS `tickets`/);
    expect(ddl).toContain('ENGINE = ReplacingMergeTree(`last_updated`)');
    expect(ddl).toContain('ORDER BY (`tenant_id`, `id`)');
    expect(ddl).toMatch(/non_replicated_deduplication_window = [1-9]/);
    expect(ddl).toContain('`closed_at` Nullable(DateTime64(3))');
    expect(ddl).toContain('`tenant_id` LowCardinality(String)');
    expect(ddl).not.toMatch(/DROP|TRUNCATE|ALTER/);
  });
});
