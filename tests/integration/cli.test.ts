import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/onceload.js');
let dataDir: string;

function onceload(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ONCELOAD_DATA_DIR: dataDir },
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'onceload-cli-'));
});

describe('the onceload CLI', () => {
  it('runs the demo, then finds nothing new on a second run', () => {
    const first = onceload('demo');
    expect(first.stderr).toContain('seeded 3 demo tenants');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/OK\n.*24 file\(s\) loaded \(6,000 rows\)/);

    const again = onceload('run', '--json');
    expect(again.code).toBe(0);
    const output = JSON.parse(again.stdout) as { status: string; output: { totals: { loaded: number; unchanged: number } } };
    expect(output.status).toBe('SUCCEEDED');
    expect(output.output.totals).toMatchObject({ loaded: 0, unchanged: 24 });

    const sql = onceload('sql', 'SELECT count() FROM companies FINAL WHERE tenant_id = \'acme\'');
    expect(sql.stdout.trim()).toBe('375');
  });

  it('onboards a tenant, loads a dropped file, lists it in the ledger, and exits 1 when a file fails', () => {
    expect(onceload('tenants', 'add', 'dropbox', '--tables', 'companies').code).toBe(0);
    expect(onceload('tenants', 'list').stdout).toMatch(/dropbox\tdefault\ttrue\tcompanies/);
    const dir = join(dataDir, 'landing', 'dropbox', 'canonical', 'companies');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "it's; here é.jsonl"), '{"id":1,"last_updated":"2026-01-01T00:00:00Z"}\n');
    writeFileSync(join(dir, 'bad.jsonl'), '{"id":2,"created_date":"2026-01-01","last_updated":"2026-01-01T00:00:00Z"}\n');

    const run = onceload('run', '--tenants', 'dropbox');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('created_date');
    const files = onceload('files', '--tenant', 'dropbox', '--status', 'loaded');
    expect(files.stdout).toContain("dropbox/canonical/companies/it's; here é.jsonl");
    expect(files.stdout).not.toContain('bad.jsonl');

    expect(onceload('files', 'reset', '--tenant', 'dropbox', '--table', 'companies', '--key', 'x', '--status', 'failed').code).toBe(2);
    const reset = onceload('files', 'reset', '--tenant', 'dropbox', '--table', 'companies', '--status', 'failed');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('reset 1 file(s) of dropbox/companies');
    expect(onceload('files', '--tenant', 'dropbox', '--status', 'reset').stdout).toContain('bad.jsonl');
  });

  it('resets every table of a tenant with --all-tables, and every tenant with --all; a scope that names nothing is refused', () => {
    // The demo loaded acme's four tables (two files each) and two other tenants'.
    const tenant = onceload('files', 'reset', '--tenant', 'acme', '--all-tables', '--status', 'loaded');
    expect(tenant.code).toBe(0);
    expect(tenant.stdout).toContain('reset 2 file(s) of acme/companies');
    expect(tenant.stdout).toContain('reset 2 file(s) of acme/time_entries');
    expect(tenant.stdout).toContain('reset 8 file(s) in all');
    const all = onceload('files', 'reset', '--all', '--status', 'loaded');
    expect(all.code).toBe(0);
    expect(all.stdout).not.toContain('acme/');
    expect(all.stdout).toMatch(/reset \d+ file\(s\) in all/);
    expect(onceload('files', 'reset', '--status', 'loaded').code).toBe(2);
    expect(onceload('files', 'reset', '--all', '--tenant', 'acme', '--status', 'loaded').code).toBe(2);
    expect(onceload('files', 'reset', '--tenant', 'acme', '--all-tables', '--key', 'k').code).toBe(2);
    // The next run loads each reset file again, once.
    const rerun = onceload('run', '--tenants', 'acme', '--json');
    expect(JSON.parse(rerun.stdout).output.totals.loaded).toBe(8);
  });

  it('lists the objects a run ignored, each with its reason', () => {
    writeFileSync(join(dataDir, 'landing', 'dropbox', 'canonical', 'companies', 'notes.txt'), 'not rows\n');
    mkdirSync(join(dataDir, 'landing', 'nobody', 'canonical', 'companies'), { recursive: true });
    writeFileSync(join(dataDir, 'landing', 'nobody', 'canonical', 'companies', 'a.jsonl'), '{"id":1,"last_updated":"2026-01-01T00:00:00Z"}\n');
    const run = onceload('run');
    expect(run.stdout).toMatch(/2 object\(s\) ignored/);
    const ignored = onceload('files', '--status', 'ignored');
    expect(ignored.code).toBe(0);
    expect(ignored.stdout).toContain('dropbox/canonical/companies/notes.txt');
    expect(ignored.stdout).toMatch(/nobody\/canonical\/companies\/a\.jsonl.*unregistered-tenant/);
  });

  it('exits 2 for bad usage and bad input, and writes nothing', () => {
    expect(onceload('tenants', 'add', "evil'; DROP TABLE companies; --").code).toBe(2);
    expect(onceload('tenants', 'add', 'Upper').code).toBe(2);
    expect(onceload('run', '--executions', '0').code).toBe(2);
    expect(onceload('run', '--tables', 'invoices').code).toBe(2);
    expect(onceload('run', '--tenants', 'nobody').code).toBe(2);
    expect(onceload('run', '--no-such-flag').code).toBe(2);
    expect(onceload('tenants', 'list').stdout).not.toContain('evil');
  });

  it('takes options before or after positional arguments', () => {
    expect(onceload('tenants', 'add', '--service', 'psa', 'early-options').code).toBe(0);
    expect(onceload('tenants', 'add', 'trailing', '--service', 'psa').code).toBe(0);
    expect(onceload('tenants', 'list').stdout).toMatch(/early-options\tpsa/);
  });
});
