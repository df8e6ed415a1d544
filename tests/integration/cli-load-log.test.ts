import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { LoadLogRow } from '../../src/ports.js';
import { runCli } from './cli-process.js';

let dataDir: string;
const onceload = (...args: string[]) => runCli(args, { env: { ONCELOAD_DATA_DIR: dataDir }, timeoutMs: 180_000 });
const json = (...args: string[]) => {
  const result = onceload('log', ...args, '--json');
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as LoadLogRow[]).map((r) => `${r.tenant} ${r.key.split('/').pop()} ${r.outcome}`).sort();
};

function land(tenant: string, name: string, content: string): void {
  const dir = join(dataDir, 'landing', tenant, 'canonical', 'companies');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), content);
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'onceload-log-'));
});

it('log lists the load log, filtered by tenant, table, outcome and time, as a table or JSON; bad flag values exit 2 naming the flag', () => {
  expect(onceload('log').stdout.trim()).toBe('finished\trun\ttenant\ttable\toutcome\trows\tbytes\tseconds\tkey\terror');
  for (const tenant of ['acme', 'globex']) expect(onceload('tenants', 'add', tenant, '--tables', 'companies').code).toBe(0);
  const good = '{"id":1,"last_updated":"2026-01-01T00:00:00Z"}\n{"id":2,"last_updated":"2026-01-01T00:00:00Z"}\n';
  land('acme', 'good.jsonl', good);
  land('acme', 'bad.jsonl', '{"id":1,"last_updated":"2026-01-01T00:00:00Z"}\n{"id":"abc","last_updated":"2026-01-01T00:00:00Z"}\n');
  land('globex', 'g.jsonl', '{"id":7,"last_updated":"2026-01-01T00:00:00Z"}\n');
  expect(onceload('run').code).toBe(1);

  expect(json()).toEqual(['acme bad.jsonl failed', 'acme good.jsonl loaded', 'globex g.jsonl loaded']);
  expect(json('--tenant', 'acme', '--outcome', 'loaded')).toEqual(['acme good.jsonl loaded']);
  expect(json('--table', 'companies', '--since', '1h')).toHaveLength(3);
  expect(json('--since', '2999-01-01')).toEqual([]);
  expect(json('--outcome', 'skipped')).toEqual([]);
  expect(json('--limit', '2')).toHaveLength(2);
  const failed = JSON.parse(onceload('log', '--outcome', 'failed', '--json').stdout) as LoadLogRow[];
  expect(failed).toEqual([expect.objectContaining({ tenant: 'acme', table: 'companies', outcome: 'failed', rows: 0, errorCode: 'WRONG_TYPE', errorRow: 2, errorColumn: 'id' })]);

  const text = onceload('log', '--tenant', 'acme').stdout.trimEnd().split('\n');
  expect(text).toHaveLength(3);
  expect(text.find((l) => l.includes('bad.jsonl'))).toMatch(/^\S+Z\trun-\S+\tacme\tcompanies\tfailed\t0\t\d+\t\d+\.\d{3}\tacme\/canonical\/companies\/bad\.jsonl\tWRONG_TYPE \(row 2 column id\): .*row 2/);
  expect(text.find((l) => l.includes('good.jsonl'))).toContain(`\tacme\tcompanies\tloaded\t2\t${Buffer.byteLength(good)}\t`);

  // A run with nothing new adds no row.
  expect(onceload('run').code).toBe(0);
  expect(json()).toHaveLength(3);

  const refused: [string[], RegExp][] = [
    [['--outcome', 'done'], /^onceload: --outcome: unknown outcome "done"; expected one of loaded, failed, superseded, skipped\n$/],
    [['--since', 'yesterday'], /^onceload: --since: "yesterday" is neither a date nor a duration; give e\.g\. 2026-12-01, 2026-12-01T08:00:00Z, 24h or 7d\n$/],
    [['--since', '2026-13-45'], /^onceload: --since: "2026-13-45" is neither a date nor a duration/],
    [['--limit', '0'], /^onceload: --limit: expected a whole number of at least 1, got "0"\n$/],
    [['--table', 'nope'], /^onceload: --table: unknown table "nope"; expected one of companies, contacts, tickets, time_entries/],
    [['--tenant', 'Not-A-Tenant!'], /^onceload: tenant: "Not-A-Tenant!" is not a valid tenant id/],
  ];
  for (const [args, message] of refused) {
    const result = onceload('log', ...args);
    expect(result.code, args.join(' ')).toBe(2);
    expect(result.stderr).toMatch(message);
  }
});
