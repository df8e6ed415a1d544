import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('needs a ClickHouse: a server URL or a chDB path', () => {
    expect(() => loadConfig({})).toThrow(/ONCELOAD_CLICKHOUSE_URL.*ONCELOAD_CHDB_PATH/);
    expect(loadConfig({ ONCELOAD_CHDB_PATH: '/d' }).clickhouse).toEqual({ kind: 'chdb', path: '/d' });
    expect(loadConfig({ ONCELOAD_CLICKHOUSE_URL: 'https://ch:8443', ONCELOAD_CHDB_PATH: '/d' }).clickhouse).toMatchObject({ kind: 'server', url: 'https://ch:8443', database: 'default' });
  });

  it('prefers the deployed secret, read later, over any URL in the environment', () => {
    expect(loadConfig({ ONCELOAD_CLICKHOUSE_SECRET: 'onceload/prod/clickhouse', ONCELOAD_CLICKHOUSE_URL: 'https://ch:8443' }).clickhouse).toEqual({
      kind: 'secret',
      secretName: 'onceload/prod/clickhouse',
    });
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ ONCELOAD_CHDB_PATH: '/d', ONCELOAD_INSERT_BLOCK_ROWS: 'many' })).toThrow(/ONCELOAD_INSERT_BLOCK_ROWS/);
    expect(() => loadConfig({ ONCELOAD_CLICKHOUSE_URL: 'x', ONCELOAD_CLICKHOUSE_DATABASE: 'a;b' })).toThrow(/ONCELOAD_CLICKHOUSE/);
    // A load unit's composition is one ledger item: its files are bounded.
    expect(() => loadConfig({ ONCELOAD_CHDB_PATH: '/d', ONCELOAD_BATCH_MAX_FILES: '500' })).toThrow(/ONCELOAD_BATCH_MAX_FILES/);
  });

  it('resolves the defaults', () => {
    expect(loadConfig({ ONCELOAD_CHDB_PATH: '/d' })).toMatchObject({ ledgerTtlDays: 0, insertBlockRows: 65_536, batchMaxFiles: 50, ledgerTable: 'onceload-file-ledger', region: 'us-east-1' });
  });
});
