/**
 * Values load as written or not at all, on either load path (each test file opens its own
 * runtime: chDB binds one data dir per process). The same rows in JSON lines, CSV and (in-engine)
 * Parquet land as the same values; each refused value fails its file, naming the row, the
 * column, what the column accepts and the value, with nothing of that file in the table.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LedgerEntry } from '../../src/ports.js';
import { openHarness, type Harness } from './harness.js';

const good = [
  { id: 1, last_updated: '2026-02-01T10:11:12Z', time_start: '2026-02-01 10:11:12.345', hours: 1.5, ticket_id: 7, date_entered: '2026-02-01' },
  { id: 2, last_updated: '2026-02-01T10:11:12+05:30', time_start: '2026-02-01T10:11', hours: '2.25', ticket_id: '18446744073709551615', date_entered: '1969-07-20' },
  { id: 3, last_updated: '2026-02-01T10:11:12.120000Z', time_start: '2026-02-01 10:11:12', hours: 3, ticket_id: null, date_entered: '2026-02-01 00:00:00-08' },
];

/** What each good row holds once loaded, as ClickHouse prints it. */
const expected = [
  { id: '1', last_updated: '2026-02-01 10:11:12.000', time_start: '2026-02-01 10:11:12.345', hours: '1.5', ticket_id: '7', date_entered: '2026-02-01 00:00:00.000' },
  { id: '2', last_updated: '2026-02-01 04:41:12.000', time_start: '2026-02-01 10:11:00.000', hours: '2.25', ticket_id: '18446744073709551615', date_entered: '1969-07-20 00:00:00.000' },
  { id: '3', last_updated: '2026-02-01 10:11:12.120', time_start: '2026-02-01 10:11:12.000', hours: '3', ticket_id: null, date_entered: '2026-02-01 08:00:00.000' },
];

const jsonLines = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const columns = ['id', 'last_updated', 'time_start', 'hours', 'ticket_id', 'date_entered'] as const;
const csv = (rows: Record<string, unknown>[]) => [columns.join(','), ...rows.map((r) => columns.map((c) => (r[c] == null ? '' : String(r[c]))).join(','))].join('\n') + '\n';
/** A JSON value written as is (a number too large for a JS number, say). */
const raw = (row: Record<string, unknown>, key: string, text: string) => JSON.stringify({ ...row, [key]: '@@' }).replace('"@@"', text);

const base = { company_id: 1, member: 'm', last_updated: '2026-02-01T00:00:00Z' };
const fine = (id: number) => ({ ...base, id });

/** Each refused value: the file's fourth row holds it. */
const refused: { name: string; line: string | Buffer; column: string; value: string }[] = [
  { name: 'epoch-seconds.jsonl', line: raw(fine(4), 'last_updated', '1769904000'), column: 'last_updated', value: '1769904000' },
  { name: 'epoch-millis.jsonl', line: raw(fine(4), 'last_updated', '1769904000123'), column: 'last_updated', value: '1769904000123' },
  { name: 'day-month.jsonl', line: JSON.stringify({ ...fine(4), date_entered: '02/01/2026' }), column: 'date_entered', value: '02/01/2026' },
  { name: 'no-such-day.jsonl', line: JSON.stringify({ ...fine(4), time_start: '2026-02-30T00:00:00Z' }), column: 'time_start', value: '2026-02-30' },
  { name: 'microseconds.jsonl', line: JSON.stringify({ ...fine(4), time_start: '2026-02-01T10:11:12.123456Z' }), column: 'time_start', value: '123456' },
  { name: 'overflow.jsonl', line: raw(fine(4), 'id', '99999999999999999999999'), column: 'id', value: '99999999999999999999999' },
  { name: 'negative.jsonl', line: raw(fine(4), 'company_id', '-1'), column: 'company_id', value: '-1' },
  { name: 'text-in-number.jsonl', line: JSON.stringify({ ...fine(4), ticket_id: 'not-a-number' }), column: 'ticket_id', value: 'not-a-number' },
  { name: 'boolean-in-number.jsonl', line: raw(fine(4), 'ticket_id', 'true'), column: 'ticket_id', value: 'true' },
  { name: 'too-many-decimals.jsonl', line: raw(fine(4), 'hours', '1.005'), column: 'hours', value: '1.005' },
  { name: 'exponent.jsonl', line: raw(fine(4), 'hours', '1e2'), column: 'hours', value: '1e2' },
  {
    name: 'not-utf8.jsonl',
    line: Buffer.concat([Buffer.from(JSON.stringify({ ...fine(4), notes: '@@' }).split('@@')[0]!), Buffer.from([0xc3, 0x28]), Buffer.from(JSON.stringify({ ...fine(4), notes: '@@' }).split('@@')[1]!)]),
    column: 'notes',
    value: 'UTF-8',
  },
];
const refusedCsv = { name: 'epoch.csv', text: `id,company_id,member,last_updated\n1,1,m,2026-02-01T00:00:00Z\n2,1,m,2026-02-01T00:00:00Z\n3,1,m,2026-02-01T00:00:00Z\n4,1,m,1769904000\n`, column: 'last_updated', value: '1769904000' };

