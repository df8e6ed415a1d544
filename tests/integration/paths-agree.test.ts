/**
 * The two load paths load the same files alike: every value as the same value, every refused
 * file refused on both (at the same row where both name one). The in-engine path reads files with
 * ClickHouse's own readers, the streamed path with the Load's; a grid of column types and the
 * spellings a producer writes (empty, null, `\N`, quoted, padded, numbers as text, timestamps),
 * and the shapes of CSV and JSON lines files around them, each in a file of its own, are loaded
 * once by each path (the CLI in a process of its own, with a data dir of its own) and compared.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { BIN } from './cli-process.js';

const TYPES = {
  s: 'String',
  ns: 'Nullable(String)',
  u: 'UInt32',
  nu: 'Nullable(UInt32)',
  d: 'Decimal(9, 2)',
  nd: 'Nullable(Decimal(9, 2))',
  t: 'DateTime64(3)',
  nt: 'Nullable(DateTime64(3))',
  es: 'DateTime64(3)',
  em: 'Nullable(DateTime64(3))',
};
/** Columns that take epoch numbers of a declared unit. */
const EPOCHS: Record<string, string> = { es: 'seconds', em: 'milliseconds' };
const CONFIG = {
  tables: { x: { columns: [{ name: 'id', type: 'UInt64' }, { name: 'v', type: 'UInt32' }, ...Object.entries(TYPES).map(([name, type]) => ({ name, type, ...(EPOCHS[name] ? { epoch: EPOCHS[name] } : {}) }))], required: ['id', 'v'], version: 'v' } },
};

