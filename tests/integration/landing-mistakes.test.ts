import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listIgnoredObjects } from '../../src/lib/ignored.js';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => h?.close());

/** Lands any key, inside the layout or not. */
function landKey(key: string, content: string): void {
  const path = join(h.runtime.landingDir, ...key.split('/'));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

const arrayOf = (ids: number[]) => JSON.stringify(ids.map((id) => ({ id, name: `a${id}`, last_updated: '2026-01-01T00:00:00Z' })), null, 1);

describe('landing mistakes', () => {
  it('loads .json files (JSON lines or an array) and reports every other object as ignored with its reason; none is silent', async () => {
    await h.addTenant('slips', ['companies']);
    landKey('slips/canonical/companies/export.json', companyRows(range(1, 5)));
    landKey('slips/canonical/companies/array.json', arrayOf(range(100, 3)));
    const ignored = {
      'slips/canonical/companies/notes.txt': 'unknown-extension',
      'slips/canonical/company/x.jsonl': 'unknown-table',
      'slips/canonical/contacts/x.jsonl': 'table-not-enabled',
      'slips/canonical/invoices/x.jsonl': 'unknown-table',
      'slips/exports/x.jsonl': 'outside-layout',
      'slips/readme.md': 'outside-layout',
      'stranger/canonical/companies/x.jsonl': 'unregistered-tenant',
      'loose.jsonl': 'outside-layout',
    } as const;
    for (const key of Object.keys(ignored)) landKey(key, companyRows([1]));

    const run = report(await h.run());
    expect(run.ok).toBe(true);
    expect(await h.rawCount('companies', 'slips')).toBe(8);
    expect(run.totals).toMatchObject({ loaded: 2, rows: 8, ignored: Object.keys(ignored).length });
    expect(run.text).toMatch(/8 object\(s\) ignored/);
    expect(run.warnings.join('\n')).toContain('onceload files --status ignored');

    const recorded = await listIgnoredObjects((await h.runtime.deps()).ledger, { tenants: ['slips'], wholeBucket: true });
    expect(Object.fromEntries(recorded.map((o) => [o.key, o.reason]))).toEqual(ignored);
    const seen = recorded.map((o) => o.seenAt).sort();

    // Recorded once per object version: a second run writes nothing new and still warns.
    const again = report(await h.run());
    expect(again.ok).toBe(true);
    expect(again.totals).toMatchObject({ loaded: 0, ignored: Object.keys(ignored).length });
    const after = await listIgnoredObjects((await h.runtime.deps()).ledger, { tenants: ['slips'], wholeBucket: true });
    expect(after.map((o) => o.seenAt).sort()).toEqual(seen);
  });
});
