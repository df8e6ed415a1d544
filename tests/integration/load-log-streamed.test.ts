/** The load log on the streamed load path: the same rows as in-engine, the bad row named alike. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { companyRows, openHarness, range, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness({ ONCELOAD_LOAD_PATH: 'streamed', ONCELOAD_INSERT_BLOCK_ROWS: '100' });
});
afterAll(async () => h?.close());

it('logs each file version once with its rows, and a bad file with its code, row and column', async () => {
  await h.addTenant('streamlog', ['companies']);
  h.land('streamlog', 'companies', 'a.jsonl', companyRows(range(1, 250)));
  h.land('streamlog', 'companies', 'b.csv', 'id,name,last_updated\n900,x,2026-01-02 00:00:00\n');
  h.land('streamlog', 'companies', 'bad.jsonl', '{"id":1,"last_updated":"2026-01-01T00:00:00Z"}\n{"id":2,"last_updated":"2026-01-01T00:00:00Z"}\n{"id":"abc","last_updated":"2026-01-01T00:00:00Z"}\n');
  expect((await h.run({ tenants: ['streamlog'] })).status).toBe('FAILED');
  const log = (await (await h.runtime.deps()).loadLog.read({ tenant: 'streamlog', limit: 10 })).sort((a, b) => a.key.localeCompare(b.key));
  expect(log.map((r) => [r.key.split('/').pop(), r.outcome, r.rows, r.errorCode, r.errorRow, r.errorColumn])).toEqual([
    ['a.jsonl', 'loaded', 250, '', null, null],
    ['b.csv', 'loaded', 1, '', null, null],
    ['bad.jsonl', 'failed', 0, 'WRONG_TYPE', 3, 'id'],
  ]);
  expect((await h.run({ tenants: ['streamlog'] })).status).toBe('SUCCEEDED');
  const [raw] = await h.query<{ n: string }>("SELECT count() AS n FROM onceload_load_log WHERE tenant_id = 'streamlog'");
  expect(Number(raw?.n)).toBe(3);
});
