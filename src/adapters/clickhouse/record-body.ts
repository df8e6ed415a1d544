/**
 * The bodies of the streamed path's inserts: rows the Load read and checked itself, with their
 * lineage, as JSON lines whatever the file's format.
 */
import type { CsvField, FileRef } from '../../ports.js';

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
 * CSV rows as JSON lines under the header's names, with their lineage: a field with no value is
 * left out (the column's default, as in-engine), a text is a JSON string, whole. Never sent as
 * CSV: an empty line inside a quoted field would end the data of an INSERT sent inline with its
 * statement (as chDB takes it), and the rest would be read as another statement.
 */
export function csvBody(header: readonly string[], rows: readonly CsvField[][], lineage: Lineage): Buffer {
  const fields = JSON.stringify(lineage).slice(0, -1);
  // A row's own tenant_id (checked equal) is dropped: the lineage names the file's tenant.
  const keys = header.map((name) => (name === 'tenant_id' ? undefined : `,${JSON.stringify(name)}:`));
  return Buffer.from(rows.map((row) => fields + row.map((value, i) => (value === null || keys[i] === undefined ? '' : keys[i] + JSON.stringify(value))).join('') + '}').join('\n') + '\n');
}
