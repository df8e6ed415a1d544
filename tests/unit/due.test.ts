import { CANONICAL_TABLES } from '../../src/table-config.js';
import { describe, expect, it } from 'vitest';
import { formatEvery, parseEvery } from '../../src/cli/every.js';
import { InputError } from '../../src/errors.js';
import { discover } from '../../src/lib/discover.js';
import { isDue, nextDueAt } from '../../src/lib/due.js';
import { recordRunSuccess } from '../../src/lib/record-success.js';
import { pinStartTime } from '../../src/local/state-machine.js';
import type { TenantRecord } from '../../src/ports.js';
import { MemoryTenants } from './fakes.js';

const T0 = '2026-03-01T10:00:00.000Z';
const at = (iso: string, plusSeconds = 0) => new Date(Date.parse(iso) + plusSeconds * 1000);
const hourly: TenantRecord = { tenantId: 'hourly', service: 's', enabled: true, everySeconds: 3600, lastSuccessAt: T0 };

describe('isDue', () => {
  it('is due on every tick without a schedule, and on the first tick with one', () => {
    expect(isDue({}, at(T0))).toBe(true);
    expect(isDue({ lastSuccessAt: T0 }, at(T0))).toBe(true);
    expect(isDue({ everySeconds: 3600 }, at(T0))).toBe(true);
    expect(nextDueAt({ everySeconds: 3600 })).toBeUndefined();
  });

  it('is due once the interval has elapsed since the last success, not a millisecond before', () => {
    expect(isDue(hourly, at(T0))).toBe(false);
    // Due up to a minute early, so a rule firing every hour never skips an hourly tenant.
    expect(isDue(hourly, at(T0, 3539.999))).toBe(false);
    expect(isDue(hourly, at(T0, 3540))).toBe(true);
    expect(isDue({ everySeconds: 120, lastSuccessAt: T0 }, at(T0, 107.999))).toBe(false);
    expect(isDue({ everySeconds: 120, lastSuccessAt: T0 }, at(T0, 108))).toBe(true);
    expect(isDue(hourly, at(T0, 7200))).toBe(true);
    expect(nextDueAt(hourly)?.toISOString()).toBe('2026-03-01T11:00:00.000Z');
  });

  it('takes a tenant whose last success is unreadable, rather than holding it back for ever', () => {
    expect(isDue({ everySeconds: 3600, lastSuccessAt: 'yesterday-ish' }, at(T0))).toBe(true);
  });
});

describe('discover in a due run', () => {
  const tenants = () =>
    new MemoryTenants([
      hourly,
      { tenantId: 'always', service: 's', enabled: true, tables: ['companies'] },
      { tenantId: 'fresh', service: 's', enabled: true, everySeconds: 900, tables: ['companies'] },
      { tenantId: 'off', service: 's', enabled: false, everySeconds: 60, lastSuccessAt: T0 },
    ]);
  const tenantsOf = (items: { tenant: string }[]) => [...new Set(items.map((i) => i.tenant))];

  it('keeps only the tenants that are due, and names the others with when they are next due', async () => {
    const half = await discover({ runId: 'r', input: { due: true }, now: at(T0, 1800) }, tenants(), CANONICAL_TABLES);
    expect(half.due).toBe(true);
    expect(tenantsOf(half.items)).toEqual(['always', 'fresh']);
    expect(half.notDue).toEqual([{ tenant: 'hourly', dueAt: '2026-03-01T11:00:00.000Z' }]);

    const later = await discover({ runId: 'r', input: { due: true }, now: at(T0, 3600) }, tenants(), CANONICAL_TABLES);
    expect(tenantsOf(later.items)).toEqual(['always', 'fresh', 'hourly']);
    expect(later.notDue).toEqual([]);
  });

  it('ignores schedules when the run is not a due run', async () => {
    const all = await discover({ runId: 'r', input: {}, now: at(T0) }, tenants(), CANONICAL_TABLES);
    expect(all.due).toBe(false);
    expect(tenantsOf(all.items)).toEqual(['always', 'fresh', 'hourly']);
    expect(all.notDue).toEqual([]);
  });

  it('takes the due ones among the tenants named', async () => {
    const named = await discover({ runId: 'r', input: { due: true, tenants: ['hourly', 'fresh'] }, now: at(T0, 60) }, tenants(), CANONICAL_TABLES);
    expect(tenantsOf(named.items)).toEqual(['fresh']);
    expect(named.notDue.map((n) => n.tenant)).toEqual(['hourly']);
    const none = await discover({ runId: 'r', input: { due: true, tenants: ['hourly'] }, now: at(T0, 60) }, tenants(), CANONICAL_TABLES);
    expect(none.items).toEqual([]);
    expect(none.tables).toEqual([]);
  });

  it('names the scheduled tenants the run covers whole: a run of some of their tables does not restart their schedule', async () => {
    const all = await discover({ runId: 'r', input: {}, now: at(T0) }, tenants(), CANONICAL_TABLES);
    // hourly lands every table; fresh only companies; always has no schedule.
    expect(all.scheduled).toEqual(['fresh', 'hourly']);
    const some = await discover({ runId: 'r', input: { tables: ['companies'] }, now: at(T0) }, tenants(), CANONICAL_TABLES);
    expect(some.scheduled).toEqual(['fresh']);
  });

  it('refuses an unreadable clock rather than skipping everyone', async () => {
    await expect(discover({ runId: 'r', input: { due: true }, now: new Date('soon') }, tenants(), CANONICAL_TABLES)).rejects.toThrow(/start time/);
  });
});

