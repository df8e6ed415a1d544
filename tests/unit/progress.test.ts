import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { onInterrupt } from '../../src/cli/interrupt.js';
import { progressIntervalMs, RunProgress } from '../../src/cli/progress.js';
import { formatBytes, formatDuration, interruptedText, loadText, syncText } from '../../src/cli/progress-text.js';
import { LoadProgress } from '../../src/local/load-progress.js';
import type { LocalEvent } from '../../src/local/state-machine.js';

const key = (n: number) => `acme/canonical/companies/part-${n}.jsonl`;
const planEvent = (files: { key: string; size: number }[]): LocalEvent => ({
  type: 'StateExited',
  timestamp: 0,
  state: { name: 'Plan the files to load', input: {}, output: { plan: { batches: [files.map((f) => ({ ...f, etag: 'e', generation: 0 }))] } } },
});
const loadEvent = (files: { key: string; size: number }[], rows: number): LocalEvent => ({
  type: 'StateExited',
  timestamp: 0,
  state: {
    name: 'Load a batch of files',
    input: { files: files.map((f) => ({ ...f, etag: 'e', generation: 0 })) },
    output: { loaded: files.length, rows: files.length * rows },
  },
});

/** Four files of 25 MB planned at t=0; one loaded (100,000 rows) and 12.5 MB of another read by t=10 s. */
function halfway(now: { t: number }) {
  const load = new LoadProgress(() => now.t);
  const files = [1, 2, 3, 4].map((n) => ({ key: key(n), size: 25_000_000 }));
  load.onEvent(planEvent(files));
  now.t = 10_000;
  load.onEvent(loadEvent([files[0]!], 100_000));
  load.onRead({ key: key(2), read: 1, bytes: 12_500_000, lines: 50_000, done: false });
  return load;
}

describe('load progress', () => {
  it('counts files done of planned, rows and bytes of files still being read, and an ETA from the bytes', () => {
    const now = { t: 0 };
    const load = halfway(now);
    expect(load.snapshot()).toMatchObject({ planned: { files: 4, bytes: 100_000_000 }, done: { files: 1, rows: 100_000 }, reading: { files: 1, bytes: 12_500_000, rows: 50_000 } });
    // 37.5 MB in 10 s: 62.5 MB left takes 16.7 s.
    expect(loadText(load.snapshot(), now.t)).toBe('loading: 1/4 files | 150,000 rows | 38 MB of 100 MB | ETA 17s');
  });

  it('a file read twice (check, then insert) counts its furthest read, and a gzip file shows no rows until loaded', () => {
    const load = new LoadProgress(() => 0);
    load.onEvent(planEvent([{ key: key(1), size: 100 }, { key: `${key(2)}.gz`, size: 100 }]));
    load.onRead({ key: key(1), read: 1, bytes: 100, lines: 10, done: true });
    load.onRead({ key: key(1), read: 2, bytes: 40, lines: 4, done: false });
    load.onRead({ key: `${key(2)}.gz`, read: 3, bytes: 50, lines: 7, done: false });
    expect(load.snapshot().reading).toEqual({ files: 2, bytes: 150, rows: 10 });
  });

  it('says nothing of an ETA before Plan or before any byte is done', () => {
    const load = new LoadProgress(() => 0);
    expect(loadText(load.snapshot(), 0)).toBe('planning...');
    load.onEvent(planEvent([{ key: key(1), size: 1000 }]));
    expect(loadText(load.snapshot(), 5000)).toBe('loading: 0/1 files | 0 rows | 0 B of 1 kB');
  });
});

describe('progress words', () => {
  it('bytes, durations, the sync line and the interrupt line', () => {
    expect([formatBytes(0), formatBytes(999), formatBytes(1500), formatBytes(637_000_000), formatBytes(2_500_000_000)]).toEqual(['0 B', '999 B', '1.5 kB', '637 MB', '2.5 GB']);
    expect([formatDuration(42), formatDuration(185), formatDuration(3720)]).toEqual(['42s', '3m 05s', '1h 02m']);
    expect(syncText({ files: 3, filesTotal: 10, bytes: 120_000_000, bytesTotal: 637_000_000 })).toBe('syncing landing: 3/10 files | 120 MB of 637 MB');
    const now = { t: 0 };
    expect(interruptedText(['run-1'], 'load', undefined, halfway(now).snapshot())).toBe(
      'interrupted run run-1: 1 of 4 planned file(s) done; the next `onceload run` resumes it',
    );
    expect(interruptedText(['run-1'], 'sync', { files: 1, filesTotal: 2, bytes: 1, bytesTotal: 2 }, new LoadProgress().snapshot())).toContain(
      'interrupted the landing sync (1 of 2 files checked or copied) before run run-1 started',
    );
  });

  it('ONCELOAD_PROGRESS_SECONDS: default 30 s, 0 for none, refused when not a number', () => {
    expect(progressIntervalMs({})).toBe(30_000);
    expect(progressIntervalMs({ ONCELOAD_PROGRESS_SECONDS: '0.5' })).toBe(500);
    expect(() => progressIntervalMs({ ONCELOAD_PROGRESS_SECONDS: 'soon' })).toThrow(/ONCELOAD_PROGRESS_SECONDS: expected seconds/);
  });
});

