import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

const SECRETS = /X-Amz-Signature|X-Amz-Credential|Signature=/;

describe('a failing in-engine load', () => {
  it('puts no signed URL, signature or credential in the ledger item, the report, the logs or stderr', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'onceload-secrets-'));
    const env = { ONCELOAD_DATA_DIR: dataDir, ONCELOAD_LOAD_PATH: 'in-engine', POWERTOOLS_LOG_LEVEL: 'INFO' };
    expect(runCli(['tenants', 'add', 'acme', '--tables', 'companies'], { env }).code).toBe(0);
    const dir = join(dataDir, 'landing', 'acme', 'canonical', 'companies');
    mkdirSync(dir, { recursive: true });
    const rows = Array.from({ length: 2000 }, (_, i) => `{"id":${i},"last_updated":"2026-01-01T00:00:00Z"}\n`).join('');
    const gz = gzipSync(rows);
    // Cut in half: ClickHouse fails inflating it, and its message names the URL it read from.
    writeFileSync(join(dir, 'truncated.jsonl.gz'), gz.subarray(0, gz.length >> 1));

    const run = runCli(['run'], { env });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('truncated.jsonl.gz');
    const json = runCli(['run', '--json'], { env: { ...env, POWERTOOLS_LOG_LEVEL: '' } });
    const ledger = runCli(['files', '--tenant', 'acme'], { env });
    expect(ledger.stdout).toMatch(/failed.*truncated\.jsonl\.gz/);
    for (const text of [run.stdout, run.stderr, json.stdout, json.stderr, ledger.stdout, ledger.stderr]) expect(text).not.toMatch(SECRETS);
  });
});
