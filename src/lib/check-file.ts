/**
 * Checks a landed file before anything of it is inserted: its columns against the table, then
 * one full read with the insert's own parser. A file is atomic because every problem is found
 * here, before the insert starts: a bad row at row 1,000,000 fails the file with nothing written.
 */
import { PermanentError, type ErrorContext } from '../errors.js';
import type { FileRef, RowProblem, Warehouse } from '../ports.js';
import { REQUIRED_COLUMNS, TABLE_COLUMNS } from '../tables.js';

/** Columns a file may carry besides the table's own: a tenant_id equal to the work item's. */
const EXTRA_ALLOWED = ['tenant_id'];

const PROBLEMS: { field: 'missingId' | 'missingLastUpdated' | 'foreignTenant'; problem: RowProblem; code: 'MISSING_VALUE' | 'FOREIGN_TENANT'; column: string; message: string }[] = [
  { field: 'missingId', problem: 'missing_id', code: 'MISSING_VALUE', column: 'id', message: 'id is missing or null' },
  { field: 'missingLastUpdated', problem: 'missing_last_updated', code: 'MISSING_VALUE', column: 'last_updated', message: 'last_updated is missing or null' },
  { field: 'foreignTenant', problem: 'foreign_tenant', code: 'FOREIGN_TENANT', column: 'tenant_id', message: "tenant_id names another tenant; a file's rows always belong to the tenant it landed under" },
];

/** Returns the number of rows in the file, or throws a PermanentError naming the problem. */
export async function checkFile(file: FileRef, size: number, warehouse: Warehouse): Promise<number> {
  const context: ErrorContext = { tenant: file.tenant, table: file.table, file: file.key };
  if (size === 0) throw new PermanentError('EMPTY_FILE', 'the file is empty', context);
  const allowed = new Set([...TABLE_COLUMNS[file.table].map((c) => c.name), ...EXTRA_ALLOWED]);
  let columns: string[];
  try {
    columns = await warehouse.fileColumns(file);
  } catch (error) {
    // Schema inference stops at the first bad row without saying where; the full read says which row.
    if (error instanceof PermanentError) await warehouse.scanFile(file);
    throw error;
  }
  const unknown = columns.filter((c) => !allowed.has(c));
  if (unknown.length > 0) {
    throw new PermanentError(
      'UNKNOWN_COLUMN',
      `${unknown.map((c) => JSON.stringify(c)).join(', ')} ${unknown.length === 1 ? 'is not a column' : 'are not columns'} of ${file.table} (its columns: ${[...allowed].join(', ')})`,
      { ...context, column: unknown[0]! },
    );
  }
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw new PermanentError('MISSING_COLUMN', `required column ${missing.join(' and ')} is missing`, { ...context, column: missing[0]! });
  }
  const scan = await warehouse.scanFile(file);
  if (scan.rows === 0) throw new PermanentError('EMPTY_FILE', 'the file has no rows', context);
  for (const p of PROBLEMS) {
    if (scan[p.field] === 0) continue;
    const row = await warehouse.locateRow(file, p.problem);
    throw new PermanentError(p.code, `${p.message} (${scan[p.field]} row${scan[p.field] === 1 ? '' : 's'})`, {
      ...context,
      ...(row ? { row } : {}),
      column: p.column,
    });
  }
  return scan.rows;
}
