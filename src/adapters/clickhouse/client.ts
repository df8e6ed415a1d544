/**
 * One `@clickhouse/client` for both targets: a ClickHouse server over HTTP(S), or chDB in
 * process through its Connection. chDB is imported only when used, so a deployed function
 * never loads the native engine.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseTarget } from '../../config.js';

export async function createClickHouseClient(target: Exclude<ClickHouseTarget, { kind: 'secret' } | { kind: 'none' }>): Promise<ClickHouseClient> {
  if (target.kind === 'server') {
    // Credentials in the URL win; passing ours too only earns a warning per client.
    const inUrl = new URL(target.url).username !== '';
    return createClient({
      url: target.url,
      ...(inUrl ? {} : { username: target.username, password: target.password }),
      database: target.database,
      request_timeout: 600_000,
      // Every error it would log is thrown to the caller, which classifies and reports it; its
      // own dumps (16 lines a failed request) only repeat them.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }
  const ahead = openedAhead.get(target.path);
  openedAhead.delete(target.path);
  // chdb bundles its own copy of the client-common types; the runtime contract is the same.
  const connection = (await (ahead ?? openChdb(target.path))) as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
  return createClient({ connection });
}

async function openChdb(path: string) {
  const { createChdbConnection } = await import('chdb/connection');
  return createChdbConnection({ path });
}

/** chDB sessions opened ahead of their first client, by path: each is taken once. */
const openedAhead = new Map<string, ReturnType<typeof openChdb>>();

/**
 * Opens chDB at `path` for the next client of it. Loading the engine and opening its session
 * hold the thread for a few hundred milliseconds: the embedded runtime does it while its stores'
 * processes start, instead of after.
 */
export function openChdbAhead(path: string): void {
  if (openedAhead.has(path)) return;
  const opening = openChdb(path);
  // A failure is the first client's to report.
  opening.catch(() => undefined);
  openedAhead.set(path, opening);
}
