/**
 * `onceload tenants import FILE`: reads tenants from a CSV with a header or from JSON lines, with
 * the fields `tenants add` takes (tenant_id, service, tables, every, enabled, since, start_after), checks every row
 * before anything is written, and works out what the import changes against the tenants there are.
 * Every problem is named by file, line and field; all of them are listed (up to MAX_PROBLEMS).
 */
import { basename, extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { parseEvery } from '../cli/every.js';
import { InputError } from '../errors.js';
import type { TenantRecord } from '../ports.js';
import type { TableCatalog, TableName } from '../tables.js';
import { assertTenantId } from './execution-input.js';
import { parseStartSince, parseStartAfter } from './start-point.js';

export const IMPORT_FIELDS = ['tenant_id', 'service', 'tables', 'every', 'enabled', 'since', 'start_after'] as const;
type ImportField = (typeof IMPORT_FIELDS)[number];

/** The most problems one refusal lists; the rest are counted. */
export const MAX_PROBLEMS = 20;

export type ImportFormat = 'csv' | 'jsonl';

/** One row of the file: the tenant and the settings it gives (an absent one is not changed). */
export interface TenantImportRow {
  line: number;
  tenantId: string;
  service?: string;
  tables?: TableName[];
  /** Seconds between due runs. */
  every?: number;
  enabled?: boolean;
  /** The start point, as `--since` and `--start-after` take it. */
  since?: string;
  startAfter?: string;
}

/** What an import of the rows does to the tenants there are. */
export interface ImportPlan {
  added: TenantRecord[];
  updated: TenantRecord[];
  unchanged: number;
}

/** The format by the file's extension: `.csv`, or JSON lines as `.jsonl`, `.ndjson` or `.json`. */
export function importFormat(file: string): ImportFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  throw new InputError(`${JSON.stringify(basename(file))}: cannot tell its format by its extension; name it .csv (with a header) or .jsonl, .ndjson or .json (JSON lines)`, 'FILE');
}

/** The refusal of a file with problems: one line per problem, after a line saying nothing was written. */
export class TenantImportError extends InputError {
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    const more = problems.length > shown.length ? [`  ... and ${problems.length - shown.length} more`] : [];
    super([`${basename(file)}: ${problems.length} problem(s), nothing imported:`, ...shown.map((p) => `  ${p}`), ...more].join('\n'));
    this.problems = problems;
  }
}

type TableChecker = Pick<TableCatalog, 'has' | 'names' | 'source'>;

/** A field's value as the file gives it: a CSV cell (a string) or a JSON value. */
type RawRow = { line: number; fields: Map<string, unknown> };

/** The message of an InputError without the flag it names (`--every: "1x" is ...` becomes `"1x" is ...`). */
function messageOf(error: unknown): string {
  if (error instanceof InputError && error.field !== undefined) return error.message.slice(error.field.length + 2);
  return error instanceof Error ? error.message : String(error);
}

function csvRows(text: string, problem: (line: number, field: string | undefined, message: string) => void): RawRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(text, { info: true, relax_column_count: true, skip_empty_lines: true, trim: true, bom: true }) as unknown as typeof records;
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    problem(line ?? 1, undefined, `not valid CSV: ${(error as Error).message}`);
    return [];
  }
  const [header, ...data] = records;
  if (!header) {
    problem(1, undefined, `no header; the first line names the fields: ${IMPORT_FIELDS.join(',')}`);
    return [];
  }
  const names = header.record;
  const headerLine = header.info.lines;
  let headerOk = true;
  const seen = new Set<string>();
  for (const name of names) {
    if (!(IMPORT_FIELDS as readonly string[]).includes(name)) {
      problem(headerLine, name, `unknown field; the fields are ${IMPORT_FIELDS.join(', ')}`);
      headerOk = false;
    } else if (seen.has(name)) {
      problem(headerLine, name, 'named twice in the header');
      headerOk = false;
    }
    seen.add(name);
  }
  if (!seen.has('tenant_id')) {
    problem(headerLine, 'tenant_id', 'missing from the header; every row needs one');
    headerOk = false;
  }
  if (!headerOk) return [];
  const rows: RawRow[] = [];
  for (const { record, info } of data) {
    if (record.length !== names.length) {
      problem(info.lines, undefined, `${record.length} value(s) for the ${names.length} field(s) of the header`);
      continue;
    }
    const fields = new Map<string, unknown>();
    // An empty cell gives nothing: the tenant keeps that setting (or gets the default when new).
    names.forEach((name, i) => {
      if (record[i] !== '' || name === 'tenant_id') fields.set(name, record[i]);
    });
    rows.push({ line: info.lines, fields });
  }
  return rows;
}

