import { describe, expect, it } from 'vitest';
import { CANONICAL_TABLES } from '../../src/table-config.js';
import { engineProblem, validateRun, type ItemSummary } from '../../src/lib/validate.js';
import type { PlanCounts } from '../../src/lib/plan.js';
import { LedgerListing, ScriptedWarehouse, replacing } from './fakes.js';

const counts = (toLoad: number): PlanCounts => ({ listed: 1, toLoad, new: toLoad, changed: 0, reset: 0, resumed: 0, unchanged: 1 - toLoad, failedBefore: 0, ignored: 0, gone: 0, skipped: 0 });
const key = 'acme/canonical/companies/a.jsonl';

function setup(item: Partial<ItemSummary> = {}) {
  const ledger = new LedgerListing();
  ledger.put({ tenant: 'acme', table: 'companies', key, etag: 'e', status: 'loaded', rows: 10, runId: 'run-1' });
  const warehouse = new ScriptedWarehouse();
  warehouse.engines = [replacing('companies')];
  warehouse.tableRows = new Map([[key, new Map([['e', 10]])]]);
  // The file itself, counted again by validation: 10 rows.
  warehouse.rowCounts = new Map([[key, 10]]);
  const input = { runId: 'run-1', dryRun: false, items: [{ tenant: 'acme', table: 'companies' as const, countsAtStart: counts(1), plannedAt: '2026-01-01T00:00:00Z', countFinalBefore: null, ...item }] };
  return { ledger, warehouse, input };
}
const checkOf = async (s: ReturnType<typeof setup>, name: string) => (await validateRun(s.input, s)).checks.find((c) => c.name === name)!;

