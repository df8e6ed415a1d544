/**
 * The configuration moves ahead of the table: a run refuses to load into it and says the exact
 * ALTER to run, `tables migrate` adds the column (once), and the next run loads. What onceload
 * will not fix (a changed type, a dropped column) is said, never done. Each step is the CLI as a
 * user runs it, in its own process.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

let dir: string;
let tablesFile: string;
const onceload = (...args: string[]) => runCli(args, { env: { ONCELOAD_DATA_DIR: join(dir, 'data'), ONCELOAD_TABLES_FILE: tablesFile }, timeoutMs: 120_000 });

function configure(columns: { name: string; type: string }[]): void {
  writeFileSync(tablesFile, JSON.stringify({ tables: { invoices: { columns: [{ name: 'id', type: 'String' }, ...columns, { name: 'last_updated', type: 'DateTime64(3)' }] } } }));
}

function land(name: string, rows: object[]): void {
  const folder = join(dir, 'data', 'landing', 'books', 'canonical', 'invoices');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, name), rows.map((r) => JSON.stringify({ last_updated: '2026-02-01T00:00:00Z', ...r })).join('\n') + '\n');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'onceload-drift-'));
  tablesFile = join(dir, 'tables.json');
  configure([{ name: 'amount', type: 'Decimal(12, 2)' }]);
});

describe('tables migrate on a new data dir', () => {
  it('creates the configured tables and the load log; again it does nothing; a log table of another engine is named, never fixed', () => {
    const fresh = join(dir, 'fresh');
    const cli = (...args: string[]) => runCli(args, { env: { ONCELOAD_DATA_DIR: fresh, ONCELOAD_TABLES_FILE: tablesFile }, timeoutMs: 120_000 });
    const migrate = cli('tables', 'migrate');
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout.trim().split('\n')).toEqual(['created table invoices', 'created table onceload_load_log']);
    expect(cli('sql', "SELECT engine_full LIKE 'ReplacingMergeTree(finished\\_at)%' FROM system.tables WHERE name = 'onceload_load_log'").stdout).toBe('1\n');
    const again = cli('tables', 'migrate');
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe('nothing to do: the 1 table(s) of ' + tablesFile + ' have every configured column');

    expect(cli('sql', 'DROP TABLE onceload_load_log').code).toBe(0);
    expect(cli('sql', 'CREATE TABLE onceload_load_log (tenant_id String, finished_at DateTime64(3)) ENGINE = MergeTree ORDER BY tenant_id').code).toBe(0);
    const wrong = cli('tables', 'migrate');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^onceload: onceload_load_log: engine is MergeTree\(\) ORDER BY \(tenant_id\); expected ReplacingMergeTree\(finished_at\)/m);
  });
});

describe('a column added to the configuration', () => {
  it('fails the run with the exact ALTER until `tables migrate` adds it; migrate again does nothing', () => {
    expect(onceload('tenants', 'add', 'books').code).toBe(0);
    land('a.jsonl', [{ id: 'INV-1', amount: '10.00' }]);
    const first = onceload('run');
    expect(first.stderr + first.stdout).not.toMatch(/FAILED/);
    expect(first.code).toBe(0);

    configure([{ name: 'amount', type: 'Decimal(12, 2)' }, { name: 'currency', type: 'String' }]);
    land('b.jsonl', [{ id: 'INV-2', amount: '5.00', currency: 'EUR' }]);
    const behind = onceload('run');
    expect(behind.code).toBe(1);
    expect(behind.stdout).toContain('ALTER TABLE `invoices` ADD COLUMN `currency` String');
    expect(behind.stdout).toContain('run `onceload tables migrate`');
    // Nothing of the file was tried: it is not failed, and loads once the column is there.
    const files = JSON.parse(onceload('files', '--json').stdout) as { key: string; status: string }[];
    expect(files.map((f) => [f.key, f.status])).toEqual([['books/canonical/invoices/a.jsonl', 'loaded']]);

    const migrate = onceload('tables', 'migrate');
    expect(migrate.code).toBe(0);
    expect(migrate.stdout.trim()).toBe('added column invoices.currency: ALTER TABLE `default`.`invoices` ADD COLUMN IF NOT EXISTS `currency` String');

    const after = onceload('run');
    expect(after.code).toBe(0);
    expect(onceload('sql', "SELECT id, currency FROM invoices FINAL ORDER BY id").stdout).toBe('INV-1\t\nINV-2\tEUR\n');

    const again = onceload('tables', 'migrate');
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe('nothing to do: the 1 table(s) of ' + tablesFile + ' have every configured column');
  });

  it('a changed type is drift onceload will not fix: the run fails and migrate says so; a dropped column only warns', () => {
    configure([{ name: 'amount', type: 'Decimal(14, 2)' }, { name: 'currency', type: 'String' }]);
    const changed = onceload('run');
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain("invoices: column amount is Decimal(12, 2) in the table and Decimal(14, 2) in");
    expect(changed.stdout).toContain("onceload never changes a column's type");
    const migrate = onceload('tables', 'migrate');
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toMatch(/^onceload: invoices: column amount is Decimal\(12, 2\) in the table/m);

    configure([{ name: 'amount', type: 'Decimal(12, 2)' }]);
    land('c.jsonl', [{ id: 'INV-3', amount: '1.00' }]);
    const dropped = onceload('run');
    expect(dropped.code).toBe(0);
    expect(dropped.stdout).toMatch(/invoices: column currency String is in the table but not in .*; onceload never drops a column/);
  });

  it('tables list prints the configured tables and their columns', () => {
    const list = onceload('tables', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toBe(
      [`tables of ${tablesFile}`, 'table\tcolumn\ttype\tnotes', 'invoices\tid\tString\trequired, sorting key', 'invoices\tamount\tDecimal(12, 2)\t', 'invoices\tlast_updated\tDateTime64(3)\trequired, version', ''].join('\n'),
    );
  });
});