describe('recording a run as the last success of its tenants', () => {
  const input = (startedAt: string, dryRun = false) => ({
    runId: 'r',
    dryRun,
    startedAt,
    scheduled: ['a', 'b'],
    items: [
      { tenant: 'b', table: 'companies' as const },
      { tenant: 'a', table: 'companies' as const },
      { tenant: 'a', table: 'contacts' as const },
    ],
  });
  const directory = () =>
    new MemoryTenants([
      { tenantId: 'a', service: 's', enabled: true },
      { tenantId: 'b', service: 's', enabled: true, lastSuccessAt: '2026-03-01T09:00:00.000Z' },
      { tenantId: 'c', service: 's', enabled: true },
    ]);

  it('records the start time for each distinct tenant of a run that validated', async () => {
    const tenants = directory();
    expect(await recordRunSuccess(input('2026-03-01T10:00:00Z'), { ok: true }, tenants)).toEqual(['a', 'b']);
    expect((await tenants.list()).map((t) => [t.tenantId, t.lastSuccessAt])).toEqual([
      ['a', T0],
      ['b', T0],
      ['c', undefined],
    ]);
  });

  it('records nothing for a tenant without a schedule', async () => {
    const tenants = directory();
    expect(await recordRunSuccess({ ...input(T0), scheduled: ['b'] }, { ok: true }, tenants)).toEqual(['b']);
    expect((await tenants.list()).map((t) => t.lastSuccessAt)).toEqual([undefined, T0, undefined]);
  });

  it('records nothing for a run that failed validation, or a dry run', async () => {
    const tenants = directory();
    expect(await recordRunSuccess(input(T0), { ok: false }, tenants)).toEqual([]);
    expect(await recordRunSuccess(input(T0, true), { ok: true }, tenants)).toEqual([]);
    expect((await tenants.list()).map((t) => t.lastSuccessAt)).toEqual([undefined, '2026-03-01T09:00:00.000Z', undefined]);
  });

  it('refuses a start time that is not a date', async () => {
    await expect(recordRunSuccess(input('not a date'), { ok: true }, directory())).rejects.toThrow(/not a date/);
  });
});

describe('--every', () => {
  it.each([
    ['15m', 900],
    ['1h', 3600],
    ['1d', 86_400],
    ['90 minutes', 5400],
    ['1m', 60],
  ])('parses %s as %i seconds', (value, seconds) => {
    expect(parseEvery(value)).toBe(seconds);
  });

  it.each(['30s', '59s', '0m', '-1h', '90', 'hourly', ''])('refuses %j naming --every', (value) => {
    expect(() => parseEvery(value)).toThrow(InputError);
    expect(() => parseEvery(value)).toThrow(/^--every: /);
  });

  it('shows an interval in the largest unit that divides it', () => {
    expect([900, 3600, 5400, 86_400, 172_800, 61].map(formatEvery)).toEqual(['15m', '1h', '90m', '1d', '2d', '61s']);
  });
});

describe('a chosen start time in the local engine', () => {
  it('pins every field that reads $$.Execution.StartTime, at any depth, and nothing else', () => {
    const definition = {
      States: {
        A: { Type: 'Task', Parameters: { 'now.$': '$$.Execution.StartTime', 'runId.$': '$$.Execution.Name', nested: { 'at.$': '$$.Execution.StartTime' } } },
        B: { Type: 'Map', ItemSelector: { 'list.$': '$.items', literal: '$$.Execution.StartTime' } },
      },
    };
    expect(pinStartTime(definition, T0)).toEqual({
      States: {
        A: { Type: 'Task', Parameters: { now: T0, 'runId.$': '$$.Execution.Name', nested: { at: T0 } } },
        B: { Type: 'Map', ItemSelector: { 'list.$': '$.items', literal: '$$.Execution.StartTime' } },
      },
    });
  });
});
