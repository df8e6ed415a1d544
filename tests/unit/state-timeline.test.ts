import { describe, expect, it } from 'vitest';
import { TimelineRecorder } from '../../src/local/state-timeline.js';

const at = (s: number) => Date.parse('2026-01-01T00:00:00Z') + s * 1000;
type Ev = Parameters<TimelineRecorder['observe']>[0];
const ev = (type: string, name: string, s: number, extra: Record<string, unknown> = {}): Ev => ({ type, timestamp: at(s), state: { name, type: 'Task' }, ...extra }) as Ev;

describe('the state timeline folded from the event log', () => {
  it('marks a state succeeded with its times, a retried one by its retries, a caught one as caught', () => {
    const r = new TimelineRecorder('run-1', new Map(), at(0));
    r.observe(ev('StateEntered', 'Discover', 0));
    r.observe(ev('StateExited', 'Discover', 2));
    // Failed, retried, then succeeded: one entry, no failure left.
    r.observe(ev('StateEntered', 'Load', 3));
    r.observe(ev('StateFailed', 'Load', 4));
    expect(r.timeline.states.Load!.status).toBe('failed');
    r.observe(ev('StateRetried', 'Load', 5));
    expect(r.timeline.states.Load!.status).toBe('running');
    r.observe(ev('StateExited', 'Load', 6));
    // Failed and caught: the engine still exits it, to the handler.
    r.observe(ev('StateEntered', 'Plan', 7));
    r.observe(ev('StateFailed', 'Plan', 8));
    r.observe(ev('StateCaught', 'Plan', 8));
    r.observe(ev('StateExited', 'Plan', 8));
    const t = r.end('SUCCEEDED', at(9));
    expect(t.states.Discover).toMatchObject({ status: 'succeeded', entered: 1, succeeded: 1, firstEnteredAt: '2026-01-01T00:00:00.000Z', lastExitedAt: '2026-01-01T00:00:02.000Z' });
    expect(t.states.Load).toMatchObject({ status: 'succeeded', entered: 1, succeeded: 1, failed: 0, retried: 1, running: 0 });
    expect(t.states.Plan).toMatchObject({ status: 'caught', succeeded: 0, failed: 0, caught: 1, running: 0 });
    expect(t).toMatchObject({ runId: 'run-1', status: 'SUCCEEDED', stoppedAt: '2026-01-01T00:00:09.000Z' });
  });

  it("counts a Map's items from its ItemsPath and its iterations as they start and end", () => {
    const r = new TimelineRecorder('run-2', new Map([['Each item', '$.items.list']]), at(0));
    r.observe({ ...ev('StateEntered', 'Each item', 0), state: { name: 'Each item', type: 'Map', input: { items: { list: [1, 2, 3] } } } } as Ev);
    for (const index of [0, 1, 2]) r.observe({ type: 'MapIterationStarted', timestamp: at(1), parentState: { name: 'Each item' }, index } as unknown as Ev);
    r.observe({ type: 'MapIterationSucceeded', timestamp: at(2), parentState: { name: 'Each item' }, index: 0 } as unknown as Ev);
    r.observe({ type: 'MapIterationFailed', timestamp: at(2), parentState: { name: 'Each item' }, index: 1 } as unknown as Ev);
    expect(r.timeline.maps['Each item']).toEqual({ items: 3, started: 3, succeeded: 1, failed: 1 });
    expect(r.timeline.states['Each item']!.status).toBe('running');
  });

  it('ends a state cut short by a failed execution as failed, not running', () => {
    const r = new TimelineRecorder('run-3', new Map(), at(0));
    r.observe(ev('StateEntered', 'Load', 0));
    expect(r.end('ABORTED', at(1)).states.Load).toMatchObject({ status: 'failed', running: 0, failed: 1 });
  });
});
