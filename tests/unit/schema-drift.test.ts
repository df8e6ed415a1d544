import { describe, expect, it } from 'vitest';
import { assertNoDrift } from '../../src/lib/schema-drift.js';
import { parseTablesConfig } from '../../src/table-config.js';

const tables = parseTablesConfig(
  { tables: { invoices: { columns: [{ name: 'id', type: 'String' }, { name: 'currency', type: 'String' }, { name: 'last_updated', type: 'DateTime64(3)' }] } } },
  'tables.json',
);

describe('a table behind its configuration', () => {
  it('fails its item with a message that names the table once', async () => {
    const warehouse = {
      tables,
      describeColumns: async () => [{ table: 'invoices', columns: [{ name: 'tenant_id', type: 'LowCardinality(String)' }, { name: 'id', type: 'String' }, { name: 'last_updated', type: 'DateTime64(3)' }] }],
    };
    const error = await assertNoDrift('books', 'invoices', warehouse).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^tenant books, table invoices: column currency String is in tables\.json but not in the table/);
    expect(error?.message.match(/invoices/g)?.length).toBe(2); // the item's table, and the ALTER that adds the column
    expect(error?.message).toContain('ALTER TABLE `invoices` ADD COLUMN `currency` String');
  });
});
