import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors.js';
import { dedupToken, lineageEtag } from '../../src/lib/dedup-token.js';
import { checkThenInsert, loadBatch, loadFile, settledOutcome, type FileResult } from '../../src/lib/load.js';
import { finishUnitOf, inEngineWriter, insertRecordedUnit, loadInUnit, unitToken, type UnitDeps } from '../../src/lib/load-unit.js';
import type { FileVersion, LoadUnit } from '../../src/ports.js';
import { MemoryLedger, ScriptedWarehouse } from './fakes.js';

const file: FileVersion = { tenant: 'acme', table: 'companies', key: 'acme/canonical/companies/a.jsonl', etag: 'e1', size: 100, generation: 0 };
const version = (name: string): FileVersion => ({ ...file, key: `acme/canonical/companies/${name}.jsonl` });
const entryKey = (f: FileVersion) => `acme#companies#${f.key}`;
const longAgo = new Date(0).toISOString();

function setup() {
  const ledger = new MemoryLedger();
  const warehouse = new ScriptedWarehouse();
  const base = { ledger, warehouse, loadTimeoutSeconds: 900 };
  const alone: string[] = [];
  let ids = 0;
  const units: UnitDeps = {
    ...base,
    newUnitId: () => `u${++ids}`,
    writer: inEngineWriter(warehouse),
    insertUnit: (insert) => insertRecordedUnit(insert, 'run-1', units),
    loadAlone: (f) => (alone.push(f.key), loadFile(f, 'run-1', aloneDeps)),
  };
  const aloneDeps = { ...base, loadRows: checkThenInsert(warehouse), finishUnit: finishUnitOf('run-1', units) };
  return { ledger, warehouse, units, alone, aloneDeps };
}