export function valueSuite(env: Record<string, string>, options: { parquet: boolean }): void {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(env);
  });
  afterAll(async () => h?.close());

  const select = `SELECT toString(id) AS id, toString(last_updated) AS last_updated, toString(time_start) AS time_start, toString(hours) AS hours, toString(ticket_id) AS ticket_id, toString(date_entered) AS date_entered
    FROM time_entries WHERE tenant_id = {tenant:String} AND _file = {file:String} ORDER BY id`;

  it('loads each documented form as written: the same values from JSON lines, CSV and Parquet', async () => {
    const tenant = 'forms';
    await h.addTenant(tenant, ['time_entries']);
    const rows = good.map((r) => ({ ...r, company_id: 1, member: 'm' }));
    const json = h.land(tenant, 'time_entries', 'a.jsonl', rows.map((r, i) => (i === 1 ? raw({ ...r, tenant_id: tenant }, 'ticket_id', '18446744073709551615') : JSON.stringify(r))).join('\n') + '\n');
    const text = h.land(tenant, 'time_entries', 'a.csv', csv(rows));
    const files = [json, text];
    if (options.parquet) {
      const key = `${tenant}/canonical/time_entries/a.parquet`;
      // A Parquet file written by the engine from typed values: its timestamps are typed, not text.
      await h.command(
        `INSERT INTO FUNCTION file('${join(h.runtime.landingDir, key)}', Parquet, 'id UInt64, company_id UInt64, member String, last_updated DateTime64(3, ''UTC''), time_start DateTime64(3, ''UTC''), hours Decimal(9, 2), ticket_id Nullable(UInt64), date_entered DateTime64(3, ''UTC'')')
         SELECT * FROM values('id UInt64, company_id UInt64, member String, last_updated DateTime64(3, ''UTC''), time_start DateTime64(3, ''UTC''), hours Decimal(9, 2), ticket_id Nullable(UInt64), date_entered DateTime64(3, ''UTC'')',
           (1, 1, 'm', '2026-02-01 10:11:12', '2026-02-01 10:11:12.345', 1.5, 7, '2026-02-01'),
           (2, 1, 'm', '2026-02-01 04:41:12', '2026-02-01 10:11:00', 2.25, 18446744073709551615, '1969-07-20'),
           (3, 1, 'm', '2026-02-01 10:11:12.12', '2026-02-01 10:11:12', 3, NULL, '2026-02-01 08:00:00'))`,
      );
      files.push(key);
    }
    const result = await h.run({ tenants: [tenant] });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    for (const file of files) expect(await h.query(select, { tenant, file }), file).toEqual(expected);
  });

  it('reads CSV fields as written: a quoted field whole, an unquoted one trimmed of spaces and tabs, an unquoted \\N as no value', async () => {
    const tenant = 'csv-fields';
    await h.addTenant(tenant, ['time_entries']);
    const file = h.land(
      tenant,
      'time_entries',
      'fields.csv',
      [
        'id,company_id,member,notes,ticket_id,last_updated',
        '1,1,"  padded  ","\\N",7,2026-02-01T00:00:00Z',
        '2, 1 ,\t tabbed\t ,\\N, 8 , 2026-02-01T00:00:00Z ',
        '3,1,"a ""quoted"" one","",\\N,2026-02-01T00:00:00Z',
        // An empty line inside a quoted field is the field's (no end of anything).
        '4,1,"one\n\nthree","\r\n\r\n",9,2026-02-01T00:00:00Z',
      ].join('\n') + '\n',
    );
    const result = await h.run({ tenants: [tenant] });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    const rows = await h.query(
      `SELECT toString(id) AS id, toString(company_id) AS company_id, member, notes, toString(ticket_id) AS ticket_id, toString(last_updated) AS last_updated
       FROM time_entries WHERE tenant_id = {tenant:String} AND _file = {file:String} ORDER BY id`,
      { tenant, file },
    );
    expect(rows).toEqual([
      { id: '1', company_id: '1', member: '  padded  ', notes: '\\N', ticket_id: '7', last_updated: '2026-02-01 00:00:00.000' },
      { id: '2', company_id: '1', member: 'tabbed', notes: '', ticket_id: '8', last_updated: '2026-02-01 00:00:00.000' },
      { id: '3', company_id: '1', member: 'a "quoted" one', notes: '', ticket_id: null, last_updated: '2026-02-01 00:00:00.000' },
      { id: '4', company_id: '1', member: 'one\n\nthree', notes: '\r\n\r\n', ticket_id: '9', last_updated: '2026-02-01 00:00:00.000' },
    ]);
  });

  it('loads a CSV file ended by empty lines, or rows ended by one comma; an empty line before a row refuses its file, naming the row', async () => {
    const tenant = 'csv-lines';
    await h.addTenant(tenant, ['time_entries']);
    const header = 'id,company_id,member,last_updated';
    const row = (id: number, end = '') => `${id},1,m${id},2026-02-01T00:00:00Z${end}`;
    h.land(tenant, 'time_entries', 'ends-blank.csv', `${header}\n${row(1)}\n${row(2)}\n\n\n`);
    h.land(tenant, 'time_entries', 'ends-blank-crlf.csv', `${header}\r\n${row(3)}\r\n\r\n`);
    h.land(tenant, 'time_entries', 'row-commas.csv', `${header}\n${row(4, ',')}\n${row(5, ', ')}\n`);
    h.land(tenant, 'time_entries', 'blank-between.csv', `${header}\n${row(6)}\n\n${row(7)}\n`);
    h.land(tenant, 'time_entries', 'blank-first.csv', `${header}\n\n${row(8)}\n`);
    const result = await h.run({ tenants: [tenant] });
    expect(result.status).toBe('FAILED');
    const ledger: Map<string, LedgerEntry> = await (await h.runtime.deps()).ledger.listItem(tenant, 'time_entries');
    const entry = (name: string) => ledger.get(`${tenant}/canonical/time_entries/${name}`);
    for (const name of ['ends-blank.csv', 'ends-blank-crlf.csv', 'row-commas.csv']) expect(entry(name), name).toMatchObject({ status: 'loaded' });
    expect(entry('blank-between.csv')).toMatchObject({ status: 'failed', error: expect.stringContaining('row 2') });
    expect(entry('blank-first.csv')).toMatchObject({ status: 'failed', error: expect.stringContaining('row 1') });
    const rows = await h.query<{ id: string; member: string }>(`SELECT toString(id) AS id, member FROM time_entries WHERE tenant_id = {tenant:String} ORDER BY id`, { tenant });
    expect(rows).toEqual([1, 2, 3, 4, 5].map((id) => ({ id: String(id), member: `m${id}` })));
  });

  it("matches a file's names to columns whatever their case, as the engine's readers do; a column named twice refuses its file", async () => {
    const tenant = 'names';
    await h.addTenant(tenant, ['time_entries']);
    h.land(tenant, 'time_entries', 'upper.jsonl', JSON.stringify({ ID: 1, Company_ID: 1, MEMBER: 'm1', Last_Updated: '2026-02-01T00:00:00Z', Tenant_Id: tenant, hours: '1.5' }) + '\n');
    h.land(tenant, 'time_entries', 'upper.csv', 'ID,COMPANY_ID,Member,LAST_UPDATED,TENANT_ID\n2,1,m2,2026-02-01T00:00:00Z,names\n');
    h.land(tenant, 'time_entries', 'twice.jsonl', JSON.stringify({ id: 3, company_id: 1, member: 'm', Member: 'n', last_updated: '2026-02-01T00:00:00Z' }) + '\n');
    h.land(tenant, 'time_entries', 'twice.csv', 'id,company_id,member,MEMBER,last_updated\n4,1,m,n,2026-02-01T00:00:00Z\n');
    h.land(tenant, 'time_entries', 'same-twice.csv', 'id,company_id,member,member,last_updated\n5,1,m,n,2026-02-01T00:00:00Z\n');
    const result = await h.run({ tenants: [tenant] });
    expect(result.status).toBe('FAILED');
    const ledger: Map<string, LedgerEntry> = await (await h.runtime.deps()).ledger.listItem(tenant, 'time_entries');
    const entry = (name: string) => ledger.get(`${tenant}/canonical/time_entries/${name}`);
    expect(entry('upper.jsonl')?.status).toBe('loaded');
    expect(entry('upper.csv')?.status).toBe('loaded');
    for (const name of ['twice.jsonl', 'twice.csv', 'same-twice.csv']) {
      expect(entry(name)?.status, name).toBe('failed');
      expect(entry(name)?.error, name).toMatch(/member/i);
    }
    const rows = await h.query(`SELECT toString(id) AS id, member, toString(hours) AS hours FROM time_entries WHERE tenant_id = {tenant:String} ORDER BY id`, { tenant });
    expect(rows).toEqual([
      { id: '1', member: 'm1', hours: '1.5' },
      { id: '2', member: 'm2', hours: '0' },
    ]);
  });

  it('refuses each value its column does not accept, naming row, column, expected type and value; nothing of that file loads', async () => {
    const tenant = 'refusals';
    await h.addTenant(tenant, ['time_entries']);
    const good3 = Buffer.from(jsonLines([fine(1), fine(2), fine(3)]));
    for (const c of refused) h.land(tenant, 'time_entries', c.name, Buffer.concat([good3, Buffer.from(c.line), Buffer.from('\n')]));
    h.land(tenant, 'time_entries', refusedCsv.name, refusedCsv.text);
    h.land(tenant, 'time_entries', 'fine.jsonl', jsonLines([fine(100), fine(101)]));

    const result = await h.run({ tenants: [tenant] });
    expect(result.status).toBe('FAILED');
    const ledger: Map<string, LedgerEntry> = await (await h.runtime.deps()).ledger.listItem(tenant, 'time_entries');
    for (const c of [...refused, refusedCsv]) {
      const entry = ledger.get(`${tenant}/canonical/time_entries/${c.name}`);
      expect(entry?.status, c.name).toBe('failed');
      expect(entry?.error, c.name).toContain('row 4');
      expect(entry?.error, c.name).toContain(`column ${c.column}`);
      expect(entry?.error, c.name).toContain(c.value);
    }
    expect(ledger.get(`${tenant}/canonical/time_entries/epoch-seconds.jsonl`)?.error).toMatch(/expected an ISO-8601 date and time/);
    const [loaded] = await h.query<{ files: string[]; n: string }>(`SELECT groupUniqArray(_file) AS files, toString(count()) AS n FROM time_entries WHERE tenant_id = {tenant:String}`, { tenant });
    expect(loaded).toEqual({ files: [`${tenant}/canonical/time_entries/fine.jsonl`], n: '2' });
  });
}
