import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FileRef } from '../../src/ports.js';
import type { Deps } from '../../src/runtime/deps.js';
import { openHarness, range, type Harness } from './harness.js';

let h: Harness;
let deps: Deps;
/** The count reads' SQL, in the order sent. */
const counts: string[] = [];
beforeAll(async () => {
  h = await openHarness();
  deps = await h.runtime.deps();
  const query = deps.clickhouse.query.bind(deps.clickhouse);
  deps.clickhouse.query = ((params: { query: string }) => {
    if (/count\(\)|countIf\(line/.test(params.query) && params.query.includes('url(')) counts.push(params.query);
    return query(params as never);
  }) as typeof deps.clickhouse.query;
});
afterAll(async () => h?.close());

const row = (id: number) => JSON.stringify({ id, name: `n${id}`, last_updated: '2026-01-01T00:00:00Z' });
const lines = (ids: number[], end = '\n') => ids.map(row).join(end) + end;

/** Each file's content and the rows the engine's JSON reader finds in it. */
const SHAPES: Record<string, { content: string | Buffer; rows: number }> = {
  'plain.jsonl': { content: lines(range(1, 5)), rows: 5 },
  'no-last-newline.jsonl': { content: lines(range(1, 3)).trimEnd(), rows: 3 },
  'crlf-and-blank-lines.jsonl': { content: `${lines(range(1, 2), '\r\n')}\n${lines(range(3, 2), '\r\n')}\n`, rows: 4 },
  'pretty-array.json': { content: JSON.stringify(range(1, 3).map((id) => JSON.parse(row(id))), null, 2), rows: 3 },
  'two-on-a-line.jsonl': { content: `${row(1)} ${row(2)}\n${row(3)}\n`, rows: 3 },
  'one-object-on-two-lines.jsonl': { content: `{"id": 1,\n "name": "a", "last_updated": "2026-01-01T00:00:00Z"}\n${row(2)}\n`, rows: 2 },
  'byte-order-mark.jsonl': { content: `\ufeff${lines(range(1, 2))}`, rows: 2 },
  'indented.jsonl': { content: `  ${row(1)}\n${row(2)}\n`, rows: 2 },
  'gzipped.jsonl.gz': { content: gzipSync(lines(range(1, 6))), rows: 6 },
  'rows.csv': { content: 'id,name,last_updated\n1,a,2026-01-01T00:00:00Z\n2,"b\nc",2026-01-01T00:00:00Z\n', rows: 2 },
};

async function landed(tenant: string): Promise<FileRef[]> {
  for (const [name, { content }] of Object.entries(SHAPES)) h.land(tenant, 'companies', name, content);
  await h.runtime.syncLanding();
  const listed = await deps.store.list(`${tenant}/canonical/companies/`);
  return Object.keys(SHAPES).map((name) => {
    const object = listed.find((f) => f.key.endsWith(`/${name}`))!;
    return { tenant, table: 'companies', key: object.key, etag: object.etag, version: object.etag };
  });
}

it("counts every file's rows as the engine's own reader finds them, whatever the shape of its lines", async () => {
  const files = await landed('shapes');
  const expected = Object.values(SHAPES).map((s) => s.rows);
  // Pinned to their versions (each read on its own), and unpinned (read together).
  expect(await deps.warehouse.countRows(files)).toEqual(expected);
  expect(await deps.warehouse.countRows(files.map(({ version: _, ...f }) => f))).toEqual(expected);
  // Each file alone, so that no file's count leans on another's.
  for (const [i, file] of files.entries()) expect([file.key, ...(await deps.warehouse.countRows([file]))]).toEqual([file.key, expected[i]]);
});

it('counts files of one JSON object a line by their lines, in one read, and reads the others again as the insert does', async () => {
  const files = await landed('one-read');
  const plain = files.filter((f) => /plain|no-last-newline|crlf|gzipped/.test(f.key));
  counts.length = 0;
  expect(await deps.warehouse.countRows(plain)).toEqual([5, 3, 4, 6]);
  expect(counts).toHaveLength(1);
  // Read as lines: no read gives a row of its own.
  expect(counts[0]).toContain('AS i, line FROM url(');
  expect(counts[0]).not.toContain("'{}' AS line");

  const odd = files.filter((f) => /pretty|two-on|two-lines|byte-order|indented/.test(f.key));
  counts.length = 0;
  expect(await deps.warehouse.countRows([plain[0]!, ...odd])).toEqual([5, 3, 3, 2, 2, 2]);
  // The odd ones only, again.
  expect(counts).toHaveLength(2);
  expect(counts[1]).not.toContain('AS i, line FROM url(');
  expect(counts[1]!.match(/url\(/g)).toHaveLength(odd.length);
});
