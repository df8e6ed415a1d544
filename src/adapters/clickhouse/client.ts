/**
 * One `@clickhouse/client` for both targets: a ClickHouse server over HTTP(S), or chDB in
 * process through its Connection. chDB is imported only when used, so a deployed function
 * never loads the native engine.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseTarget } from '../../config.js';

export async function createClickHouseClient(target: Exclude<ClickHouseTarget, { kind: 'secret' }>): Promise<ClickHouseClient> {
  if (target.kind === 'server') {
    return createClient({
      url: target.url,
      username: target.username,
      password: target.password,
      database: target.database,
      request_timeout: 600_000,
    });
  }
  const { createChdbConnection } = await import('chdb/connection');
  // chdb bundles its own copy of the client-common types; the runtime contract is the same.
  const connection = createChdbConnection({ path: target.path }) as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
  return createClient({ connection });
}