function capture(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 160 });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('the progress view', () => {
  afterEach(() => vi.useRealTimers());

  it('not on a terminal: a plain line every interval, none before the first', async () => {
    vi.useFakeTimers();
    const now = { t: 0 };
    const out = capture(false);
    const progress = new RunProgress({ stream: out.stream, intervalMs: 1000, now: () => now.t });
    progress.onSync({ files: 1, filesTotal: 2, bytes: 5_000_000, bytesTotal: 10_000_000 });
    await vi.advanceTimersByTimeAsync(999);
    expect(out.text()).toBe('');
    await vi.advanceTimersByTimeAsync(1);
    expect(out.text()).toBe('syncing landing: 1/2 files | 5 MB of 10 MB\n');
    progress.loading();
    progress.onEvent(planEvent([1, 2, 3, 4].map((n) => ({ key: key(n), size: 25_000_000 }))));
    now.t = 10_000;
    progress.onEvent(loadEvent([{ key: key(1), size: 25_000_000 }], 100_000));
    progress.onRead({ key: key(2), read: 1, bytes: 12_500_000, lines: 50_000, done: false });
    await vi.advanceTimersByTimeAsync(1000);
    expect(out.text().split('\n')[1]).toBe('loading: 1/4 files | 150,000 rows | 38 MB of 100 MB | ETA 17s');
    progress.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(out.text().split('\n')).toHaveLength(3);
  });

  it('on a terminal: a bar whose line carries files, rows, bytes and the ETA, cleared at the end', async () => {
    vi.useFakeTimers();
    const now = { t: 0 };
    const out = capture(true);
    const progress = new RunProgress({ stream: out.stream, intervalMs: 0, now: () => now.t });
    progress.loading();
    progress.onEvent(planEvent([1, 2, 3, 4].map((n) => ({ key: key(n), size: 25_000_000 }))));
    now.t = 10_000;
    progress.onEvent(loadEvent([{ key: key(1), size: 25_000_000 }], 100_000));
    progress.onRead({ key: key(2), read: 1, bytes: 12_500_000, lines: 50_000, done: false });
    progress.log('synced 4 new or changed landing file(s)');
    await vi.advanceTimersByTimeAsync(600);
    expect(out.text()).toContain('loading: 1/4 files | 150,000 rows | 38 MB of 100 MB | ETA 17s');
    expect(out.text()).toContain('synced 4 new or changed landing file(s)\n');
    progress.stop();
    expect(out.text()).toMatch(/\u001b\[0J/);
  });

  it('nothing at all with neither a terminal nor an interval (--json)', async () => {
    vi.useFakeTimers();
    const out = capture(false);
    const progress = new RunProgress({ stream: out.stream, tty: false, intervalMs: 0 });
    progress.onSync({ files: 1, filesTotal: 1, bytes: 1, bytesTotal: 1 });
    await vi.advanceTimersByTimeAsync(60_000);
    progress.stop();
    expect(out.text()).toBe('');
  });
});

describe('Ctrl-C', () => {
  it('the first SIGINT runs the handler then exits 130; a second exits at once', async () => {
    const exits: number[] = [];
    let release!: () => void;
    const handled = new Promise<void>((resolve) => (release = resolve));
    const stop = onInterrupt(() => handled, (code) => exits.push(code));
    try {
      process.emit('SIGINT');
      await Promise.resolve();
      expect(exits).toEqual([]);
      process.emit('SIGINT');
      expect(exits).toEqual([130]);
      release();
      await new Promise((r) => setTimeout(r, 0));
      expect(exits).toEqual([130, 130]);
    } finally {
      stop();
    }
  });
});
