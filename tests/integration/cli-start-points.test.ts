/** The start point as a user sets and sees it: the flags, their errors, `files --status skipped` and a reset. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

let dataDir: string;
const onceload = (...args: string[]) => runCli(args, { env: { ONCELOAD_DATA_DIR: dataDir }, timeoutMs: 120_000 });

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'onceload-start-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('tenants add and update --since / --start-after', () => {
  it('refuses a bad date or a full key with exit 2 naming the flag, and writes nothing', () => {
    const date = onceload('tenants', 'add', 'acme', '--since', '2026-13-01');
    expect(date.code).toBe(2);
    expect(date.stderr).toMatch(/^onceload: --since: "2026-13-01" is not a valid date; give a date such as 2026-01-01/);
    const key = onceload('tenants', 'add', 'acme', '--start-after', 'acme/canonical/companies/2025/');
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/^onceload: --start-after: "acme\/canonical\/companies\/2025\/" names a table folder; give the key relative to each table folder .*: "2025\/"/);
    expect(onceload('tenants', 'list').stdout).not.toMatch(/^acme\t/m);
  });

  it('records the start point, lists it, and clears it with --no-since and --no-start-after', () => {
    const added = onceload('tenants', 'add', 'acme', '--tables', 'companies', '--since', '2026-01-01', '--start-after', '2025/12/31.jsonl');
    expect(added.stdout).toMatch(/tenant acme added, start point since 2026-01-01T00:00:00.000Z, after key 2025\/12\/31.jsonl/);
    expect(onceload('tenants', 'list').stdout).toMatch(/^acme\tdefault\ttrue\tcompanies\t-\t-\tsince 2026-01-01T00:00:00.000Z, after key 2025\/12\/31.jsonl$/m);
    expect(onceload('tenants', 'update', 'acme', '--no-since').code).toBe(0);
    expect(onceload('tenants', 'list').stdout).toMatch(/^acme\t.*\tafter key 2025\/12\/31.jsonl$/m);
  });

  it('lists the skipped files with files --status skipped, and a reset of them loads them on the next run', () => {
    const dir = join(dataDir, 'landing', 'acme', 'canonical', 'companies');
    mkdirSync(join(dir, '2025', '12'), { recursive: true });
    mkdirSync(join(dir, '2026', '01'), { recursive: true });
    writeFileSync(join(dir, '2025', '12', '31.jsonl'), '{"id":1,"last_updated":"2025-12-31T00:00:00Z"}\n');
    writeFileSync(join(dir, '2026', '01', '01.jsonl'), '{"id":2,"last_updated":"2026-01-01T00:00:00Z"}\n');
    const run = onceload('run', '--tenants', 'acme');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/1 file\(s\) loaded \(1 rows\), .*1 skipped \(before the start point\)/);
    // The load log has the skip too, written by Plan.
    const logged = onceload('log', '--tenant', 'acme', '--outcome', 'skipped', '--json');
    expect(logged.code, logged.stderr).toBe(0);
    expect((JSON.parse(logged.stdout) as { key: string; outcome: string; rows: number }[]).map((r) => [r.key, r.outcome, r.rows])).toEqual([['acme/canonical/companies/2025/12/31.jsonl', 'skipped', 0]]);
    const skipped = onceload('files', '--tenant', 'acme', '--status', 'skipped');
    expect(skipped.stdout.trim().split('\n').slice(1)).toEqual([expect.stringMatching(/^acme\tcompanies\tskipped\t\tacme\/canonical\/companies\/2025\/12\/31.jsonl\t/)]);
    const reset = onceload('files', 'reset', '--tenant', 'acme', '--table', 'companies', '--status', 'skipped');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/reset 1 file\(s\) of acme\/companies/);
    const again = onceload('run', '--tenants', 'acme');
    expect(again.stdout).toMatch(/1 file\(s\) loaded \(1 rows\)/);
    expect(again.stdout).not.toMatch(/skipped \(before the start point\)/);
    expect(onceload('files', '--tenant', 'acme', '--status', 'skipped').stdout.trim().split('\n')).toHaveLength(1);
    expect(onceload('tenants', 'update', 'acme', '--no-start-after').stdout).toBe('tenant acme updated: service default, companies, enabled\n');
  });
});
