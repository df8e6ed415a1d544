import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => h?.close());

const arrayOf = (ids: number[]) => JSON.stringify(ids.map((id) => ({ id, name: `a${id}`, last_updated: '2026-01-01T00:00:00Z' })), null, 1);

describe('.json files', () => {
  it('loads a .json file of JSON lines and one holding a JSON array', async () => {
    await h.addTenant('jsonish', ['companies']);
    h.land('jsonish', 'companies', 'lines.json', companyRows(range(1, 5)));
    h.land('jsonish', 'companies', 'array.json', arrayOf(range(100, 3)));
    const run = report(await h.run({ tenants: ['jsonish'] }));
    expect(run.totals).toMatchObject({ loaded: 2, rows: 8 });
    expect(await h.rawCount('companies', 'jsonish')).toBe(8);
  });
});
