import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tablesListText } from '../../src/cli/table-commands.js';
import { ConfigError } from '../../src/errors.js';
import { CANONICAL_TABLES, loadTables, parseTablesConfig } from '../../src/table-config.js';

const root = join(import.meta.dirname, '..', '..');

const invoices = (table: Record<string, unknown> = {}, columns: { name: string; type: string }[] = []) => ({
  tables: {
    invoices: {
      columns: [{ name: 'id', type: 'String' }, { name: 'amount', type: 'Decimal(12, 2)' }, { name: 'last_updated', type: 'DateTime64(3)' }, ...columns],
      ...table,
    },
  },
});

/** The message a configuration is refused with. */
function refusal(json: unknown): string {
  try {
    parseTablesConfig(json, 'onceload.tables.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('the table configuration', () => {
  it('is the four canonical tables with their columns when no file exists', () => {
    const empty = mkdtempSync(join(tmpdir(), 'onceload-tables-'));
    const tables = loadTables({}, empty);
    expect(tables).toBe(CANONICAL_TABLES);
    expect(tables.names).toEqual(['companies', 'contacts', 'tickets', 'time_entries']);
    expect(tables.get('companies').columns.map((c) => c.name)).toEqual(['id', 'name', 'status', 'type', 'phone', 'website', 'date_entered', 'last_updated']);
    expect(tables.get('time_entries').columns.find((c) => c.name === 'hours')?.type).toBe('Decimal(9, 2)');
    expect(tables.get('tickets')).toMatchObject({ required: ['id', 'last_updated'], version: 'last_updated', sortingKey: ['tenant_id', 'id'] });
  });

  it('reads onceload.tables.json in the directory, the file ONCELOAD_TABLES_FILE names, or the JSON in ONCELOAD_TABLES', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onceload-tables-'));
    writeFileSync(join(dir, 'onceload.tables.json'), JSON.stringify(invoices()));
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ tables: { notes: { columns: [{ name: 'id', type: 'UInt64' }, { name: 'last_updated', type: 'DateTime64(3)' }] } } }));
    expect(loadTables({}, dir).names).toEqual(['invoices']);
    expect(loadTables({}, dir).source).toBe('onceload.tables.json');
    expect(loadTables({ ONCELOAD_TABLES_FILE: 'other.json' }, dir).names).toEqual(['notes']);
    expect(loadTables({ ONCELOAD_TABLES_FILE: 'other.json', ONCELOAD_TABLES: JSON.stringify(CANONICAL_TABLES) }, dir).names).toEqual(CANONICAL_TABLES.names);
    expect(() => loadTables({ ONCELOAD_TABLES_FILE: 'missing.json' }, dir)).toThrow(/^ONCELOAD_TABLES_FILE is "missing.json": cannot read it \(ENOENT\)/);
    writeFileSync(join(dir, 'broken.json'), '{"tables": ');
    expect(() => loadTables({ ONCELOAD_TABLES_FILE: 'broken.json' }, dir)).toThrow(/^broken.json: not valid JSON/);
  });

  it('fills the defaults and spells types as ClickHouse does, so what a function reads is complete', () => {
    const tables = parseTablesConfig(invoices({}, [{ name: 'fee', type: 'Nullable( Decimal(9,3) )' }]), 'f');
    expect(tables.get('invoices')).toMatchObject({ required: ['id', 'last_updated'], version: 'last_updated', sortingKey: ['tenant_id', 'id'] });
    expect(tables.get('invoices').columns.at(-1)).toEqual({ name: 'fee', type: 'Nullable(Decimal(9, 3))' });
    expect(parseTablesConfig(JSON.parse(JSON.stringify(tables)), 'f').toJSON()).toEqual(tables.toJSON());
  });

  it('refuses a type the value rules cannot load, naming the table, the column and what is supported', () => {
    expect(refusal(invoices({}, [{ name: 'note', type: 'Strng' }]))).toBe(
      'onceload.tables.json: tables.invoices.columns[3].type: "Strng" is not a supported type; supported: String, UInt8..UInt64, Int8..Int64, Decimal(P, S), DateTime64(P), and Nullable(...) of these',
    );
    for (const type of ['Float64', 'Array(String)', 'LowCardinality(String)', 'Nullable(Nullable(String))', 'Decimal(2, 5)', 'Decimal(80, 2)', 'DateTime']) {
      expect(refusal(invoices({}, [{ name: 'x', type }]))).toMatch(/^onceload\.tables\.json: tables\.invoices\.columns\[3\]\.type: .* is not a supported type/);
    }
  });

  it('takes an epoch unit on a DateTime64 column only, keeps it for a function to read, and names table and column otherwise', () => {
    const tables = parseTablesConfig(invoices({}, [{ name: 'seen', type: 'Nullable(DateTime64(3))', epoch: 'milliseconds' } as never, { name: 'at', type: 'DateTime64(0)', epoch: 'seconds' } as never]), 'f');
    expect(tables.get('invoices').columns.slice(-2)).toEqual([
      { name: 'seen', type: 'Nullable(DateTime64(3))', epoch: 'milliseconds' },
      { name: 'at', type: 'DateTime64(0)', epoch: 'seconds' },
    ]);
    // A column without one has no epoch field at all.
    expect(tables.get('invoices').columns[0]).toEqual({ name: 'id', type: 'String' });
    expect(parseTablesConfig(JSON.parse(JSON.stringify(tables)), 'f').toJSON()).toEqual(tables.toJSON());
    expect(refusal(invoices({}, [{ name: 'count', type: 'UInt64', epoch: 'seconds' } as never]))).toBe(
      'onceload.tables.json: tables.invoices.columns[3].epoch: "epoch" is for DateTime64 columns only; invoices.count is UInt64',
    );
    expect(refusal(invoices({}, [{ name: 'at', type: 'DateTime64(3)', epoch: 'minutes' } as never]))).toMatch(/^onceload\.tables\.json: tables\.invoices\.columns\[3\]\.epoch: .*"seconds".*"milliseconds"/);
  });

  it('refuses names that are not plain identifiers, and onceload\'s own columns', () => {
    expect(refusal({ tables: { 'my-invoices': invoices().tables.invoices } })).toMatch(/^onceload\.tables\.json: tables\["my-invoices"\]: "my-invoices" is not a plain identifier/);
    expect(refusal(invoices({}, [{ name: 'due date', type: 'String' }]))).toMatch(/tables\.invoices\.columns\[3\]\.name: "due date" is not a plain identifier/);
    expect(refusal(invoices({}, [{ name: 'tenant_id', type: 'String' }]))).toMatch(/tables\.invoices\.columns\[3\]\.name: "tenant_id" is onceload's own/);
    expect(refusal(invoices({}, [{ name: '_file', type: 'String' }]))).toMatch(/columns\[3\]\.name: "_file" is onceload's own/);
    expect(refusal(invoices({}, [{ name: 'amount', type: 'String' }]))).toMatch(/columns\[3\]\.name: "amount" is declared twice/);
  });

  it('needs an id and a version column onceload can replace rows by', () => {
    expect(refusal({ tables: { invoices: { columns: [{ name: 'last_updated', type: 'DateTime64(3)' }] } } })).toMatch(/tables\.invoices\.columns: no "id" column/);
    expect(refusal({ tables: { invoices: { columns: [{ name: 'id', type: 'Nullable(UInt64)' }, { name: 'last_updated', type: 'DateTime64(3)' }] } } })).toMatch(
      /tables\.invoices\.columns\[0\]\.type: the id column cannot be Nullable/,
    );
    expect(refusal({ tables: { invoices: { columns: [{ name: 'id', type: 'String' }] } } })).toMatch(/tables\.invoices\.columns: no "last_updated" column \(the default version column\)/);
    expect(refusal(invoices({ version: 'revision' }))).toMatch(/tables\.invoices\.version: no "revision" column in invoices/);
    expect(refusal(invoices({ version: 'amount' }))).toMatch(/tables\.invoices\.version: the version column "amount" is Decimal\(12, 2\); it must be UInt8\.\.UInt64 or DateTime64\(P\)/);
    expect(parseTablesConfig(invoices({ version: 'revision', required: ['id', 'revision'] }, [{ name: 'revision', type: 'UInt32' }]), 'f').get('invoices').version).toBe('revision');
  });

  it('checks required columns and the sorting key against the columns', () => {
    expect(refusal(invoices({ required: ['id'] }))).toMatch(/tables\.invoices\.required: must include "id" and the version column "last_updated"/);
    expect(refusal(invoices({ required: ['id', 'last_updated', 'total'] }))).toMatch(/tables\.invoices\.required\[2\]: "total" is not a column of invoices/);
    expect(refusal(invoices({ sortingKey: ['id'] }))).toMatch(/tables\.invoices\.sortingKey: must include "tenant_id" and "id"/);
    expect(refusal(invoices({ sortingKey: ['tenant_id', 'id', 'last_updated'] }))).toMatch(/sortingKey\[2\]: the version column "last_updated" cannot be in the sorting key/);
    expect(refusal(invoices({ sortingKey: ['tenant_id', 'paid', 'id'] }, [{ name: 'paid', type: 'Nullable(UInt8)' }]))).toMatch(/sortingKey\[1\]: "paid" is Nullable/);
    expect(parseTablesConfig(invoices({ sortingKey: ['tenant_id', 'amount', 'id'] }), 'f').get('invoices').sortingKey).toEqual(['tenant_id', 'amount', 'id']);
  });

  it('names unknown fields and wrong shapes', () => {
    expect(refusal({ tables: { invoices: { ...invoices().tables.invoices, colums: [] } } })).toMatch(/^onceload\.tables\.json: tables\.invoices: unknown field "colums"/);
    expect(refusal({ tables: {} })).toMatch(/tables: declare at least one table/);
    expect(refusal({ tables: { invoices: { columns: [{ name: 'id', type: 7 }] } } })).toMatch(/tables\.invoices\.columns\[0\]\.type: /);
  });

  it('ships an example that loads, whose canonical tables are the built-in ones', () => {
    const example = parseTablesConfig(JSON.parse(readFileSync(join(root, 'onceload.tables.example.json'), 'utf8')), 'onceload.tables.example.json');
    expect(example.names).toEqual([...CANONICAL_TABLES.names, 'invoices']);
    for (const name of CANONICAL_TABLES.names) expect(example.get(name)).toEqual(CANONICAL_TABLES.get(name));
    // Its invoices declare a timestamp that also takes epoch seconds, and `tables list` says so.
    expect(example.get('invoices').columns.find((c) => c.name === 'due_at')).toEqual({ name: 'due_at', type: 'Nullable(DateTime64(0))', epoch: 'seconds' });
    const list = tablesListText(example).split('\n');
    expect(list).toContain('invoices\tdue_at\tNullable(DateTime64(0))\tepoch seconds');
    expect(list).toContain('invoices\tid\tString\trequired, sorting key');
  });
});
