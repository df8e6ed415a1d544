import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { fileFormat } from '../../src/lib/file-format.js';
import { objectKeys, readRecords } from '../../src/lib/record-stream.js';
import { chunkToken, streamFile, streamUnit, streamedUnits } from '../../src/lib/streamed-load.js';
import type { FileVersion } from '../../src/ports.js';
import { MemoryStore, ScriptedWarehouse } from './fakes.js';

const file = (name: string, size = 100): FileVersion => ({ tenant: 'acme', table: 'companies', key: `acme/canonical/companies/${name}`, etag: 'e1', size, generation: 0 });
const rows = (ids: number[], extra: Record<string, unknown> = {}) => ids.map((id) => JSON.stringify({ id, last_updated: '2026-01-01 00:00:00', ...extra })).join('\n') + '\n';

function setup(name: string, body: string | Buffer, chunkRows = 100) {
  const store = new MemoryStore();
  const warehouse = new ScriptedWarehouse();
  const f = file(name);
  store.bodies.set(f.key, body);
  return { f, store, warehouse, deps: { store, warehouse, chunkRows, chunkBytes: 1 << 20 } };
}

async function problem(promise: Promise<unknown>): Promise<PermanentError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PermanentError);
  return error as PermanentError;
}

describe('streamFile', () => {
  it('inserts a file of one chunk as it reads it, under the token of chunk 0, with no check pass', async () => {
    const { f, warehouse, deps } = setup('a.jsonl', rows([1, 2, 3]));
    expect(await streamFile(f, deps)).toBe(3);
    expect(warehouse.calls).toEqual(['insertRecords']);
    expect(warehouse.records).toMatchObject([{ token: chunkToken(f, 0), chunk: [{ file: { key: f.key }, firstRow: 1, format: 'json', rows: rows([1, 2, 3]).trimEnd().split('\n') }] }]);
  });

  it('parses every chunk of a larger file into nothing first, then inserts each under its own token', async () => {
    const { f, warehouse, deps } = setup('a.jsonl', rows([1, 2, 3, 4, 5]), 2);
    expect(await streamFile(f, deps)).toBe(5);
    expect(warehouse.calls).toEqual(['checkRecords', 'checkRecords', 'checkRecords', 'insertRecords', 'insertRecords', 'insertRecords']);
    expect(warehouse.records.filter((r) => r.token).map((r) => [r.chunk[0]!.firstRow, r.chunk[0]!.rows.length, r.token])).toEqual([
      [1, 2, chunkToken(f, 0)],
      [3, 2, chunkToken(f, 1)],
      [5, 1, chunkToken(f, 2)],
    ]);
    expect(new Set([0, 1, 2].map((i) => chunkToken(f, i))).size).toBe(3);
    expect(chunkToken({ ...f, generation: 1 }, 0)).not.toBe(chunkToken(f, 0));
  });

  it('inserts nothing of a file whose last chunk holds a bad row, and names the row and column', async () => {
    const { f, warehouse, deps } = setup('a.jsonl', rows([1, 2, 3, 4]) + '{"name":"x","last_updated":"2026-01-01 00:00:00"}\n', 2);
    const error = await problem(streamFile(f, deps));
    expect(error).toMatchObject({ code: 'MISSING_VALUE', context: { row: 5, column: 'id' } });
    expect(warehouse.records.some((r) => r.token)).toBe(false);
  });

  it('inserts nothing when the engine cannot parse a value of a later chunk', async () => {
    const { f, warehouse, deps } = setup('a.jsonl', rows([1, 2, 3, 4, 5]), 2);
    warehouse.recordsError = (chunk) => (chunk[0]!.firstRow === 5 ? new PermanentError('WRONG_TYPE', 'Cannot parse input', { row: 5 }) : undefined);
    await expect(streamFile(f, deps)).rejects.toMatchObject({ code: 'WRONG_TYPE' });
    expect(warehouse.calls).not.toContain('insertRecords');
  });

  it('checks a CSV header once, and each row for an id, a version and its tenant', async () => {
    const unknown = setup('a.csv', 'id,last_updated,created_date\n1,2026-01-01,x\n');
    expect(await problem(streamFile(unknown.f, unknown.deps))).toMatchObject({ code: 'UNKNOWN_COLUMN', context: { column: 'created_date' } });
    const foreign = setup('b.csv', 'id,last_updated,tenant_id\n1,2026-01-01,acme\n2,2026-01-01,other\n');
    expect(await problem(streamFile(foreign.f, foreign.deps))).toMatchObject({ code: 'FOREIGN_TENANT', context: { row: 2 } });
    const ok = setup('c.csv', 'id,last_updated,tenant_id\n1,2026-01-01,acme\n2,2026-01-01,\n');
    expect(await streamFile(ok.f, ok.deps)).toBe(2);
    expect(ok.warehouse.records[0]?.chunk).toMatchObject([{ format: 'csv', header: ['id', 'last_updated', 'tenant_id'] }]);
  });

  it('refuses Parquet and an empty object without reading them', async () => {
    const { store, warehouse } = setup('x.jsonl', '');
    expect(await problem(streamFile(file('p.parquet'), { store, warehouse, chunkRows: 10, chunkBytes: 1000 }))).toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
    expect(await problem(streamFile(file('e.jsonl', 0), { store, warehouse, chunkRows: 10, chunkBytes: 1000 }))).toMatchObject({ code: 'EMPTY_FILE' });
  });
});

