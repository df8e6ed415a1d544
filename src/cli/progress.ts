/**
 * Live progress of local executions, read from the state machine's event log: tenant x table
 * items done / total, files, rows and rows/s. Drawn only on a terminal.
 */
import cliProgress from 'cli-progress';
import type { RunOptions } from '../local/state-machine.js';

type Event = Parameters<NonNullable<RunOptions['onEvent']>>[0];

const ITEM_MAP = 'Plan and load every tenant and table';
const DISCOVER = 'Discover tenants and tables';
const LOAD = 'Load a batch of files';

export class RunProgress {
  readonly #bar: cliProgress.SingleBar | undefined;
  readonly #started = Date.now();
  #total = 0;
  #done = 0;
  #files = 0;
  #failed = 0;
  #rows = 0;

  constructor(enabled: boolean) {
    this.#bar = enabled
      ? new cliProgress.SingleBar(
          {
            format: ' {bar} {value}/{total} items | {files} files | {failed} failed | {rows} rows | {rate} rows/s',
            stream: process.stderr,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    this.#bar?.start(0, 0, this.#payload());
  }

  #payload() {
    const seconds = Math.max((Date.now() - this.#started) / 1000, 0.001);
    return { files: this.#files, failed: this.#failed, rows: this.#rows.toLocaleString('en-US'), rate: Math.round(this.#rows / seconds).toLocaleString('en-US') };
  }

  readonly onEvent = (event: Event): void => {
    if (event.type === 'StateExited' && event.state?.name === DISCOVER) {
      const items = (event.state.output as { items?: unknown[] } | undefined)?.items?.length ?? 0;
      this.#total += items;
      this.#bar?.setTotal(this.#total);
    } else if (event.type === 'MapIterationSucceeded' && event.parentState?.name === ITEM_MAP) {
      this.#done++;
    } else if (event.type === 'StateExited' && event.state?.name === LOAD) {
      for (const file of (event.state.output as { files?: { status: string; rows?: number }[] } | undefined)?.files ?? []) {
        if (file.status === 'loaded') {
          this.#files++;
          this.#rows += file.rows ?? 0;
        } else if (file.status === 'failed') this.#failed++;
      }
    } else return;
    this.#bar?.update(this.#done, this.#payload());
  };

  stop(): void {
    this.#bar?.stop();
  }
}