describe('loadFile: one file alone, in blocks', () => {
  it('checks, inserts with the file version token, and records the rows', async () => {
    const { ledger, warehouse, aloneDeps } = setup();
    const result = await loadFile(file, 'run-1', aloneDeps);
    expect(result).toMatchObject({ status: 'loaded', outcome: 'loaded', rows: 3, runId: 'run-1' });
    expect(warehouse.inserted).toEqual([{ key: file.key, token: dedupToken(file) }]);
    expect(ledger.calls).toEqual(['claim', 'markLoaded']);
    expect(ledger.entries.get(entryKey(file))).toMatchObject({ status: 'loaded', rows: 3 });
  });

  it('answers from the ledger without touching the warehouse when the version is done', async () => {
    const { ledger, warehouse, aloneDeps } = setup();
    ledger.put({ ...file, status: 'loaded', rows: 7, runId: 'run-0' });
    expect(await loadFile(file, 'run-1', aloneDeps)).toMatchObject({ status: 'done', outcome: 'loaded', rows: 7, runId: 'run-0' });
    expect(warehouse.calls).toEqual([]);
  });

  it('reports a file another run is loading as busy', async () => {
    const { ledger, aloneDeps } = setup();
    ledger.put({ ...file, status: 'loading', runId: 'run-0', startedAt: new Date().toISOString() });
    await expect(loadFile(file, 'run-1', aloneDeps)).rejects.toMatchObject({ name: 'FileBusyError' });
  });

  it('records a problem of the file as failed, inserts nothing and does not throw', async () => {
    const { ledger, warehouse, aloneDeps } = setup();
    warehouse.scan = new PermanentError('PARSE_ERROR', 'Cannot parse input', { file: file.key, row: 9 });
    const result = await loadFile(file, 'run-1', aloneDeps);
    expect(result).toMatchObject({ status: 'failed', code: 'PARSE_ERROR' });
    expect(warehouse.calls).not.toContain('insertFile');
    expect(ledger.calls).toEqual(['claim', 'markFailed']);
  });

  it('releases the claim and rethrows a transient error, to be retried', async () => {
    const { ledger, warehouse, aloneDeps } = setup();
    warehouse.insertError = new TransientError('connection reset');
    await expect(loadFile(file, 'run-1', aloneDeps)).rejects.toMatchObject({ name: 'TransientError' });
    expect(ledger.calls).toEqual(['claim', 'release']);
  });

  it('does not record a permission problem as a failed file: it is not the file that is wrong', async () => {
    const { ledger, warehouse, aloneDeps } = setup();
    warehouse.insertError = new PermanentError('ACCESS_DENIED', 'denied');
    await expect(loadFile(file, 'run-1', aloneDeps)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect(ledger.calls).not.toContain('markFailed');
  });

  it('tags a reset generation in the lineage and the token', async () => {
    const { warehouse, aloneDeps } = setup();
    await loadFile({ ...file, generation: 2 }, 'run-1', aloneDeps);
    expect(warehouse.inserted[0]?.token).toBe(dedupToken({ ...file, generation: 2 }));
    expect(lineageEtag('e1', 2)).toBe('e1/reset-2');
    expect(lineageEtag('e1', 0)).toBe('e1');
  });

  it('finishes the unit a dead attempt left the file in, instead of inserting it under its own token', async () => {
    const { ledger, warehouse, aloneDeps } = setup();
    ledger.put({ ...file, status: 'loading', runId: 'run-0', startedAt: longAgo, unit: 'u0' });
    await ledger.recordUnit({ tenant: 'acme', table: 'companies', id: 'u0', runId: 'run-0', createdAt: longAgo, members: [file] });
    warehouse.rowCounts.set(file.key, 5);
    expect(await loadFile(file, 'run-1', aloneDeps)).toMatchObject({ status: 'loaded', rows: 5 });
    expect(warehouse.inserted).toEqual([]);
    expect(warehouse.unitInserts).toEqual([{ keys: [file.key], token: unitToken({ tenant: 'acme', table: 'companies', id: 'u0' }) }]);
  });
});

describe('loadInUnit: small files in one insert of one block', () => {
  const files = ['a', 'b', 'c'].map(version);

  it('claims the files into a new unit, records it, inserts it once, counts each file, and records each file loaded', async () => {
    const { ledger, warehouse, units } = setup();
    const out = await loadInUnit(files, 'run-1', units);
    expect(out.results.map((r) => [r.key, r.status, r.rows])).toEqual(files.map((f) => [f.key, 'loaded', 3]));
    // No part of its own was found (a merge reached it first): the files were counted instead.
    expect(warehouse.calls).toEqual(['insertUnit', 'countInOwnPart', 'countRows']);
    expect(warehouse.unitInserts).toEqual([{ keys: files.map((f) => f.key), token: unitToken({ tenant: 'acme', table: 'companies', id: 'u1' }) }]);
    expect(ledger.units.get('u1')?.members.map((m) => m.key)).toEqual(files.map((f) => f.key));
    // The composition is recorded before the insert starts.
    expect(ledger.calls.indexOf('recordUnit')).toBeLessThan(ledger.calls.indexOf('markLoaded'));
    for (const f of files) expect(ledger.entries.get(entryKey(f))).toMatchObject({ status: 'loaded', rows: 3, unit: 'u1' });
  });

  it("counts each file's rows in the part the insert wrote, reading no file again", async () => {
    const { ledger, warehouse, units } = setup();
    warehouse.ownPartCounts = new Map(files.map((f, i) => [f.key, i + 7]));
    const out = await loadInUnit(files, 'run-1', units);
    expect(out.results.map((r) => [r.key, r.rows])).toEqual(files.map((f, i) => [f.key, i + 7]));
    expect(warehouse.calls).toEqual(['insertUnit', 'countInOwnPart']);
    for (const [i, f] of files.entries()) expect(ledger.entries.get(entryKey(f))).toMatchObject({ status: 'loaded', rows: i + 7 });
  });

  it('when a row fails the insert, loads each file alone: only the bad file fails, named with its row', async () => {
    const { ledger, warehouse, units, alone } = setup();
    warehouse.unitInsertError = new PermanentError('MISSING_VALUE', 'a row has no id or last_updated, or names another tenant');
    warehouse.scans.set(files[1]!.key, { rows: 3, missingId: 1, missingLastUpdated: 0, foreignTenant: 0 });
    warehouse.row = 4;
    const out = await loadInUnit(files, 'run-1', units);
    expect(alone).toEqual(files.map((f) => f.key));
    expect(out.results.map((r) => [r.key, r.status])).toEqual(files.map((f, i) => [f.key, i === 1 ? 'failed' : 'loaded']));
    expect(warehouse.inserted.map((i) => i.key)).toEqual([files[0]!.key, files[2]!.key]);
    expect(ledger.entries.get(entryKey(files[1]!))?.error).toContain('row 4');
    for (const f of files) expect(ledger.entries.get(entryKey(f))?.unit).toBeUndefined();
  });

  it('fails an empty object and a Parquet file with a column the table lacks before the unit, and loads the rest in it', async () => {
    const { ledger, warehouse, units } = setup();
    const empty = { ...version('empty'), size: 0 };
    const parquet = { ...file, key: 'acme/canonical/companies/p.parquet' };
    warehouse.columns = ['id', 'last_updated', 'created_date'];
    const out = await loadInUnit([empty, parquet, files[0]!], 'run-1', units);
    expect(out.results.map((r) => [r.key, r.status, r.code])).toEqual([
      [empty.key, 'failed', 'EMPTY_FILE'],
      [parquet.key, 'failed', 'UNKNOWN_COLUMN'],
      [files[0]!.key, 'loaded', undefined],
    ]);
    expect(warehouse.unitInserts.map((u) => u.keys)).toEqual([[files[0]!.key]]);
    expect(ledger.entries.get(entryKey(parquet))?.error).toContain('"created_date" is not a column');
  });

  it('fails a file the insert found no row in', async () => {
    const { ledger, warehouse, units } = setup();
    warehouse.rowCounts.set(files[1]!.key, 0);
    const out = await loadInUnit(files, 'run-1', units);
    expect(out.results.map((r) => r.status)).toEqual(['loaded', 'failed', 'loaded']);
    expect(ledger.entries.get(entryKey(files[1]!))).toMatchObject({ status: 'failed', error: expect.stringContaining('no rows') });
  });

  it('finishes a recorded unit of a dead attempt exactly as recorded, with its token, when it did not land', async () => {
    const { ledger, warehouse, units } = setup();
    const dead: LoadUnit = { tenant: 'acme', table: 'companies', id: 'u0', runId: 'run-0', createdAt: longAgo, members: [files[0]!, version('x')] };
    warehouse.rowCounts.set(files[0]!.key, 2).set(version('x').key, 2);
    await ledger.recordUnit(dead);
    for (const f of [files[0]!, version('x')]) ledger.put({ ...f, status: 'loading', runId: 'run-0', startedAt: longAgo, unit: 'u0' });
    const out = await loadInUnit(files, 'run-1', units);
    // The dead unit again, whole (x is not in this batch), then a new unit of the rest.
    expect(warehouse.unitInserts).toEqual([
      { keys: [files[0]!.key, version('x').key], token: unitToken(dead) },
      { keys: [files[1]!.key, files[2]!.key], token: unitToken({ ...dead, id: 'u1' }) },
    ]);
    expect(out.results.find((r) => r.key === files[0]!.key)).toMatchObject({ status: 'loaded', rows: 2 });
    expect(ledger.entries.get(entryKey(version('x')))).toMatchObject({ status: 'loaded', rows: 2, runId: 'run-1' });
  });

  it('redoes a dead unit with every recorded file, even one a newer version has claimed since: the token is for those files', async () => {
    const { ledger, warehouse, units } = setup();
    const dead: LoadUnit = { tenant: 'acme', table: 'companies', id: 'u0', runId: 'run-0', createdAt: longAgo, members: [files[0]!, version('x')] };
    await ledger.recordUnit(dead);
    ledger.put({ ...files[0]!, status: 'loading', runId: 'run-0', startedAt: longAgo, unit: 'u0' });
    ledger.put({ ...version('x'), etag: 'e2', status: 'loading', runId: 'run-9', startedAt: new Date().toISOString(), unit: 'u9' });
    await loadInUnit([files[0]!], 'run-1', units);
    expect(warehouse.unitInserts[0]).toEqual({ keys: [files[0]!.key, version('x').key], token: unitToken(dead) });
    // Only the file this attempt took over is recorded; x's newer version is another run's.
    expect(ledger.entries.get(entryKey(version('x')))).toMatchObject({ etag: 'e2', status: 'loading', runId: 'run-9' });
  });

  it('inserts nothing again for a dead unit whose rows are in the table: it landed', async () => {
    const { ledger, warehouse, units } = setup();
    await ledger.recordUnit({ tenant: 'acme', table: 'companies', id: 'u0', runId: 'run-0', createdAt: longAgo, members: [files[0]!] });
    ledger.put({ ...files[0]!, status: 'loading', runId: 'run-0', startedAt: longAgo, unit: 'u0' });
    warehouse.tableRows.set(files[0]!.key, new Map([['e1', 2]]));
    warehouse.rowCounts.set(files[0]!.key, 2);
    const out = await loadInUnit([files[0]!], 'run-1', units);
    expect(warehouse.unitInserts).toEqual([]);
    expect(out.results).toMatchObject([{ key: files[0]!.key, status: 'loaded', rows: 2 }]);
  });

  it('takes a file of a unit that was never recorded into the new unit: no insert of it ever started', async () => {
    const { ledger, warehouse, units } = setup();
    ledger.put({ ...files[0]!, status: 'loading', runId: 'run-0', startedAt: longAgo, unit: 'u0' });
    await loadInUnit(files, 'run-1', units);
    expect(warehouse.unitInserts.map((u) => [...u.keys].sort())).toEqual([files.map((f) => f.key)]);
    expect(ledger.entries.get(entryKey(files[0]!))).toMatchObject({ status: 'loaded', unit: 'u1' });
  });

  it('hands back a file a dead attempt was loading alone, and reports one a live attempt holds as busy', async () => {
    const { ledger, units } = setup();
    ledger.put({ ...files[0]!, status: 'loading', runId: 'run-0', startedAt: longAgo });
    ledger.put({ ...files[1]!, status: 'loading', runId: 'run-0', startedAt: new Date().toISOString(), unit: 'u0' });
    const out = await loadInUnit(files, 'run-1', units);
    expect(out.alone.map((f) => f.key)).toEqual([files[0]!.key]);
    expect(out.busy.map((f) => f.key)).toEqual([files[1]!.key]);
    expect(out.results.map((r) => r.key)).toEqual([files[2]!.key]);
  });

  it('loads each file alone when the unit insert fails for a file: it wrote nothing, and only the file at fault fails', async () => {
    const { ledger, warehouse, units, alone } = setup();
    warehouse.unitInsertError = new PermanentError('NOT_FOUND', 'the file is no longer in the landing bucket');
    const out = await loadInUnit(files, 'run-1', units);
    expect(alone).toEqual(files.map((f) => f.key));
    expect(warehouse.inserted.map((i) => i.token)).toEqual(files.map(dedupToken));
    expect(out.results.every((r) => r.status === 'loaded')).toBe(true);
    for (const f of files) expect(ledger.entries.get(entryKey(f))?.unit).toBeUndefined();
  });

  it('releases the claims and rethrows a transient insert error, leaving the unit for the retry', async () => {
    const { ledger, warehouse, units } = setup();
    warehouse.unitInsertError = new TransientError('connection reset');
    await expect(loadInUnit(files, 'run-1', units)).rejects.toMatchObject({ name: 'TransientError' });
    expect(ledger.calls.filter((c) => c === 'release')).toHaveLength(3);
    expect(ledger.units.has('u1')).toBe(true);
    for (const f of files) expect(ledger.entries.get(entryKey(f))).toMatchObject({ status: 'loading', unit: 'u1', startedAt: longAgo });
  });
});

describe('loadBatch', () => {
  const batch = (sizes: number[]) => ({
    runId: 'run-1',
    tenant: 'acme',
    table: 'companies' as const,
    round: 0,
    batch: 0,
    files: sizes.map((size, i) => ({ key: `k${i}`, etag: 'e', size, generation: 0 })),
  });
  const ok = (f: FileVersion): FileResult => ({ key: f.key, etag: f.etag, generation: 0, status: 'loaded', outcome: 'loaded', rows: 1, runId: 'run-1' });
  const busy = () => Object.assign(new Error('in progress'), { name: 'IdempotencyAlreadyInProgressError' });

  it('loads small files in one unit and a file larger than a unit alone, answering in the batch order', async () => {
    const unitCalls: string[][] = [];
    const aloneCalls: string[] = [];
    const results = await loadBatch(batch([10, 500, 10]), {
      unitsOf: (fs) => [fs.filter((f) => f.size <= 100)],
      loadInUnit: async (fs) => (unitCalls.push(fs.map((f) => f.key)), { results: fs.map(ok), alone: [], busy: [] }),
      loadAlone: async (f) => (aloneCalls.push(f.key), ok(f)),
      settled: async () => undefined,
    });
    expect(unitCalls).toEqual([['k0', 'k2']]);
    expect(aloneCalls).toEqual(['k1']);
    expect(results.map((r) => r.key)).toEqual(['k0', 'k1', 'k2']);
  });

  it('loads the others when one is busy, then fails with the busy error to be retried', async () => {
    const loaded: string[] = [];
    const loadAlone = async (f: FileVersion) => {
      if (f.key === 'k1') throw busy();
      loaded.push(f.key);
      return ok(f);
    };
    const steps = { unitsOf: () => [], loadInUnit: async () => ({ results: [], alone: [], busy: [] }), loadAlone, settled: async () => undefined };
    await expect(loadBatch(batch([1, 1, 1]), steps)).rejects.toMatchObject({ name: 'IdempotencyAlreadyInProgressError' });
    expect(loaded).toEqual(['k0', 'k2']);
  });

  it('answers a busy file from the ledger when its outcome is recorded', async () => {
    const results = await loadBatch(batch([1, 1]), {
      unitsOf: (fs) => [fs],
      loadInUnit: async (fs) => ({ results: [ok(fs[0]!)], alone: [], busy: [fs[1]!] }),
      loadAlone: async (f) => ok(f),
      settled: async (f) => ({ ...ok(f), status: 'done' }),
    });
    expect(results.map((r) => [r.key, r.status])).toEqual([['k0', 'loaded'], ['k1', 'done']]);
    await expect(
      loadBatch(batch([1, 1]), { unitsOf: (fs) => [fs], loadInUnit: async (fs) => ({ results: [], alone: [], busy: fs }), loadAlone: async (f) => ok(f), settled: async () => undefined }),
    ).rejects.toMatchObject({ name: 'FileBusyError' });
  });

  it('throws any other error at once', async () => {
    const steps = { unitsOf: () => [], loadInUnit: async () => ({ results: [], alone: [], busy: [] }), loadAlone: async () => Promise.reject(new TransientError('throttled')), settled: async () => undefined };
    await expect(loadBatch(batch([1, 1]), steps)).rejects.toMatchObject({ name: 'TransientError' });
  });

  it('settledOutcome ignores another version or generation', async () => {
    const ledger = new MemoryLedger();
    ledger.put({ ...file, status: 'loaded', rows: 3 });
    expect(await settledOutcome(file, ledger)).toMatchObject({ outcome: 'loaded', rows: 3 });
    expect(await settledOutcome({ ...file, etag: 'e2' }, ledger)).toBeUndefined();
    expect(await settledOutcome({ ...file, generation: 1 }, ledger)).toBeUndefined();
  });
});
