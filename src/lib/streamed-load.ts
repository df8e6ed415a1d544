/**
 * The streamed load path, for a ClickHouse that cannot read the bucket: the Load reads each file
 * version itself (pinned by its ETag, so every read sees the same bytes), checks every row as it
 * streams past, and sends the rows with their lineage to the insert, each insert one block under
 * its own token. The row counts are the Load's own.
 *
 * Small files go together, as a load unit (see load-unit.ts): their rows are one insert, read
 * whole before it is sent, so it lands whole or not at all. A file larger than a unit is loaded
 * alone, in chunks: read twice, first checking every row and parsing every chunk in the engine
 * into a table function that keeps nothing, so a bad row or value anywhere fails the file before
 * any insert; then inserting the chunks in order. A redo sends the same chunks under the same
 * tokens, and the engine drops the ones that landed.
 */
import { createHash } from 'node:crypto';
import { FileBusyError, PermanentError, isSuperseded, type ErrorContext } from '../errors.js';
import type { CsvField, FileVersion, ObjectStore, RecordPart, Warehouse } from '../ports.js';
import { allowedColumns, columnNamed, columnProblem, rowProblems, twiceNamed } from './check-file.js';
import { dedupToken } from './dedup-token.js';
import { fileFormat } from './file-format.js';
import { countLanded, fileRef, type Checked, type LoadPath } from './load-unit.js';
import { batchFiles } from './plan.js';
import { objectKeys, readRecords, type FileRecord } from './record-stream.js';
import { columnRule, epochText, fitsRule, valueMessage, type ValueRule } from './value-rules.js';
import type { TableSpec } from '../tables.js';

export interface StreamDeps {
  store: ObjectStore;
  warehouse: Warehouse;
  /** Rows and bytes a chunk holds at most: the block of one insert. */
  chunkRows: number;
  chunkBytes: number;
}

/** The token of chunk `i` of a file version loaded alone. */
export function chunkToken(file: FileVersion, i: number): string {
  return createHash('sha256').update(`${dedupToken(file)}#${i}`).digest('hex').slice(0, 40);
}

/**
 * Loads one file version alone, in chunks; returns its rows, or throws a PermanentError naming
 * the problem. `checked` is told the rows once every chunk has parsed, before any is inserted,
 * and answers whether the attempt's lease still allows each chunk's insert as it is sent: a
 * chunk is never sent once the lease has ended (the engine takes a chunk as data, so it cannot
 * bound the insert as it bounds a read of the file).
 */
export async function streamFile(file: FileVersion, deps: StreamDeps, checked?: Checked): Promise<number> {
  const context = contextOf(file);
  refuseUnstreamable(file, context);
  let first: RecordPart | undefined;
  let chunks = 0;
  let rows = 0;
  for await (const part of partsOf(file, deps, context)) {
    rows += part.rows.length;
    if (++chunks === 1) {
      first = part;
      continue;
    }
    // More than one chunk: parse them all before inserting any.
    if (chunks === 2) await deps.warehouse.insertRecords([first!]);
    await deps.warehouse.insertRecords([part]);
  }
  if (rows === 0 || !first) throw new PermanentError('EMPTY_FILE', 'the file has no rows', context);
  const bound = checked ? await checked(rows) : undefined;
  const send = async (part: RecordPart, i: number) => {
    if (bound && bound() === undefined) throw new FileBusyError(`the lease ended before chunk ${i + 1} of the file was sent`, context);
    await deps.warehouse.insertRecords([part], chunkToken(file, i));
  };
  if (chunks === 1) {
    await send(first, 0);
    return rows;
  }
  let i = 0;
  for await (const part of partsOf(file, deps, context)) await send(part, i++);
  return rows;
}

