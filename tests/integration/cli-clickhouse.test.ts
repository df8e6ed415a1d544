import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

describe('the ClickHouse the CLI talks to', () => {
  it('an unreachable server fails the run at once with one line naming the URL, without its password', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'onceload-ch-'));
    const result = runCli(['demo'], { env: { ONCELOAD_DATA_DIR: dataDir, ONCELOAD_CLICKHOUSE_URL: 'http://default:hunter2@127.0.0.1:1' }, timeoutMs: 40_000 });
    expect(result.hung).toBe(false);
    expect(result.code).toBe(1);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('onceload:'));
    expect(errors).toEqual(['onceload: cannot reach the ClickHouse server at http://default:***@127.0.0.1:1 (database default): ECONNREFUSED; check ONCELOAD_CLICKHOUSE_URL and the server']);
    expect(result.stderr).not.toContain('hunter2');
    expect(result.stderr).not.toContain('@clickhouse/client');
    expect(result.ms).toBeLessThan(30_000);
  });

  it('sql says on stderr, in one line, which ClickHouse it queries', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'onceload-ch-'));
    const result = runCli(['sql', 'SELECT 1 + 1'], { env: { ONCELOAD_DATA_DIR: dataDir } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('2\n');
    expect(result.stderr).toBe(`querying the embedded ClickHouse (chDB) in ${join(dataDir, 'clickhouse')}\n`);
    const server = runCli(['sql', 'SELECT 1'], { env: { ONCELOAD_DATA_DIR: dataDir, ONCELOAD_CLICKHOUSE_URL: 'http://127.0.0.1:1' }, timeoutMs: 40_000 });
    expect(server.stderr.split('\n')[0]).toBe('querying the ClickHouse server at http://127.0.0.1:1 (database default)');
    expect(server.code).toBe(1);
  });
});
