/**
 * `onceload tenants import FILE`: every row is checked before any is written; new tenants are
 * written in batches, existing ones change only in the fields their row gives, and a second
 * import of the same file changes nothing.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError } from '../errors.js';
import { checkTenantImport, importFormat, planImport } from '../lib/tenant-import.js';
import type { TenantDirectory } from '../ports.js';
import type { TableCatalog } from '../tables.js';

/** A progress line on stderr for every this many tenants written, on files at least this big. */
export const PROGRESS_EVERY = 2_000;
/** Existing tenants updated at once (one UpdateItem each). */
const UPDATES_AT_ONCE = 8;

export interface ImportSummary {
  file: string;
  rows: number;
  added: number;
  updated: number;
  unchanged: number;
}

export function summaryText(s: ImportSummary): string {
  return `imported ${s.file}: ${s.added} added, ${s.updated} updated, ${s.unchanged} unchanged`;
}

/** Reads and checks the file (nothing is opened or written when it has a problem). */
export function readTenantFile(path: string, tables: Pick<TableCatalog, 'has' | 'names' | 'source'>) {
  importFormat(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${JSON.stringify(path)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'FILE');
  }
  return checkTenantImport(path, text, tables);
}

/**
 * Imports checked rows into the directory. `progress` gets a line now and then on big imports.
 * New tenants go through `putMany` (batched); existing ones that change through `put`, which
 * writes their settings and leaves their last success as it is at that moment.
 */
export async function importTenants(
  directory: TenantDirectory,
  file: string,
  rows: ReturnType<typeof readTenantFile>,
  progress: (line: string) => void = () => {},
): Promise<ImportSummary> {
  const plan = planImport(rows, await directory.list());
  const total = plan.added.length + plan.updated.length;
  const big = rows.length >= PROGRESS_EVERY;
  let reported = 0;
  const report = (written: number) => {
    if (!big || written - reported < PROGRESS_EVERY) return;
    reported = written - (written % PROGRESS_EVERY);
    progress(`wrote ${written} of ${total} tenant(s)`);
  };
  if (big) progress(`${basename(file)}: ${rows.length} rows checked; ${plan.added.length} to add, ${plan.updated.length} to update, ${plan.unchanged} unchanged`);
  await directory.putMany(plan.added, report);
  let done = plan.added.length;
  let next = 0;
  const worker = async () => {
    while (next < plan.updated.length) {
      const { lastSuccessAt: _kept, ...tenant } = plan.updated[next++]!;
      await directory.put(tenant);
      report(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(UPDATES_AT_ONCE, plan.updated.length) }, worker));
  return { file: basename(file), rows: rows.length, added: plan.added.length, updated: plan.updated.length, unchanged: plan.unchanged };
}
