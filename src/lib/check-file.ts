/**
 * Checks a landed file before anything of it is inserted: one full read with the insert's own
 * parser (and, for Parquet, its column names first). A file is atomic because every problem is found
 * here, before the insert starts: a bad row at row 1,000,000 fails the file with nothing written.
 */
import { PermanentError, type ErrorContext } from '../errors.js';
import type { FileRef, FileScan, RowProblem, Warehouse } from '../ports.js';
import { fileFormat } from './file-format.js';
import type { TableSpec } from '../tables.js';
import { columnRule, valueMessage } from './value-rules.js';

/** Columns a file may carry besides the table's own: a tenant_id equal to the work item's. */
const EXTRA_ALLOWED = ['tenant_id'];

/** What is wrong with a row, in the words every load path uses. */
export function rowProblems(spec: TableSpec): Record<RowProblem, { code: 'MISSING_VALUE' | 'FOREIGN_TENANT'; column: string; message: string }> {
  return {
    missing_id: { code: 'MISSING_VALUE', column: 'id', message: 'id is missing or null' },
    missing_version: { code: 'MISSING_VALUE', column: spec.version, message: `${spec.version} is missing or null` },
    foreign_tenant: { code: 'FOREIGN_TENANT', column: 'tenant_id', message: "tenant_id names another tenant; a file's rows always belong to the tenant it landed under" },
  };
}

const PROBLEMS: { field: 'missingId' | 'missingVersion' | 'foreignTenant'; problem: RowProblem }[] = [
  { field: 'missingId', problem: 'missing_id' },
  { field: 'missingVersion', problem: 'missing_version' },
  { field: 'foreignTenant', problem: 'foreign_tenant' },
];

const ALLOWED = new WeakMap<TableSpec, ReadonlySet<string>>();

/** The columns a file of the table may carry. */
export function allowedColumns(spec: TableSpec): ReadonlySet<string> {
  let allowed = ALLOWED.get(spec);
  if (!allowed) ALLOWED.set(spec, (allowed = new Set([...spec.columns.map((c) => c.name), ...EXTRA_ALLOWED])));
  return allowed;
}

const NAMED = new WeakMap<TableSpec, ReadonlyMap<string, string>>();

/**
 * The column a JSON lines or CSV file's name means, or undefined: the engine's readers of these
 * formats match a name to a column whatever its case (`ID` is id), and the streamed path's checks
 * read names as they do. (Parquet's reader matches names exactly.)
 */
export function columnNamed(spec: TableSpec, name: string): string | undefined {
  const allowed = allowedColumns(spec);
  if (allowed.has(name)) return name;
  let named = NAMED.get(spec);
  if (!named) NAMED.set(spec, (named = new Map([...allowed].map((c) => [c.toLowerCase(), c]))));
  return named.get(name.toLowerCase());
}

/** A name two of a row's names mean (`s` and `S`, or `s` twice), as the engine refuses it. */
export function twiceNamed(columns: readonly string[], context: ErrorContext): PermanentError | undefined {
  const twice = columns.find((c, i) => columns.indexOf(c) !== i);
  return twice === undefined ? undefined : new PermanentError('PARSE_ERROR', `two fields name column ${twice}`, { ...context, column: twice });
}

/** A column the table lacks, or a required column the file lacks; undefined when the names fit. */
export function columnProblem(spec: TableSpec, columns: readonly string[], context: ErrorContext, required = true): PermanentError | undefined {
  const table = spec.name;
  const allowed = allowedColumns(spec);
  const unknown = columns.filter((c) => !allowed.has(c));
  if (unknown.length > 0) {
    return new PermanentError(
      'UNKNOWN_COLUMN',
      `${unknown.map((c) => JSON.stringify(c)).join(', ')} ${unknown.length === 1 ? 'is not a column' : 'are not columns'} of ${table} (its columns: ${[...allowed].join(', ')})`,
      { ...context, column: unknown[0]! },
    );
  }
  const missing = required ? spec.required.filter((c) => !columns.includes(c)) : [];
  if (missing.length > 0) return new PermanentError('MISSING_COLUMN', `required column ${missing.join(' and ')} is missing`, { ...context, column: missing[0]! });
  return undefined;
}

/**
 * Checks the file's column names (read by the engine's schema inference) against the table, as
 * its format's reader matches them: Parquet's exactly, the text formats' whatever their case.
 */
