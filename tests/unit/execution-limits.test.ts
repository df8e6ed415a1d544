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

    const near = new ExecutionMeter();
    near.usage.historyEvents = AWS_LIMITS.historyEvents - 1;
    expect(near.observe({ type: 'ExecutionSucceeded' })).toBeUndefined();
    const over = new ExecutionMeter();
    over.usage.historyEvents = AWS_LIMITS.historyEvents - 1;
    expect(over.observe({ type: 'StateEntered', state: { name: 'Choose', type: 'Choice', input: {} } })).toMatchObject({ error: 'States.Runtime' });
  });
});