/** The streamed load path over these ports: units read whole and inserted as one block, larger files alone in chunks. */
export function streamedPath(deps: StreamDeps): LoadPath {
  return {
    // No time limit on a unit's insert: the engine knows its block by its token alone, so a late
    // one and a redo of the members still there are one insert to it.
    writer: { insert: (files, token) => streamUnit(files, token, deps), count: (files) => countLanded(files, deps.warehouse, (fs) => countStreamed(fs, deps)) },
    loadAlone: (file, checked) => streamFile(file, deps, checked),
  };
}

/**
 * The batch's files the streamed path loads as units: JSON lines and CSV alike (every row goes to
 * the engine as JSON), each unit at most `chunkBytes`, since the Load holds it whole. The rest
 * (larger files, Parquet, empty objects) load alone.
 */
export function streamedUnits(files: readonly FileVersion[], deps: Pick<StreamDeps, 'chunkBytes'>): FileVersion[][] {
  return batchFiles(
    files.filter((f) => fileFormat(f.key).format !== 'Parquet' && f.size > 0 && f.size <= deps.chunkBytes),
    { batchMaxFiles: Number.MAX_SAFE_INTEGER, batchMaxBytes: deps.chunkBytes },
  );
}

/**
 * Inserts the files of a load unit as one block under `token`, read whole and checked first;
 * returns each file's rows. A member whose object no longer holds its version is left out
 * (its rows undefined): the engine knows a block by its token alone, so this insert and any
 * earlier one of the whole unit are still one insert to it, whichever lands first.
 */
export async function streamUnit(files: readonly FileVersion[], token: string, deps: StreamDeps): Promise<(number | undefined)[]> {
  const { parts, rows } = await readUnit(files, deps, true);
  if (parts.length > 0) await deps.warehouse.insertRecords(parts, token);
  return rows;
}

/** Each file's rows, read and checked, for a unit whose insert is known to have landed. */
export async function countStreamed(files: readonly FileVersion[], deps: StreamDeps): Promise<number[]> {
  return (await readUnit(files, deps, false)).rows as number[];
}

/** Every file's rows, each file one part; with `leaveGone`, a file no longer its version is skipped (undefined rows). */
async function readUnit(files: readonly FileVersion[], deps: StreamDeps, leaveGone: boolean): Promise<{ parts: RecordPart[]; rows: (number | undefined)[] }> {
  const parts: RecordPart[] = [];
  const rows: (number | undefined)[] = [];
  for (const file of files) {
    const context = contextOf(file);
    refuseUnstreamable(file, context);
    const own: RecordPart[] = [];
    try {
      // One part a file: the caller bounds the unit's bytes.
      for await (const part of partsOf(file, { ...deps, chunkRows: Infinity, chunkBytes: Infinity }, context)) own.push(part);
    } catch (error) {
      if (!leaveGone || !isSuperseded(error)) throw error;
      rows.push(undefined);
      continue;
    }
    parts.push(...own);
    rows.push(own.reduce((n, part) => n + part.rows.length, 0));
  }
  return { parts, rows };
}

const contextOf = (file: FileVersion): ErrorContext => ({ tenant: file.tenant, table: file.table, file: file.key });

function refuseUnstreamable(file: FileVersion, context: ErrorContext): void {
  if (fileFormat(file.key).format === 'Parquet') {
    throw new PermanentError('UNSUPPORTED_FORMAT', 'a Parquet file cannot be streamed row by row; load it with ONCELOAD_LOAD_PATH=in-engine', context);
  }
  if (file.size === 0) throw new PermanentError('EMPTY_FILE', 'the file is empty', context);
}

