/**
 * Validate's repair of the load log, on a log that records its calls: only the run's settled
 * versions the log lacks are written, in one insert after one query, and a failure is returned,
 * never thrown.
 */
import { describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { ledgerLogRow, repairLog, REPAIR_ATTEMPT } from '../../src/lib/log-repair.js';
import type { LedgerEntry, LoadLogRow, LoggedVersion } from '../../src/ports.js';

const entry = (key: string, status: LedgerEntry['status'], more: Partial<LedgerEntry> = {}): LedgerEntry => ({
  tenant: 't',
  table: 'companies',
  key: `t/canonical/companies/${key}`,
  etag: `"${key}"`,
  size: 100,
  status,
  generation: 0,
  runId: 'run-1',
  startedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
  ...more,
});

function logOf(logged: LoggedVersion[], fail?: () => Error) {
  const calls: string[] = [];
  const written: LoadLogRow[][] = [];
  return {
    calls,
    written,
    async versionsOfRun(runId: string, tenants: readonly string[]) {
      calls.push(`versions ${runId} ${tenants.join(',')}`);
      return logged;
    },
    async write(rows: readonly LoadLogRow[]) {
      calls.push(`write ${rows.length}`);
      if (fail) throw fail();
      written.push([...rows]);
    },
  };
}

describe('the load log repair', () => {
  it("builds a row from the ledger entry alone: the Load's key, rows, bytes, error and code, the ledger's times", () => {
    expect(ledgerLogRow(entry('a', 'loaded', { rows: 7 }))).toEqual({
      runId: 'run-1', tenant: 't', table: 'companies', key: 't/canonical/companies/a', etag: '"a"', generation: 0, outcome: 'loaded', rows: 7, bytes: 100,
      startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z', attempt: REPAIR_ATTEMPT, errorCode: '', errorMessage: '', errorRow: null, errorColumn: null,
    });
    expect(ledgerLogRow(entry('b', 'failed', { error: 'row 2: bad', errorCode: 'WRONG_TYPE', errorRow: 2, errorColumn: 'id' }))).toMatchObject({
      outcome: 'failed', rows: 0, errorCode: 'WRONG_TYPE', errorMessage: 'row 2: bad', errorRow: 2, errorColumn: 'id',
    });
    expect(ledgerLogRow(entry('e', 'failed', { error: 'the file has no rows', errorCode: 'EMPTY_FILE' }))).toMatchObject({ errorRow: null, errorColumn: null });
    expect(ledgerLogRow(entry('c', 'loading'))).toBeUndefined();
    expect(ledgerLogRow(entry('d', 'reset'))).toBeUndefined();
  });

  it("writes only the run's settled versions the log lacks, in one insert after one query", async () => {
    const settled = [entry('b', 'loaded', { rows: 1 }), entry('a', 'skipped'), entry('c', 'superseded'), entry('x', 'loaded', { runId: 'run-0' }), entry('y', 'loading')];
    const log = logOf([{ tenant: 't', table: 'companies', key: 't/canonical/companies/c', etag: '"c"', generation: 0 }]);
    expect(await repairLog('run-1', settled, log)).toEqual({ written: 2, sample: ['t/canonical/companies/a', 't/canonical/companies/b'] });
    expect(log.calls).toEqual(['versions run-1 t', 'write 2']);
    expect(log.written[0]!.map((r) => [r.key, r.outcome])).toEqual([
      ['t/canonical/companies/a', 'skipped'],
      ['t/canonical/companies/b', 'loaded'],
    ]);
  });

  it('a version logged at another generation is still missing at this one', async () => {
    const log = logOf([{ tenant: 't', table: 'companies', key: 't/canonical/companies/a', etag: '"a"', generation: 0 }]);
    expect((await repairLog('run-1', [entry('a', 'loaded', { generation: 1, rows: 3 })], log)).written).toBe(1);
  });

  it('asks nothing when the run settled nothing, and writes nothing when the log has every row', async () => {
    const none = logOf([]);
    expect(await repairLog('run-1', [], none)).toEqual({ written: 0, sample: [] });
    expect(none.calls).toEqual([]);
    const all = logOf([{ tenant: 't', table: 'companies', key: 't/canonical/companies/a', etag: '"a"', generation: 0 }]);
    expect(await repairLog('run-1', [entry('a', 'loaded')], all)).toEqual({ written: 0, sample: [] });
    expect(all.calls).toEqual(['versions run-1 t']);
  });

  it('returns a failure, never throws: a query that fails, or a write that fails after its tries', async () => {
    const query = { ...logOf([]), versionsOfRun: async () => Promise.reject(new Error('log unreachable')) };
    expect(await repairLog('run-1', [entry('a', 'loaded')], query)).toEqual({ written: 0, sample: [], error: 'log unreachable' });
    const write = logOf([], () => new TransientError('reset by peer'));
    expect(await repairLog('run-1', [entry('a', 'loaded')], write)).toMatchObject({ written: 0, error: 'reset by peer' });
    expect(write.calls).toEqual(['versions run-1 t', 'write 1', 'write 1', 'write 1']);
  });
});
