import { describe, expect, it } from 'vitest';
import { executionArnOf, parseExecutionArn } from '../../src/remote/arn.js';
import { canonicalInput, canonicalJson, EXECUTION_NAME, executionName } from '../../src/remote/execution-name.js';
import { fromItemCounts, ITEM_MAP } from '../../src/remote/map-progress.js';
import { progressLine } from '../../src/remote/render.js';
import definition from '../../statemachines/onceload.asl.json' with { type: 'json' };

const at = (iso: string) => new Date(iso);

describe('the execution name of a trigger', () => {
  it('is the same for the same input in the same UTC minute, whatever the key or list order', () => {
    const a = executionName(canonicalInput({ tenants: ['acme', 'globex'], tables: ['companies'] }), at('2026-11-24T12:05:00.000Z'));
    const b = executionName(canonicalInput({ tables: ['companies'], tenants: ['globex', 'acme', 'acme'] }), at('2026-11-24T12:05:59.999Z'));
    expect(b).toBe(a);
    expect(a).toMatch(/^trigger-20261124T1205-[0-9a-f]{12}$/);
  });

  it('differs in another minute or with another input', () => {
    const input = canonicalInput({ tenants: ['acme'] });
    const name = executionName(input, at('2026-11-24T12:05:30Z'));
    expect(executionName(input, at('2026-11-24T12:06:00Z'))).not.toBe(name);
    expect(executionName(input, at('2026-11-25T12:05:30Z'))).not.toBe(name);
    expect(executionName(canonicalInput({ tenants: ['acme'], tables: ['contacts'] }), at('2026-11-24T12:05:30Z'))).not.toBe(name);
    expect(executionName(canonicalInput({}), at('2026-11-24T12:05:30Z'))).not.toBe(name);
  });

  it('keeps to the characters and length Step Functions allows', () => {
    const longest = executionName(canonicalInput({ tenants: Array.from({ length: 500 }, (_, i) => `tenant-${i}`) }), at('9999-12-31T23:59:59Z'));
    expect(longest).toMatch(EXECUTION_NAME);
    expect(longest.length).toBeLessThanOrEqual(80);
    expect(EXECUTION_NAME.test('a:b')).toBe(false);
  });

  it('hashes JSON with sorted keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
    expect(canonicalInput({ tenants: ['b', 'a'] })).toBe('{"tenants":["a","b"]}');
  });
});

describe('execution ARNs', () => {
  it('builds the ARN of an execution from its state machine ARN', () => {
    expect(executionArnOf('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:onceload-prod-pipeline', 'trigger-x')).toBe(
      'arn:aws-cn:states:cn-north-1:123456789012:execution:onceload-prod-pipeline:trigger-x',
    );
    expect(parseExecutionArn('arn:aws:states:eu-west-1:123456789012:execution:onceload-dev-pipeline:trigger-x')).toMatchObject({
      region: 'eu-west-1',
      stateMachine: 'onceload-dev-pipeline',
      qualifier: 'trigger-x',
    });
  });
});

describe('progress of the Map', () => {
  it('watches the state the definition runs per tenant and table, a Distributed Map whose map run it reads', () => {
    expect(Object.keys(definition.States)).toContain(ITEM_MAP);
    expect((definition.States[ITEM_MAP] as { ItemProcessor?: { ProcessorConfig?: { Mode?: string } } }).ItemProcessor?.ProcessorConfig?.Mode).toBe('DISTRIBUTED');
  });

  it('counts timed-out items as failed, and done as succeeded + failed + aborted', () => {
    const items = fromItemCounts({ total: 9, pending: 1, running: 2, succeeded: 3, failed: 1, timedOut: 1, aborted: 1, resultsWritten: 0 });
    expect(progressLine({ status: 'RUNNING', items })).toBe('RUNNING: 6/9 item(s) done (3 succeeded, 2 failed, 1 aborted, 2 running, 1 pending)');
  });
});
