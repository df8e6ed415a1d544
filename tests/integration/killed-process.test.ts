import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { companyRows, range } from './harness.js';

const BIN = join(import.meta.dirname, '../../bin/onceload.js');
/** Two files a load unit: the run writes 40 parts, one a unit, so it is still loading when killed. */
const ENV = { ...process.env, ONCELOAD_BATCH_MAX_FILES: '2' };

function onceload(dataDir: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...ENV, ONCELOAD_DATA_DIR: dataDir }, timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Parts written by inserts so far: every committed insert (a unit is one block) is a directory `all_N_N_L`. */
function insertedParts(dataDir: string): number {
  let count = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      if (/^all_(\d+)_\1_\d+$/.test(entry.name)) count++;
      else walk(join(dir, entry.name));
    }
  };
  walk(join(dataDir, 'clickhouse', 'store'));
  return count;
}

it('survives kill -9 in the middle of a run: a second process is refused meanwhile, and the next run finishes with exact counts', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'onceload-kill-'));
  // Create the tables with a first small run, then stop merges so the raw count shows any second insert.
  expect(onceload(dataDir, 'tenants', 'add', 'small', '--tables', 'companies').code).toBe(0);
  const small = join(dataDir, 'landing', 'small', 'canonical', 'companies');
  mkdirSync(small, { recursive: true });
  writeFileSync(join(small, 'a.jsonl'), companyRows([1]));
  expect(onceload(dataDir, 'run').code).toBe(0);
  expect(onceload(dataDir, 'sql', 'ALTER TABLE companies MODIFY SETTING max_bytes_to_merge_at_max_space_in_pool = 1').code).toBe(0);

  expect(onceload(dataDir, 'tenants', 'add', 'big', '--tables', 'companies').code).toBe(0);
  const big = join(dataDir, 'landing', 'big', 'canonical', 'companies');
  mkdirSync(big, { recursive: true });
  for (const n of range(0, 80)) writeFileSync(join(big, `part-${String(n).padStart(3, '0')}.jsonl`), companyRows(range(n * 1000, 500)));
  const before = insertedParts(dataDir);

  const child = spawn(process.execPath, [BIN, 'run', '--tenants', 'big'], { env: { ...ENV, ONCELOAD_DATA_DIR: dataDir }, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await expect.poll(() => insertedParts(dataDir) - before, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(5);

  const second = onceload(dataDir, 'tenants', 'list');
  expect(second.code).toBe(1);
  expect(second.stderr).toMatch(/in use by another onceload process \(pid \d+\)/);

  child.kill('SIGKILL');
  await exited;
  const loadedBeforeKill = insertedParts(dataDir) - before;
  expect(loadedBeforeKill).toBeLessThan(40);

  const next = onceload(dataDir, 'run', '--tenants', 'big', '--json');
  expect(next.code).toBe(0);
  expect(JSON.parse(next.stdout).status).toBe('SUCCEEDED');
  expect(onceload(dataDir, 'sql', "SELECT count(), uniqExact(_file) FROM companies WHERE tenant_id = 'big'").stdout.trim()).toBe('40000\t80');
  expect(onceload(dataDir, 'files', '--tenant', 'big', '--status', 'loaded').stdout.trim().split('\n')).toHaveLength(81);
});
