/**
 * Runs one execution on the local runtime and measures it: the runtime's own usage, the requests
 * counted at the clients, each Task's time from the event log times its function's memory
 * (GB-seconds), and how long each tenant x table item took, apart for items that loaded files.
 */
import { performance } from 'node:perf_hooks';
import type { LocalRuntime } from '../local/runtime.js';
import { ExecutionMeter } from '../local/execution-limits.js';
import { localDefinition, type LocalEvent } from '../local/state-machine.js';
import type { Costs } from './costs.js';
import { requestsBetween, type RequestCounts } from './request-counters.js';
import { memoryGb, taskStateFunctions } from './task-functions.js';

const ITEMS_MAP = 'Plan and load every tenant and table';
const LOADS_MAP = 'Load the planned files';

export interface ExecutionMeasure {
  costs: Costs;
  largestPayloadBytes: number;
  historyEvents: number;
  /** The same two, of the items alone: the largest state in an item, the longest child history. */
  item: { largestPayloadBytes: number; historyEvents: number };
  seconds: number;
  /** Time outside the items' Map: Discover, the tables, Validate. */
  outsideMapSeconds: number;
  idleItemSeconds: number[];
  activeItemSeconds: number[];
}

/** Task time by state, matched entry to exit by the state's input (a Load's input names its item and batch). */
function taskClock() {
  const functions = taskStateFunctions();
  const entered = new Map<string, number[]>();
  let gbSeconds = 0;
  return {
    observe(event: LocalEvent) {
      const fn = event.state ? functions.get(event.state.name) : undefined;
      if (!fn || !event.state) return;
      const key = `${event.state.name} ${JSON.stringify(event.state.input)}`;
      if (event.type === 'StateEntered') entered.set(key, [...(entered.get(key) ?? []), event.timestamp]);
      else if (['StateExited', 'StateFailed', 'StateRetried'].includes(event.type)) {
        const [start, ...rest] = entered.get(key) ?? [];
        if (start === undefined) return;
        entered.set(key, event.type === 'StateRetried' ? [event.timestamp, ...rest] : rest);
        gbSeconds += ((event.timestamp - start) / 1000) * memoryGb(fn);
      }
    },
    gbSeconds: () => gbSeconds,
  };
}

/** Each item's span, from its iteration's start to its end; an item that entered the Loads' Map is active. */
function itemClock() {
  const started = new Map<number, number>();
  const active = new Set<number>();
  const spans = { idle: [] as number[], active: [] as number[] };
  let mapEntered = 0;
  let mapSeconds = 0;
  return {
    observe(event: LocalEvent) {
      if (event.state?.name === ITEMS_MAP && event.type === 'StateEntered') mapEntered = event.timestamp;
      if (event.state?.name === ITEMS_MAP && event.type === 'StateExited') mapSeconds += (event.timestamp - mapEntered) / 1000;
      if (event.state?.name === LOADS_MAP && event.type === 'StateEntered' && event.index !== undefined) active.add(event.index);
      if (event.parentState?.name !== ITEMS_MAP || event.index === undefined) return;
      if (event.type === 'MapIterationStarted') started.set(event.index, event.timestamp);
      else if (event.type === 'MapIterationSucceeded' || event.type === 'MapIterationFailed') {
        const seconds = (event.timestamp - (started.get(event.index) ?? event.timestamp)) / 1000;
        (active.has(event.index) ? spans.active : spans.idle).push(seconds);
      }
    },
    spans,
    mapSeconds: () => mapSeconds,
  };
}

/** AWS's meter, shown only the items' events: each item is a child execution with a history of its own. */
function itemMeter() {
  const meter = new ExecutionMeter({ localSteps: new Set(localDefinition().emulation.steps.keys()), distributedMaps: new Set([ITEMS_MAP]) });
  return {
    observe(event: LocalEvent) {
      if (event.index !== undefined || event.parentState) meter.observe(event as never);
    },
    usage: () => ({ largestPayloadBytes: meter.usage.largestPayloadBytes, historyEvents: meter.usage.historyEvents }),
  };
}

export async function measureExecution(runtime: LocalRuntime, requests: () => RequestCounts, input: unknown = {}): Promise<ExecutionMeasure> {
  const tasks = taskClock();
  const items = itemClock();
  const itemUsage = itemMeter();
  const before = requests();
  const start = performance.now();
  const result = await runtime.execute(input, {
    onEvent: (event) => {
      tasks.observe(event);
      items.observe(event);
      itemUsage.observe(event);
    },
  });
  const seconds = (performance.now() - start) / 1000;
  if (result.status !== 'SUCCEEDED') throw new Error(`execution ${result.executionName} ${result.status}: ${result.error}: ${result.cause}`);
  const counted = requestsBetween(before, requests());
  return {
    costs: {
      stateTransitions: result.usage.stateTransitions,
      lambdaInvocations: result.usage.taskInvocations,
      lambdaGbSeconds: tasks.gbSeconds(),
      ...counted,
    },
    largestPayloadBytes: result.usage.largestPayloadBytes,
    historyEvents: result.usage.historyEvents,
    item: itemUsage.usage(),
    seconds,
    outsideMapSeconds: Math.max(0, seconds - items.mapSeconds()),
    idleItemSeconds: items.spans.idle,
    activeItemSeconds: items.spans.active,
  };
}
