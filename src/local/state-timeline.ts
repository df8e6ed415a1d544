/**
 * Each state's status and times in one execution, folded from the local engine's event log as it
 * goes: what the console draws on the state graph, live while the run is under way and from
 * `runs/<run-id>/states.json` once it has ended. A state inside a Map runs once per iteration, so
 * it carries counts (running, succeeded, failed); each Map carries its iterations' progress.
 */
import type { LocalEvent } from './state-machine.js';

/** `caught`: it failed and a Catch took the execution on to its handler state. */
export type StateStatus = 'not-run' | 'running' | 'succeeded' | 'caught' | 'failed';

export interface StateTrack {
  status: StateStatus;
  /** Times entered: more than one for a state inside a Map, or retried by a loop. */
  entered: number;
  running: number;
  succeeded: number;
  failed: number;
  caught: number;
  retried: number;
  /** ISO times: the first entry and the last exit or failure. */
  firstEnteredAt: string;
  lastExitedAt?: string;
}

export interface MapTrack {
  /** Items handed to the Map's iterations so far (every entry of the Map adds its items). */
  items: number;
  started: number;
  succeeded: number;
  failed: number;
}

export interface StateTimeline {
  runId: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  startedAt: string;
  stoppedAt?: string;
  states: Record<string, StateTrack>;
  maps: Record<string, MapTrack>;
}

type Event = LocalEvent & { state?: { name: string; type?: string; input?: unknown } };

function statusOf(track: StateTrack): StateStatus {
  if (track.running > 0) return 'running';
  if (track.failed > 0) return 'failed';
  if (track.caught > 0) return 'caught';
  return track.succeeded > 0 ? 'succeeded' : 'not-run';
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A `$.a.b` path's value, the only form of ItemsPath the definition uses; the whole input otherwise. */
function itemsAt(input: unknown, itemsPath: string | undefined): unknown {
  if (!itemsPath || itemsPath === '$') return input;
  let value = input;
  for (const part of itemsPath.replace(/^\$\.?/, '').split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

export class TimelineRecorder {
  readonly timeline: StateTimeline;
  /** Each Map's ItemsPath, by state name, to count the items it is handed. */
  readonly #itemsPaths: ReadonlyMap<string, string | undefined>;
  /** Caught failures whose exit to the handler is still to come, by state. */
  readonly #caughtPending = new Map<string, number>();

  constructor(runId: string, itemsPaths: ReadonlyMap<string, string | undefined>, now = Date.now()) {
    this.timeline = { runId, status: 'RUNNING', startedAt: iso(now), states: {}, maps: {} };
    this.#itemsPaths = itemsPaths;
  }

  #track(name: string, at: number): StateTrack {
    return (this.timeline.states[name] ??= { status: 'not-run', entered: 0, running: 0, succeeded: 0, failed: 0, caught: 0, retried: 0, firstEnteredAt: iso(at) });
  }

  #map(name: string): MapTrack {
    return (this.timeline.maps[name] ??= { items: 0, started: 0, succeeded: 0, failed: 0 });
  }

  readonly observe = (event: Event): void => {
    const parent = (event as { parentState?: { name: string } }).parentState?.name;
    switch (event.type) {
      case 'MapIterationStarted':
        if (parent) this.#map(parent).started++;
        return;
      case 'MapIterationSucceeded':
        if (parent) this.#map(parent).succeeded++;
        return;
      case 'MapIterationFailed':
        if (parent) this.#map(parent).failed++;
        return;
    }
    if (!event.state) return;
    const track = this.#track(event.state.name, event.timestamp);
    switch (event.type) {
      case 'StateEntered': {
        track.entered++;
        track.running++;
        if (this.#itemsPaths.has(event.state.name)) {
          const items = itemsAt(event.state.input, this.#itemsPaths.get(event.state.name));
          this.#map(event.state.name).items += Array.isArray(items) ? items.length : 0;
        }
        break;
      }
      // The engine's order: Failed, then Retried (the state runs again) or Caught (it exits to its
      // handler) or nothing (the failure ends the scope).
      case 'StateExited': {
        track.running = Math.max(0, track.running - 1);
        const pending = this.#caughtPending.get(event.state.name) ?? 0;
        if (pending > 0) this.#caughtPending.set(event.state.name, pending - 1);
        else track.succeeded++;
        track.lastExitedAt = iso(event.timestamp);
        break;
      }
      case 'StateFailed':
        track.running = Math.max(0, track.running - 1);
        track.failed++;
        track.lastExitedAt = iso(event.timestamp);
        break;
      case 'StateRetried':
        track.failed--;
        track.retried++;
        track.running++;
        break;
      case 'StateCaught':
        track.failed--;
        track.caught++;
        track.running++;
        this.#caughtPending.set(event.state.name, (this.#caughtPending.get(event.state.name) ?? 0) + 1);
        break;
    }
    track.status = statusOf(track);
  };

  /** The execution has ended: a state still counted as running was cut short with it. */
  end(status: StateTimeline['status'], now = Date.now()): StateTimeline {
    this.timeline.status = status;
    this.timeline.stoppedAt = iso(now);
    for (const track of Object.values(this.timeline.states)) {
      if (track.running > 0 && status !== 'SUCCEEDED') {
        track.failed += track.running;
        track.running = 0;
        track.status = statusOf(track);
      }
    }
    return this.timeline;
  }
}
