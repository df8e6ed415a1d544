import { describe, expect, it } from 'vitest';
import { logTable, parseOutcome, parseSince } from '../../src/cli/load-log-command.js';
import { logEngineProblem, logToken } from '../../src/lib/load-log.js';
import type { LoadLogRow } from '../../src/ports.js';

const now = new Date('2026-12-03T12:00:00.000Z');

describe('onceload log flags', () => {
  it('--since takes a date or time in UTC unless it names a zone, or a duration back from now', () => {
    expect(parseSince('2026-12-01', now)).toBe('2026-12-01T00:00:00.000Z');
    expect(parseSince('2026-12-01T08:30', now)).toBe('2026-12-01T08:30:00.000Z');
    expect(parseSince('2026-12-01 08:30:15', now)).toBe('2026-12-01T08:30:15.000Z');
    expect(parseSince('2026-12-01T08:30:00+02:00', now)).toBe('2026-12-01T06:30:00.000Z');
    expect(parseSince('24h', now)).toBe('2026-12-02T12:00:00.000Z');
    expect(parseSince('7d', now)).toBe('2026-11-26T12:00:00.000Z');
    for (const bad of ['yesterday', '7', '0h', '2026-02-30x', '2026-13-01', '']) expect(() => parseSince(bad, now), bad).toThrow(/--since: .* is neither a date nor a duration/);
  });

  it('--outcome is one of the log outcomes, skipped included', () => {
    expect(parseOutcome('skipped')).toBe('skipped');
    expect(() => parseOutcome('done')).toThrow('--outcome: unknown outcome "done"; expected one of loaded, failed, superseded, skipped');
  });
});

const row: LoadLogRow = {
  runId: 'run-1',
  tenant: 'acme',
  table: 'companies',
  key: 'acme/canonical/companies/a.jsonl',
  etag: '"e"',
  generation: 0,
  outcome: 'failed',
  rows: 0,
  bytes: 10,
  startedAt: '2026-12-03T12:00:00.000Z',
  finishedAt: '2026-12-03T12:00:01.500Z',
  attempt: 'a1',
  errorCode: 'WRONG_TYPE',
  errorMessage: 'row 2, column id: not a number',
  errorRow: 2,
  errorColumn: 'id',
};

describe('the load log', () => {
  it('prints a row a line: its time taken and its error where it is', () => {
    expect(logTable([row]).split('\n')[1]).toBe('2026-12-03T12:00:01.500Z\trun-1\tacme\tcompanies\tfailed\t0\t10\t1.500\tacme/canonical/companies/a.jsonl\tWRONG_TYPE (row 2 column id): row 2, column id: not a number');
  });

  it('derives a write token from the rows alone: the same rows the same token, any change another', () => {
    expect(logToken([row])).toBe(logToken([{ ...row }]));
    expect(logToken([row])).not.toBe(logToken([{ ...row, finishedAt: '2026-12-03T12:00:01.501Z' }]));
  });

  it('accepts only an engine that collapses a file version to one row', () => {
    const engine = { table: 'onceload_load_log', sortingKey: 'tenant_id, table_name, file_key, etag, generation' };
    expect(logEngineProblem({ ...engine, engine: 'ReplacingMergeTree', engineFull: 'ReplacingMergeTree(finished_at) ORDER BY ...' })).toBeUndefined();
    expect(logEngineProblem({ ...engine, engine: 'ReplicatedReplacingMergeTree', engineFull: "ReplicatedReplacingMergeTree('/p', '{replica}', finished_at) ORDER BY ..." })).toBeUndefined();
    expect(logEngineProblem({ ...engine, engine: 'MergeTree', engineFull: 'MergeTree ORDER BY ...' })).toMatch(/^onceload_load_log: engine is MergeTree\(\)/);
    expect(logEngineProblem({ ...engine, sortingKey: 'tenant_id, file_key', engine: 'ReplacingMergeTree', engineFull: 'ReplacingMergeTree(finished_at)' })).toContain('expected ReplacingMergeTree(finished_at) ORDER BY (tenant_id, table_name, file_key, etag, generation)');
    expect(logEngineProblem(undefined)).toMatch(/the table does not exist/);
  });
});
