import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BIN, runCli } from './cli-process.js';
import { companyRows, range } from './harness.js';

const ROWS = 300_000;

it('Ctrl-C stops a run with one line, exit 130 in seconds; the next run loads every file once', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'onceload-interrupt-'));
  // Small insert blocks make the big file's load long enough to interrupt.
  const env = { ONCELOAD_DATA_DIR: dataDir, ONCELOAD_INSERT_BLOCK_ROWS: '2000' };
  expect(runCli(['tenants', 'add', 'big', '--tables', 'companies'], { env }).code).toBe(0);
  const folder = join(dataDir, 'landing/big/canonical/companies');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'big.jsonl'), companyRows(range(1, ROWS)));
  for (const n of range(1, 3)) writeFileSync(join(folder, `small-${n}.jsonl`), companyRows(range(ROWS + n * 100, 10)));

  // Not a terminal: plain progress lines, here every 0.2 s.
  const child = spawn(process.execPath, [BIN, 'run'], { env: { ...process.env, ...env, ONCELOAD_PROGRESS_SECONDS: '0.2' } });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const loading = new Promise<void>((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/loading: \d+\/\d+ files \| [1-9][\d,]* rows/.test(stderr)) resolve();
    });
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  await Promise.race([loading, exited]);
  expect(stderr).toMatch(/loading: 0\/\d+ files \| [1-9][\d,]* rows \| [\d.]+ [kM]?B of [\d.]+ MB/);
  const sent = Date.now();
  child.kill('SIGINT');
  const { code, signal, at } = await exited;

  // A process ended by a signal (a crash) says which, with what it printed last.
  expect(code, `ended by ${signal}; stderr ends: ${stderr.slice(-1500)}`).toBe(130);
  expect(at - sent).toBeLessThan(5000);
  expect(stderr).toMatch(/onceload: interrupted run run-\S+: \d+ of \d+ planned file\(s\) done; the next `onceload run` resumes it\n/);
  expect(stdout).toBe('');

  const next = runCli(['run', '--json'], { env });
  expect(next.code, next.stderr).toBe(0);
  const files = JSON.parse(runCli(['files', '--json'], { env }).stdout) as { status: string; rows: number }[];
  expect(files.map((f) => f.status)).toEqual(['loaded', 'loaded', 'loaded', 'loaded']);
  expect(files.reduce((n, f) => n + f.rows, 0)).toBe(ROWS + 30);
  const verify = runCli(['verify'], { env });
  expect(verify.code, verify.stdout).toBe(0);
}, 180_000);
