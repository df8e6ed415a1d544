import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors.js';
import { dedupToken, lineageEtag } from '../../src/lib/dedup-token.js';
import { loadBatch, loadFile, settledOutcome, type FileResult, type FileToLoad } from '../../src/lib/load.js';
import type { FileVersion } from '../../src/ports.js';
import { MemoryLedger, ScriptedWarehouse } from './fakes.js';

const file: FileVersion = { tenant: 'acme', table: 'companies', key: 'acme/canonical/companies/a.jsonl', etag: 'e1', size: 100, generation: 0 };

function setup() {
  const ledger = new MemoryLedger();
  const warehouse = new ScriptedWarehouse();
  return { ledger, warehouse, deps: { ledger, warehouse, loadTimeoutSeconds: 900 } };
}

describe('loadFile', () => {
  it('checks, inserts with the file version token, and records the rows', async () => {
    const { ledger, warehouse, deps } = setup();
    const result = await loadFile(file, 'run-1', deps);
    expect(result).toMatchObject({ status: 'loaded', outcome: 'loaded', rows: 3, runId: 'run-1' });
    expect(warehouse.inserted).toEqual([{ key: file.key, token: dedupToken(file) }]);
    expect(ledger.calls).toEqual(['claim', 'markLoaded']);
    expect(ledger.entries.get(`acme#companies#${file.key}`)).toMatchObject({ status: 'loaded', rows: 3 });
  });

  it('answers from the ledger without touching the warehouse when the version is done', async () => {
    const { ledger, warehouse, deps } = setup();
    ledger.put({ ...file, status: 'loaded', rows: 7, runId: 'run-0' });
    expect(await loadFile(file, 'run-1', deps)).toMatchObject({ status: 'done', outcome: 'loaded', rows: 7, runId: 'run-0' });
    expect(warehouse.calls).toEqual([]);
  });

  it('reports a file another run is loading as busy', async () => {
    const { ledger, deps } = setup();
    ledger.put({ ...file, status: 'loading', runId: 'run-0' });
    await expect(loadFile(file, 'run-1', deps)).rejects.toMatchObject({ name: 'FileBusyError' });
  });

  it('records a problem of the file as failed, inserts nothing and does not throw', async () => {
    const { ledger, warehouse, deps } = setup();
    warehouse.scan = new PermanentError('PARSE_ERROR', 'Cannot parse input', { file: file.key, row: 9 });
    const result = await loadFile(file, 'run-1', deps);
    expect(result).toMatchObject({ status: 'failed', code: 'PARSE_ERROR' });
    expect(warehouse.calls).not.toContain('insertFile');
    expect(ledger.calls).toEqual(['claim', 'markFailed']);
  });

  it('releases the claim and rethrows a transient error, to be retried', async () => {
    const { ledger, warehouse, deps } = setup();
    warehouse.insertError = new TransientError('connection reset');
    await expect(loadFile(file, 'run-1', deps)).rejects.toMatchObject({ name: 'TransientError' });
    expect(ledger.calls).toEqual(['claim', 'release']);
  });

  it('does not record a permission problem as a failed file: it is not the file that is wrong', async () => {
    const { ledger, warehouse, deps } = setup();
    warehouse.insertError = new PermanentError('ACCESS_DENIED', 'denied');
    await expect(loadFile(file, 'run-1', deps)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect(ledger.calls).not.toContain('markFailed');
  });

  it('tags a reset generation in the lineage and the token', async () => {
    const { warehouse, deps } = setup();
    await loadFile({ ...file, generation: 2 }, 'run-1', deps);
    expect(warehouse.inserted[0]?.token).toBe(dedupToken({ ...file, generation: 2 }));
    expect(lineageEtag('e1', 2)).toBe('e1/reset-2');
    expect(lineageEtag('e1', 0)).toBe('e1');
  });
});

describe('loadBatch', () => {
  const batch = { runId: 'run-1', tenant: 'acme', table: 'companies' as const, round: 0, batch: 0, files: ['a', 'b', 'c'].map((k) => ({ key: k, etag: 'e', size: 1, generation: 0 })) };
  const ok = (f: FileVersion): FileResult => ({ key: f.key, etag: f.etag, generation: 0, status: 'loaded', outcome: 'loaded', rows: 1, runId: 'run-1' });
  const busy = () => Object.assign(new Error('in progress'), { name: 'IdempotencyAlreadyInProgressError' });

  it('loads the other files when one is busy, then fails with the busy error to be retried', async () => {
    const loaded: string[] = [];
    const loadOne = async (f: FileVersion) => {
      if (f.key === 'b') throw busy();
      loaded.push(f.key);
      return ok(f);
    };
    await expect(loadBatch(batch, { loadOne, settled: async () => undefined })).rejects.toMatchObject({ name: 'IdempotencyAlreadyInProgressError' });
    expect(loaded).toEqual(['a', 'c']);
  });

  it('answers a busy file from the ledger when its outcome is recorded', async () => {
    const loadOne = async (f: FileVersion) => (f.key === 'b' ? Promise.reject(busy()) : ok(f));
    const results = await loadBatch(batch, { loadOne, settled: async (f) => ({ ...ok(f), status: 'done' }) });
    expect(results.map((r) => [r.key, r.status])).toEqual([['a', 'loaded'], ['b', 'done'], ['c', 'loaded']]);
  });

  it('throws any other error at once', async () => {
    const seen: string[] = [];
    const loadOne = async (f: FileVersion) => {
      seen.push(f.key);
      if (f.key === 'a') throw new TransientError('throttled');
      return ok(f);
    };
    await expect(loadBatch(batch, { loadOne, settled: async () => undefined })).rejects.toMatchObject({ name: 'TransientError' });
    expect(seen).toEqual(['a']);
  });

  it('scans the batch in one read and hands each file its scan; a bad file makes each scan alone', async () => {
    const scan = { rows: 4, missingId: 0, missingLastUpdated: 0, foreignTenant: 0 };
    const given: (number | undefined)[] = [];
    const loadOne = async (f: FileToLoad) => (given.push(f.scanned?.rows), ok(f));
    await loadBatch(batch, { scanAll: async (files) => files.map(() => scan), loadOne, settled: async () => undefined });
    expect(given).toEqual([4, 4, 4]);

    given.length = 0;
    const badFile = async () => Promise.reject(new PermanentError('PARSE_ERROR', 'bad line'));
    await loadBatch(batch, { scanAll: badFile, loadOne, settled: async () => undefined });
    expect(given).toEqual([undefined, undefined, undefined]);

    const outage = async () => Promise.reject(new TransientError('connection reset'));
    await expect(loadBatch(batch, { scanAll: outage, loadOne, settled: async () => undefined })).rejects.toMatchObject({ name: 'TransientError' });
  });

  it('settledOutcome ignores another version or generation', async () => {
    const ledger = new MemoryLedger();
    ledger.put({ ...file, status: 'loaded', rows: 3 });
    expect(await settledOutcome(file, ledger)).toMatchObject({ outcome: 'loaded', rows: 3 });
    expect(await settledOutcome({ ...file, etag: 'e2' }, ledger)).toBeUndefined();
    expect(await settledOutcome({ ...file, generation: 1 }, ledger)).toBeUndefined();
  });
});
