/**
 * The value rules have two readers, the engine's SQL (in-engine path) and the Load's own checks
 * (streamed path); they must accept exactly the same texts. Texts are generated, not chosen:
 * near-misses of every form, and arbitrary strings over the characters the forms use.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClickHouseClient } from '../../src/adapters/clickhouse/client.js';
import { TEXT_READ_SETTINGS, textStructure, valuesFitSql } from '../../src/adapters/clickhouse/value-sql.js';
import { fitsRule, valueRule } from '../../src/lib/value-rules.js';
import { settingsClause } from '../../src/sql.js';
import type { ColumnSpec } from '../../src/tables.js';

let dir: string;
let client: ClickHouseClient;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'onceload-rules-'));
  client = await createClickHouseClient({ kind: 'chdb', path: dir });
});
afterAll(async () => {
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

const COLUMNS: ColumnSpec[] = [
  { name: 'u', type: 'UInt64' },
  { name: 'i', type: 'Int32' },
  { name: 'd', type: 'Decimal(9, 2)' },
  { name: 't', type: 'DateTime64(3)' },
  { name: 's', type: 'Nullable(DateTime64(0))' },
];

/** What the engine says of each text in each column (one row a text, the other columns null). */
async function engineFits(column: ColumnSpec, texts: readonly string[]): Promise<boolean[]> {
  const fit = valuesFitSql([column]);
  const data = texts.map((t) => JSON.stringify({ [column.name]: t })).join('\n');
  const result = await client.query({
    query: `SELECT ${fit.sql} AS ok FROM format(JSONEachRow, {structure:String}, {data:String})${settingsClause({ ...TEXT_READ_SETTINGS })}`,
    query_params: { ...fit.params, structure: textStructure([column]), data },
    format: 'JSONEachRow',
  });
  return (await result.json<{ ok: number }>()).map((r) => Number(r.ok) === 1);
}

const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 22 });
const stamp = fc
  .record({
    date: fc.date({ min: new Date(Date.UTC(1890, 0, 1)), max: new Date(Date.UTC(2310, 0, 1)), noInvalidDate: true }),
    sep: fc.constantFrom('T', ' ', 't', '_'),
    cut: fc.integer({ min: 10, max: 26 }),
    zone: fc.constantFrom('', 'Z', '+05:30', '-0800', '+05', '+24:00', ' +01:00', 'UTC'),
    day: fc.constantFrom('', '29', '30', '31', '00'),
  })
  .map(({ date, sep, cut, zone, day }) => {
    let text = date.toISOString().replace('T', sep).slice(0, cut).replace(/Z$/, '');
    if (day) text = text.slice(0, 8) + day + text.slice(10);
    return cut > 13 ? text + zone : text;
  });
const near = fc.oneof(
  digits,
  digits.map((d) => `-${d}`),
  fc.tuple(digits, digits).map(([a, b]) => `${a}.${b}`),
  fc.tuple(digits, digits).map(([a, b]) => `${a}e${b.slice(0, 2)}`),
  stamp,
  fc.string({ unit: fc.constantFrom(...'0123456789-:.TZ +e'), maxLength: 30 }),
);

it('the engine and the Load accept exactly the same texts in every kind of column', async () => {
  const texts = [...new Set(fc.sample(near, { numRuns: 600, seed: 20261202 }))];
  for (const column of COLUMNS) {
    const engine = await engineFits(column, texts);
    const rule = valueRule(column.type);
    const disagreements = texts.flatMap((text, i) => (engine[i] === fitsRule(rule, text) ? [] : [`${JSON.stringify(text)}: engine ${engine[i]}`]));
    expect(disagreements, column.type).toEqual([]);
    // The sample holds both answers, or it tests nothing.
    expect(new Set(engine).size, column.type).toBe(2);
  }
});
