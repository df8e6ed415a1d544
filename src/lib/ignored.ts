/**
 * Landed objects onceload does not load are never silent: each is recorded once per version
 * with its reason (in a ledger scope of its own), counted in the run report, and listed by
 * `onceload files --status ignored`. A record lasts while its object is landed and ignored.
 */
import type { IgnoredObject, IgnoreReason, LandedFile, Ledger } from '../ports.js';

/** Scope of the bucket's top level: unregistered tenants' folders and keys outside any folder. */
export const BUCKET_SCOPE = '*';

export type IgnoredLedger = Pick<Ledger, 'listIgnored' | 'recordIgnored' | 'forgetIgnored'>;

export interface Ignored {
  file: LandedFile;
  reason: IgnoreReason;
}

/** What the run report carries of the ignored objects: how many, and a few of them. */
export interface IgnoredSummary {
  count: number;
  sample: { key: string; reason: IgnoreReason }[];
}

export const SAMPLE_IGNORED = 5;

export const REASONS: Record<IgnoreReason, string> = {
  'unknown-extension': 'not a .jsonl, .ndjson, .json, .csv or .parquet file (optionally .gz)',
  'unknown-table': 'the folder names no configured table',
  'table-not-enabled': "the table is not one of the tenant's tables",
  'unregistered-tenant': 'no tenant has this id',
  'outside-layout': 'outside <tenant>/canonical/<table>/',
};

export function summarise(found: readonly Ignored[]): IgnoredSummary {
  return { count: found.length, sample: found.slice(0, SAMPLE_IGNORED).map((i) => ({ key: i.file.key, reason: i.reason })) };
}

/**
 * Makes the records of one scope (those under `prefix`, when given) match what was found:
 * records each new or changed version, forgets objects no longer there. One Query; writes only
 * for what changed, so a run that finds the same objects writes nothing.
 */
export async function reconcileIgnored(
  scope: string,
  found: readonly Ignored[],
  params: { runId: string; now: Date; prefix?: string; owns?: (key: string) => boolean },
  ledger: IgnoredLedger,
): Promise<void> {
  // Plan records the table folders' objects in the tenant's scope too: each finder manages its own keys.
  const owned = (await ledger.listIgnored(scope, params.prefix)).filter((r) => params.owns?.(r.key) ?? true);
  const recorded = new Map(owned.map((r) => [r.key, r]));
  for (const { file, reason } of found) {
    const before = recorded.get(file.key);
    recorded.delete(file.key);
    if (before && before.etag === file.etag && before.reason === reason) continue;
    await ledger.recordIgnored(scope, { key: file.key, etag: file.etag, size: file.size, reason, runId: params.runId, seenAt: params.now.toISOString() });
  }
  for (const stale of recorded.keys()) await ledger.forgetIgnored(scope, stale);
}

/** The recorded ignored objects of some tenants' folders, and of the bucket's top level. */
export async function listIgnoredObjects(ledger: Pick<Ledger, 'listIgnored'>, params: { tenants: readonly string[]; wholeBucket: boolean }): Promise<IgnoredObject[]> {
  const scopes = [...params.tenants, ...(params.wholeBucket ? [BUCKET_SCOPE] : [])];
  const lists = await Promise.all(scopes.map((scope) => ledger.listIgnored(scope)));
  // A tenant not registered has its objects in the bucket scope.
  const extra = params.wholeBucket ? [] : (await ledger.listIgnored(BUCKET_SCOPE)).filter((o) => params.tenants.some((t) => o.key.startsWith(`${t}/`)));
  return [...lists.flat(), ...extra].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