/** The file's checked rows in parts of at most `chunkRows` rows and about `chunkBytes` bytes. */
async function* partsOf(file: FileVersion, deps: StreamDeps, context: ErrorContext): AsyncGenerator<RecordPart> {
  const ref = fileRef(file);
  const spec = deps.warehouse.tables.get(file.table);
  let json: string[] = [];
  let csv: CsvField[][] = [];
  let header: string[] | undefined;
  let firstRow = 1;
  let bytes = 0;
  const flush = (): RecordPart => {
    const part: RecordPart = header ? { file: ref, firstRow, format: 'csv', header, rows: csv } : { file: ref, firstRow, format: 'json', rows: json };
    firstRow += header ? csv.length : json.length;
    json = [];
    csv = [];
    bytes = 0;
    return part;
  };
  for await (const records of readRecords(await deps.store.read(file.key, file.etag), fileFormat(file.key), context, { header: (names) => headerOf(spec, names, context) })) {
    for (const read of records) {
      if (read.kind === 'json') {
        const record = withColumnNames(read, spec, context);
        const sent = checkRecord(record, file, spec, context);
        // A row's own tenant_id (checked equal) is dropped: the insert writes the file's tenant.
        const rewritten = sent !== undefined || 'tenant_id' in record.value || record !== read;
        // The engine refuses a key given twice in a row sent as written; one written anew has lost it.
        if (rewritten) refuseKeyTwice(read, spec, context);
        json.push(rewritten ? jsonWith(record, sent ?? new Map(), 'tenant_id') : record.line);
      } else {
        header ??= read.header;
        const sent = checkRecord(read, file, spec, context);
        csv.push(sent ? read.value.map((v, i) => (sent.has(read.header[i]!) ? sent.get(read.header[i]!)! : v)) : read.value);
      }
      bytes += read.bytes;
      if (json.length + csv.length >= deps.chunkRows || bytes >= deps.chunkBytes) yield flush();
    }
  }
  if (json.length + csv.length > 0) yield flush();
}

/** A CSV header in the table's names (see columnNamed), checked: no unknown column, none twice, every required one. */
function headerOf(spec: TableSpec, names: readonly string[], context: ErrorContext): string[] {
  const header = names.map((name) => columnNamed(spec, name) ?? name);
  const problem = columnProblem(spec, header, context) ?? twiceNamed(header, context);
  if (problem) throw problem;
  return header;
}

/**
 * A JSON row with its keys in the table's names (see columnNamed): the row itself when they are,
 * else a new one, whose text the caller writes anew. An unknown key, or two keys of one column,
 * refuse the file.
 */
function withColumnNames(record: FileRecord & { kind: 'json' }, spec: TableSpec, context: ErrorContext): FileRecord & { kind: 'json' } {
  const allowed = allowedColumns(spec);
  const keys = Object.keys(record.value);
  if (keys.every((key) => allowed.has(key))) return record;
  const at = { ...context, row: record.row };
  const names = keys.map((key) => columnNamed(spec, key) ?? key);
  const problem = columnProblem(spec, names, at, false) ?? twiceNamed(names, at);
  if (problem) throw problem;
  const renamed = { ...record, value: {} as Record<string, unknown>, numbers: {} as Record<string, string> };
  keys.forEach((key, i) => {
    renamed.value[names[i]!] = record.value[key];
    if (record.numbers?.[key] !== undefined) renamed.numbers[names[i]!] = record.numbers[key];
  });
  return renamed;
}

/** Refuses a row giving a key twice, as the engine does (JSON.parse keeps the last value). */
function refuseKeyTwice(record: FileRecord & { kind: 'json' }, spec: TableSpec, context: ErrorContext): void {
  const keys = objectKeys(record.line);
  if (keys.length === Object.keys(record.value).length) return;
  throw twiceNamed(keys.map((key) => columnNamed(spec, key) ?? key), { ...context, row: record.row })!;
}

/** A field of a row: null or undefined when the row has no value there (a CSV field read as no value). */
function field(record: FileRecord, name: string): unknown {
  if (record.kind === 'json') return record.value[name];
  const i = record.header.indexOf(name);
  return i === -1 ? undefined : record.value[i];
}

function rowProblem(spec: TableSpec, problem: keyof ReturnType<typeof rowProblems>, context: ErrorContext): PermanentError {
  const { code, column, message } = rowProblems(spec)[problem];
  return new PermanentError(code, message, { ...context, column });
}

