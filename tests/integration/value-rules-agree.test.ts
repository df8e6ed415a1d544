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
import { convertSql, TEXT_READ_SETTINGS, textStructure, valueParams, valuesFitSql } from '../../src/adapters/clickhouse/value-sql.js';
import { columnRule, epochText, fitsRule } from '../../src/lib/value-rules.js';
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
  { name: 'dd', type: 'Decimal(2, 2)' },
  { name: 't', type: 'DateTime64(3)' },
  { name: 's', type: 'Nullable(DateTime64(0))' },
  { name: 'es', type: 'DateTime64(3)', epoch: 'seconds' },
  { name: 'em', type: 'Nullable(DateTime64(3))', epoch: 'milliseconds' },
  { name: 'ez', type: 'DateTime64(0)', epoch: 'milliseconds' },
  { name: 'ex', type: 'DateTime64(6)', epoch: 'seconds' },
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
/** Whole numbers about the ends of DateTime64's range in seconds and in milliseconds, and between. */
const edge = (n: bigint) => fc.bigInt({ min: n - 3n, max: n + 3n }).map(String);
const epochs = fc.oneof(
  edge(-2208988800n),
  edge(10413791999n),
  edge(-2208988800000n),
  edge(10413791999999n),
  fc.bigInt({ min: -3_000_000_000_000n, max: 11_000_000_000_000n }).map(String),
  fc.bigInt({ min: -3_000_000_000n, max: 11_000_000_000n }).map(String),
  fc.bigInt({ min: 0n, max: 99_999_999_999n }).map((n) => `000${n}`),
  fc.bigInt({ min: -3_000_000_000n, max: 11_000_000_000n }).map((n) => `${n}.${n % 2n === 0n ? '0' : '5'}`),
  fc.bigInt({ min: 1n, max: 10n ** 22n }).map((n) => `${n}000`),
  fc.bigInt({ min: -2_208_988_800n, max: 10_413_791_999n }).map((n) => `${n * 1000n + (n % 3n === 0n ? 1n : 0n)}`),
);
const near = fc.oneof(
  epochs,
  digits,
  digits.map((d) => `-${d}`),
  fc.tuple(digits, digits).map(([a, b]) => `${a}.${b}`),
  fc.tuple(digits, digits).map(([a, b]) => `${a}e${b.slice(0, 2)}`),
  stamp,
  fc.string({ unit: fc.constantFrom(...'0123456789-:.TZ +e'), maxLength: 30 }),
);

it('the engine and the Load accept exactly the same texts in every kind of column', async () => {
  // Texts at the edges no generator is sure to hit: a decimal with no digit before the point, and
  // timestamps a zone would carry out of DateTime64's range.
  const edges = ['0.5', '.25', '-0.12', '0', '0.00', '5.12', '0.123', '1.0', '2299-12-31T23:00-05:00', '1900-01-01T00:30+01:00', '1901-01-01T00:30+01:00'];
  const texts = [...new Set([...fc.sample(near, { numRuns: 600, seed: 20261202 }), ...edges])];
  for (const column of COLUMNS) {
    const engine = await engineFits(column, texts);
    const rule = columnRule(column);
    const disagreements = texts.flatMap((text, i) => (engine[i] === fitsRule(rule, text) ? [] : [`${JSON.stringify(text)}: engine ${engine[i]}`]));
    expect(disagreements, column.type).toEqual([]);
    // The sample holds both answers, or it tests nothing.
    expect(new Set(engine).size, column.type).toBe(2);
    // Only a column that declares a unit accepts a number, and it accepts some.
    if (rule.kind === 'timestamp') expect(texts.some((t, i) => engine[i] && /^-?[0-9]+$/.test(t)), column.name).toBe(column.epoch !== undefined);
  }
});

/** What the engine stores for each text: the in-engine path's conversion of the text as read. */
async function engineStores(column: ColumnSpec, texts: readonly string[]): Promise<(string | null)[]> {
  const data = texts.map((t) => JSON.stringify({ [column.name]: t })).join('\n');
  const result = await client.query({
    query: `SELECT toString(${convertSql(column)}) AS v FROM format(JSONEachRow, {structure:String}, {data:String})${settingsClause({ ...TEXT_READ_SETTINGS })}`,
    query_params: { ...valueParams([column]), structure: textStructure([column]), data },
    format: 'JSONEachRow',
  });
  return (await result.json<{ v: string | null }>()).map((r) => r.v);
}

/** What the streamed path's insert stores for each text: the text it sends, read by the typed parser as its insert reads it. */
async function insertStores(column: ColumnSpec, texts: readonly string[]): Promise<(string | null)[]> {
  const rule = columnRule(column);
  const data = texts.map((t) => JSON.stringify({ [column.name]: epochText(rule, t) ?? t })).join('\n');
  const result = await client.query({
    query: `SELECT toString(${column.name}) AS v FROM format(JSONEachRow, {structure:String}, {data:String})${settingsClause({ date_time_input_format: 'best_effort', session_timezone: 'UTC' })}`,
    query_params: { structure: `${column.name} ${column.type}`, data },
    format: 'JSONEachRow',
  });
  return (await result.json<{ v: string | null }>()).map((r) => r.v);
}

it('an accepted epoch number stores the same value on both paths, in the declared unit', async () => {
  const sample = [...new Set(fc.sample(epochs, { numRuns: 400, seed: 20261203 }))];
  for (const column of COLUMNS.filter((c) => c.epoch)) {
    const rule = columnRule(column);
    const accepted = ['1769904000', '1769904000123', '-1', '0', ...sample].filter((t) => fitsRule(rule, t));
    expect(accepted.length, column.name).toBeGreaterThan(20);
    expect(await insertStores(column, accepted), column.name).toEqual(await engineStores(column, accepted));
  }
  const [seconds, millis] = [COLUMNS.find((c) => c.name === 'es')!, COLUMNS.find((c) => c.name === 'em')!];
  expect(await engineStores(seconds, ['1769904000'])).toEqual(['2026-02-01 00:00:00.000']);
  expect(await engineStores(millis, ['1769904000123'])).toEqual(['2026-02-01 00:00:00.123']);
});
