/**
 * While `onceload console` holds the data dir, `run`, `files`, `sql`, `tenants list`, `runs` and
 * `status` go through its API and print as they do alone; the other local commands are still
 * refused on the lock, and a console gone (killed) leaves them to open the data dir again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN, runCli } from './cli-process.js';
import { companyRows } from './harness.js';

let dataDir: string;
let consoleProcess: ChildProcess;
let consoleExit: Promise<number | null>;
let url: string;

const onceload = (...args: string[]) => runCli(args, { env: { ONCELOAD_DATA_DIR: dataDir, ONCELOAD_PROGRESS_SECONDS: '0' }, timeoutMs: 180_000 });

function land(name: string, content: string): void {
  const dir = join(dataDir, 'landing', 'acme', 'canonical', 'companies');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), content);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'onceload-console-client-'));
  expect(onceload('tenants', 'add', 'acme', '--tables', 'companies').code).toBe(0);
  land('good.jsonl', companyRows([1, 2, 3]));
  land('renamed-column.jsonl', `${JSON.stringify({ id: 9, name: 'x', last_updated: '2026-01-01T00:00:00Z', created_date: '2026-01-01' })}\n`);
  consoleProcess = spawn(process.execPath, [BIN, 'console', '--port', '0'], { env: { ...process.env, ONCELOAD_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'inherit'] });
  consoleExit = new Promise((resolve) => consoleProcess.once('exit', (code) => resolve(code)));
  url = await new Promise((resolve, reject) => {
    let output = '';
    consoleProcess.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = /onceload console: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (found) resolve(found[1]!);
    });
    consoleProcess.once('exit', (code) => reject(new Error(`the console exited with ${code}: ${output}`)));
  });
}, 120_000);

afterAll(() => {
  if (consoleProcess && consoleProcess.exitCode === null) consoleProcess.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

it('runs, lists and queries through the console that holds the data dir, printing as the commands do alone', async () => {
  const run = onceload('run');
  expect(run.code, run.stderr).toBe(1);
  const runId = /running (run-\S+) in the console that holds the data dir: /.exec(run.stderr)?.[1];
  expect(runId, run.stderr).toBeDefined();
  expect(run.stderr).toContain(`${url}#/runs/${runId}`);
  expect(run.stdout).toContain('"created_date" is not a column of companies');
  expect(run.stdout).toMatch(/usage on AWS: \d+ state transitions/);

  // The failed file is unchanged: failed before, not retried, and the run succeeds.
  const json = onceload('run', '--json');
  expect(json.code, json.stderr).toBe(0);
  const output = JSON.parse(json.stdout) as { executionName: string; status: string; output: { totals: { loaded: number; failedBefore: number } } };
  expect(output).toMatchObject({ status: 'SUCCEEDED', output: { totals: { loaded: 0, failedBefore: 1 } } });

  const runs = JSON.parse(onceload('runs', '--json').stdout) as { runId: string; status: string; files: number; failed: number }[];
  expect(runs.map((r) => r.runId)).toEqual([output.executionName, runId]);
  expect(runs[1]).toMatchObject({ status: 'FAILED', files: 1, failed: 1 });
  expect(onceload('runs', '--limit', '1').stdout.trimEnd().split('\n')).toHaveLength(2);

  const status = onceload('status', runId!);
  expect(status.code).toBe(1);
  expect(status.stdout).toMatch(new RegExp(`^run       ${runId}\\nstatus    FAILED\\n`));
  expect(onceload('status', 'run-20200101T000000Z-abcdef').code).toBe(2);

  expect(onceload('tenants', 'list').stdout).toMatch(/^tenant\tservice\tenabled\ttables\tevery\tlast success\tstart point\nacme\tdefault\ttrue\tcompanies\t-\t-\t-\n$/);
  const failed = onceload('files', '--status', 'failed');
  expect(failed.code).toBe(0);
  expect(failed.stdout.trimEnd().split('\n')).toHaveLength(2);
  expect(failed.stdout).toContain('acme\tcompanies\tfailed\t\tacme/canonical/companies/renamed-column.jsonl');
  const loaded = JSON.parse(onceload('files', '--tenant', 'acme', '--table', 'companies', '--status', 'loaded', '--json').stdout) as { key: string }[];
  expect(loaded.map((e) => e.key)).toEqual(['acme/canonical/companies/good.jsonl']);

  const sql = onceload('sql', 'SELECT count() FROM companies FINAL WHERE tenant_id = {t:String}', '--format', 'TabSeparated');
  // A query's parameters are not the CLI's: the server says what is wrong, exit 1.
  expect(sql.code).toBe(1);
  const count = onceload('sql', "SELECT count() FROM companies FINAL WHERE tenant_id = 'acme'");
  expect(count.code, count.stderr).toBe(0);
  expect(count.stdout).toBe('3\n');
  expect(count.stderr).toContain(`querying the ClickHouse of the console at ${url}`);
  expect(onceload('sql', 'SELECT 1 AS one', '--format', 'JSONEachRow').stdout).toBe('{"one":1}\n');

  // What the console does not serve is refused on the lock, as before; so are several executions.
  const verify = onceload('verify');
  expect(verify.code).toBe(1);
  expect(verify.stderr).toContain(`is in use by another onceload process (pid ${consoleProcess.pid}); it is \`onceload console\` at ${url}: use the page, or stop the console (Ctrl-C) first`);
  const many = onceload('run', '--executions', '2');
  expect(many.code).toBe(2);
  expect(many.stderr).toContain('--executions: the console runs one execution at a time');

  // A console killed with -9 leaves its file; the next command takes the data dir over.
  consoleProcess.kill('SIGKILL');
  await consoleExit;
  expect(existsSync(join(dataDir, 'console.json'))).toBe(true);
  const alone = onceload('runs', '--json');
  expect(alone.code, alone.stderr).toBe(0);
  expect((JSON.parse(alone.stdout) as unknown[]).length).toBe(2);
}, 300_000);
