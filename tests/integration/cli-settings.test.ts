import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

const BAD_SETTINGS: [string, string, RegExp][] = [
  ['ONCELOAD_CLICKHOUSE_URL', 'notaurl', /ONCELOAD_CLICKHOUSE_URL is "notaurl": expected a URL/],
  ['ONCELOAD_BATCH_MAX_FILES', '500', /ONCELOAD_BATCH_MAX_FILES is "500": expected a whole number from 1 to 200/],
  ['ONCELOAD_LOAD_PATH', 'foo', /ONCELOAD_LOAD_PATH is "foo": expected one of in-engine, streamed/],
];

describe('a bad setting', () => {
  for (const command of [['run'], ['demo'], ['sql', 'SELECT 1'], ['files']]) {
    it(`makes \`onceload ${command[0]}\` exit 2 at once, naming the variable and what it accepts, before starting any store`, () => {
      for (const [name, value, message] of BAD_SETTINGS) {
        const dataDir = join(mkdtempSync(join(tmpdir(), 'onceload-settings-')), 'data');
        const result = runCli(command, { env: { ONCELOAD_DATA_DIR: dataDir, [name]: value }, timeoutMs: 15_000 });
        expect(result.hung, `${name}=${value} hung`).toBe(false);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(message);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(result.stderr).toMatch(/^onceload: /);
        // Nothing was started or written: no store directories, no lock.
        expect(existsSync(dataDir) ? readdirSync(dataDir) : []).toEqual([]);
      }
    });
  }

  it('never shows the password in a server URL', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'onceload-settings-'));
    const result = runCli(['run'], { env: { ONCELOAD_DATA_DIR: dataDir, ONCELOAD_CLICKHOUSE_URL: 'http://u:hunter2@ host' }, timeoutMs: 15_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('hunter2');
  });
});

/** A Node older than 22 on this machine, if there is one (many images ship Node 20 as `node`). */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    try {
      const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
      if (Number(/^v(\d+)/.exec(version)?.[1]) < 22) return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

describe('an older Node', () => {
  it.skipIf(olderNode() === undefined)('gets one line naming the version needed, and exit 2', () => {
    const result = runCli(['--version'], { node: olderNode()!, timeoutMs: 15_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^onceload: needs Node\.js 22 or newer; this is Node\.js v\d+/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
