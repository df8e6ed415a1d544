/**
 * The SQL a load reads and writes a landed file with: the text structure its columns are read
 * in, the conversions of checked values, the row problems, the insert's columns and its
 * deduplication settings. Identifiers are quoted; values are bound parameters.
 */
import type { InsertBound, RowProblem } from '../../ports.js';
import { quoteIdentifier } from '../../sql.js';
import { LINEAGE_COLUMNS, type TableSpec } from '../../tables.js';
import { convertSql, textStructure, valuesFitSql } from './value-sql.js';

type Params = Record<string, unknown>;

/** Squashing thresholds no load unit reaches, so its insert writes one block (callers bound its size). */
export const ONE_BLOCK = 2 ** 50;

export function checkToken(dedupToken: string): void {
  if (!/^[0-9a-f]{16,128}$/.test(dedupToken)) throw new Error('deduplication token must be lowercase hex');
}

/** The columns an insert writes, quoted: the tenant, the table's own, then the lineage. */
export function insertColumns(spec: TableSpec): { columns: string[]; target: string } {
  const columns = spec.columns.map((c) => quoteIdentifier(c.name));
  return { columns, target: [quoteIdentifier('tenant_id'), ...columns, ...LINEAGE_COLUMNS.map((c) => quoteIdentifier(c.name))].join(', ') };
}

/**
 * What an `INSERT ... SELECT` of landed files sets, whether a file alone or a unit: deduplicated
 * under the token, and every row lands (merges pick the newest), skipping the insert's own sorting
 * out of replaced rows, which costs a third more memory.
 */
export function dedupInsertSettings(dedupToken: string): Record<string, string | number> {
  return {
    insert_deduplicate: 1,
    // Fail loudly rather than insert without deduplication if the engine deems the SELECT unstable.
    deduplicate_insert_select: 'force_enable',
    insert_deduplication_token: dedupToken,
    insert_null_as_default: 1,
    optimize_on_insert: 0,
  };
}

/** TIMEOUT_EXCEEDED: an insert past its bound is retried as any timeout is, never taken for a bad row. */
const PAST_BOUND_CODE = 159;

/**
 * An insert's bound in its SQL: a filter that fails the insert on any block of rows read after
 * the deadline, by the engine's clock (a late start, a queue, a slow read: none lets it write past
 * its bound), its parameter, and the time limit, which also ends an insert that stops reading rows.
 */
export function boundClause(bound: InsertBound | undefined): { where: string; params: Record<string, number>; settings: Record<string, number> } {
  if (bound === undefined) return { where: '', params: {}, settings: {} };
  return {
    where: ` AND throwIf(toUnixTimestamp(nowInBlock()) > {deadline:UInt32}, 'the insert ran past the lease of its attempt', toInt32(${PAST_BOUND_CODE})) = 0`,
    params: { deadline: Math.floor(bound.deadline.getTime() / 1000) },
    settings: { max_execution_time: bound.seconds, allow_custom_error_code_in_throwif: 1 },
  };
}

export function describeBound(bound: InsertBound): string {
  return `no row read after ${bound.deadline.toISOString()}, at most ${bound.seconds} s`;
}

/**
 * Every source column nullable text: a missing value is seen (and counted) rather than defaulted,
 * and each value is checked against its column's rule before it is converted (value-sql.ts).
 */
export function sourceStructure(spec: TableSpec): string {
  return textStructure(spec.columns);
}

/**
 * The table's own columns converted from their checked text, in table order. Never aliased to
 * the column's name: a WHERE beside it would then read the converted value, not the text.
 */
export const converted = (spec: TableSpec) => spec.columns.map((c) => convertSql(c));
export const convertedColumn = (spec: TableSpec, name: string) => convertSql(spec.columns.find((c) => c.name === name)!);

const missing = (column: string) => `(${quoteIdentifier(column)} IS NULL OR ${quoteIdentifier(column)} = '')`;

/** An empty text is no value (an empty CSV field), as the value rules say. */
export function rowProblemSql(spec: TableSpec): Record<RowProblem, string> {
  return {
    missing_id: missing('id'),
    missing_version: missing(spec.version),
    foreign_tenant: 'tenant_id IS NOT NULL AND tenant_id != {tenant:String}',
  };
}

/** A row no unit may insert; the same problems the check read of a file loaded alone counts. */
export function unitRowCheck(spec: TableSpec): { sql: string; params: Params } {
  const fit = valuesFitSql(spec.columns, spec.required);
  return { sql: `${Object.values(rowProblemSql(spec)).join(' OR ')} OR NOT (${fit.sql})`, params: fit.params };
}

