import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { FUNCTION_PLACEHOLDERS, placeholders, readDefinition, substituteDefinition } from '../../src/definition.js';
import { FUNCTION_SETTINGS } from '../../src/function-settings.js';

const arns = Object.fromEntries(Object.keys(FUNCTION_PLACEHOLDERS).map((p) => [p, `arn:aws:lambda:eu-west-1:123456789012:function:${p}`]));

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

/** The least time a retrier can wait in all, as Step Functions computes its waits (full jitter may wait nothing). */
function leastTotalWait(r: Retrier): number {
  if (r.JitterStrategy === 'FULL') return 0;
  let total = 0;
  for (let n = 0; n < (r.MaxAttempts ?? 3); n++) total += Math.min((r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** n, r.MaxDelaySeconds ?? Infinity);
  return total;
}

interface State {
  Type: string;
  Resource?: string;
  Retry?: Retrier[];
  ItemProcessor?: { States: Record<string, State> };
}
function* states(all: Record<string, State>): Generator<[string, State]> {
  for (const [name, state] of Object.entries(all)) {
    yield [name, state];
    if (state.ItemProcessor) yield* states(state.ItemProcessor.States);
  }
}

describe('the state machine definition', () => {
  it('uses exactly the function placeholders, and every Task calls one of them', () => {
    const definition = readDefinition();
    expect(placeholders(definition).sort()).toEqual(Object.keys(FUNCTION_PLACEHOLDERS).sort());
    const parsed = JSON.parse(definition) as { States: Record<string, State> };
    const tasks = [...states(parsed.States)].filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBe(5);
    for (const [, task] of tasks) expect(Object.keys(FUNCTION_PLACEHOLDERS).map((p) => `\${${p}}`)).toContain(task.Resource);
  });

  it('passes asl-validator once substituted', () => {
    const result = aslValidator(JSON.parse(substituteDefinition(readDefinition(), arns)), { checkArn: true, checkPaths: true });
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('is JSONPath only', () => {
    expect(readDefinition()).not.toContain('JSONata');
  });

  it('retries transient errors in every Task, and waits for a busy file in the Load', () => {
    const parsed = JSON.parse(readDefinition()) as { States: Record<string, State> };
    for (const [name, state] of states(parsed.States)) {
      if (state.Type !== 'Task') continue;
      const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect(retried, name).toContain('TransientError');
      expect(retried, name).toContain('IdempotencyPersistenceLayerError');
      expect(retried, name).not.toContain('PermanentError');
      expect(retried, name).not.toContain('States.ALL');
      // A function that ran out of time is tried again (its Load claims go stale first).
      expect(retried, name).toEqual(expect.arrayContaining(['TimeoutError', 'Sandbox.Timedout']));
      if (name === 'Load a batch of files') expect(retried).toEqual(expect.arrayContaining(['IdempotencyAlreadyInProgressError', 'FileBusyError']));
    }
  });

  it('waits for a busy file until the lease of the attempt holding it has certainly ended (S5)', () => {
    const parsed = JSON.parse(readDefinition()) as { States: Record<string, State> };
    const load = [...states(parsed.States)].find(([name]) => name === 'Load a batch of files')![1];
    const busy = load.Retry!.find((r) => r.ErrorEquals.includes('FileBusyError'))!;
    // A lease ends with its invocation: at most the Load function's timeout after it began.
    expect(leastTotalWait(busy)).toBeGreaterThan(FUNCTION_SETTINGS.load.timeoutSeconds + 60);
  });

  it("gives every Task more time than its function's timeout, so the function's own timeout ends a stuck call first", () => {
    const parsed = JSON.parse(readDefinition()) as { States: Record<string, State & { TimeoutSeconds?: number }> };
    for (const [name, state] of states(parsed.States) as Generator<[string, State & { TimeoutSeconds?: number }]>) {
      if (state.Type !== 'Task') continue;
      const placeholder = /\$\{(\w+)\}/.exec(state.Resource ?? '')?.[1] as keyof typeof FUNCTION_PLACEHOLDERS;
      const fn = FUNCTION_PLACEHOLDERS[placeholder];
      expect(state.TimeoutSeconds, name).toBeGreaterThan(FUNCTION_SETTINGS[fn].timeoutSeconds);
    }
  });

  it('ends an execution after 12 hours at most, far beyond the longest Load with all its retries', () => {
    const parsed = JSON.parse(readDefinition()) as { TimeoutSeconds?: number };
    expect(parsed.TimeoutSeconds).toBe(12 * 3600);
    expect(parsed.TimeoutSeconds!).toBeGreaterThan(10 * FUNCTION_SETTINGS.load.timeoutSeconds);
  });

  it('refuses to leave a placeholder unfilled or to fill one that does not exist', () => {
    const { DiscoverFunctionArn: _omitted, ...missing } = arns;
    expect(() => substituteDefinition(readDefinition(), missing)).toThrow(/DiscoverFunctionArn/);
    expect(() => substituteDefinition(readDefinition(), { ...arns, Extra: 'x' })).toThrow(/Extra/);
  });
});
