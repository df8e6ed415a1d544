/**
 * The bodies of the streamed path's inserts: rows the Load read and checked itself, with their
 * lineage, as JSON lines or CSV in the table's column order.
 */
import { stringify } from 'csv-stringify/sync';
import type { CsvField, FileRef } from '../../ports.js';
import type { TableSpec } from '../../tables.js';

export type Lineage = { tenant_id: string; _file: string; _etag: string; _loaded_at: string };

export const lineage = (file: FileRef, loadedAt: string): Lineage => ({ tenant_id: file.tenant, _file: file.key, _etag: file.etag, _loaded_at: loadedAt });

/**
 * JSON lines of the rows with their lineage, written in front of each object's own fields (a
 * checked row has some). Rows never name tenant_id themselves (the Load drops it once checked
 * equal), so no row is parsed again here: JSON.parse would round a large number.
 */
export function jsonBody(rows: readonly string[], lineage: Lineage): Buffer {
  const fields = JSON.stringify(lineage).slice(0, -1) + ',';
  return Buffer.from(rows.map((row) => fields + row.trimStart().slice(1)).join('\n') + '\n');
}

/**
 * CSV rows in the table's column order, whatever the file's: a column the file lacks is no value,
 * which the engine reads as the column's default, as it reads a missing column in-engine.
 */
export function csvBody(spec: TableSpec, header: readonly string[], rows: readonly CsvField[][], lineage: Lineage): Buffer {
  const at = spec.columns.map((c) => header.indexOf(c.name));
  // Every text quoted, an empty one too, so the engine reads it as the Load checked it: unquoted,
  // it would trim the spaces of a field the file had quoted, read `\N` as no value, and `""` as
  // no value rather than an empty text. No value (null) stays an empty unquoted field.
  return Buffer.from(
    stringify(
      rows.map((row) => [lineage.tenant_id, ...at.map((i) => (i === -1 ? null : row[i]!)), lineage._file, lineage._etag, lineage._loaded_at]),
      { quoted: true, cast: { string: (value) => (value === '' ? { value, quoted_empty: true } : value) } },
    ),
  );
}

