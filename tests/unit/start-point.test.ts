import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { beforeStart, describeStartPoint, parseStartSince, parseStartAfter } from '../../src/lib/start-point.js';
import { plan, type PlanInput } from '../../src/lib/plan.js';
import { addTenant, updateTenant } from '../../src/cli/tenant-commands.js';
import { LedgerListing, MemoryStore, MemoryTenants, ScriptedWarehouse } from './fakes.js';

const thrown = (f: () => unknown): InputError => {
  try {
    f();
  } catch (error) {
    return error as InputError;
  }
  throw new Error('expected an error');
};

describe('--since', () => {
  it('takes a date as midnight UTC, and a date and time with its offset, as an ISO instant', () => {
    expect(parseStartSince('2026-01-01')).toBe('2026-01-01T00:00:00.000Z');
    expect(parseStartSince('2026-01-01T08:30:00Z')).toBe('2026-01-01T08:30:00.000Z');
    expect(parseStartSince('2026-01-01T09:30+01:00')).toBe('2026-01-01T08:30:00.000Z');
    expect(parseStartSince(' 2025-12-31T23:59:59.5Z ')).toBe('2025-12-31T23:59:59.500Z');
  });

  it('refuses what is not a date, a day that does not exist, and a time without its offset, naming the flag', () => {
    for (const bad of ['yesterday', '2026/01/01', '01-01-2026', '2026-13-01', '2026-02-30', '2026-01-01T08:00:00', '2026-01-01 08:00Z', '']) {
      const error = thrown(() => parseStartSince(bad));
      expect(error, bad).toBeInstanceOf(InputError);
      expect(error.message, bad).toMatch(/^--since: ".*" is not a (valid )?date; give a date such as 2026-01-01/);
    }
    expect(thrown(() => parseStartSince('soon', 'since')).message).toMatch(/^since: /);
  });
});

