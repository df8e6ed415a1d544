/**
 * Live progress of a local run on stderr: the landing sync (files and bytes copied), then the
 * load (files done of planned, rows and bytes as they are read, an ETA). On a terminal a bar
 * (cli-progress) redrawn in place; otherwise a plain line every `intervalMs`, none before it,
 * so a short run and a log stay quiet.
 */
import cliProgress from 'cli-progress';
import type { SyncProgress } from '../local/landing-sync.js';
import { LoadProgress } from '../local/load-progress.js';
import { InputError } from '../errors.js';
import { bytesDone, loadText, syncText } from './progress-text.js';

/** Seconds between plain progress lines when stderr is not a terminal; 0: none. */
export const DEFAULT_PROGRESS_SECONDS = 30;

/** `ONCELOAD_PROGRESS_SECONDS`, in milliseconds. */
export function progressIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ONCELOAD_PROGRESS_SECONDS;
  if (raw === undefined || raw === '') return DEFAULT_PROGRESS_SECONDS * 1000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) throw new InputError(`expected seconds (0 or more), got ${JSON.stringify(raw)}`, 'ONCELOAD_PROGRESS_SECONDS');
  return seconds * 1000;
}

export interface ProgressOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Draw a bar (default: whether the stream is a terminal); false with neither bar nor lines when `intervalMs` is 0. */
  tty?: boolean;
  /** Between plain lines (not a terminal); 0 prints none. */
  intervalMs: number;
  now?: () => number;
}

/** The bar's scale: its value is the fraction done in thousandths. */
const SCALE = 1000;

export class RunProgress {
  readonly load: LoadProgress;
  readonly #options: ProgressOptions;
  readonly #now: () => number;
  readonly #bars: cliProgress.MultiBar | undefined;
  readonly #bar: cliProgress.SingleBar | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  #sync: SyncProgress | undefined;
  #phase: 'sync' | 'load' = 'sync';
  #stopped = false;

  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.load = new LoadProgress(this.#now);
    if (options.tty ?? options.stream.isTTY === true) {
      // A MultiBar for its log(): a line printed above the bar without tearing it.
      this.#bars = new cliProgress.MultiBar(
        { format: ' {bar} {text}', stream: options.stream, hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      );
      this.#bar = this.#bars.create(SCALE, 0, { text: 'syncing landing...' });
      // The ETA and the reads move between events: redraw on a clock too.
      this.#timer = setInterval(() => this.#draw(), 500);
    } else if (options.intervalMs > 0) {
      this.#timer = setInterval(() => options.stream.write(`${this.text()}\n`), options.intervalMs);
    }
    this.#timer?.unref();
  }

  /** The current line, as drawn. */
  text(): string {
    if (this.#phase === 'sync') return this.#sync ? syncText(this.#sync) : 'syncing landing...';
    return loadText(this.load.snapshot(), this.#now());
  }

  #fraction(): number {
    if (this.#phase === 'sync') return this.#sync?.bytesTotal ? this.#sync.bytes / this.#sync.bytesTotal : 0;
    const s = this.load.snapshot();
    return s.planned.bytes ? bytesDone(s) / s.planned.bytes : 0;
  }

  #draw(): void {
    this.#bar?.update(Math.round(this.#fraction() * SCALE), { text: this.text() });
  }

  readonly onSync = (progress: SyncProgress): void => {
    this.#sync = progress;
    this.#draw();
  };

  /** The sync is over: the load's progress from now on. */
  loading(): void {
    this.#phase = 'load';
    this.#draw();
  }

  readonly onEvent = (event: Parameters<LoadProgress['onEvent']>[0]): void => {
    this.load.onEvent(event);
    this.#draw();
  };

  readonly onRead = (read: Parameters<LoadProgress['onRead']>[0]): void => {
    this.load.onRead(read);
    this.#draw();
  };

  /** A line of its own, above the bar on a terminal. */
  log(line: string): void {
    if (this.#bars) this.#bars.log(`${line}\n`);
    else this.#options.stream.write(`${line}\n`);
  }

  /** What was under way, for the line an interrupt prints. */
  get phase(): 'sync' | 'load' {
    return this.#phase;
  }

  get syncProgress(): SyncProgress | undefined {
    return this.#sync;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    // One last draw flushes the lines log() queued; then the bar is cleared.
    this.#bars?.update();
    this.#bars?.stop();
  }
}