describe('streamed load units', () => {
  it('groups small JSON lines and CSV files into units of at most the chunk bytes, and leaves the rest to load alone', () => {
    const files = [file('a.jsonl', 40), file('b.csv', 10), file('c.jsonl', 40), file('d.jsonl', 40), file('e.parquet', 5), file('f.jsonl', 0), file('g.jsonl', 500)];
    expect(streamedUnits(files, { chunkBytes: 100 }).map((u) => u.map((f) => f.key.split('/').pop()))).toEqual([['a.jsonl', 'b.csv', 'c.jsonl'], ['d.jsonl']]);
  });

  it("inserts a unit's files as one block under the unit's token, each row with its own file, and returns each file's rows", async () => {
    const { store, warehouse } = setup('x.jsonl', '');
    const [a, b] = [file('a.jsonl'), file('b.jsonl')];
    store.bodies.set(a.key, rows([1, 2])).set(b.key, rows([3]));
    expect(await streamUnit([a, b], 'abcdef0123456789', { store, warehouse, chunkRows: 1, chunkBytes: 1 })).toEqual([2, 1]);
    expect(warehouse.records).toHaveLength(1);
    expect(warehouse.records[0]).toMatchObject({ token: 'abcdef0123456789', chunk: [{ file: { key: a.key }, rows: [expect.any(String), expect.any(String)] }, { file: { key: b.key } }] });
  });

  it('inserts nothing of a unit when a row of any of its files is bad', async () => {
    const { store, warehouse } = setup('x.jsonl', '');
    const [a, b] = [file('a.jsonl'), file('b.jsonl')];
    store.bodies.set(a.key, rows([1])).set(b.key, rows([2], { tenant_id: 'other' }));
    await expect(streamUnit([a, b], 'abcdef0123456789', { store, warehouse, chunkRows: 10, chunkBytes: 1000 })).rejects.toMatchObject({ code: 'FOREIGN_TENANT', context: { file: b.key, row: 1 } });
    expect(warehouse.records).toEqual([]);
  });
});

