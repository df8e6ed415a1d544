import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

type Observability = typeof import('../../src/runtime/observability.js');
let o: Observability;

const context = { functionName: 'onceload-load', awsRequestId: 'req-1', functionVersion: '$LATEST', memoryLimitInMB: '512', invokedFunctionArn: 'arn' } as Context;

/** Everything Powertools printed while `fn` ran, one parsed JSON object per line. */
async function printed(fn: () => Promise<unknown>): Promise<Record<string, any>[]> {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
    ...(['log', 'info', 'warn', 'error'] as const).map((level) => vi.spyOn(console, level).mockImplementation(capture)),
  ];
  try {
    await fn();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
}

beforeAll(async () => {
  // As on Lambda: the module reads these when first imported.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_TRACE_ENABLED = 'false';
  o = await import('../../src/runtime/observability.js');
});

afterEach(() => vi.restoreAllMocks());

describe('observability', () => {
  it('puts the run, tenant and table of the event on every log line, and forgets them after the call', async () => {
    const handler = middy(async () => {
      o.logger.info('loading');
      return 'done';
    }).use(o.observability());
    const first = await printed(() => handler({ runId: 'run-1', tenant: 'acme', table: 'tickets', files: [] }, context));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ message: 'loading', runId: 'run-1', tenant: 'acme', table: 'tickets', service: 'onceload', function_name: 'onceload-load' });
    const second = await printed(() => handler({ runId: 'run-2' }, context));
    expect(second[0]).toMatchObject({ runId: 'run-2' });
    expect(second[0]).not.toHaveProperty('tenant');
  });

  it("logs each file of a Load with the run, tenant and table, and counts the outcomes per table", async () => {
    const handler = middy(async () => {
      o.reportLoad('tickets', [
        { key: 'a.jsonl', etag: 'e1', generation: 0, status: 'loaded', outcome: 'loaded', rows: 20, runId: 'run-4' },
        { key: 'b.jsonl', etag: 'e2', generation: 0, status: 'failed', outcome: 'failed', error: 'row 3: id is missing', code: 'MISSING_VALUE', runId: 'run-4' },
        { key: 'c.jsonl', etag: 'e3', generation: 0, status: 'done', outcome: 'loaded', rows: 5, runId: 'run-1' },
      ]);
    }).use(o.observability());
    const lines = await printed(() => handler({ runId: 'run-4', tenant: 'acme', table: 'tickets' }, context));
    const logs = lines.filter((l) => l.message);
    expect(logs.map((l) => [l.level, l.message, l.key])).toEqual([
      ['INFO', 'file loaded', 'a.jsonl'],
      ['ERROR', 'file failed', 'b.jsonl'],
      ['INFO', 'file already settled', 'c.jsonl'],
    ]);
    for (const l of logs) expect(l).toMatchObject({ runId: 'run-4', tenant: 'acme', table: 'tickets' });
    expect(logs[1]).toMatchObject({ code: 'MISSING_VALUE', error: 'row 3: id is missing' });
    const metric = (name: string) => lines.find((l) => l._aws && l[name] !== undefined)?.[name];
    expect([metric('FilesLoaded'), metric('FileFailures'), metric('FilesSkipped'), metric('RowsInserted')]).toEqual([1, 1, 1, 20]);
  });

  it('publishes per-table counts as EMF metrics in the onceload namespace', async () => {
    const handler = middy(async () => {
      o.countPerTable('tickets', { [o.METRIC.filesLoaded]: 3, [o.METRIC.rowsInserted]: 600 });
    }).use(o.observability());
    const lines = await printed(() => handler({ runId: 'run-3', tenant: 'acme', table: 'tickets' }, context));
    const emf = lines.filter((l) => l._aws);
    const values = Object.fromEntries(
      emf.flatMap((l) => (l._aws.CloudWatchMetrics[0].Metrics as { Name: string }[]).map((m) => [m.Name, { value: l[m.Name], table: l.table, ns: l._aws.CloudWatchMetrics[0].Namespace }])),
    );
    expect(values.FilesLoaded).toEqual({ value: 3, table: 'tickets', ns: 'onceload' });
    expect(values.RowsInserted).toEqual({ value: 600, table: 'tickets', ns: 'onceload' });
    for (const l of emf.filter((x) => x.FilesLoaded !== undefined)) expect(l._aws.CloudWatchMetrics[0].Dimensions[0]).toEqual(expect.arrayContaining(['service', 'table']));
  });
});
