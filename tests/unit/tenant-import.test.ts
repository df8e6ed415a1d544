import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importTenants, readTenantFile, summaryText } from '../../src/cli/tenants-import.js';
import { CANONICAL_TABLES } from '../../src/table-config.js';
import { checkTenantImport, parseTenantImport, planImport, TenantImportError, MAX_PROBLEMS } from '../../src/lib/tenant-import.js';
import { MemoryTenants } from './fakes.js';

const problemsOf = (file: string, text: string) => parseTenantImport(file, text, CANONICAL_TABLES).problems;

describe('tenants import: reading and checking the file', () => {
  it('reads a CSV with a header: empty cells give nothing, tables are comma-separated, every and enabled as tenants add takes them', () => {
    const rows = checkTenantImport(
      'tenants.csv',
      ['tenant_id,service,tables,every,enabled', 'acme,billing,"companies,tickets",1h,true', 'globex,,,,', 'initech,,companies,15m,FALSE', ''].join('\n'),
      CANONICAL_TABLES,
    );
    expect(rows).toEqual([
      { line: 2, tenantId: 'acme', service: 'billing', tables: ['companies', 'tickets'], every: 3600, enabled: true },
      { line: 3, tenantId: 'globex' },
      { line: 4, tenantId: 'initech', tables: ['companies'], every: 900, enabled: false },
    ]);
  });

  it('reads JSON lines (.jsonl, .ndjson, .json) with tables as an array; blank lines are skipped', () => {
    const text = ['{"tenant_id":"acme","service":"billing","tables":["companies"],"every":"1d","enabled":false}', '', '{"tenant_id":"globex"}'].join('\n');
    for (const name of ['t.jsonl', 't.ndjson', 't.json']) {
      expect(checkTenantImport(name, text, CANONICAL_TABLES)).toEqual([
        { line: 1, tenantId: 'acme', service: 'billing', tables: ['companies'], every: 86400, enabled: false },
        { line: 3, tenantId: 'globex' },
      ]);
    }
  });

  it('names each bad row by file, line and field, and lists every problem', () => {
    const csv = [
      'tenant_id,tables,every,enabled',
      'acme,companies,1h,true',
      'Bad Id,companies,1h,true',
      'globex,nope,1h,true',
      'initech,companies,1x,true',
      'hooli,companies,1h,maybe',
      'umbrella,companies,30s,true',
      'acme,companies,1h,true',
      'short,companies',
    ].join('\n');
    const problems = problemsOf('tenants.csv', csv);
    expect(problems).toEqual([
      expect.stringMatching(/^tenants\.csv line 3, field tenant_id: "Bad Id" is not a valid tenant id/),
      expect.stringMatching(/^tenants\.csv line 4, field tables: unknown table\(s\) "nope"; expected one of companies/),
      expect.stringMatching(/^tenants\.csv line 5, field every: "1x" is not a duration/),
      'tenants.csv line 6, field enabled: expected true or false, got "maybe"',
      expect.stringMatching(/^tenants\.csv line 7, field every: "30s" is too short/),
      'tenants.csv line 8, field tenant_id: "acme" is on line 2 too; give each tenant once',
      'tenants.csv line 9: 2 value(s) for the 4 field(s) of the header',
    ]);
  });

  it('refuses unknown fields (in the header, or on a JSON line) and a missing tenant id', () => {
    expect(problemsOf('t.csv', 'tenant_id,colour\nacme,red')).toEqual(['t.csv line 1, field colour: unknown field; the fields are tenant_id, service, tables, every, enabled, since, start_after']);
    expect(problemsOf('t.csv', 'service\nbilling')).toEqual(['t.csv line 1, field tenant_id: missing from the header; every row needs one']);
    expect(problemsOf('t.jsonl', '{"tenant_id":"acme","colour":"red"}\n{"service":"x"}\n[1]\n{oops')).toEqual([
      't.jsonl line 1, field colour: unknown field; the fields are tenant_id, service, tables, every, enabled, since, start_after',
      't.jsonl line 2, field tenant_id: missing; every row needs a tenant id',
      expect.stringMatching(/^t\.jsonl line 3: not a JSON object/),
      expect.stringMatching(/^t\.jsonl line 4: not valid JSON/),
    ]);
    expect(problemsOf('t.jsonl', '{"tenant_id":"acme","tables":"companies","enabled":"yes","every":60}')).toEqual([
      expect.stringMatching(/^t\.jsonl line 1, field tables: expected an array of table names/),
      expect.stringMatching(/^t\.jsonl line 1, field every: expected a duration/),
      't.jsonl line 1, field enabled: expected true or false, got "yes"',
    ]);
  });

  it('refuses an empty file and an extension it cannot read', () => {
    expect(problemsOf('t.csv', '')).toEqual([expect.stringMatching(/^t\.csv line 1: no header/)]);
    expect(problemsOf('t.csv', 'tenant_id\n')).toEqual(['t.csv line 1: no tenants in the file']);
    expect(() => problemsOf('t.xlsx', 'x')).toThrow(/cannot tell its format/);
  });

  it('lists at most MAX_PROBLEMS problems in the refusal, and counts the rest', () => {
    const csv = ['tenant_id,every', ...Array.from({ length: 30 }, (_, i) => `t${i},nope`)].join('\n');
    const error = (() => {
      try {
        checkTenantImport('many.csv', csv, CANONICAL_TABLES);
      } catch (e) {
        return e as TenantImportError;
      }
    })()!;
    expect(error).toBeInstanceOf(TenantImportError);
    expect(error.problems).toHaveLength(30);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('many.csv: 30 problem(s), nothing imported:');
    expect(lines).toHaveLength(1 + MAX_PROBLEMS + 1);
    expect(lines.at(-1)).toBe('  ... and 10 more');
  });
});