/** A value as JSON text (undefined: the key is absent). */
const JSON_VALUES: Record<string, string | undefined> = {
  absent: undefined,
  null: 'null',
  empty: '""',
  space: '" "',
  backslashN: '"\\\\N"',
  zero: '0',
  one: '1',
  oneText: '"1"',
  paddedOne: '" 1 "',
  word: '"x"',
  time: '"2026-01-01T00:00:00Z"',
  paddedTime: '" 2026-01-01T00:00:00Z "',
  boolean: 'true',
  decimal: '1.5',
  decimalText: '"1.50"',
  object: '{"a":1}',
  epochSeconds: '1769904000',
  epochMillis: '1769904000123',
  epochText: '"1769904000"',
  zoned: '"2026-01-01T10:11:12.345+05:30"',
  dayFirst: '"02/01/2026"',
};
/** A CSV field as written. */
const CSV_FIELDS: Record<string, string> = {
  empty: '',
  quotedEmpty: '""',
  space: ' ',
  quotedSpace: '" "',
  backslashN: '\\N',
  quotedBackslashN: '"\\N"',
  one: '1',
  paddedOne: ' 1 ',
  quotedPaddedOne: '" 1 "',
  quotedOne: '"1"',
  word: 'x',
  time: '2026-01-01T00:00:00Z',
  quotedTime: '"2026-01-01T00:00:00Z"',
  paddedTime: ' 2026-01-01T00:00:00Z ',
  boolean: 'true',
  decimal: '1.5',
  epochSeconds: '1769904000',
  epochMillis: '1769904000123',
  quotedEpoch: '"1769904000"',
  zoned: '2026-01-01 10:11:12.345+05:30',
  dayFirst: '02/01/2026',
};
/** Whole files around the values: names, tenants, lines. `@` is the file's own id. */
const SHAPES: Record<string, string> = {
  'tenant-own.csv': 'id,v,tenant_id\n@,1,t\n',
  'tenant-own.jsonl': '{"id":@,"v":1,"tenant_id":"t"}\n',
  'tenant-quoted-empty.csv': 'id,v,tenant_id\n@,1,""\n',
  'tenant-empty.csv': 'id,v,tenant_id\n@,1,\n',
  'tenant-padded.csv': 'id,v,tenant_id\n@,1, t \n',
  'tenant-empty.jsonl': '{"id":@,"v":1,"tenant_id":""}\n',
  'tenant-null.jsonl': '{"id":@,"v":1,"tenant_id":null}\n',
  'tenant-other.jsonl': '{"id":@,"v":1,"tenant_id":"u"}\n',
  'id-quoted-empty.csv': 'id,v\n"",1\n',
  'id-empty.jsonl': '{"id":"","v":1}\n',
  'version-quoted-empty.csv': 'id,v\n@,""\n',
  'upper.csv': 'ID,V,S\n@,1,a\n',
  'upper.jsonl': '{"ID":@,"V":1,"S":"a"}\n',
  'twice-by-case.csv': 'id,v,ID\n@,1,2\n',
  'twice-by-case.jsonl': '{"id":@,"v":1,"ID":2}\n',
  'twice.jsonl': '{"id":@,"v":1,"s":"a","s":"b"}\n',
  'twice.csv': 'id,v,s,s\n@,1,a,b\n',
  'twice-with-tenant.jsonl': '{"id":@,"v":1,"s":"a","s":"b","tenant_id":"t"}\n',
  'twice-with-empty.jsonl': '{"id":@,"v":1,"u":"","s":"a","s":"b"}\n',
  'twice-by-case-with-tenant.jsonl': '{"id":@,"v":1,"s":"a","S":"b","tenant_id":"t"}\n',
  'unknown.csv': 'id,v,w\n@,1,a\n',
  'unknown.jsonl': '{"id":@,"v":1,"w":"a"}\n',
  'array.jsonl': '{"id":@,"v":1,"s":[1]}\n',
  'big-id.jsonl': '{"id":18446744073709551615,"v":1,"s":"@"}\n',
  'quote-inside.csv': 'id,v,s\n@,1,5" screen\n',
  'quote-padded.csv': 'id,v,s,ns\n@,1, "a" ,\t"b"\t\n',
  'quote-then-text.csv': 'id,v,s\n@,1,"a"b\n',
  'single-quotes.csv': "id,v,s\n@,1,'a'\n",
  'header-padded.csv': 'id, v ,\ts\n@,1,a\n',
  'header-quoted.csv': '"id","v"," s"\n@,1,a\n',
  'crlf.csv': 'id,v,s\r\n@,1,a\r\n',
  'bom.csv': '\uFEFFid,v,s\n@,1,a\n',
  'header-comma.csv': 'id,v,s,\n@,1,a,\n',
  'row-comma.csv': 'id,v,s\n@,1,a,\n',
  'row-comma-quoted.csv': 'id,v,s\n@,1,a,""\n',
  'row-two-commas.csv': 'id,v,s\n@,1,a,,\n',
  'short-row.csv': 'id,v,s\n@,1\n',
  'long-row.csv': 'id,v,s\n@,1,a,b\n',
  'ends-blank.csv': 'id,v,s\n@,1,a\n\n\n',
  'ends-blank-crlf.csv': 'id,v,s\r\n@,1,a\r\n\r\n',
  'ends-spaces.csv': 'id,v,s\n@,1,a\n  \n',
  'blank-between.csv': 'id,v,s\n@,1,a\n\n@,2,b\n',
  'blank-after-header.csv': 'id,v,s\n\n@,1,a\n',
  'blank-before-header.csv': '\nid,v,s\n@,1,a\n',
  'only-header.csv': 'id,v,s\n',
  'blank.jsonl': '\n\n',
  'spaces-first.jsonl': '  \n{"id":@,"v":1}\n',
  'pretty.json': '{\n  "id": @,\n  "v": 1,\n  "s": "a"\n}\n{\n  "id": @,\n\n  "v": 1\n}\n',
  'two-a-line.jsonl': '{"id":@,"v":1} {"id":@,"v":1,"s":"b"}{"id":@,"v":1}\n',
  'commas.jsonl': '{"id":@,"v":1},\n{"id":@,"v":1},\n',
  'array.json': '[{"id":@,"v":1},{"id":@,"v":1,"s":"]"}]',
  'array-pretty.json': '[\n  {\n    "id": @,\n    "v": 1\n  },\n  {\n    "id": @,\n    "v": 1\n  }\n]\n',
  'unclosed.jsonl': '{"id":@,"v":1}\n{"id":@,"v":1,"s":"open}\n{"id":@,"v":1}\n',
  'scalar-row.jsonl': '{"id":@,"v":1}\n7\n',
  'quoted-newline.csv': 'id,v,s\n@,1,"a\n\nb"\n',
};

function caseFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  let id = 0;
  for (const column of Object.keys(TYPES)) {
    for (const [name, text] of Object.entries(JSON_VALUES)) files[`${column}-${name}.jsonl`] = `{"id":${++id},"v":1${text === undefined ? '' : `,"${column}":${text}`}}\n`;
    for (const [name, text] of Object.entries(CSV_FIELDS)) files[`${column}-${name}.csv`] = `id,v,${column}\n${++id},1,${text}\n`;
  }
  // Each file its own ids: rows of one id in two files would merge away in the table.
  for (const [name, text] of Object.entries(SHAPES)) files[name] = text.replace(/@/g, () => String(++id));
  return files;
}

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

type Outcome = { loaded: string[] } | { failed: string };

/** Loads the files with one load path, in a CLI process of its own; each file's outcome. */
async function load(path: 'in-engine' | 'streamed', files: Record<string, string>): Promise<Map<string, Outcome>> {
  const dir = mkdtempSync(join(tmpdir(), `onceload-paths-${path}-`));
  dirs.push(dir);
  writeFileSync(join(dir, 'tables.json'), JSON.stringify(CONFIG));
  const landing = join(dir, 'landing', 't', 'canonical', 'x');
  mkdirSync(landing, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(landing, name), text);
  const env = { ...process.env, ONCELOAD_TABLES_FILE: join(dir, 'tables.json'), ONCELOAD_LOAD_PATH: path, ONCELOAD_PROGRESS_SECONDS: '0' };
  const cli = async (...args: string[]) => (await run(process.execPath, [BIN, ...args, '--data-dir', dir], { env, maxBuffer: 64 << 20 }).catch((e: { stdout: string }) => e)).stdout;
  await cli('tenants', 'add', 't');
  await cli('run', '--json');
  const columns = Object.keys(TYPES).map((c) => `toString(${c}) AS ${c}, isNull(${c}) AS ${c}_null`).join(', ');
  const rows = await cli('sql', `SELECT _file, toString(id) AS id, ${columns} FROM x ORDER BY _file, id FORMAT JSONEachRow`);
  const entries = JSON.parse(await cli('files', 'list', '--tenant', 't', '--json')) as { key: string; status: string; error?: string }[];
  const outcomes = new Map<string, Outcome>();
  for (const entry of entries) {
    const name = entry.key.split('/').pop()!;
    if (entry.status === 'failed') outcomes.set(name, { failed: entry.error ?? '' });
    else if (entry.status === 'loaded') outcomes.set(name, { loaded: [] });
  }
  for (const line of rows.trim().split('\n').filter(Boolean)) {
    const { _file, ...row } = JSON.parse(line) as { _file: string };
    const outcome = outcomes.get(_file.split('/').pop()!);
    if (outcome && 'loaded' in outcome) outcome.loaded.push(JSON.stringify(row));
  }
  return outcomes;
}

const rowOf = (error: string) => /\brow (\d+)/.exec(error)?.[1];

it('loads every value and file alike on the in-engine and the streamed path', async () => {
  const files = caseFiles();
  const [engine, streamed] = await Promise.all([load('in-engine', files), load('streamed', files)]);
  const differences: string[] = [];
  for (const name of Object.keys(files)) {
    const [a, b] = [engine.get(name), streamed.get(name)];
    expect(a, `${name}: no outcome in-engine`).toBeDefined();
    expect(b, `${name}: no outcome streamed`).toBeDefined();
    if ('loaded' in a! && 'loaded' in b! && JSON.stringify(a.loaded) === JSON.stringify(b.loaded)) continue;
    if ('failed' in a! && 'failed' in b! && (rowOf(a.failed) === undefined || rowOf(b.failed) === undefined || rowOf(a.failed) === rowOf(b.failed))) continue;
    differences.push(`${name}\n  in-engine: ${JSON.stringify(a)}\n  streamed:  ${JSON.stringify(b)}`);
  }
  expect(differences.join('\n')).toBe('');
  // Both outcomes occur often: a grid that loaded everything, or nothing, would prove little.
  const loaded = [...engine.values()].filter((o) => 'loaded' in o && o.loaded.length > 0).length;
  expect(loaded).toBeGreaterThan(150);
  expect(engine.size - loaded).toBeGreaterThan(40);
});