describe('validation', () => {
  it('passes a run whose counts and engines are right', async () => {
    const report = await validateRun(setup().input, setup());
    expect(report.ok).toBe(true);
    expect(report.totals).toMatchObject({ loaded: 1, rows: 10 });
  });

  it('reports its own cost: one ledger read and four engine queries for one item that loaded a file', async () => {
    const report = await validateRun(setup().input, setup());
    // The file's rows, its count from the object, the engines and the columns of the tables.
    expect(report.cost).toMatchObject({ warehouseQueries: 4, ledgerReads: 1 });
    expect(report.text).toMatch(/checks \(\d+\.\d\d s, 4 ClickHouse queries, 1 ledger read\):/);
    // An item with nothing to load reads no ledger: only its count() FINAL and the engines.
    const idle = setup({ countsAtStart: counts(0), countFinalBefore: 5 });
    idle.warehouse.finalCount = 5;
    expect((await validateRun(idle.input, idle)).cost).toMatchObject({ ledgerReads: 0 });
  });

  it('nothing doubled: fails when the table has more rows of a file version than the file, whatever the ledger recorded', async () => {
    const s = setup();
    s.warehouse.tableRows = new Map([[key, new Map([['e', 11]])]]);
    const check = await checkOf(s, 'nothing-doubled');
    expect(check.ok).toBe(false);
    expect(check.problems[0]).toContain('11 rows in the table, 10 in the file');
    // The ledger agreeing with a doubled insert does not hide it: the file is counted again.
    s.ledger.put({ tenant: 'acme', table: 'companies', key, etag: 'e', status: 'loaded', rows: 11, runId: 'run-1' });
    expect((await checkOf(s, 'nothing-doubled')).ok).toBe(false);
  });

  it('nothing doubled: fails on rows of a version the run settled superseded, not on a version whose claim is still loading (its redo completes it)', async () => {
    // A zombie's insert of the old version landed after the redo found its object replaced.
    const s = setup();
    s.ledger.put({ tenant: 'acme', table: 'companies', key, etag: 'e', status: 'superseded', runId: 'run-1' });
    s.warehouse.tableRows = new Map([[key, new Map([['e', 10]])]]);
    const check = await checkOf(s, 'nothing-doubled');
    expect(check.ok).toBe(false);
    expect(check.problems).toEqual([`acme/companies ${key} (e): 10 rows of a version neither loaded nor being loaded`]);
    // Under a key loaded at its new version, the old version's rows are stray unless it was loaded once.
    s.ledger.put({ tenant: 'acme', table: 'companies', key, etag: 'e2', status: 'loaded', rows: 10, runId: 'run-1', loadedVersions: ['e2/0'] });
    s.warehouse.tableRows = new Map([[key, new Map([['e', 10], ['e2', 10]])]]);
    s.warehouse.rowCounts = new Map([[key, 10]]);
    expect((await checkOf(s, 'nothing-doubled')).problems).toEqual([`acme/companies ${key} (e): 10 rows of a version neither loaded nor being loaded`]);
    s.ledger.put({ tenant: 'acme', table: 'companies', key, etag: 'e2', status: 'loaded', rows: 10, runId: 'run-1', loadedVersions: ['e/0', 'e2/0'] });
    expect((await checkOf(s, 'nothing-doubled')).ok).toBe(true);
    // A claim of this run left loading (its Load failed) with some rows in: a redo finishes them.
    s.ledger.put({ tenant: 'acme', table: 'companies', key, etag: 'e3', status: 'loading', runId: 'run-1', loadedVersions: ['e/0', 'e2/0'] });
    s.warehouse.tableRows = new Map([[key, new Map([['e', 10], ['e2', 10], ['e3', 4]])]]);
    expect((await checkOf(s, 'nothing-doubled')).ok).toBe(true);
  });

  it('nothing doubled: rows of a version another execution claimed after Validate read the ledger are that claim\'s, not stray', async () => {
    const s = setup();
    s.warehouse.tableRows = new Map([[key, new Map([['e', 10], ['e3', 10]])]]);
    const counted = s.warehouse.countRowsByFile.bind(s.warehouse);
    // Between Validate's ledger read and its table read, run-2 claims a new version and inserts it.
    s.warehouse.countRowsByFile = async (...args) => {
      s.ledger.put({ tenant: 'acme', table: 'companies', key, etag: 'e3', status: 'loading', runId: 'run-2', loadedVersions: ['e/0'] });
      return counted(...args);
    };
    expect((await checkOf(s, 'nothing-doubled')).ok).toBe(true);
  });

  it('nothing lost: fails when rows are missing and no newer version covers them, passes when merges replaced them', async () => {
    const s = setup();
    s.warehouse.tableRows = new Map([[key, new Map([['e', 8]])]]);
    s.warehouse.uncovered = 2;
    expect((await checkOf(s, 'nothing-lost')).ok).toBe(false);
    s.warehouse.uncovered = 0;
    expect((await checkOf(s, 'nothing-lost')).ok).toBe(true);
  });

  it('re-runs move nothing: fails when count() FINAL moved with no new file and no other run loading', async () => {
    const s = setup({ countsAtStart: counts(0), countFinalBefore: 100 });
    s.warehouse.finalCount = 101;
    const check = await checkOf(s, 'reruns-move-nothing');
    expect(check.ok).toBe(false);
    expect(check.problems[0]).toContain('was 100 before the run and 101 after');
  });

  it('nothing lost: fails when the tenant had no row before a run that found files loaded earlier, and passes when it had', async () => {
    const loadedEarlier = { ...counts(1), unchanged: 3 };
    const emptied = setup({ countsAtStart: loadedEarlier, rowsBefore: false });
    const check = await checkOf(emptied, 'nothing-lost');
    expect(check.ok).toBe(false);
    expect(check.problems.join('\n')).toContain('the table holds no row of this tenant, yet the ledger records 3 file(s) loaded earlier');
    expect((await checkOf(setup({ countsAtStart: loadedEarlier, rowsBefore: true }), 'nothing-lost')).ok).toBe(true);
  });

  it('re-runs move nothing: a count moved while another run loaded files into the item is a warning, not a failure', async () => {
    const s = setup({ countsAtStart: counts(0), countFinalBefore: 100 });
    s.warehouse.finalCount = 110;
    s.ledger.put({ tenant: 'acme', table: 'companies', key: 'acme/canonical/companies/z.jsonl', etag: 'z', status: 'loaded', rows: 10, runId: 'run-2', updatedAt: '2026-01-01T00:00:05Z' });
    const report = await validateRun(s.input, s);
    expect(report.checks.find((c) => c.name === 'reruns-move-nothing')?.ok).toBe(true);
    expect(report.warnings).toContain('acme/companies: count() FINAL moved 100 -> 110 while run run-2 loaded 1 file(s)');
  });

  it('fails the run for a failed file and for a failed item, and says so in the text', async () => {
    const s = setup({ failure: { Error: 'TransientError', Cause: 'ClickHouse unreachable' } });
    s.ledger.put({ tenant: 'acme', table: 'companies', key: 'acme/canonical/companies/bad.jsonl', etag: 'x', status: 'failed', error: 'created_date is not a column', runId: 'run-1' });
    const report = await validateRun(s.input, s);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'files')?.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'items')?.ok).toBe(false);
    expect(report.text).toMatch(/FAILED/);
    expect(report.text).toContain('created_date is not a column');
  });

  it('accounts for every planned file from the Loads\' tallies: those another execution settled count as byOther, and the text says so', async () => {
    const counts4: PlanCounts = { listed: 6, toLoad: 4, new: 4, changed: 0, reset: 0, resumed: 0, unchanged: 1, failedBefore: 1, ignored: 0, gone: 0, skipped: 0 };
    const s = setup({ countsAtStart: counts4, loadTotals: { loaded: 1, rows: 10, byOther: 2, superseded: 1 } });
    const at = '2026-01-01T00:00:05Z';
    s.ledger.put({ tenant: 'acme', table: 'companies', key: 'acme/canonical/companies/b.jsonl', etag: 'b', status: 'loaded', rows: 3, runId: 'run-2', updatedAt: at });
    s.ledger.put({ tenant: 'acme', table: 'companies', key: 'acme/canonical/companies/c.jsonl', etag: 'c', status: 'loaded', rows: 3, runId: 'run-2', updatedAt: at });
    s.ledger.put({ tenant: 'acme', table: 'companies', key: 'acme/canonical/companies/d.jsonl', etag: 'd', status: 'superseded', runId: 'run-1', updatedAt: at });
    // Loaded by another run after this one planned, but never planned by it (it landed later): not this run's.
    s.ledger.put({ tenant: 'acme', table: 'companies', key: 'acme/canonical/companies/late.jsonl', etag: 'l', status: 'loaded', rows: 3, runId: 'run-2', updatedAt: at });
    const report = await validateRun(s.input, s);
    const item = report.items[0]!;
    expect(item).toMatchObject({ listed: 6, loaded: 1, byOther: 2, superseded: 1, unchanged: 1, failedBefore: 1, failed: 0 });
    expect(item.listed).toBe(item.loaded + item.byOther + item.unchanged + item.failed + item.failedBefore + item.ignored + item.superseded + item.wouldLoad);
    expect(report.totals).toMatchObject({ loaded: 1, byOther: 2, superseded: 1, failedBefore: 1 });
    expect(report.text).toContain('2 loaded by another execution');
    expect(report.text).toMatch(/acme \/ companies +1 +10 +2 /);
  });

  it('reports the planned files another execution failed with that run\'s error, and counts those it does not name', async () => {
    const counts3: PlanCounts = { listed: 3, toLoad: 3, new: 3, changed: 0, reset: 0, resumed: 0, unchanged: 0, failedBefore: 0, ignored: 0, gone: 0, skipped: 0 };
    const bad = 'acme/canonical/companies/bad.jsonl';
    const s = setup({ countsAtStart: counts3, loadTotals: { loaded: 1, rows: 10, byOtherFailed: 2, failedByOther: [{ key: bad, runId: 'run-2' }] } });
    s.ledger.put({ tenant: 'acme', table: 'companies', key: bad, etag: 'x', status: 'failed', error: 'id is not a number', runId: 'run-2' });
    const report = await validateRun(s.input, s);
    const item = report.items[0]!;
    expect(item).toMatchObject({ loaded: 1, failed: 2, byOther: 0 });
    expect(item.listed).toBe(item.loaded + item.byOther + item.unchanged + item.failed + item.failedBefore + item.ignored + item.superseded + item.wouldLoad);
    expect(report.failures).toEqual([{ tenant: 'acme', table: 'companies', key: bad, error: 'id is not a number (in run run-2)' }]);
    expect(report.checks.find((c) => c.name === 'files')?.ok).toBe(false);
  });

  it('a dry run checks nothing in the tables', async () => {
    const s = setup({ countsAtStart: counts(1), wouldLoad: [key] });
    const report = await validateRun({ ...s.input, dryRun: true }, s);
    expect(report.checks.map((c) => c.name)).toEqual(['items']);
    expect(s.warehouse.calls).toEqual([]);
    expect(report.totals.wouldLoad).toBe(1);
  });
});

