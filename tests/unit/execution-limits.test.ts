import { describe, expect, it } from 'vitest';
import { AWS_LIMITS, ExecutionMeter } from '../../src/local/execution-limits.js';

const task = (type: string, output?: unknown) => ({ type, state: { name: 'Load the batch', type: 'Task', input: {}, output } });

describe('the local engine meters an execution as AWS does', () => {
  it('refuses a state output over 256 KiB with States.DataLimitExceeded naming the state, and one just under it passes', () => {
    const meter = new ExecutionMeter();
    const under = 'x'.repeat(AWS_LIMITS.payloadBytes - 2);
    expect(meter.observe(task('StateExited', under))).toBeUndefined();
    const breach = meter.observe(task('StateExited', `${under}x`));
    expect(breach).toMatchObject({ error: 'States.DataLimitExceeded' });
    expect(breach?.cause).toContain("'Load the batch' returned a result");
    expect(meter.usage.largestPayloadBytes).toBe(AWS_LIMITS.payloadBytes + 1);
  });

  it('refuses a state input over the cap (a Map item is the input of its first state)', () => {
    const meter = new ExecutionMeter();
    const breach = meter.observe({ type: 'StateEntered', state: { name: 'Plan the files to load', type: 'Task', input: { files: 'y'.repeat(AWS_LIMITS.payloadBytes) } } });
    expect(breach?.cause).toContain("'Plan the files to load' received an input");
  });

  it('counts five history events a Lambda task, three more a retry, and fails at 25,000 unless that event is the success', () => {
    const meter = new ExecutionMeter();
    meter.observe({ type: 'ExecutionStarted', input: {} });
    meter.observe(task('StateEntered'));
    meter.observe(task('StateRetried'));
    meter.observe(task('StateExited', {}));
    expect(meter.usage).toMatchObject({ historyEvents: 1 + 1 + 3 + 4, stateTransitions: 1, taskInvocations: 2 });

    const entered = { type: 'StateEntered', state: { name: 'Choose', type: 'Choice', input: {} } };
    const near = new ExecutionMeter();
    for (let i = 0; i < AWS_LIMITS.historyEvents - 1; i++) near.observe(entered);
    expect(near.observe({ type: 'ExecutionSucceeded' })).toBeUndefined();
    const over = new ExecutionMeter();
    for (let i = 0; i < AWS_LIMITS.historyEvents - 1; i++) over.observe(entered);
    expect(over.observe(entered)).toMatchObject({ error: 'States.Runtime' });
  });

  it("counts each child of a Distributed Map in a history of its own, and its inline Maps' iterations in that child's", () => {
    const meter = new ExecutionMeter({ distributedMaps: new Set(['Every item']) });
    const child = (index: number, name: string, type = 'Task') => ({ type: 'StateEntered', index, state: { name, type, input: { item: index } } });
    // 10 children of 2,400 events each: 24,000 events in all, none in one history past the cap.
    for (let index = 0; index < 10; index++) {
      meter.observe({ type: 'MapIterationStarted', index, parentState: { name: 'Every item' } });
      meter.observe(child(index, 'Load the files', 'Map'));
      for (let i = 0; i < 2_397; i++) meter.observe({ type: 'MapIterationStarted', index: i, parentState: { name: 'Load the files', input: { item: index } } });
    }
    expect(meter.breach).toBeUndefined();
    expect(meter.usage.historyEvents).toBe(2_399);
    // One child past 25,000 fails as AWS fails it.
    for (let i = 0; i < 22_601; i++) meter.observe(child(3, 'Plan'));
    expect(meter.breach).toMatchObject({ error: 'States.Runtime' });
  });

  it('leaves out what only the local runtime does: its ItemReader and ResultWriter steps, and their fields in a payload', () => {
    const meter = new ExecutionMeter({ localSteps: new Set(['Every item (ItemReader)']) });
    const items = Array.from({ length: 20_000 }, (_, i) => ({ tenant: `t${i}`, table: 'companies' }));
    expect(meter.observe({ type: 'StateExited', state: { name: 'Every item (ItemReader)', type: 'Task', output: { __localItems: items } } })).toBeUndefined();
    expect(meter.observe({ type: 'StateEntered', state: { name: 'Every item', type: 'Map', input: { runId: 'r', __localItems: items } } })).toBeUndefined();
    expect(meter.usage.largestPayloadBytes).toBe(Buffer.byteLength(JSON.stringify({ runId: 'r' })));
    expect(meter.usage.stateTransitions).toBe(1);
  });
});
