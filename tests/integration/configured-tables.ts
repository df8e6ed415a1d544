/**
 * A table that exists only in the project's configuration: declared in a tables file, created by
 * the run, loaded with its own columns, version column and value rules, on the real runtime. One
 * suite, run on each load path (configured-tables*.test.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listIgnoredObjects } from '../../src/lib/ignored.js';
import { openHarness, report, type Harness } from './harness.js';

const CONFIG = {
  tables: {
    invoices: {
      columns: [
        { name: 'id', type: 'String' },
        { name: 'customer_id', type: 'UInt32' },
        { name: 'amount', type: 'Decimal(12,2)' },
        { name: 'currency', type: 'String' },
        { name: 'issued_at', type: 'DateTime64(0)' },
        { name: 'paid_at', type: 'Nullable(DateTime64(3))' },
        { name: 'memo', type: 'Nullable(String)' },
        { name: 'discount', type: 'Nullable(UInt32)' },
        { name: 'revision', type: 'UInt32' },
      ],
      required: ['id', 'revision', 'amount'],
      version: 'revision',
    },
  },
};

export function configuredTableSuite(env: Record<string, string> = {}): void {
  let h: Harness;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onceload-config-'));
    const file = join(dir, 'tables.json');
    writeFileSync(file, JSON.stringify(CONFIG));
    h = await openHarness({ ...env, ONCELOAD_TABLES_FILE: file });
  });
  afterAll(async () => h?.close());

  const invoice = (id: string, revision: number, fields: Record<string, unknown> = {}) =>
    JSON.stringify({ id, customer_id: 7, amount: '120.50', currency: 'EUR', issued_at: '2026-02-01T10:00:00Z', revision, ...fields });

  async function failure(tenant: string): Promise<string> {
    const result = await h.run({ tenants: [tenant] });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ValidationFailed');
    return result.cause ?? '';
  }

  describe('a configured table', () => {
    it('is created with its columns, version column and sorting key, and loads JSON lines and CSV', async () => {
      await h.addTenant('books');
      h.land('books', 'invoices', 'a.jsonl', [invoice('INV-1', 1), invoice('INV-2', 1, { paid_at: '2026-02-03T09:30:00.250Z' })].join('\n') + '\n');
      h.land('books', 'invoices', 'b.csv', 'id,customer_id,amount,currency,issued_at,paid_at,revision\nINV-1,7,99.9,EUR,2026-02-01 10:00:00,,2\n');
      const run = report(await h.run({ tenants: ['books'] }));
      expect(run.ok).toBe(true);
      expect(run.items.map((i) => i.table)).toEqual(['invoices']);
      expect(run.totals).toMatchObject({ loaded: 2, rows: 3 });

      const [engine] = await h.query<{ engine_full: string }>("SELECT engine_full FROM system.tables WHERE name = 'invoices'");
      expect(engine!.engine_full).toMatch(/^ReplacingMergeTree\(revision\) ORDER BY \(tenant_id, id\)/);
      const columns = await h.query<{ name: string; type: string }>("SELECT name, type FROM system.columns WHERE table = 'invoices' ORDER BY position");
      expect(columns.map((c) => `${c.name} ${c.type}`)).toEqual([
        'tenant_id LowCardinality(String)',
        'id String',
        'customer_id UInt32',
        'amount Decimal(12, 2)',
        'currency String',
        'issued_at DateTime64(0)',
        'paid_at Nullable(DateTime64(3))',
        'memo Nullable(String)',
        'discount Nullable(UInt32)',
        'revision UInt32',
        '_file LowCardinality(String)',
        '_etag LowCardinality(String)',
        '_loaded_at DateTime64(3)',
      ]);
      // The highest revision wins under FINAL, with the values converted to the configured types.
      const rows = await h.query<Record<string, unknown>>(
        "SELECT id, toString(amount) AS amount, revision, toString(issued_at) AS issued, toString(paid_at) AS paid FROM invoices FINAL WHERE tenant_id = 'books' ORDER BY id",
      );
      expect(rows).toEqual([
        { id: 'INV-1', amount: '99.9', revision: 2, issued: '2026-02-01 10:00:00', paid: null },
        { id: 'INV-2', amount: '120.5', revision: 1, issued: '2026-02-01 10:00:00', paid: '2026-02-03 09:30:00.250' },
      ]);
    });

    it('applies the value rules of its own types, and its required columns, on every row', async () => {
      await h.addTenant('ledger');
      h.land('ledger', 'invoices', 'good.jsonl', invoice('INV-1', 1) + '\n');
      h.land('ledger', 'invoices', 'cents.jsonl', [invoice('INV-2', 1), invoice('INV-3', 1, { amount: '10.005' })].join('\n') + '\n');
      h.land('ledger', 'invoices', 'negative.jsonl', invoice('INV-4', 1, { customer_id: -3 }) + '\n');
      h.land('ledger', 'invoices', 'unpriced.csv', 'id,customer_id,amount,revision\nINV-5,7,1.00,1\nINV-6,7,,1\n');
      h.land('ledger', 'invoices', 'stale.jsonl', JSON.stringify({ id: 'INV-7', amount: '1.00', last_updated: '2026-01-01T00:00:00Z' }) + '\n');
      const cause = await failure('ledger');
      const ledger = await (await h.runtime.deps()).ledger.listItem('ledger', 'invoices');
      const error = (name: string) => ledger.get(`ledger/canonical/invoices/${name}`)?.error ?? '';
      expect(ledger.get('ledger/canonical/invoices/good.jsonl')?.status).toBe('loaded');
      expect(error('cents.jsonl')).toMatch(/row 2, column amount: expected a decimal number with at most 10 digits before the point and 2 after it; got "10.005"/);
      expect(error('negative.jsonl')).toMatch(/column customer_id: expected a whole number from 0 to 4294967295; got "-3"/);
      expect(error('unpriced.csv')).toMatch(/row 2, column amount: amount is required and has no value/);
      // last_updated is no column of this table; its version column is revision.
      expect(error('stale.jsonl')).toMatch(/"last_updated" is not a column of invoices/);
      expect(cause).toContain('ledger/canonical/invoices/cents.jsonl');
      expect(await h.rawCount('invoices', 'ledger')).toBe(1);
    });

    it('loads an empty text as one in a string column and as no value in any other, from CSV and JSON lines alike', async () => {
      await h.addTenant('blanks');
      h.land(
        'blanks',
        'invoices',
        'a.csv',
        [
          'id,customer_id,amount,currency,memo,discount,paid_at,revision',
          'C-1,"",1.00,"","","","",1',
          'C-2,,1.00,,,,,1',
          'C-3,\\N,1.00,\\N,\\N,\\N,\\N,1',
          'C-4,7,1.00,EUR,"\\N",3,,1',
        ].join('\n') + '\n',
      );
      h.land(
        'blanks',
        'invoices',
        'b.jsonl',
        [
          { id: 'J-1', customer_id: '', amount: '1.00', currency: '', memo: '', discount: '', paid_at: '', revision: 1 },
          { id: 'J-2', customer_id: null, amount: '1.00', currency: null, memo: null, discount: null, paid_at: null, revision: 1 },
          { id: 'J-3', amount: '1.00', revision: 1 },
        ]
          .map((r) => JSON.stringify(r))
          .join('\n') + '\n',
      );
      const run = report(await h.run({ tenants: ['blanks'] }));
      expect(run.ok, run.text).toBe(true);
      const rows = await h.query<Record<string, unknown>>(
        "SELECT id, customer_id, currency, memo, discount, toString(paid_at) AS paid FROM invoices WHERE tenant_id = 'blanks' ORDER BY id",
      );
      const none = { customer_id: 0, currency: '', memo: null, discount: null, paid: null };
      expect(rows).toEqual([
        // A quoted "" is an empty text: kept in memo, no value in the number and timestamp columns.
        { id: 'C-1', ...none, memo: '' },
        { id: 'C-2', ...none },
        { id: 'C-3', ...none },
        { id: 'C-4', customer_id: 7, currency: 'EUR', memo: '\\N', discount: 3, paid: null },
        { id: 'J-1', ...none, memo: '' },
        { id: 'J-2', ...none },
        { id: 'J-3', ...none },
      ]);
    });

    it('is the only table: another folder is ignored as an unknown table, and an input naming another is refused', async () => {
      await h.addTenant('shop');
      h.land('shop', 'invoices', 'a.jsonl', invoice('INV-1', 1) + '\n');
      h.land('shop', 'companies', 'c.jsonl', JSON.stringify({ id: 1, last_updated: '2026-01-01T00:00:00Z' }) + '\n');
      const run = report(await h.run({ tenants: ['shop'] }));
      expect(run.totals).toMatchObject({ loaded: 1, ignored: 1 });
      const ignored = await listIgnoredObjects((await h.runtime.deps()).ledger, { tenants: ['shop'], wholeBucket: false });
      expect(ignored.map((o) => [o.key, o.reason])).toEqual([['shop/canonical/companies/c.jsonl', 'unknown-table']]);

      const refused = await h.run({ tables: ['companies'] });
      expect(refused.status).toBe('FAILED');
      expect(refused.error).toBe('InputError');
      expect(refused.cause).toMatch(/tables\[0\]: expected one of invoices/);
    });
  });
}