describe('engineProblem', () => {
  it('accepts the ReplacingMergeTree family with the version column and sorting key', () => {
    expect(engineProblem(CANONICAL_TABLES.get('companies'), replacing('companies'))).toBeUndefined();
    expect(engineProblem(CANONICAL_TABLES.get('companies'), { table: 'companies', engine: 'ReplicatedReplacingMergeTree', engineFull: "ReplicatedReplacingMergeTree('/ch/{shard}', '{replica}', last_updated) ORDER BY (tenant_id, id)", sortingKey: 'tenant_id, id' })).toBeUndefined();
    expect(engineProblem(CANONICAL_TABLES.get('companies'), { table: 'companies', engine: 'SharedReplacingMergeTree', engineFull: 'SharedReplacingMergeTree(last_updated)', sortingKey: 'tenant_id, id' })).toBeUndefined();
  });

  it('names the table and the expected engine when it drifted', () => {
    expect(engineProblem(CANONICAL_TABLES.get('contacts'), { table: 'contacts', engine: 'MergeTree', engineFull: 'MergeTree ORDER BY (tenant_id, id)', sortingKey: 'tenant_id, id' })).toMatch(/^contacts: .*expected ReplacingMergeTree\(last_updated\) ORDER BY \(tenant_id, id\)/);
    expect(engineProblem(CANONICAL_TABLES.get('contacts'), { ...replacing('contacts'), engineFull: 'ReplacingMergeTree(date_entered)' })).toMatch(/contacts/);
    expect(engineProblem(CANONICAL_TABLES.get('contacts'), { ...replacing('contacts'), sortingKey: 'id' })).toMatch(/contacts/);
    expect(engineProblem(CANONICAL_TABLES.get('contacts'), undefined)).toMatch(/does not exist/);
  });
});