function jsonRows(text: string, problem: (line: number, field: string | undefined, message: string) => void): RawRow[] {
  const rows: RawRow[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problem(line, undefined, `not valid JSON: ${(error as Error).message}`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problem(line, undefined, 'not a JSON object; each line is one tenant, e.g. {"tenant_id":"acme","tables":["companies"]}');
      return;
    }
    const fields = new Map<string, unknown>();
    let ok = true;
    for (const [name, v] of Object.entries(value)) {
      if (!(IMPORT_FIELDS as readonly string[]).includes(name)) {
        problem(line, name, `unknown field; the fields are ${IMPORT_FIELDS.join(', ')}`);
        ok = false;
      } else if (v !== null) {
        fields.set(name, v);
      }
    }
    if (ok) rows.push({ line, fields });
  });
  return rows;
}

/** Checks one field's value; returns it as the tenant takes it, or throws the problem's message. */
function checkField(name: ImportField, value: unknown, format: ImportFormat, tables: TableChecker): unknown {
  switch (name) {
    case 'tenant_id':
      if (typeof value !== 'string' || value === '') throw new Error('missing; every row needs a tenant id');
      return assertTenantId(value);
    case 'service':
      if (typeof value !== 'string' || value.trim() === '') throw new Error(`expected a service name, got ${JSON.stringify(value)}`);
      return value.trim();
    case 'tables': {
      let list: unknown[];
      if (format === 'csv') list = String(value).split(',').map((t) => t.trim());
      else if (Array.isArray(value)) list = value;
      else throw new Error(`expected an array of table names, e.g. ["companies","tickets"], got ${JSON.stringify(value)}`);
      if (list.length === 0 || list.some((t) => t === '')) throw new Error(`give at least one table, and no empty one: ${JSON.stringify(value)}`);
      const unknown = list.filter((t) => typeof t !== 'string' || !tables.has(t));
      if (unknown.length) throw new Error(`unknown table(s) ${unknown.map((t) => JSON.stringify(t)).join(', ')}; expected one of ${tables.names.join(', ')} (${tables.source})`);
      const twice = list.filter((t, i) => list.indexOf(t) !== i);
      if (twice.length) throw new Error(`table ${JSON.stringify(twice[0])} is named twice`);
      return list as TableName[];
    }
    case 'every':
      if (typeof value !== 'string') throw new Error(`expected a duration such as "15m", "1h" or "1d", got ${JSON.stringify(value)}`);
      return parseEvery(value);
    case 'enabled':
      if (typeof value === 'boolean') return value;
      if (format === 'csv' && /^(true|false)$/i.test(String(value))) return String(value).toLowerCase() === 'true';
      throw new Error(`expected true or false, got ${JSON.stringify(value)}`);
    case 'since':
      if (typeof value !== 'string') throw new Error(`expected a date such as "2026-01-01", got ${JSON.stringify(value)}`);
      return parseStartSince(value, name);
    case 'start_after':
      if (typeof value !== 'string') throw new Error(`expected a key relative to each table folder such as "2025/12/31/", got ${JSON.stringify(value)}`);
      return parseStartAfter(value, undefined, name);
  }
}

/**
 * Reads and checks every row of the file's text. `problems` holds one line per problem (file, line,
 * field); `rows` are the rows that passed, usable only when there are no problems.
 */
