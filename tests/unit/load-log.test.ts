/**
 * The Load's log rows, on the real ledger adapter (dynalite): written only after the ledger holds
 * each outcome, only by the attempt that recorded it, and never at the cost of the batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { loadBatch, type OutcomeSink } from '../../src/lib/load.js';
import type { LoadLogRow } from '../../src/ports.js';
import { attemptAt, batchDeps, batchOf, DedupWarehouse, fileOf, openLedgerBed, type LedgerBed } from './protocol-harness.js';

let bed: LedgerBed;
beforeAll(async () => {
  bed = await openLedgerBed();
});
afterAll(async () => bed?.close());

let tenants = 0;
function scene(spec: Record<string, number>, sizes: Record<string, number> = {}) {
  const tenant = `log${++tenants}`;
  const warehouse = new DedupWarehouse();
  const files = Object.entries(spec).map(([name, rows]) => {
    const file = fileOf(tenant, name, 'e1', sizes[name] ?? 100);
    warehouse.put(file, rows);
    return file;
  });
  return { warehouse, files };
}

/** A sink that checks, as each write arrives, that the ledger already holds every row's outcome. */
function recordingSink(fail: (call: number) => Error | undefined = () => undefined) {
  const writes: LoadLogRow[][] = [];
  const failures: unknown[] = [];
  const seenInLedger: string[] = [];
  const sink: OutcomeSink = {
    async write(rows) {
      writes.push([...rows]);
      for (const r of rows) seenInLedger.push(`${r.key.split('/').pop()} ${(await bed.ledger.get(r))?.status}`);
      const error = fail(writes.length);
      if (error) throw error;
    },
    failed: (error) => failures.push(error),
  };
  return { sink, writes, failures, seenInLedger };
}

const summary = (rows: readonly LoadLogRow[]) => rows.map((r) => `${r.key.split('/').pop()} ${r.outcome} ${r.rows} ${r.errorCode}`);

describe('the log rows of a Load', () => {
  it('are written once per batch, after the ledger holds each outcome, and never again by a later attempt', async () => {
    const { warehouse, files } = scene({ a: 10, bad: -7, big: 30 }, { big: 5000 });
    const log = recordingSink();
    await loadBatch(batchOf(files), attemptAt(bed.clock, 'A'), { ...batchDeps(bed.ledger, warehouse, bed.clock), log: log.sink });
    expect(log.writes).toHaveLength(1);
    expect(summary(log.writes[0]!).sort()).toEqual(['a.jsonl loaded 10 ', 'bad.jsonl failed 0 MISSING_VALUE', 'big.jsonl loaded 30 ']);
    expect(log.seenInLedger.sort()).toEqual(['a.jsonl loaded', 'bad.jsonl failed', 'big.jsonl loaded']);
    expect(log.writes[0]!.find((r) => r.outcome === 'failed')).toMatchObject({ attempt: 'A', runId: 'run-1', errorRow: 7, bytes: 100 });

    await loadBatch(batchOf(files), attemptAt(bed.clock, 'B'), { ...batchDeps(bed.ledger, warehouse, bed.clock), log: log.sink });
    expect(log.writes).toHaveLength(1);
  });

  it('never name an outcome the ledger refused: a claim lost before its outcome is recorded has no row', async () => {
    const { warehouse, files } = scene({ a: 10, lost: 30 }, { lost: 5000 });
    // The ledger refuses the outcome of `lost`, as it does once another attempt has taken the claim over.
    const ledger = new Proxy(bed.ledger, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== 'function') return value;
        const method = (value as (...a: unknown[]) => unknown).bind(target);
        return property === 'settle' ? (file: { key: string }, ...rest: unknown[]) => (file.key.endsWith('lost.jsonl') ? Promise.resolve(false) : method(file, ...rest)) : method;
      },
    });
    const log = recordingSink();
    await expect(loadBatch(batchOf(files), attemptAt(bed.clock, 'A'), { ...batchDeps(ledger, warehouse, bed.clock), log: log.sink })).rejects.toMatchObject({ name: 'FileBusyError' });
    expect(log.writes.map(summary)).toEqual([['a.jsonl loaded 10 ']]);
  });

  it('of a batch that throws are still written for the files it settled', async () => {
    const { warehouse, files } = scene({ small: 10, big: 30 }, { big: 5000 });
    warehouse.beforeInsert = async (keys) => {
      if (keys.some((k) => k.endsWith('big.jsonl'))) throw new TransientError('connection reset');
    };
    const log = recordingSink();
    await expect(loadBatch(batchOf(files), attemptAt(bed.clock, 'A'), { ...batchDeps(bed.ledger, warehouse, bed.clock), log: log.sink })).rejects.toMatchObject({ name: 'TransientError' });
    expect(log.writes.map(summary)).toEqual([['small.jsonl loaded 10 ']]);
  });

  it('that fail to be written never fail the batch: a write failed in transit is sent again as it was, and one that keeps failing is reported', async () => {
    const flaky = scene({ a: 10 });
    const once = recordingSink((call) => (call === 1 ? new TransientError('socket hang up') : undefined));
    const results = await loadBatch(batchOf(flaky.files), attemptAt(bed.clock, 'A'), { ...batchDeps(bed.ledger, flaky.warehouse, bed.clock), log: once.sink });
    expect(results.map((r) => r.status)).toEqual(['loaded']);
    expect(once.writes).toHaveLength(2);
    expect(once.writes[1]).toEqual(once.writes[0]);
    expect(once.failures).toEqual([]);

    const down = scene({ b: 10 });
    const always = recordingSink(() => new TransientError('connection refused'));
    const loaded = await loadBatch(batchOf(down.files), attemptAt(bed.clock, 'A'), { ...batchDeps(bed.ledger, down.warehouse, bed.clock), log: always.sink });
    expect(loaded.map((r) => r.status)).toEqual(['loaded']);
    expect(await bed.ledger.get(down.files[0]!)).toMatchObject({ status: 'loaded', rows: 10 });
    expect(always.writes).toHaveLength(3);
    expect(always.failures).toHaveLength(1);
  });
});
