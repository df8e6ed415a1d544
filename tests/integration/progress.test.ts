import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SyncProgress } from '../../src/local/landing-sync.js';
import { LoadProgress, type LoadSnapshot } from '../../src/local/load-progress.js';
import { companyRows, openHarness, range, report, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  // Blocks of 10,000 rows: the big file's insert takes long enough to be seen going.
  h = await openHarness({ ONCELOAD_INSERT_BLOCK_ROWS: '10000' });
});
afterAll(async () => h?.close());

it('the landing sync and a long load report files, bytes and rows as they go, before the load is done', async () => {
  await h.addTenant('long', ['companies']);
  const rows = 300_000;
  h.land('long', 'companies', 'big.jsonl', companyRows(range(1, rows)));
  h.land('long', 'companies', 'small.jsonl', companyRows(range(rows + 1, 10)));

  const synced: SyncProgress[] = [];
  await h.runtime.syncLanding((p) => synced.push(p));
  const last = synced.at(-1)!;
  expect(last).toMatchObject({ files: 2, filesTotal: 2 });
  expect(last.bytes).toBe(last.bytesTotal);
  // The big file's bytes advance while it is copied, not only once it is.
  expect(synced.some((p) => p.files === 0 && p.bytes > 0 && p.bytes < last.bytesTotal)).toBe(true);

  const progress = new LoadProgress();
  const seen: LoadSnapshot[] = [];
  const stop = h.runtime.onObjectRead((read) => {
    progress.onRead(read);
    seen.push(progress.snapshot());
  });
  try {
    const result = await h.runtime.execute({ tenants: ['long'] }, { executionName: `progress-${Date.now()}`, onEvent: progress.onEvent });
    expect(report(result).totals).toMatchObject({ loaded: 2, rows: rows + 10 });
  } finally {
    stop();
  }
  // Rows and bytes of the big file while it was being read, before any file of its batch was done.
  const during = seen.filter((s) => s.done.rows === 0 && s.reading.rows > 0 && s.reading.rows < rows);
  expect(during.length).toBeGreaterThan(0);
  expect(during[0]!.reading.bytes).toBeGreaterThan(0);
  expect(progress.snapshot()).toMatchObject({ planned: { files: 2 }, done: { files: 2, rows: rows + 10 }, reading: { files: 0 } });
});
