/**
 * Draws a watched execution's progress: a bar on a terminal, like the local run's, and
 * otherwise one plain line each time the progress changes.
 */
import cliProgress from 'cli-progress';
import { itemsDone, progressLine, type WatchSnapshot } from './render.js';

export interface ProgressView {
  update(snapshot: WatchSnapshot): void;
  stop(): void;
}

class BarView implements ProgressView {
  readonly #bar = new cliProgress.SingleBar(
    {
      format: ' {bar} {value}/{total} items | {succeeded} succeeded | {failed} failed | {running} running | {status}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );

  constructor() {
    this.#bar.start(0, 0, { succeeded: 0, failed: 0, running: 0, status: 'starting' });
  }

  update({ status, items }: WatchSnapshot): void {
    if (!items) {
      this.#bar.update(0, { status: `${status}, map not started yet` });
      return;
    }
    this.#bar.setTotal(items.total);
    this.#bar.update(itemsDone(items), { succeeded: items.succeeded, failed: items.failed, running: items.running, status });
  }

  stop(): void {
    this.#bar.stop();
  }
}

class LineView implements ProgressView {
  readonly #write: (line: string) => void;
  #last: string | undefined;

  constructor(write: (line: string) => void) {
    this.#write = write;
  }

  update(snapshot: WatchSnapshot): void {
    const line = progressLine(snapshot);
    if (line === this.#last) return;
    this.#last = line;
    this.#write(line);
  }

  stop(): void {}
}

export function createProgressView(tty: boolean, write: (line: string) => void): ProgressView {
  return tty ? new BarView() : new LineView(write);
}
