import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => h?.close());

const ledgerOf = async (tenant: string) => (await h.runtime.deps()).ledger.listItem(tenant, 'companies');
const BAD = '{"id":1,"created_date":"2026-01-01","last_updated":"2026-01-01T00:00:00Z"}\n';

describe('objects deleted from the bucket', () => {
  it('retires a failed file deleted from landing/ as gone, leaves a loaded one alone, and loads it again if it comes back', async () => {
    await h.addTenant('vanish', ['companies']);
    const good = h.land('vanish', 'companies', 'good.jsonl', companyRows(range(1, 4)));
    const bad = h.land('vanish', 'companies', 'bad.jsonl', BAD);
    expect((await h.run({ tenants: ['vanish'] })).status).toBe('FAILED');

    // Deleting the files from the landing folder deletes them from the local S3.
    rmSync(join(h.runtime.landingDir, bad));
    rmSync(join(h.runtime.landingDir, good));
    expect(existsSync(join(h.runtime.landingDir, bad))).toBe(false);
    const sync = await h.runtime.syncLanding();
    expect(sync.deleted).toBe(2);
    expect((await (await h.runtime.deps()).store.list('vanish/')).map((f) => f.key)).toEqual([]);

    const after = report(await h.run({ tenants: ['vanish'] }));
    expect(after.ok).toBe(true);
    expect(after.warnings.join('\n')).not.toContain('bad.jsonl');
    const ledger = await ledgerOf('vanish');
    expect(ledger.get(bad)?.status).toBe('gone');
    expect(ledger.get(good)?.status).toBe('loaded');
    expect(await h.rawCount('companies', 'vanish')).toBe(4);

    // Landed again with the same bytes: claimed and checked again, not stuck behind its gone entry.
    h.land('vanish', 'companies', 'bad.jsonl', BAD);
    const back = await h.run({ tenants: ['vanish'] });
    expect(back.status).toBe('FAILED');
    expect(back.cause).toContain('created_date');
    expect((await ledgerOf('vanish')).get(bad)?.status).toBe('failed');
  });
  it('never loads again a version loaded before the key failed and went: landed again, it is unchanged', async () => {
    await h.addTenant('comeback', ['companies']);
    const key = h.land('comeback', 'companies', 'a.jsonl', companyRows(range(1, 5)));
    expect(report(await h.run({ tenants: ['comeback'] })).totals.loaded).toBe(1);
    // Overwritten with a bad file, which fails; then deleted, so its entry ends gone.
    h.land('comeback', 'companies', 'a.jsonl', BAD);
    expect((await h.run({ tenants: ['comeback'] })).status).toBe('FAILED');
    rmSync(join(h.runtime.landingDir, key));
    expect(report(await h.run({ tenants: ['comeback'] })).ok).toBe(true);
    expect((await ledgerOf('comeback')).get(key)?.status).toBe('gone');
    // The first version, landed again byte for byte: its rows are already in the table.
    h.land('comeback', 'companies', 'a.jsonl', companyRows(range(1, 5)));
    const again = report(await h.run({ tenants: ['comeback'] }));
    expect(again.totals).toMatchObject({ loaded: 0, unchanged: 1 });
    expect(await h.rawCount('companies', 'comeback')).toBe(5);
  });
});
