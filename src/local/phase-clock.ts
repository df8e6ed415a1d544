/**
 * Where an execution's time goes, from the local runtime's event log: for each phase, the task
 * time summed over its invocations (tasks overlap in the Maps) and its wall time (while at least
 * one of its tasks ran); "close" is from Validate's end to the execution's, "between" the wall
 * time no phase's task was running (the state machine's own steps and waits).
 */
import type { LocalEvent } from './state-machine.js';

export const PHASES = ['discover', 'schema', 'items', 'plan', 'load', 'validate'] as const;
type Phase = (typeof PHASES)[number];

const PHASE_OF: Record<string, Phase> = {
  'Discover tenants and tables': 'discover',
  'Create missing canonical tables': 'schema',
  'Plan the files to load': 'plan',
  'Load a batch of files': 'load',
  'Validate the run': 'validate',
};

/** The Distributed Map's ItemReader and ResultWriter, done by local steps named after it. */
const phaseOf = (state: string): Phase | undefined => PHASE_OF[state] ?? (/\((ItemReader|ResultWriter)\)$/.test(state) ? 'items' : undefined);

export interface PhaseSummary {
  /** Summed over invocations, seconds. */
  taskSeconds: Record<Phase, number>;
  /** While any of the phase's tasks ran, seconds; with `between` and `close`. */
  wallSeconds: Record<Phase | 'between' | 'close', number>;
}

export class PhaseClock {
  readonly #start = Date.now();
  readonly #active = new Map<Phase, { count: number; since: number }>();
  readonly #task = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>;
  readonly #wall = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>;
  #anyActive = 0;
  #anySince = 0;
  #busy = 0;
  #validateEnd: number | undefined;

  observe(event: LocalEvent): void {
    const phase = phaseOf(event.state?.name ?? '');
    if (!phase) return;
    const t = event.timestamp;
    const active = this.#active.get(phase) ?? { count: 0, since: 0 };
    this.#active.set(phase, active);
    if (event.type === 'StateEntered') {
      // Entering and leaving are counted, not paired: tasks of one state end in any order.
      this.#task[phase] -= t;
      if (active.count++ === 0) active.since = t;
      if (this.#anyActive++ === 0) this.#anySince = t;
    } else if (event.type === 'StateExited' || event.type === 'StateFailed') {
      this.#task[phase] += t;
      if (--active.count === 0) this.#wall[phase] += t - active.since;
      if (--this.#anyActive === 0) this.#busy += t - this.#anySince;
      if (phase === 'validate') this.#validateEnd = t;
    }
  }

  /** The figures, rounded to milliseconds; called as the execution returns. */
  summary(): PhaseSummary {
    const end = Date.now();
    const close = this.#validateEnd === undefined ? 0 : Math.max(0, end - this.#validateEnd);
    const seconds = (ms: number) => Math.round(ms) / 1000;
    const total = end - this.#start;
    return {
      taskSeconds: Object.fromEntries(PHASES.map((p) => [p, seconds(this.#task[p])])) as Record<Phase, number>,
      wallSeconds: {
        ...(Object.fromEntries(PHASES.map((p) => [p, seconds(this.#wall[p])])) as Record<Phase, number>),
        between: seconds(Math.max(0, total - this.#busy - close)),
        close: seconds(close),
      },
    };
  }
}
