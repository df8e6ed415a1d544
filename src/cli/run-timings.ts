/**
 * `onceload run --timings`: where the whole process's time went, from its start to its exit, as
 * one line on stderr: `timings: {"startup": 0.61, "storesStart": 0.45, ...}` (seconds). The
 * executions' part is broken down by phase from the local runtime's event log.
 */
import { performance } from 'node:perf_hooks';
import { PhaseClock } from '../local/phase-clock.js';
import type { LocalEvent } from '../local/state-machine.js';

/** In order, each from the end of the one before. */
const STEPS = ['startup', 'storesStart', 'preflight', 'landingSync', 'execution', 'report', 'shutdown'] as const;
type Step = (typeof STEPS)[number];

const seconds = (ms: number) => Math.round(ms) / 1000;

export class RunTimings {
  readonly #ends = new Map<Step, number>();
  #clock: PhaseClock | undefined;
  #phases: Record<string, number> | undefined;

  /** `step` ended now; `startup` (loading Node, the modules, parsing the command) ends when the command starts. */
  mark(step: Step): void {
    this.#ends.set(step, performance.now());
    if (step === 'landingSync') this.#clock = new PhaseClock();
    if (step === 'execution') this.#phases = this.#clock?.summary().wallSeconds;
  }

  /** Every execution's events, for the phases inside `execution`. */
  readonly observe = (event: LocalEvent): void => this.#clock?.observe(event);

  /** Seconds a step, the executions' phases (wall time while any of their tasks ran), and the total since the process started. */
  figures(): Record<string, unknown> {
    const steps: Record<string, number> = {};
    let from = 0;
    for (const step of STEPS) {
      const end = this.#ends.get(step);
      if (end === undefined) continue;
      steps[step] = seconds(end - from);
      from = end;
    }
    return { ...steps, ...(this.#phases ? { phases: this.#phases } : {}), total: seconds(performance.now()) };
  }

  line(): string {
    return `timings: ${JSON.stringify(this.figures())}`;
  }
}