async function checkColumns(file: FileRef, warehouse: Warehouse, context: ErrorContext): Promise<void> {
  const spec = warehouse.tables.get(file.table);
  const names = await warehouse.fileColumns(file);
  const columns = fileFormat(file.key).format === 'Parquet' ? names : names.map((name) => columnNamed(spec, name) ?? name);
  const problem = columnProblem(spec, columns, context) ?? twiceNamed(columns, context);
  if (problem) throw problem;
}

/** Runs the column check for a better message; only its own findings replace the error at hand. */
async function explainColumns(file: FileRef, warehouse: Warehouse, context: ErrorContext): Promise<void> {
  try {
    await checkColumns(file, warehouse, context);
  } catch (error) {
    if (error instanceof PermanentError && (error.code === 'UNKNOWN_COLUMN' || error.code === 'MISSING_COLUMN')) throw error;
  }
}

/**
 * What a load unit's insert cannot find for itself, checked before a file joins one: an empty
 * object, and a Parquet file's columns (its reader skips columns nobody asks for).
 */
export async function checkBeforeUnit(file: FileRef, size: number, warehouse: Warehouse): Promise<void> {
  const context: ErrorContext = { tenant: file.tenant, table: file.table, file: file.key };
  if (size === 0) throw new PermanentError('EMPTY_FILE', 'the file is empty', context);
  if (fileFormat(file.key).format === 'Parquet') await checkColumns(file, warehouse, context);
}

/** A value its column does not accept: the first one named by row, column, expected type and value. */
async function misfitError(file: FileRef, count: number, warehouse: Warehouse, context: ErrorContext): Promise<PermanentError> {
  const misfit = await warehouse.locateMisfit(file);
  const rows = `${count} row${count === 1 ? '' : 's'}`;
  if (!misfit) return new PermanentError('WRONG_TYPE', `a value does not fit its column (${rows})`, context);
  const spec = warehouse.tables.get(file.table);
  const column = spec.columns.find((c) => c.name === misfit.column)!;
  const where = { ...context, row: misfit.row, column: misfit.column };
  if (misfit.value === '' && spec.required.includes(column.name)) {
    return new PermanentError('MISSING_VALUE', `${column.name} is required and has no value (${rows} with a required value missing or a value their column does not accept)`, where);
  }
  return new PermanentError('WRONG_TYPE', `${valueMessage(columnRule(column), misfit.value)} (${rows} with a value their column does not accept)`, {
    ...context,
    row: misfit.row,
    column: misfit.column,
  });
}

/**
 * Returns the number of rows in the file, or throws a PermanentError naming the problem.
 * `scanned` is the file's scan when a batch scan already read it.
 */
export async function checkFile(file: FileRef, size: number, warehouse: Warehouse, scanned?: FileScan): Promise<number> {
  const context: ErrorContext = { tenant: file.tenant, table: file.table, file: file.key };
  if (size === 0) throw new PermanentError('EMPTY_FILE', 'the file is empty', context);
  // Parquet readers skip columns nobody asks for, so its column names are checked up front (from
  // the footer); JSON lines and CSV reject unknown fields while parsing, so one full read finds them.
  if (fileFormat(file.key).format === 'Parquet') await checkColumns(file, warehouse, context);
  let scan: FileScan;
  try {
    scan = scanned ?? (await warehouse.scanFile(file));
  } catch (error) {
    // The parser names the first bad row; an unknown or missing column is said more plainly.
    if (error instanceof PermanentError) await explainColumns(file, warehouse, context);
    throw error;
  }
  if (scan.rows === 0) throw new PermanentError('EMPTY_FILE', 'the file has no rows', context);
  if (scan.missingId === scan.rows || scan.missingVersion === scan.rows) await explainColumns(file, warehouse, context);
  for (const p of PROBLEMS) {
    if (scan[p.field] === 0) continue;
    const row = await warehouse.locateRow(file, p.problem);
    const { code, column, message } = rowProblems(warehouse.tables.get(file.table))[p.problem];
    throw new PermanentError(code, `${message} (${scan[p.field]} row${scan[p.field] === 1 ? '' : 's'})`, { ...context, ...(row ? { row } : {}), column });
  }
  if (scan.misfits > 0) throw await misfitError(file, scan.misfits, warehouse, context);
  return scan.rows;
}