describe('--start-after', () => {
  it('takes a key relative to each table folder', () => {
    expect(parseStartAfter('2025/12/31/', 'acme')).toBe('2025/12/31/');
    expect(parseStartAfter('export-2025-12-31.jsonl', 'acme')).toBe('export-2025-12-31.jsonl');
    // Another tenant's folder name inside a relative key is a key like any other.
    expect(parseStartAfter('globex/canonical/companies/x', 'acme')).toBe('globex/canonical/companies/x');
  });

  it('refuses an empty key, a leading slash, control characters, an over-long key and a full key of the tenant, naming the flag', () => {
    expect(thrown(() => parseStartAfter('', 'acme')).message).toMatch(/^--start-after: give a key relative to each table folder/);
    expect(thrown(() => parseStartAfter('/2025/', 'acme')).message).toMatch(/^--start-after: "\/2025\/" starts with \//);
    expect(thrown(() => parseStartAfter('2025\n', 'acme')).message).toMatch(/control character/);
    expect(thrown(() => parseStartAfter('x'.repeat(1025), 'acme')).message).toMatch(/1025 bytes; an S3 key is at most 1024/);
    expect(thrown(() => parseStartAfter('acme/canonical/companies/2025/12/31/', 'acme')).message).toBe(
      '--start-after: "acme/canonical/companies/2025/12/31/" names a table folder; give the key relative to each table folder (it applies to every table of the tenant): "2025/12/31/"',
    );
    // Without a tenant (an import row's field), any table folder is refused.
    expect(thrown(() => parseStartAfter('x/canonical/t/a', undefined, 'start_after')).message).toMatch(/^start_after: .* names a table folder/);
  });
});

describe('before the start point', () => {
  const prefix = 'acme/canonical/companies/';
  const at = (key: string, lastModified?: string) => ({ key: `${prefix}${key}`, ...(lastModified ? { lastModified } : {}) });

  it('is last modified strictly before since', () => {
    const start = { since: '2026-01-01T00:00:00.000Z' };
    expect(beforeStart(at('a', '2025-12-31T23:59:59.000Z'), prefix, start)).toBe(true);
    expect(beforeStart(at('a', '2026-01-01T00:00:00.000Z'), prefix, start)).toBe(false);
    expect(beforeStart(at('a', '2026-06-01T00:00:00.000Z'), prefix, start)).toBe(false);
  });

  it('is a key, relative to the table folder, at or before startAfter in UTF-8 byte order', () => {
    const start = { startAfter: '2025/12/31.jsonl' };
    expect(beforeStart(at('2025/12/30.jsonl'), prefix, start)).toBe(true);
    expect(beforeStart(at('2025/12/31.jsonl'), prefix, start)).toBe(true);
    expect(beforeStart(at('2025/12/31.jsonl.gz'), prefix, start)).toBe(false);
    expect(beforeStart(at('2026/01/01.jsonl'), prefix, start)).toBe(false);
    // S3 orders keys by their UTF-8 bytes: U+FF5E sorts before U+1F600, though not in UTF-16.
    expect(beforeStart(at('\u{ff5e}'), prefix, { startAfter: '\u{1f600}' })).toBe(true);
  });

  it('is either one when both are given, and nothing without a start point', () => {
    const both = { since: '2026-01-01T00:00:00.000Z', startAfter: 'b' };
    expect(beforeStart(at('a', '2026-02-01T00:00:00.000Z'), prefix, both)).toBe(true);
    expect(beforeStart(at('c', '2025-02-01T00:00:00.000Z'), prefix, both)).toBe(true);
    expect(beforeStart(at('c', '2026-02-01T00:00:00.000Z'), prefix, both)).toBe(false);
    expect(beforeStart(at('a', '2020-01-01T00:00:00.000Z'), prefix, null)).toBe(false);
    expect(describeStartPoint(both)).toBe('since 2026-01-01T00:00:00.000Z, after key b');
    expect(describeStartPoint({})).toBe('-');
  });
});

describe('plan with a start point', () => {
  const prefix = 'acme/canonical/companies/';
  const input = (over: Partial<PlanInput> = {}): PlanInput => ({ runId: 'run-1', dryRun: false, tenant: 'acme', table: 'companies', previous: { nextRound: 0 }, startPoint: { since: '2026-01-01T00:00:00.000Z' }, ...over });
  const old = '2025-06-01T00:00:00.000Z';
  const recent = '2026-02-01T00:00:00.000Z';

  function setup() {
    const store = new MemoryStore([
      { key: `${prefix}old-new.jsonl`, etag: 'a', size: 1, lastModified: old },
      { key: `${prefix}old-loaded.jsonl`, etag: 'b', size: 1, lastModified: old },
      { key: `${prefix}old-reset.jsonl`, etag: 'c', size: 1, lastModified: old },
      { key: `${prefix}old-failed.jsonl`, etag: 'd', size: 1, lastModified: old },
      { key: `${prefix}old-skipped.jsonl`, etag: 'e', size: 1, lastModified: old },
      { key: `${prefix}overwritten.jsonl`, etag: 'f2', size: 1, lastModified: recent },
      { key: `${prefix}recent.jsonl`, etag: 'g', size: 1, lastModified: recent },
    ]);
    const ledger = new LedgerListing();
    const base = { tenant: 'acme', table: 'companies' as const };
    ledger.put({ ...base, key: `${prefix}old-loaded.jsonl`, etag: 'b', status: 'loaded' });
    ledger.put({ ...base, key: `${prefix}old-reset.jsonl`, etag: 'c', status: 'reset', generation: 1 });
    ledger.put({ ...base, key: `${prefix}old-failed.jsonl`, etag: 'd', status: 'failed' });
    ledger.put({ ...base, key: `${prefix}old-skipped.jsonl`, etag: 'e', status: 'skipped' });
    ledger.put({ ...base, key: `${prefix}overwritten.jsonl`, etag: 'f1', status: 'skipped' });
    return { store, ledger, warehouse: new ScriptedWarehouse(), limits: { planMaxFiles: 100, batchMaxFiles: 10, batchMaxBytes: 1000 } };
  }

  it('skips only new versions before it, records each once, and leaves loaded, reset and failed files to their rules', async () => {
    const deps = setup();
    const reported: string[] = [];
    const result = await plan(input(), { ...deps, skipped: (files) => reported.push(...files.map((f) => f.key.slice(prefix.length))) });
    expect(result.batches.flat().map((f) => f.key.slice(prefix.length)).sort()).toEqual(['old-reset.jsonl', 'overwritten.jsonl', 'recent.jsonl']);
    expect(reported).toEqual(['old-new.jsonl']);
    expect(result.counts).toMatchObject({ listed: 7, toLoad: 3, skipped: 2, unchanged: 1, failedBefore: 1, reset: 1, changed: 1, new: 1 });
    expect(deps.ledger.calls.filter((c) => c === 'recordSkipped')).toHaveLength(1);
    expect(deps.ledger.entries.get(`acme#companies#${prefix}old-new.jsonl`)).toMatchObject({ status: 'skipped', etag: 'a', runId: 'run-1' });
  });

  it('writes no skip in a dry run, and loads what it skipped once the start point is gone', async () => {
    const dry = setup();
    expect((await plan(input({ dryRun: true }), dry)).counts).toMatchObject({ skipped: 2, toLoad: 3 });
    expect(dry.ledger.calls).not.toContain('recordSkipped');
    const cleared = setup();
    const result = await plan(input({ startPoint: null }), cleared);
    expect(result.counts).toMatchObject({ skipped: 0, toLoad: 5, new: 3 });
    expect(result.batches.flat().map((f) => f.key.slice(prefix.length))).toContain('old-skipped.jsonl');
  });
});

describe('tenants add and update with a start point', () => {
  it('add records it, update keeps it unless given, and --no-since / --no-start-after clear one at a time', async () => {
    const directory = new MemoryTenants();
    expect(await addTenant(directory, 'acme', { since: '2026-01-01T00:00:00.000Z', startAfter: '2025/' })).toBe(
      'tenant acme added, start point since 2026-01-01T00:00:00.000Z, after key 2025/',
    );
    await updateTenant(directory, 'acme', { service: 'billing' });
    expect(await directory.list()).toEqual([{ tenantId: 'acme', service: 'billing', enabled: true, since: '2026-01-01T00:00:00.000Z', startAfter: '2025/' }]);
    expect(await updateTenant(directory, 'acme', { since: false })).toBe('tenant acme updated: service billing, all tables, enabled, start point after key 2025/');
    await updateTenant(directory, 'acme', { startAfter: false });
    expect(await directory.list()).toEqual([{ tenantId: 'acme', service: 'billing', enabled: true }]);
  });
});
