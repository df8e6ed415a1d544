/**
 * `tenants add`, `update` and `remove`: add creates and refuses an existing tenant, update
 * changes only the settings given, remove keeps the tenant's file ledger.
 */
import { InputError } from '../errors.js';
import type { TenantDirectory, TenantRecord } from '../ports.js';
import type { TableName } from '../tables.js';
import { describeStartPoint } from '../lib/start-point.js';
import { formatEvery } from './every.js';
import { loadTables } from '../table-config.js';

/** `onceload tenants list`: a line a tenant, with its schedule, last success and start point. */
export function tenantsText(rows: readonly TenantRecord[]): string {
  const all = loadTables().names;
  const schedule = (t: TenantRecord) => `${t.everySeconds ? formatEvery(t.everySeconds) : '-'}\t${t.lastSuccessAt ?? '-'}\t${describeStartPoint(t)}`;
  return [
    'tenant\tservice\tenabled\ttables\tevery\tlast success\tstart point',
    ...rows.map((t) => `${t.tenantId}\t${t.service}\t${t.enabled}\t${(t.tables ?? all).join(',')}\t${schedule(t)}`),
  ].join('\n');
}

export interface TenantSettings {
  service?: string;
  tables?: TableName[];
  /** true: enabled; false: disabled (runs skip it). */
  enabled?: boolean;
  /** Seconds between due runs; false removes the schedule. */
  every?: number | false;
  /** The start point (src/lib/start-point.ts), checked already; false clears it. */
  since?: string | false;
  startAfter?: string | false;
}

/** The start point's fields after the settings: kept when not given, removed when false. */
function startFields(current: Pick<TenantRecord, 'since' | 'startAfter'>, settings: TenantSettings): Pick<TenantRecord, 'since' | 'startAfter'> {
  const since = settings.since === undefined ? current.since : settings.since || undefined;
  const startAfter = settings.startAfter === undefined ? current.startAfter : settings.startAfter || undefined;
  return { ...(since !== undefined ? { since } : {}), ...(startAfter !== undefined ? { startAfter } : {}) };
}

const startText = (t: TenantRecord) => (t.since !== undefined || t.startAfter !== undefined ? `, start point ${describeStartPoint(t)}` : '');

async function find(directory: TenantDirectory, tenantId: string): Promise<TenantRecord | undefined> {
  return (await directory.list()).find((t) => t.tenantId === tenantId);
}

function unknownTenant(tenantId: string): InputError {
  return new InputError(`no tenant ${JSON.stringify(tenantId)}; add it with \`onceload tenants add ${tenantId}\``);
}

function summary(t: TenantRecord): string {
  const tables = t.tables ? t.tables.join(',') : 'all tables';
  return `service ${t.service}, ${tables}, ${t.enabled ? 'enabled' : 'disabled'}${t.everySeconds ? `, due every ${formatEvery(t.everySeconds)}` : ''}${startText(t)}`;
}

/** The tenant as written, for the caller to mark its tables (src/lib/arrivals.ts). */
export async function addTenant(directory: TenantDirectory, tenantId: string, settings: TenantSettings, written?: (tenant: TenantRecord) => Promise<void>): Promise<string> {
  if (await find(directory, tenantId)) {
    throw new InputError(`tenant ${tenantId} exists; change its settings with \`onceload tenants update ${tenantId} [--service S] [--tables a,b] [--every 1h] ...\``);
  }
  const tenant: TenantRecord = {
    tenantId,
    service: settings.service ?? 'default',
    enabled: settings.enabled ?? true,
    ...(settings.tables ? { tables: settings.tables } : {}),
    ...(settings.every ? { everySeconds: settings.every } : {}),
    ...startFields({}, settings),
  };
  await directory.put(tenant);
  await written?.(tenant);
  return `tenant ${tenantId} added${tenant.enabled ? '' : ' (disabled)'}${tenant.everySeconds ? `, due every ${formatEvery(tenant.everySeconds)}` : ''}${startText(tenant)}`;
}

export async function updateTenant(directory: TenantDirectory, tenantId: string, settings: TenantSettings, written?: (tenant: TenantRecord) => Promise<void>): Promise<string> {
  const current = await find(directory, tenantId);
  if (!current) throw unknownTenant(tenantId);
  const { everySeconds, lastSuccessAt: _kept, since: _since, startAfter: _startAfter, ...rest } = current;
  const every = settings.every === undefined ? everySeconds : settings.every || undefined;
  const tenant: TenantRecord = {
    ...rest,
    ...(settings.service !== undefined ? { service: settings.service } : {}),
    ...(settings.enabled !== undefined ? { enabled: settings.enabled } : {}),
    ...(settings.tables ? { tables: settings.tables } : {}),
    ...(every ? { everySeconds: every } : {}),
    ...startFields(current, settings),
  };
  // put keeps the last success; it writes every field, so unchanged ones are written as they were.
  await directory.put(tenant);
  await written?.(tenant);
  return `tenant ${tenantId} updated: ${summary(tenant)}`;
}

export async function removeTenant(directory: TenantDirectory, tenantId: string): Promise<string> {
  if (!(await directory.remove(tenantId))) throw unknownTenant(tenantId);
  return `tenant ${tenantId} removed; its file ledger is kept (onceload files --tenant ${tenantId}), so adding it again loads no file twice`;
}