export function parseTenantImport(file: string, text: string, tables: TableChecker): { rows: TenantImportRow[]; problems: string[] } {
  const name = basename(file);
  const format = importFormat(file);
  const found: { line: number; text: string }[] = [];
  const problem = (line: number, field: string | undefined, message: string) =>
    found.push({ line, text: `${name} line ${line}${field !== undefined ? `, field ${field}` : ''}: ${message}` });
  const raw = format === 'csv' ? csvRows(text, problem) : jsonRows(text, problem);
  const rows: TenantImportRow[] = [];
  const firstLine = new Map<string, number>();
  for (const { line, fields } of raw) {
    const row: TenantImportRow = { line, tenantId: '' };
    let ok = true;
    if (!fields.has('tenant_id')) fields.set('tenant_id', undefined);
    for (const field of IMPORT_FIELDS) {
      if (!fields.has(field)) continue;
      try {
        const value = checkField(field, fields.get(field), format, tables);
        if (field === 'tenant_id') row.tenantId = value as string;
        else if (field === 'service') row.service = value as string;
        else if (field === 'tables') row.tables = value as TableName[];
        else if (field === 'every') row.every = value as number;
        else if (field === 'since') row.since = value as string;
        else if (field === 'start_after') row.startAfter = value as string;
        else row.enabled = value as boolean;
      } catch (error) {
        problem(line, field, messageOf(error));
        ok = false;
      }
    }
    if (row.tenantId !== '') {
      const earlier = firstLine.get(row.tenantId);
      if (earlier !== undefined) {
        problem(line, 'tenant_id', `${JSON.stringify(row.tenantId)} is on line ${earlier} too; give each tenant once`);
        ok = false;
      } else {
        firstLine.set(row.tenantId, line);
      }
    }
    if (ok) rows.push(row);
  }
  if (raw.length === 0 && found.length === 0) problem(1, undefined, 'no tenants in the file');
  // In the order of the file (a row's shape is checked before its fields); sort is stable.
  return { rows, problems: found.sort((a, b) => a.line - b.line).map((p) => p.text) };
}

/** The rows, or a TenantImportError listing every problem. */
export function checkTenantImport(file: string, text: string, tables: TableChecker): TenantImportRow[] {
  const { rows, problems } = parseTenantImport(file, text, tables);
  if (problems.length) throw new TenantImportError(file, problems);
  return rows;
}

const sameSettings = (a: TenantRecord, b: TenantRecord) =>
  a.service === b.service &&
  a.enabled === b.enabled &&
  a.everySeconds === b.everySeconds &&
  a.since === b.since &&
  a.startAfter === b.startAfter &&
  JSON.stringify(a.tables ?? null) === JSON.stringify(b.tables ?? null);

/**
 * What importing the rows does: a new tenant gets the row's settings and `tenants add`'s defaults
 * (service `default`, all tables, enabled, every run); an existing one changes only in the fields
 * the row gives, as `tenants update`, and keeps its last success. No tenant is removed.
 */
export function planImport(rows: TenantImportRow[], existing: TenantRecord[]): ImportPlan {
  const current = new Map(existing.map((t) => [t.tenantId, t]));
  const plan: ImportPlan = { added: [], updated: [], unchanged: 0 };
  for (const row of rows) {
    const before = current.get(row.tenantId);
    if (!before) {
      plan.added.push({
        tenantId: row.tenantId,
        service: row.service ?? 'default',
        enabled: row.enabled ?? true,
        ...(row.tables ? { tables: row.tables } : {}),
        ...(row.every ? { everySeconds: row.every } : {}),
        ...(row.since !== undefined ? { since: row.since } : {}),
        ...(row.startAfter !== undefined ? { startAfter: row.startAfter } : {}),
      });
      continue;
    }
    const after: TenantRecord = {
      ...before,
      ...(row.service !== undefined ? { service: row.service } : {}),
      ...(row.enabled !== undefined ? { enabled: row.enabled } : {}),
      ...(row.tables ? { tables: row.tables } : {}),
      ...(row.every !== undefined ? { everySeconds: row.every } : {}),
      ...(row.since !== undefined ? { since: row.since } : {}),
      ...(row.startAfter !== undefined ? { startAfter: row.startAfter } : {}),
    };
    if (sameSettings(before, after)) plan.unchanged++;
    else plan.updated.push(after);
  }
  return plan;
}
