import { describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import type { OutcomeSink } from '../../src/lib/load-log.js';
import { batchFiles, plan, type PlanInput } from '../../src/lib/plan.js';
import type { LoadLogRow } from '../../src/ports.js';
import { LedgerListing, MemoryStore, ScriptedWarehouse } from './fakes.js';

const prefix = 'acme/canonical/companies/';
const limits = { planMaxFiles: 100, batchMaxFiles: 2, batchMaxBytes: 1000 };
const input = (over: Partial<PlanInput> = {}): PlanInput => ({ runId: 'run-1', dryRun: false, tenant: 'acme', table: 'companies', previous: { nextRound: 0 }, ...over });

function setup() {
  const store = new MemoryStore([
    { key: `${prefix}new.jsonl`, etag: 'e-new', size: 10 },
    { key: `${prefix}same.jsonl`, etag: 'e-same', size: 10 },
    { key: `${prefix}changed.jsonl`, etag: 'e2', size: 10 },
    { key: `${prefix}failed.jsonl`, etag: 'e-failed', size: 10 },
    { key: `${prefix}reset.jsonl`, etag: 'e-reset', size: 10 },
    { key: `${prefix}loading.jsonl`, etag: 'e-loading', size: 10 },
    { key: `${prefix}notes.txt`, etag: 'e-txt', size: 10 },
    { key: 'acme/canonical/contacts/other.jsonl', etag: 'x', size: 10 },
  ]);
  const ledger = new LedgerListing();
  const base = { tenant: 'acme', table: 'companies' as const };
  ledger.put({ ...base, key: `${prefix}same.jsonl`, etag: 'e-same', status: 'loaded' });
  ledger.put({ ...base, key: `${prefix}changed.jsonl`, etag: 'e1', status: 'loaded', generation: 3 });
  ledger.put({ ...base, key: `${prefix}failed.jsonl`, etag: 'e-failed', status: 'failed' });
  ledger.put({ ...base, key: `${prefix}reset.jsonl`, etag: 'e-reset', status: 'reset', generation: 1 });
  ledger.put({ ...base, key: `${prefix}loading.jsonl`, etag: 'e-loading', status: 'loading' });
  return { store, ledger, warehouse: new ScriptedWarehouse(), limits };
}

describe('plan', () => {
  it('plans new, changed, reset and unfinished files, skips loaded and failed ones, with one ledger read', async () => {
    const deps = setup();
    const result = await plan(input(), deps);
    const planned = result.batches.flat();
    expect(planned.map((f) => f.key.slice(prefix.length)).sort()).toEqual(['changed.jsonl', 'loading.jsonl', 'new.jsonl', 'reset.jsonl']);
    expect(planned.find((f) => f.key.endsWith('changed.jsonl'))?.generation).toBe(3);
    expect(planned.find((f) => f.key.endsWith('reset.jsonl'))?.generation).toBe(1);
    expect(result.counts).toMatchObject({ listed: 7, toLoad: 4, new: 1, changed: 1, reset: 1, resumed: 1, unchanged: 1, failedBefore: 1, ignored: 1 });
    expect(result.failedBefore).toEqual([`${prefix}failed.jsonl`]);
    expect(deps.ledger.calls).toEqual(['listItem', 'listIgnored', 'recordIgnored']);
    expect(result.ignored).toEqual([`${prefix}notes.txt`]);
    expect([...deps.ledger.ignored.get('acme')!.values()]).toMatchObject([{ key: `${prefix}notes.txt`, etag: 'e-txt', reason: 'unknown-extension', runId: 'run-1' }]);
    expect(result.batches.map((b) => b.length)).toEqual([2, 2]);
    // Files loaded earlier (one unchanged): whether the tenant has a row is read, so a dropped table is seen.
    expect(result.rowsBefore).toBe(false);
    expect(result.countFinalBefore).toBeNull();
  });

  it('refuses, in its first round, to hand out any file of a table behind its configuration', async () => {
    const deps = setup();
    deps.warehouse.tableColumns = [{ table: 'companies', columns: [{ name: 'tenant_id', type: 'LowCardinality(String)' }] }];
    await expect(plan(input(), deps)).rejects.toMatchObject({ name: 'PermanentError', code: 'DDL_DRIFT' });
  });

  it('asks only whether the tenant has a row, never count() FINAL, for an item with files to load and files loaded earlier', async () => {
    const deps = setup();
    deps.warehouse.finalCount = 42;
    const result = await plan(input(), deps);
    expect(deps.warehouse.calls).toEqual(['describeColumns', 'hasRows']);
    expect(result).toMatchObject({ rowsBefore: true, countFinalBefore: null });
    // Later rounds ask nothing again.
    deps.warehouse.calls.length = 0;
    await plan(input({ previous: { ...result, loads: [] } }), deps);
    expect(deps.warehouse.calls).toEqual([]);
  });

  it('records an ignored object once per version, and forgets it once it is no longer landed', async () => {
    const deps = setup();
    await plan(input(), deps);
    await plan(input({ runId: 'run-2' }), deps);
    expect(deps.ledger.calls.filter((c) => c === 'recordIgnored')).toHaveLength(1);
    deps.store.files.splice(deps.store.files.findIndex((f) => f.key.endsWith('notes.txt')), 1);
    await plan(input({ runId: 'run-3' }), deps);
    expect(deps.ledger.ignored.get('acme')?.size).toBe(0);
  });

  it('a dry run returns what would load, and no batches', async () => {
    const deps = setup();
    const result = await plan(input({ dryRun: true }), deps);
    expect(result.batches).toEqual([]);
    expect(result.wouldLoad).toHaveLength(4);
    expect(deps.warehouse.calls).toEqual([]);
  });

  it('measures count() FINAL before the run for an item with nothing to load', async () => {
    const deps = setup();
    deps.store.files.splice(0, deps.store.files.length, { key: `${prefix}same.jsonl`, etag: 'e-same', size: 10 });
    deps.warehouse.finalCount = 42;
    const result = await plan(input(), deps);
    expect(result.countFinalBefore).toBe(42);
    expect(result.rowsBefore).toBe(true);
    expect(deps.warehouse.calls).toEqual(['countFinal']);
    expect(result.batches).toEqual([]);
  });

  it('hands out at most planMaxFiles a round, asks for another round, and keeps the first round counts', async () => {
    const deps = setup();
    const first = await plan(input(), { ...deps, limits: { ...limits, planMaxFiles: 3 } });
    expect(first.batches.flat()).toHaveLength(3);
    expect(first.more).toBe(true);
    const second = await plan(input({ previous: { ...first, loads: [{ loaded: 2, rows: 20 }] } }), deps);
    expect(second.round).toBe(1);
    expect(second.countsAtStart).toBe(first.countsAtStart);
    expect(second.plannedAt).toBe(first.plannedAt);
  });

  it('adds up each round\'s Load tallies, and after the last round only adds them up', async () => {
    const deps = setup();
    const first = await plan(input(), { ...deps, limits: { ...limits, planMaxFiles: 3 } });
    expect(first.loadTotals).toEqual({});
    expect(first.loads).toEqual([]);
    const byOther = { key: `${prefix}new.jsonl`, runId: 'run-2' };
    const second = await plan(input({ previous: { ...first, loads: [{ loaded: 1, rows: 10, byOther: 1 }, { byOtherFailed: 1, failedByOther: [byOther] }] } }), deps);
    expect(second.loadTotals).toEqual({ loaded: 1, rows: 10, byOther: 1, byOtherFailed: 1, failedByOther: [byOther] });
    expect(second.more).toBe(false);
    deps.ledger.calls.length = 0;
    const closing = await plan(input({ previous: { ...second, loads: [{ loaded: 1, rows: 5, superseded: 1 }] } }), deps);
    expect(closing).toMatchObject({ round: 2, more: false, batches: [], loads: [], countsAtStart: first.countsAtStart, plannedAt: first.plannedAt });
    expect(closing.loadTotals).toEqual({ loaded: 2, rows: 15, byOther: 1, byOtherFailed: 1, superseded: 1, failedByOther: [byOther] });
    // Nothing listed again: the files the round loaded are not counted twice.
    expect(deps.ledger.calls).toEqual([]);
  });

  it('counts a file due at the start that another execution settled before a later round reached it as that execution\'s, once', async () => {
    const deps = setup();
    const now = () => new Date('2026-01-01T00:00:00Z');
    const first = await plan(input(), { ...deps, limits: { ...limits, planMaxFiles: 2 }, now });
    expect(first.batches.flat().map((f) => f.key.slice(prefix.length))).toEqual(['changed.jsonl', 'loading.jsonl']);
    const base = { tenant: 'acme', table: 'companies' as const, runId: 'run-1', updatedAt: '2026-01-01T00:00:01Z' };
    for (const f of first.batches.flat()) deps.ledger.put({ ...base, key: f.key, etag: f.etag, status: 'loaded' });
    // Another execution loads new.jsonl before this run's second round lists it.
    deps.ledger.put({ ...base, key: `${prefix}new.jsonl`, etag: 'e-new', status: 'loaded', runId: 'run-2' });
    const second = await plan(input({ previous: { ...first, loads: [{ loaded: 2, rows: 20 }] } }), { ...deps, limits: { ...limits, planMaxFiles: 2 }, now });
    expect(second.batches.flat().map((f) => f.key.slice(prefix.length))).toEqual(['reset.jsonl']);
    expect(second.loadTotals).toEqual({ loaded: 2, rows: 20, byOther: 1 });
    // The next round does not count it again.
    deps.ledger.put({ ...base, key: `${prefix}reset.jsonl`, etag: 'e-reset', status: 'loaded' });
    const closing = await plan(input({ previous: { ...second, loads: [{ loaded: 1, rows: 10 }] } }), deps);
    expect(closing.loadTotals).toEqual({ loaded: 3, rows: 30, byOther: 1 });
  });
});

describe('plan: the load log of skipped versions', () => {
  // `o`: new.jsonl and changed.jsonl (the versions that would load as new work) are before it.
  const startPoint = { startAfter: 'o' };
  const sinkOf = (fail: (tries: number) => Error | undefined = () => undefined) => {
    const writes: LoadLogRow[][] = [];
    const failed: LoadLogRow[][] = [];
    let tries = 0;
    const sink: OutcomeSink = {
      write: async (rows) => {
        const error = fail(++tries);
        if (error) throw error;
        writes.push([...rows]);
      },
      failed: (_error, rows) => failed.push([...rows]),
    };
    return { sink, writes, failed, tries: () => tries };
  };

  it('writes one row a version the ledger accepted as skipped, in one write, once; a dry run writes none', async () => {
    const deps = setup();
    const log = sinkOf();
    let clock = Date.parse('2026-03-01T00:00:00Z');
    const now = () => new Date((clock += 1000));
    const dry = await plan(input({ dryRun: true, startPoint }), { ...deps, log: log.sink, now });
    expect(dry.counts.skipped).toBe(2);
    expect(log.writes).toEqual([]);

    const first = await plan(input({ startPoint }), { ...deps, log: log.sink, now });
    expect(first.counts.skipped).toBe(2);
    expect(log.writes).toHaveLength(1);
    const rows = [...log.writes[0]!].sort((a, b) => (a.key < b.key ? -1 : 1));
    const base = { runId: 'run-1', tenant: 'acme', table: 'companies', outcome: 'skipped', rows: 0, bytes: 10, attempt: 'plan-round-0', errorCode: '', errorMessage: '', errorRow: null, errorColumn: null };
    expect(rows).toMatchObject([
      { ...base, key: `${prefix}changed.jsonl`, etag: 'e2', generation: 3 },
      { ...base, key: `${prefix}new.jsonl`, etag: 'e-new', generation: 0 },
    ]);
    for (const row of rows) expect(Date.parse(row.finishedAt)).toBeGreaterThan(Date.parse(row.startedAt));
    // The skips were recorded before the write: the ledger holds every outcome the log names.
    expect(deps.ledger.entries.get(`acme#companies#${prefix}new.jsonl`)?.status).toBe('skipped');

    // Planned again (a retried round or the next run): the entries are there, no row is written.
    const again = await plan(input({ startPoint }), { ...deps, log: log.sink, now });
    expect(again.counts.skipped).toBe(2);
    expect(log.writes).toHaveLength(1);
    expect(log.failed).toEqual([]);
  });

  it('logs only the skips the ledger accepted, and a write that keeps failing is handed over, never thrown', async () => {
    const deps = setup();
    const record = deps.ledger.recordSkipped.bind(deps.ledger);
    // Another Plan got there first for new.jsonl: its row is that Plan's.
    deps.ledger.recordSkipped = async (file, runId, at) => (file.key.endsWith('new.jsonl') ? false : record(file, runId, at));
    const log = sinkOf(() => new TransientError('connection reset'));
    const result = await plan(input({ startPoint }), { ...deps, log: log.sink });
    expect(result.counts.skipped).toBe(2);
    expect(log.tries()).toBe(3);
    expect(log.failed.map((rows) => rows.map((r) => r.key))).toEqual([[`${prefix}changed.jsonl`]]);
  });
});

describe('batchFiles', () => {
  const file = (n: number, size: number) => ({ key: `k${n}`, etag: 'e', size, generation: 0 });
  it('closes a batch at the file count and at the byte budget, and loads a big file alone', () => {
    const batches = batchFiles([file(1, 10), file(2, 10), file(3, 10), file(4, 2000), file(5, 10)], { batchMaxFiles: 2, batchMaxBytes: 1000 });
    expect(batches.map((b) => b.map((f) => f.key))).toEqual([['k1', 'k2'], ['k3'], ['k4'], ['k5']]);
  });
});
