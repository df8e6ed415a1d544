/**
 * Step Functions' hard limits, enforced on the local engine (which has none), so that a run that
 * passes locally is not refused on AWS: 256 KiB of UTF-8 JSON for every state's input and output
 * (Map items included: each is the input of its iteration's first state), and 25,000 events in a
 * Standard execution's history. Also counts what an execution used, as AWS bills and caps it.
 */
import { withoutLocalFields } from './distributed-map.js';

export const AWS_LIMITS = {
  /** A state's input or output, in bytes of its JSON. */
  payloadBytes: 256 * 1024,
  historyEvents: 25_000,
} as const;

export interface ExecutionUsage {
  stateTransitions: number;
  taskInvocations: number;
  /** Events in the longest history AWS would write: the parent execution's or one Distributed Map child's (see `historyEventsOf`). */
  historyEvents: number;
  largestPayloadBytes: number;
}

/** How AWS fails an execution over a limit: the error name and cause it records. */
export interface LimitBreach {
  error: string;
  cause: string;
}

interface MeteredEvent {
  type: string;
  input?: unknown;
  index?: number;
  state?: { name: string; type?: string; input?: unknown; output?: unknown };
  parentState?: { name: string; input?: unknown };
}

export interface MeterOptions {
  /** States the local runtime adds (distributed-map.ts), which AWS neither runs nor counts. */
  localSteps?: ReadonlySet<string>;
  /** Map states whose iterations are child executions, each with a history of its own. */
  distributedMaps?: ReadonlySet<string>;
}

/**
 * History events AWS writes for one local event: a state's entry and exit are one each; every
 * attempt of a Lambda Task adds scheduled, started and succeeded (or failed); a Map adds its
 * started and succeeded, and each iteration its own started and succeeded.
 */
function historyEventsOf(event: MeteredEvent): number {
  const task = event.state?.type === 'Task' ? 3 : 0;
  switch (event.type) {
    case 'StateExited':
      return 1 + task + (event.state?.type === 'Map' ? 2 : 0);
    case 'StateRetried':
    case 'StateFailed':
      return task;
    default:
      return 1;
  }
}

const bytesOf = (value: unknown) => (value === undefined ? 0 : Buffer.byteLength(JSON.stringify(withoutLocalFields(value))));

export class ExecutionMeter {
  readonly usage: ExecutionUsage = { stateTransitions: 0, taskInvocations: 0, historyEvents: 0, largestPayloadBytes: 0 };
  readonly #localSteps: ReadonlySet<string>;
  readonly #distributed: ReadonlySet<string>;
  /** Events in each execution's history: the parent's, and each child's of a Distributed Map. */
  readonly #histories = new Map<string, number>();
  /** An inline Map inside a child, by its input: its iterations' events carry only their own index. */
  readonly #innerMaps = new Map<string, string>();
  #breach: LimitBreach | undefined;

  constructor(options: MeterOptions = {}) {
    this.#localSteps = options.localSteps ?? new Set();
    this.#distributed = options.distributedMaps ?? new Set();
  }

  /** Which execution's history the event is written to. */
  #historyOf(event: MeteredEvent): string {
    if (this.#distributed.size === 0) return 'parent';
    if (event.parentState) {
      if (this.#distributed.has(event.parentState.name)) return `child ${event.index}`;
      return this.#innerMaps.get(JSON.stringify(event.parentState.input)) ?? 'parent';
    }
    if (event.index === undefined || !event.state) return 'parent';
    const child = `child ${event.index}`;
    if (event.type === 'StateEntered' && event.state.type === 'Map') this.#innerMaps.set(JSON.stringify(event.state.input), child);
    return child;
  }

  get breach(): LimitBreach | undefined {
    return this.#breach;
  }

  /** Counts one event of the local engine's log; returns the first limit it breaks, once. */
  observe(event: MeteredEvent): LimitBreach | undefined {
    if (event.state && this.#localSteps.has(event.state.name)) return undefined;
    const history = this.#historyOf(event);
    const events = (this.#histories.get(history) ?? 0) + historyEventsOf(event);
    this.#histories.set(history, events);
    this.usage.historyEvents = Math.max(this.usage.historyEvents, events);
    if (event.state?.type === 'Task' && ['StateExited', 'StateRetried', 'StateFailed'].includes(event.type)) this.usage.taskInvocations++;
    if (event.type === 'StateEntered') this.usage.stateTransitions++;
    if (this.#breach) return undefined;
    const name = event.state?.name ?? 'the execution';
    const payload =
      event.type === 'StateEntered' || event.type === 'ExecutionStarted'
        ? { bytes: bytesOf(event.state?.input ?? event.input), what: 'received an input' }
        : event.type === 'StateExited'
          ? { bytes: bytesOf(event.state?.output), what: 'returned a result' }
          : undefined;
    if (payload) {
      this.usage.largestPayloadBytes = Math.max(this.usage.largestPayloadBytes, payload.bytes);
      if (payload.bytes > AWS_LIMITS.payloadBytes) {
        return (this.#breach = {
          error: 'States.DataLimitExceeded',
          cause: `The state/task '${name}' ${payload.what} with a size exceeding the maximum number of bytes service limit (${payload.bytes} bytes > ${AWS_LIMITS.payloadBytes}).`,
        });
      }
    }
    // The 25,000th event may only be the execution's success.
    if (events >= AWS_LIMITS.historyEvents && event.type !== 'ExecutionSucceeded') {
      return (this.#breach = { error: 'States.Runtime', cause: `The execution reached the maximum number of history events (${AWS_LIMITS.historyEvents}).` });
    }
    return undefined;
  }
}
