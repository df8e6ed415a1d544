/**
 * Epoch timestamps load only where the table declares their unit, and load to the same stored
 * value on either path: in-engine (JSON lines, CSV, Parquet) and streamed (JSON lines, CSV),
 * where the Load sends the engine the value as ISO-8601 text rather than the number its typed
 * parser would read in another unit. One suite, run on each load path (epoch*.test.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openHarness, type Harness } from './harness.js';

const CONFIG = {
  tables: {
    readings: {
      columns: [
        { name: 'id', type: 'String' },
        { name: 'at', type: 'DateTime64(3)', epoch: 'seconds' },
        { name: 'at_ms', type: 'Nullable(DateTime64(3))', epoch: 'milliseconds' },
        { name: 'whole', type: 'DateTime64(0)', epoch: 'seconds' },
        { name: 'plain', type: 'Nullable(DateTime64(3))' },
        { name: 'last_updated', type: 'DateTime64(3)' },
      ],
    },
  },
};

const columns = ['id', 'at', 'at_ms', 'whole', 'plain', 'last_updated'] as const;
const csv = (rows: Record<string, unknown>[]) => [columns.join(','), ...rows.map((r) => columns.map((c) => (r[c] == null ? '' : String(r[c]))).join(','))].join('\n') + '\n';
const jsonLines = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

const base = { plain: null, last_updated: '2026-02-01T00:00:00Z' };
/** Numbers and numeric strings in the declared units, an ISO text beside them, the range's ends. */
const good = [
  { ...base, id: 'r1', at: 1769904000, at_ms: 1769904000123, whole: 1769904000 },
  { ...base, id: 'r2', at: '1769904000', at_ms: '1769904000123', whole: '2026-02-01T00:00:00Z' },
  { ...base, id: 'r3', at: -86400, at_ms: null, whole: 0 },
  { ...base, id: 'r4', at: -2208988800, at_ms: 10413791999999, whole: 10413791999 },
  { ...base, id: 'r5', at: '2026-02-01T00:00:00.5Z', at_ms: -1, whole: '-1' },
];
const expected = [
  { id: 'r1', at: '2026-02-01 00:00:00.000', at_ms: '2026-02-01 00:00:00.123', whole: '2026-02-01 00:00:00' },
  { id: 'r2', at: '2026-02-01 00:00:00.000', at_ms: '2026-02-01 00:00:00.123', whole: '2026-02-01 00:00:00' },
  { id: 'r3', at: '1969-12-31 00:00:00.000', at_ms: null, whole: '1970-01-01 00:00:00' },
  { id: 'r4', at: '1900-01-01 00:00:00.000', at_ms: '2299-12-31 23:59:59.999', whole: '2299-12-31 23:59:59' },
  { id: 'r5', at: '2026-02-01 00:00:00.500', at_ms: '1969-12-31 23:59:59.999', whole: '1969-12-31 23:59:59' },
];

export function epochSuite(env: Record<string, string>, options: { parquet: boolean }): void {
  let h: Harness;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onceload-epoch-'));
    const file = join(dir, 'tables.json');
    writeFileSync(file, JSON.stringify(CONFIG));
    h = await openHarness({ ...env, ONCELOAD_TABLES_FILE: file });
  });
  afterAll(async () => h?.close());

  const select = `SELECT id, toString(at) AS at, toString(at_ms) AS at_ms, toString(whole) AS whole FROM readings WHERE tenant_id = {tenant:String} AND _file = {file:String} ORDER BY id`;

  it('loads whole numbers in the declared unit, from JSON lines, CSV and Parquet, to the same values', async () => {
    const tenant = 'clock';
    await h.addTenant(tenant);
    const files = [h.land(tenant, 'readings', 'a.jsonl', jsonLines(good)), h.land(tenant, 'readings', 'a.csv', csv(good))];
    if (options.parquet) {
      const key = `${tenant}/canonical/readings/a.parquet`;
      // Integer columns, as a producer writes epoch numbers into Parquet.
      await h.command(
        `INSERT INTO FUNCTION file('${join(h.runtime.landingDir, key)}', Parquet, 'id String, at Int64, at_ms Nullable(Int64), whole Int64, plain Nullable(String), last_updated String')
         SELECT * FROM values('id String, at Int64, at_ms Nullable(Int64), whole Int64, plain Nullable(String), last_updated String',
           ('r1', 1769904000, 1769904000123, 1769904000, NULL, '2026-02-01T00:00:00Z'),
           ('r2', 1769904000, 1769904000123, 1769904000, NULL, '2026-02-01T00:00:00Z'),
           ('r3', -86400, NULL, 0, NULL, '2026-02-01T00:00:00Z'),
           ('r4', -2208988800, 10413791999999, 10413791999, NULL, '2026-02-01T00:00:00Z'),
           ('r5', 1769904000, -1, -1, NULL, '2026-02-01T00:00:00Z'))`,
      );
      files.push(key);
    }
    const result = await h.run({ tenants: [tenant] });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    const parquetExpected = expected.map((r) => (r.id === 'r5' ? { ...r, at: '2026-02-01 00:00:00.000' } : r));
    for (const file of files) expect(await h.query(select, { tenant, file }), file).toEqual(file.endsWith('.parquet') ? parquetExpected : expected);
  });

  it('refuses a fraction, a number out of range and an epoch in a column that declares no unit, naming the unit', async () => {
    const tenant = 'skew';
    await h.addTenant(tenant);
    const fine = { ...base, id: 'ok', at: 1769904000, at_ms: 1769904000123, whole: 1769904000 };
    const refused: { name: string; text: string; column: string; value: string; message: RegExp }[] = [
      { name: 'fraction.jsonl', text: jsonLines([fine, { ...fine, at: 1769904000.5 }]), column: 'at', value: '1769904000.5', message: /whole number of seconds/ },
      { name: 'fraction.csv', text: csv([fine, { ...fine, at_ms: '1769904000123.0' }]), column: 'at_ms', value: '1769904000123.0', message: /whole number of milliseconds/ },
      { name: 'late.jsonl', text: jsonLines([fine, { ...fine, at: 10413792000 }]), column: 'at', value: '10413792000', message: /whole number of seconds from -2208988800 to 10413791999/ },
      { name: 'early.csv', text: csv([fine, { ...fine, at_ms: -2208988800001 }]), column: 'at_ms', value: '-2208988800001', message: /whole number of milliseconds from -2208988800000 to 10413791999999/ },
      { name: 'undeclared.jsonl', text: jsonLines([fine, { ...fine, plain: 1769904000 }]), column: 'plain', value: '1769904000', message: /epoch numbers are refused unless/ },
      { name: 'undeclared.csv', text: csv([fine, { ...fine, plain: 1769904000123 }]), column: 'plain', value: '1769904000123', message: /epoch numbers are refused unless/ },
    ];
    for (const c of refused) h.land(tenant, 'readings', c.name, c.text);
    const result = await h.run({ tenants: [tenant] });
    expect(result.status).toBe('FAILED');
    const ledger = await (await h.runtime.deps()).ledger.listItem(tenant, 'readings');
    for (const c of refused) {
      const entry = ledger.get(`${tenant}/canonical/readings/${c.name}`);
      expect(entry?.status, c.name).toBe('failed');
      expect(entry?.error, c.name).toContain(`row 2, column ${c.column}: expected`);
      expect(entry?.error, c.name).toContain(JSON.stringify(c.value));
      expect(entry?.error, c.name).toMatch(c.message);
    }
    expect(await h.rawCount('readings', tenant)).toBe(0);
  });
}
