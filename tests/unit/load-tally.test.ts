import { describe, expect, it } from 'vitest';
import { foldTallies, SAMPLE_FAILED_BY_OTHER, tallyResults } from '../../src/lib/load-tally.js';
import type { FileResult } from '../../src/lib/results.js';

const result = (key: string, over: Partial<FileResult>): FileResult => ({ key, etag: 'e', generation: 0, status: 'loaded', outcome: 'loaded', runId: 'run-1', ...over });

describe('tallyResults', () => {
  it('counts each file by the run that settled it and how, whatever this attempt did', () => {
    const tally = tallyResults(
      [
        result('a', { rows: 10 }),
        // Settled by an earlier attempt of this run: still this run's.
        result('b', { status: 'done', rows: 5 }),
        result('c', { status: 'done', runId: 'run-2', rows: 7 }),
        result('d', { status: 'failed', outcome: 'failed' }),
        result('e', { status: 'done', outcome: 'failed', runId: 'run-2' }),
        result('f', { status: 'superseded', outcome: 'superseded' }),
        result('g', { status: 'done', outcome: 'superseded', runId: 'run-2' }),
      ],
      'run-1',
    );
    expect(tally).toEqual({ loaded: 2, rows: 15, byOther: 1, failed: 1, byOtherFailed: 1, superseded: 2, failedByOther: [{ key: 'e', runId: 'run-2' }] });
  });

  it('leaves zero counts out, so an item\'s state stays small', () => {
    expect(tallyResults([], 'run-1')).toEqual({});
  });
});

describe('foldTallies', () => {
  it('adds tallies up and keeps a bounded sample of the failures of other runs', () => {
    const failed = (n: number) => ({ byOtherFailed: 1, failedByOther: [{ key: `k${n}`, runId: 'run-2' }] });
    const total = foldTallies([undefined, { loaded: 1, rows: 3 }, { loaded: 2, rows: 4, byOther: 1 }, ...Array.from({ length: 12 }, (_, n) => failed(n))]);
    expect(total).toMatchObject({ loaded: 3, rows: 7, byOther: 1, byOtherFailed: 12 });
    expect(total.failedByOther).toHaveLength(SAMPLE_FAILED_BY_OTHER);
    expect(total.failedByOther![0]).toEqual({ key: 'k0', runId: 'run-2' });
  });
});
