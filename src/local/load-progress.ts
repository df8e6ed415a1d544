/**
 * What a local run has loaded so far, observed from outside the load: Plan's and Load's
 * outputs in the state machine's event log (files planned, and settled with the rows this run loaded), and
 * the local S3's reads of the files being loaded (bytes and lines as they are read). It
 * implements none of the load; the CLI draws it.
 */
import type { LoadTally } from '../lib/load-tally.js';
import type { LocalEvent } from './state-machine.js';
import type { ObjectRead } from './stores.js';

const PLAN = 'Plan the files to load';
const LOAD = 'Load a batch of files';

interface Planned {
  key: string;
  size: number;
}

export interface LoadSnapshot {
  /** Files (and their bytes) the executions' Plans handed out so far. */
  planned: { files: number; bytes: number };
  /** Files settled (loaded, failed or superseded), their bytes, and the rows of those loaded. */
  done: { files: number; bytes: number; rows: number };
  /** Files being read now: bytes read, and rows (lines) where the file is plain JSON lines or CSV. */
  reading: { files: number; bytes: number; rows: number };
  /** When the first Plan handed out a file (ms since the epoch). */
  startedAt: number | undefined;
}

/** Line counts are rows only in uncompressed text; a gzip or Parquet file shows bytes only. */
const countsLines = (key: string) => /\.(jsonl|ndjson|json|csv)$/i.test(key);

export class LoadProgress {
  readonly #now: () => number;
  readonly #planned = { files: 0, bytes: 0 };
  readonly #done = { files: 0, bytes: 0, rows: 0 };
  /** The furthest any read of a key has got: a file loaded alone is read twice (check, insert). */
  readonly #reading = new Map<string, { size: number; bytes: number; lines: number }>();
  #startedAt: number | undefined;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  readonly onEvent = (event: LocalEvent): void => {
    if (event.type !== 'StateExited') return;
    if (event.state?.name === PLAN) {
      const files = ((event.state.output as { plan?: { batches?: Planned[][] } } | undefined)?.plan?.batches ?? []).flat();
      if (files.length === 0) return;
      this.#startedAt ??= this.#now();
      this.#planned.files += files.length;
      this.#planned.bytes += files.reduce((n, f) => n + f.size, 0);
      for (const f of files) if (!this.#reading.has(f.key)) this.#reading.set(f.key, { size: f.size, bytes: 0, lines: 0 });
    } else if (event.state?.name === LOAD) {
      // A Load that returns has settled every file of its batch; its output is its tally.
      const files = (event.state.input as { files?: Planned[] } | undefined)?.files ?? [];
      this.#done.files += files.length;
      for (const f of files) {
        this.#done.bytes += f.size;
        this.#reading.delete(f.key);
      }
      this.#done.rows += (event.state.output as LoadTally | undefined)?.rows ?? 0;
    }
  };

  readonly onRead = (read: ObjectRead): void => {
    const file = this.#reading.get(read.key);
    if (!file) return;
    file.bytes = Math.min(Math.max(file.bytes, read.bytes), file.size);
    if (countsLines(read.key)) file.lines = Math.max(file.lines, read.lines);
  };

  snapshot(): LoadSnapshot {
    const reading = { files: 0, bytes: 0, rows: 0 };
    for (const f of this.#reading.values()) {
      if (f.bytes === 0) continue;
      reading.files++;
      reading.bytes += f.bytes;
      reading.rows += f.lines;
    }
    return { planned: { ...this.#planned }, done: { ...this.#done }, reading, startedAt: this.#startedAt };
  }
}
