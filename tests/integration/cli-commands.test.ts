import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

let dataDir: string;
const onceload = (...args: string[]) => runCli(args, { env: { ONCELOAD_DATA_DIR: dataDir }, timeoutMs: 120_000 });

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'onceload-commands-'));
});

describe('tenants add, update and remove', () => {
  it('add creates, and refuses an existing tenant with exit 2, pointing at update', () => {
    expect(onceload('tenants', 'add', 'acme', '--service', 'halo', '--tables', 'companies,tickets').code).toBe(0);
    const again = onceload('tenants', 'add', 'acme', '--every', '1h');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^onceload: tenant acme exists; change its settings with `onceload tenants update acme/);
    expect(onceload('tenants', 'list').stdout).toMatch(/acme\thalo\ttrue\tcompanies,tickets\t-\t/);
  });

  it('update changes only the settings given', () => {
    expect(onceload('tenants', 'update', 'acme', '--every', '1h').code).toBe(0);
    expect(onceload('tenants', 'list').stdout).toMatch(/acme\thalo\ttrue\tcompanies,tickets\t1h\t/);
    expect(onceload('tenants', 'update', 'acme', '--disable', '--no-every').code).toBe(0);
    expect(onceload('tenants', 'list').stdout).toMatch(/acme\thalo\tfalse\tcompanies,tickets\t-\t/);
    const unknown = onceload('tenants', 'update', 'nobody', '--every', '1h');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^onceload: no tenant "nobody"/);
  });

  it('remove removes the tenant and says its ledger is kept', () => {
    expect(onceload('tenants', 'add', 'gone').code).toBe(0);
    const removed = onceload('tenants', 'remove', 'gone');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/tenant gone removed; its file ledger is kept/);
    expect(onceload('tenants', 'list').stdout).not.toMatch(/^gone\t/m);
    expect(onceload('tenants', 'remove', 'gone').code).toBe(2);
  });
});

describe('the CLI as data engineers expect', () => {
  it('--version prints the package version', () => {
    const result = onceload('--version');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('0.1.0');
  });

  it('run --json prints the structured report on a failed run, and files --json the ledger', () => {
    expect(onceload('tenants', 'add', 'drop', '--tables', 'companies').code).toBe(0);
    const dir = join(dataDir, 'landing', 'drop', 'canonical', 'companies');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'good.jsonl'), '{"id":1,"last_updated":"2026-01-01T00:00:00Z"}\n');
    writeFileSync(join(dir, 'bad.jsonl'), '{"id":2,"created_date":"2026-01-01","last_updated":"2026-01-01T00:00:00Z"}\n');
    const text = onceload('run', '--tenants', 'drop');
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^onceload run run-\S+: FAILED\n/);
    expect(onceload('files', 'reset', '--tenant', 'drop', '--table', 'companies', '--status', 'failed').code).toBe(0);
    const run = onceload('run', '--tenants', 'drop', '--json', '--timings');
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as { status: string; error: string; cause?: string; output: { totals: { loaded: number; failed: number } } };
    expect(result).toMatchObject({ status: 'FAILED', error: 'ValidationFailed', output: { totals: { loaded: 0, failed: 1 } } });
    expect(result.cause).toBeUndefined();
    // --timings: where the process's time went, one line on stderr, every step and phase in seconds.
    const timings = JSON.parse(/^timings: (.*)$/m.exec(run.stderr)![1]!) as Record<string, number> & { phases: Record<string, number> };
    for (const step of ['startup', 'storesStart', 'preflight', 'landingSync', 'execution', 'report', 'shutdown', 'total']) expect(timings[step]).toBeGreaterThanOrEqual(0);
    expect(Object.keys(timings.phases)).toEqual(['discover', 'schema', 'items', 'plan', 'load', 'validate', 'between', 'close']);
    expect(timings.phases.plan).toBeGreaterThan(0);

    const files = onceload('files', '--tenant', 'drop', '--json');
    expect(files.code).toBe(0);
    const entries = JSON.parse(files.stdout) as { key: string; status: string; error?: string }[];
    expect(entries.map((e) => [e.key, e.status]).sort()).toEqual([
      ['drop/canonical/companies/bad.jsonl', 'failed'],
      ['drop/canonical/companies/good.jsonl', 'loaded'],
    ]);
  });

  it('a refused input is one `onceload:` line on stderr, with exit 2', () => {
    const refused = onceload('run', '--tenants', 'nobody');
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe('onceload: tenants[0]: unknown tenant "nobody"\n');
  });

  it('--tenants "" and --tables "" are refused in words, with exit 2', () => {
    const tenants = onceload('run', '--tenants', '');
    expect(tenants.code).toBe(2);
    expect(tenants.stderr).toBe('onceload: --tenants: give at least one, e.g. --tenants acme,globex\n');
    expect(onceload('run', '--tables', '').code).toBe(2);
  });

  it('files reset of an unknown tenant exits 2', () => {
    const reset = onceload('files', 'reset', '--tenant', 'nobody', '--table', 'companies', '--status', 'failed');
    expect(reset.code).toBe(2);
    expect(reset.stderr).toMatch(/^onceload: --tenant: no tenant "nobody"/);
  });
});

describe('a data dir with no tenants', () => {
  it('run says how to add one or run the demo, exits 2, and creates no data dir', () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'onceload-empty-')), 'nothing-here');
    const result = runCli(['run', '--data-dir', missing], { timeoutMs: 60_000 });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^onceload: no tenants in the data dir .*: add one with `onceload tenants add <tenant-id>`.* or try `onceload demo`\n$/);
    expect(existsSync(missing)).toBe(false);

    const empty = mkdtempSync(join(tmpdir(), 'onceload-empty-'));
    const again = runCli(['run', '--data-dir', empty], { timeoutMs: 60_000 });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no tenants in the data dir/);
    expect(again.stdout).not.toMatch(/OK/);
  });
});

describe('the demo', () => {
  it('ends with where the data is and a query to run, which works', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onceload-demo-'));
    const demo = runCli(['demo', '--data-dir', dir], { timeoutMs: 120_000 });
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain(`the data       ${dir}/ (landing files in ${dir}/landing/), loaded into the embedded ClickHouse (chDB) in ${dir}/clickhouse`);
    const query = /query it\s+onceload sql --data-dir "[^"]+" "([^"]+)"/.exec(demo.stdout)?.[1];
    expect(query).toMatch(/FINAL/);
    const sql = runCli(['sql', '--data-dir', dir, query!], { timeoutMs: 60_000 });
    expect(sql.stdout).toBe('acme\t375\nglobex\t375\ninitech\t375\n');
  });
});
