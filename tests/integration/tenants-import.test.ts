import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

let dataDir: string;
let filesDir: string;
const onceload = (...args: string[]) => runCli(args, { env: { ONCELOAD_DATA_DIR: dataDir } });

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'onceload-import-cli-'));
  filesDir = mkdtempSync(join(tmpdir(), 'onceload-import-files-'));
});

const N = 2_000;

describe('onceload tenants import', () => {
  it('imports 2,000 tenants from CSV, lists them, and a second import changes nothing', () => {
    const rows = Array.from({ length: N }, (_, i) => `tenant-${String(i).padStart(5, '0')},svc${i % 3},"companies,tickets",${i % 2 ? '1h' : ''},${i % 5 !== 0},${i % 4 ? '' : '2026-01-01'}`);
    const csv = join(filesDir, 'tenants.csv');
    writeFileSync(csv, ['tenant_id,service,tables,every,enabled,since', ...rows].join('\n'));

    const first = onceload('tenants', 'import', csv);
    expect(first.stderr).toContain(`tenants.csv: ${N} rows checked; ${N} to add`);
    expect(first.stdout.trim()).toBe(`imported tenants.csv: ${N} added, 0 updated, 0 unchanged`);
    expect(first.code).toBe(0);

    const list = onceload('tenants', 'list');
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines).toHaveLength(N + 1);
    expect(lines[1]).toBe('tenant-00000\tsvc0\tfalse\tcompanies,tickets\t-\t-\tsince 2026-01-01T00:00:00.000Z');
    expect(lines[2]).toBe('tenant-00001\tsvc1\ttrue\tcompanies,tickets\t1h\t-\t-');

    const again = onceload('tenants', 'import', csv, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ file: 'tenants.csv', rows: N, added: 0, updated: 0, unchanged: N });
    expect(again.stderr).toBe('');
  });

  it('updates only the fields a JSON lines row gives, and adds the new tenants', () => {
    const jsonl = join(filesDir, 'changes.jsonl');
    writeFileSync(jsonl, ['{"tenant_id":"tenant-00000","enabled":true}', '{"tenant_id":"brand-new","tables":["companies"],"every":"1d"}'].join('\n'));
    const result = onceload('tenants', 'import', jsonl);
    expect(result.stdout.trim()).toBe('imported changes.jsonl: 1 added, 1 updated, 0 unchanged');
    const list = onceload('tenants', 'list').stdout;
    expect(list).toContain('tenant-00000\tsvc0\ttrue\tcompanies,tickets\t-\t-');
    expect(list).toContain('brand-new\tdefault\ttrue\tcompanies\t1d\t-');
  });

  it('writes nothing from a file with one bad row, names it, and exits 2', () => {
    const csv = join(filesDir, 'bad.csv');
    writeFileSync(csv, ['tenant_id,every', 'fresh-1,1h', 'fresh-2,1x', 'fresh-3,'].join('\n'));
    const result = onceload('tenants', 'import', csv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bad.csv line 3, field every: "1x" is not a duration');
    expect(result.stdout).toBe('');
    expect(onceload('tenants', 'list').stdout).not.toContain('fresh-');
  });
});