describe('readRecords', () => {
  /** Each row and value of a file that arrives in the given pieces. */
  const readPieces = async (name: string, pieces: Buffer[]) => {
    const out: unknown[] = [];
    for await (const batch of readRecords(Readable.from(pieces), fileFormat(name), {})) for (const r of batch) out.push([r.row, r.value]);
    return out;
  };
  const read = (name: string, body: string | Buffer) => readPieces(name, [Buffer.from(body)]);
  /** The file cut in two pieces at byte `cut`. */
  const readCut = (name: string, body: string, cut: number) => {
    const bytes = Buffer.from(body);
    return readPieces(name, [bytes.subarray(0, cut), bytes.subarray(cut)]);
  };

  it('reads JSON lines, skipping blank lines and CRLF endings, gzip or not', async () => {
    const body = '{"id":1}\r\n\n{"id":2}\n';
    expect(await read('a.jsonl', body)).toEqual([[1, { id: 1 }], [2, { id: 2 }]]);
    expect(await read('a.jsonl.gz', gzipSync(body))).toEqual([[1, { id: 1 }], [2, { id: 2 }]]);
  });

  it('reads CSV records whose quoted fields hold commas, quotes and line breaks', async () => {
    expect(await read('a.csv', 'id,name\n1,"a, ""b""\nc"\n2,d\n')).toEqual([[1, ['1', 'a, "b"\nc']], [2, ['2', 'd']]]);
  });

  it('joins a record, and a character, split between two pieces of the stream', async () => {
    const text = Buffer.from('id,name\n1,"ü\nx"\n2,y\n');
    // The first cut falls inside the two bytes of ü, the second inside the quoted field.
    const cut = text.indexOf('ü') + 1;
    const pieces = [text.subarray(0, cut), text.subarray(cut, cut + 2), text.subarray(cut + 2)];
    expect(await readPieces('a.csv', pieces)).toEqual([[1, ['1', 'ü\nx']], [2, ['2', 'y']]]);
  });

  it('lets empty lines end a CSV file and one comma end a row, and refuses an empty line before a row, wherever the stream is cut', async () => {
    const good = [[1, ['1', 'a']], [2, ['2', 'b']]];
    for (const body of ['id,name\n1,a\n2,b\n\n\n', 'id,name\r\n1,a\r\n2,b\r\n\r\n', 'id,name\n1,a,\n2,b, \n']) {
      for (let cut = 0; cut <= body.length; cut++) expect(await readCut('a.csv', body, cut), `${JSON.stringify(body)} cut at ${cut}`).toEqual(good);
    }
    for (const [body, row] of [['id,name\n1,a\n\n2,b\n', 2], ['id,name\n\n1,a\n', 1], ['\nid,name\n1,a\n', 1], ['id,name\r\n1,a\r\n\r\n\r\n2,b\r\n', 2]] as const) {
      for (let cut = 0; cut <= body.length; cut++) {
        await expect(readCut('a.csv', body, cut), `${JSON.stringify(body)} cut at ${cut}`).rejects.toMatchObject({ code: 'PARSE_ERROR', context: { row }, message: expect.stringMatching(/empty line/) });
      }
    }
    // A quoted field after the comma, or two commas, is a field too many.
    await expect(read('a.csv', 'id,name\n1,a,""\n')).rejects.toMatchObject({ code: 'PARSE_ERROR', context: { row: 1 } });
    await expect(read('a.csv', 'id,name\n1,a,,\n')).rejects.toMatchObject({ code: 'PARSE_ERROR', context: { row: 1 } });
  });

  it('names the data row of a malformed CSV record', async () => {
    await expect(read('a.csv', 'id,name\n1,a\n2,"b"c\n')).rejects.toMatchObject({ code: 'PARSE_ERROR', context: { row: 2 } });
    await expect(read('a.csv', 'id,name\n1,a\n2,"b\n')).rejects.toMatchObject({ code: 'PARSE_ERROR', context: { row: 2 } });
  });

  it('reads quotes as the engine does: one opens a field only first (after spaces or tabs), elsewhere it is the text, wherever the stream is cut', async () => {
    const body = `id,name,note\n1,5" screen,"a ""b""\n\nc"\n2, "x" ,\t"y,z"\t\n3,it's,""""\n`;
    for (let cut = 0; cut <= Buffer.byteLength(body); cut++) {
      expect(await readCut('a.csv', body, cut), `cut at ${cut}`).toEqual([
        [1, ['1', '5" screen', 'a "b"\n\nc']],
        [2, ['2', 'x', 'y,z']],
        [3, ['3', "it's", '"']],
      ]);
    }
  });

  it('names the row of a line that is not a JSON object, and a file that is not gzip', async () => {
    await expect(read('a.jsonl', '{"id":1}\n[1]\n')).rejects.toMatchObject({ code: 'PARSE_ERROR', context: { row: 2 } });
    await expect(read('a.jsonl.gz', 'plain')).rejects.toMatchObject({ code: 'UNREADABLE_FILE' });
  });

  it('reads JSON objects as the engine frames them: one a line, over lines, several a line, apart by commas, or in one array; wherever the stream is cut', async () => {
    const good = [[1, { id: 1, s: 'a}\n{' }], [2, { id: 2, n: { m: [1, '"]'] } }]];
    for (const body of [
      '{"id":1,"s":"a}\\n{"}\n{"id":2,"n":{"m":[1,"\\"]"]}}\n',
      '{\n  "id": 1,\n  "s": "a}\\n{"\n}\r\n{\n  "id": 2,\n  "n": {"m": [1, "\\"]"]}\n}\n',
      '{"id":1,"s":"a}\\n{"} {"id":2,"n":{"m":[1,"\\"]"]}}',
      '{"id":1,"s":"a}\\n{"},\n{"id":2,"n":{"m":[1,"\\"]"]}},\n',
      '\uFEFF[\n {"id":1,"s":"a}\\n{"},\n {"id":2,"n":{"m":[1,"\\"]"]}}\n]\n',
    ]) {
      for (let cut = 0; cut <= Buffer.byteLength(body); cut++) expect(await readCut('a.json', body, cut), `${JSON.stringify(body)} cut at ${cut}`).toEqual(good);
    }
    for (const [body, row] of [['{"id":1}\n{"id":2,"s":"open}\n', 2], ['{"id":1}\n{"id":2\n', 2], ['{"id":1}\n2\n', 2], ['{"id":1} x\n', 2]] as const) {
      await expect(read('a.jsonl', body), body).rejects.toMatchObject({ code: 'PARSE_ERROR', context: { row } });
    }
  });
});

describe('objectKeys', () => {
  it("lists an object's own keys as written, whatever its values and spacing", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.constantFrom(undefined, 1, '\t', ' \r\n '), (value, space) => {
        expect(objectKeys(JSON.stringify(value, null, space))).toEqual(Object.keys(value));
      }),
    );
  });

  it('lists a key given twice twice, which JSON.parse keeps once', () => {
    expect(objectKeys('{"a":1,"b":{"a":2},"a" :"x\\"a\\":"}')).toEqual(['a', 'b', 'a']);
  });
});
