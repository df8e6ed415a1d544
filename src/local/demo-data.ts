/**
 * Demo landing files: a few tenants, every configured table, JSON lines, CSV and gzip, with
 * overlapping ids across files so ReplacingMergeTree has versions to collapse. Values follow
 * each column's type, so a table of any configuration gets rows that load.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { TableCatalog, TableSpec } from '../tables.js';

export const DEMO_TENANTS = ['acme', 'globex', 'initech'];

function timestamp(day: number, seconds: number): string {
  return new Date(Date.UTC(2026, 0, 1 + day, 8, 0, seconds)).toISOString();
}

/** One row of a table with deterministic values. */
export function demoRow(spec: TableSpec, id: number, version: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const column of spec.columns) {
    // Some rows leave a nullable column empty, where the table allows it.
    const empty = (every: number) => column.type.startsWith('Nullable') && !spec.required.includes(column.name) && id % every === 0;
    const decimal = /Decimal\(\d+, (\d+)\)/.exec(column.type);
    if (column.name === 'id') row.id = column.type.includes('String') ? String(id) : id;
    else if (column.name === spec.version) row[column.name] = column.type.includes('DateTime64') ? timestamp(version, id % 60) : version;
    else if (column.type.includes('DateTime64')) row[column.name] = empty(3) ? null : timestamp(0, id % 60);
    else if (/Int\d/.test(column.type)) row[column.name] = empty(4) ? null : (id % 50) + 1;
    else if (decimal) row[column.name] = ((id % 16) / 4).toFixed(Number(decimal[1]));
    else row[column.name] = `${column.name} ${id} v${version}`;
  }
  return row;
}

export function jsonLines(rows: Record<string, unknown>[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

function csv(spec: TableSpec, rows: Record<string, unknown>[]): string {
  const names = spec.columns.map((c) => c.name);
  const cell = (v: unknown) => (v === null || v === undefined ? '' : `"${String(v).replaceAll('"', '""')}"`);
  return [names.join(','), ...rows.map((r) => names.map((n) => cell(r[n])).join(','))].join('\n') + '\n';
}

/** Writes the demo files under `<landingDir>/<tenant>/canonical/<table>/`; returns how many rows. */
export function writeDemoLanding(landingDir: string, tables: TableCatalog, rowsPerFile = 250): { files: number; rows: number } {
  let files = 0;
  let rows = 0;
  for (const tenant of DEMO_TENANTS) {
    for (const [t, table] of tables.names.entries()) {
      const spec = tables.get(table);
      const dir = join(landingDir, tenant, 'canonical', table, '2026', '01');
      mkdirSync(dir, { recursive: true });
      const first = Array.from({ length: rowsPerFile }, (_, i) => demoRow(spec, i + 1, 1));
      // The second file updates half of the first file's ids and adds new ones.
      const second = Array.from({ length: rowsPerFile }, (_, i) => demoRow(spec, i + 1 + rowsPerFile / 2, 2));
      writeFileSync(join(dir, 'export-001.jsonl'), jsonLines(first));
      // The first table's second file is CSV, the others' gzipped JSON lines: every reader runs.
      if (t === 0) writeFileSync(join(dir, 'export-002.csv'), csv(spec, second));
      else writeFileSync(join(dir, 'export-002.jsonl.gz'), gzipSync(jsonLines(second)));
      files += 2;
      rows += first.length + second.length;
    }
  }
  return { files, rows };
}