describe('tenants import: what it writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onceload-import-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('adds new tenants with tenants add defaults, updates existing ones only in the fields given (keeping last success), and changes nothing on a second import', async () => {
    const directory = new MemoryTenants([
      { tenantId: 'acme', service: 'billing', enabled: true, tables: ['companies'], everySeconds: 3600, lastSuccessAt: '2026-01-01T00:00:00.000Z' },
      { tenantId: 'keep', service: 'x', enabled: true },
    ]);
    const path = file('t.csv', 'tenant_id,enabled,every\nacme,false,\nglobex,,1d\n');
    const rows = readTenantFile(path, CANONICAL_TABLES);
    const first = await importTenants(directory, path, rows);
    expect(summaryText(first)).toBe('imported t.csv: 1 added, 1 updated, 0 unchanged');
    expect(await directory.list()).toEqual([
      { tenantId: 'acme', service: 'billing', enabled: false, tables: ['companies'], everySeconds: 3600, lastSuccessAt: '2026-01-01T00:00:00.000Z' },
      { tenantId: 'globex', service: 'default', enabled: true, everySeconds: 86400 },
      { tenantId: 'keep', service: 'x', enabled: true },
    ]);
    expect(directory.putManyCalls).toEqual([['globex']]);

    const again = await importTenants(directory, path, readTenantFile(path, CANONICAL_TABLES));
    expect(again).toMatchObject({ added: 0, updated: 0, unchanged: 2 });
    expect(directory.putManyCalls.at(-1)).toEqual([]);
  });

  it('sets a start point from since and start_after (CSV or JSON lines), checked as --since and --start-after check them', async () => {
    const directory = new MemoryTenants([{ tenantId: 'acme', service: 'billing', enabled: true, since: '2025-01-01T00:00:00.000Z' }]);
    const csv = file('start.csv', 'tenant_id,since,start_after\nacme,2026-01-01,\nglobex,,2025/12/31/\n');
    expect(summaryText(await importTenants(directory, csv, readTenantFile(csv, CANONICAL_TABLES)))).toBe('imported start.csv: 1 added, 1 updated, 0 unchanged');
    expect(await directory.list()).toEqual([
      { tenantId: 'acme', service: 'billing', enabled: true, since: '2026-01-01T00:00:00.000Z' },
      { tenantId: 'globex', service: 'default', enabled: true, startAfter: '2025/12/31/' },
    ]);
    const jsonl = file('start.jsonl', '{"tenant_id":"acme","since":"2026-01-01T00:00:00Z"}\n{"tenant_id":"globex","start_after":"2025/12/31/"}\n');
    expect(await importTenants(directory, jsonl, readTenantFile(jsonl, CANONICAL_TABLES))).toMatchObject({ added: 0, updated: 0, unchanged: 2 });
    expect(problemsOf('bad.jsonl', '{"tenant_id":"a","since":"2026-02-30"}\n{"tenant_id":"b","since":20260101}\n{"tenant_id":"c","start_after":"c/canonical/companies/x"}')).toEqual([
      'bad.jsonl line 1, field since: "2026-02-30" is not a valid date; give a date such as 2026-01-01 (midnight UTC) or a time with its offset such as 2026-01-01T08:00:00Z',
      'bad.jsonl line 2, field since: expected a date such as "2026-01-01", got 20260101',
      'bad.jsonl line 3, field start_after: "c/canonical/companies/x" names a table folder; give the key relative to each table folder (it applies to every table of the tenant): "x"',
    ]);
  });

  it('writes nothing when any row has a problem', () => {
    const path = file('bad.jsonl', '{"tenant_id":"ok1"}\n{"tenant_id":"ok2","every":"1x"}\n');
    expect(() => readTenantFile(path, CANONICAL_TABLES)).toThrow(/bad\.jsonl line 2, field every: "1x" is not a duration/);
    // The check comes before the directory is opened: a caller has no rows to import.
  });

  it('plans against what is there: a row that gives only what the tenant has is unchanged', () => {
    const existing = [{ tenantId: 'acme', service: 'billing', enabled: true, tables: ['companies' as const] }];
    expect(planImport([{ line: 2, tenantId: 'acme', service: 'billing', tables: ['companies'] }], existing)).toEqual({ added: [], updated: [], unchanged: 1 });
    expect(planImport([{ line: 2, tenantId: 'acme', tables: ['companies', 'tickets'] }], existing).updated).toEqual([
      { tenantId: 'acme', service: 'billing', enabled: true, tables: ['companies', 'tickets'] },
    ]);
  });

  it('reports progress on big imports', async () => {
    const directory = new MemoryTenants();
    const path = file('big.csv', ['tenant_id', ...Array.from({ length: 5000 }, (_, i) => `t${i}`)].join('\n'));
    const lines: string[] = [];
    const summary = await importTenants(directory, path, readTenantFile(path, CANONICAL_TABLES), (l) => lines.push(l));
    expect(summary).toMatchObject({ rows: 5000, added: 5000 });
    expect(lines[0]).toBe('big.csv: 5000 rows checked; 5000 to add, 0 to update, 0 unchanged');
    expect((await directory.list()).length).toBe(5000);
  });
});