/**
 * A JSON row with some values replaced (by a text, or null for no value), and `omit` left out: the
 * other numbers as written (JSON.parse rounds a large one). A checked row's values are all scalars.
 */
function jsonWith(record: FileRecord & { kind: 'json' }, texts: ReadonlyMap<string, string | null>, omit?: string): string {
  const value = (key: string, v: unknown) => (texts.has(key) ? JSON.stringify(texts.get(key)) : typeof v === 'number' ? (record.numbers?.[key] ?? JSON.stringify(v)) : JSON.stringify(v));
  return `{${Object.entries(record.value).filter(([key]) => key !== omit).map(([key, v]) => `${JSON.stringify(key)}:${value(key, v)}`).join(',')}}`;
}

/**
 * The checks of a row the engine's insert would not make: an id and a version, no other tenant
 * (its names were checked on reading). Returns the values to send in place of the file's, if any (see checkValues).
 */
function checkRecord(record: FileRecord, file: FileVersion, spec: TableSpec, context: ErrorContext): Map<string, string | null> | undefined {
  if (field(record, 'id') == null) throw rowProblem(spec, 'missing_id', { ...context, row: record.row });
  if (field(record, spec.version) == null) throw rowProblem(spec, 'missing_version', { ...context, row: record.row });
  const tenant = field(record, 'tenant_id');
  if (tenant != null && tenant !== file.tenant) throw rowProblem(spec, 'foreign_tenant', { ...context, row: record.row });
  return checkValues(record, spec, context);
}

const RULES = new WeakMap<TableSpec, { name: string; rule: ValueRule; required: boolean }[]>();
const rulesOf = (spec: TableSpec) =>
  RULES.get(spec) ?? RULES.set(spec, spec.columns.map((c) => ({ name: c.name, rule: columnRule(c), required: spec.required.includes(c.name) }))).get(spec)!;

/** Each value's text as the file holds it: a JSON number as written, a boolean as `true`/`false`. */
function valueText(record: FileRecord, name: string): string | undefined | { nested: true } {
  if (record.kind === 'csv') return (field(record, name) as string | null | undefined) ?? undefined;
  const value = record.value[name];
  if (value == null) return undefined;
  if (typeof value === 'object') return { nested: true };
  if (typeof value === 'number') return record.numbers?.[name] ?? String(value);
  return String(value);
}

/**
 * Every value fits its column's rule (value-rules.ts), as the in-engine path checks in SQL. Returns
 * what is sent in place of some values, as the in-engine conversion reads them: an epoch number
 * as its ISO-8601 text (the engine's typed parser would read a JSON number into a DateTime64(3)
 * as milliseconds and a CSV one as seconds, whatever the declared unit), and an empty text
 * outside a string column as no value (the typed parser would read a number's as 0).
 */
function checkValues(record: FileRecord, spec: TableSpec, context: ErrorContext): Map<string, string | null> | undefined {
  let sent: Map<string, string | null> | undefined;
  for (const { name, rule, required } of rulesOf(spec)) {
    const text = valueText(record, name);
    const at = { ...context, row: record.row, column: name };
    // A required value is missing as the engine's check sees it: no value, null, or an empty text.
    if (required && (text === undefined || text === '')) throw new PermanentError('MISSING_VALUE', `${name} is required and has no value`, at);
    if (text === undefined) continue;
    if (typeof text === 'object') throw new PermanentError('WRONG_TYPE', `expected ${rule.expected}; got a JSON array or object`, at);
    if (!fitsRule(rule, text)) throw new PermanentError('WRONG_TYPE', valueMessage(rule, text), at);
    if (text === '' && rule.kind !== 'string') {
      (sent ??= new Map()).set(name, null);
      continue;
    }
    const iso = rule.epoch && epochText(rule, text);
    if (iso) (sent ??= new Map()).set(name, iso);
  }
  return sent;
}
