/**
 * Demo landing files: a few tenants, every canonical table, JSON lines, CSV and gzip, with
 * overlapping ids across files so ReplacingMergeTree has versions to collapse.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CANONICAL_TABLES, TABLE_COLUMNS, type CanonicalTable } from '../tables.js';

export const DEMO_TENANTS = ['acme', 'globex', 'initech'];

function timestamp(day: number, seconds: number): string {
  return new Date(Date.UTC(2026, 0, 1 + day, 8, 0, seconds)).toISOString();
}

/** One row of a table with deterministic values. */
export function demoRow(table: CanonicalTable, id: number, version: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const column of TABLE_COLUMNS[table]) {
    if (column.name === 'id') row.id = id;
    else if (column.name === 'last_updated') row.last_updated = timestamp(version, id % 60);
    else if (column.type.includes('DateTime64')) row[column.name] = column.type.startsWith('Nullable') && id % 3 === 0 ? null : timestamp(0, id % 60);
    else if (column.type.includes('UInt64')) row[column.name] = column.type.startsWith('Nullable') && id % 4 === 0 ? null : (id % 50) + 1;
    else if (column.type.startsWith('Decimal')) row[column.name] = ((id % 16) / 4).toFixed(2);
    else row[column.name] = `${column.name} ${id} v${version}`;
  }
  return row;
}

export function jsonLines(rows: Record<string, unknown>[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

function csv(table: CanonicalTable, rows: Record<string, unknown>[]): string {
  const names = TABLE_COLUMNS[table].map((c) => c.name);
  const cell = (v: unknown) => (v === null || v === undefined ? '' : `"${String(v).replaceAll('"', '""')}"`);
  return [names.join(','), ...rows.map((r) => names.map((n) => cell(r[n])).join(','))].join('\n') + '\n';
}

/** Writes the demo files under `<landingDir>/<tenant>/canonical/<table>/`; returns how many rows. */
export function writeDemoLanding(landingDir: string, rowsPerFile = 250): { files: number; rows: number } {
  let files = 0;
  let rows = 0;
  for (const tenant of DEMO_TENANTS) {
    for (const table of CANONICAL_TABLES) {
      const dir = join(landingDir, tenant, 'canonical', table, '2026', '01');
      mkdirSync(dir, { recursive: true });
      const first = Array.from({ length: rowsPerFile }, (_, i) => demoRow(table, i + 1, 1));
      // The second file updates half of the first file's ids and adds new ones.
      const second = Array.from({ length: rowsPerFile }, (_, i) => demoRow(table, i + 1 + rowsPerFile / 2, 2));
      writeFileSync(join(dir, 'export-001.jsonl'), jsonLines(first));
      if (table === 'companies') writeFileSync(join(dir, 'export-002.csv'), csv(table, second));
      else writeFileSync(join(dir, 'export-002.jsonl.gz'), gzipSync(jsonLines(second)));
      files += 2;
      rows += first.length + second.length;
    }
  }
  return { files, rows };
}
