import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

let dataDir: string;
const onceload = (...args: string[]) => runCli(args, { env: { ONCELOAD_DATA_DIR: dataDir }, timeoutMs: 180_000 });

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'onceload-history-'));
});

it('keeps every local run beside its report: runs lists them newest first, status shows one as on AWS, the demo says where its run is', () => {
  expect(onceload('runs').stdout.trim()).toBe('no runs yet: onceload run');
  const demo = onceload('demo');
  expect(demo.code).toBe(0);
  const runId = /onceload status (run-\S+)[^(]* \(kept in .*\/s3\/onceload-runs\/runs\/run-\S+\/; onceload runs.* lists every run\)/.exec(demo.stdout)?.[1];
  expect(runId, demo.stdout).toBeDefined();
  expect(onceload('run', '--dry-run').code).toBe(0);

  const listed = JSON.parse(onceload('runs', '--json').stdout) as { runId: string; status: string; files: number; rows: number; failed: number; seconds: number }[];
  expect(listed, JSON.stringify(listed)).toHaveLength(2);
  expect(listed[1]).toMatchObject({ runId, status: 'SUCCEEDED', files: 24, rows: 6000, failed: 0 });
  expect(listed[0]!.runId > listed[1]!.runId).toBe(true);
  expect(listed[1]!.seconds).toBeGreaterThan(0);
  const table = onceload('runs', '--limit', '1').stdout.trimEnd().split('\n');
  expect(table[0]).toMatch(/^run\s+started\s+took\s+status\s+files\s+rows\s+failed$/);
  expect(table).toHaveLength(2);
  expect(table[1]).toContain(listed[0]!.runId);

  const shown = onceload('status', runId!);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toMatch(new RegExp(`^run       ${runId}\\nstatus    SUCCEEDED\\nstarted   \\S+\\nstopped   \\S+ \\(\\d+\\.\\d s\\)\\ninput     \\{\\}\\nusage     \\d+ state transitions`));
  expect(shown.stdout).toContain(`onceload run ${runId}: OK`);
  const json = JSON.parse(onceload('status', runId!, '--json').stdout) as { report: { totals: { loaded: number } } };
  expect(json.report.totals.loaded).toBe(24);
  const unknown = onceload('status', 'run-20200101T000000Z-abcdef');
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('no run "run-20200101T000000Z-abcdef" in this data dir; `onceload runs` lists them');
  expect(onceload('runs', '--limit', '0').code).toBe(2);
});
