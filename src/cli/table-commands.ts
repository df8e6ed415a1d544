/**
 * `tables list` and `tables migrate`: the configured tables, and the additive changes that bring
 * ClickHouse in line with them. Migrate creates missing tables (the load log's too) and adds
 * missing columns, and nothing else: a changed type or a column the configuration dropped is
 * said, never fixed.
 */
import type { Command, Option } from 'commander';
import type { LoadLog, Warehouse } from '../ports.js';
import { LOAD_LOG_TABLE, logEngineProblem } from '../lib/load-log.js';
import { loadTables } from '../table-config.js';
import { describeClickHouse } from './clickhouse-target.js';
import { withWarehouse, type StoreFlags } from './store-targets.js';
import { describeDrift, driftProblems, driftWarnings } from '../lib/schema-drift.js';
import type { TableCatalog } from '../tables.js';

/** One line a column: table, column, type, and what the configuration makes of it. */
export function tablesListText(tables: TableCatalog): string {
  const lines = [`tables of ${tables.source}`, 'table\tcolumn\ttype\tnotes'];
  for (const name of tables.names) {
    const spec = tables.get(name);
    for (const column of spec.columns) {
      const notes = [
        spec.required.includes(column.name) ? 'required' : '',
        column.name === spec.version ? 'version' : '',
        spec.sortingKey.includes(column.name) ? 'sorting key' : '',
        // The unit an epoch number in the column is read in (ISO-8601 is taken either way).
        column.epoch ? `epoch ${column.epoch}` : '',
      ].filter(Boolean);
      lines.push([name, column.name, column.type, notes.join(', ')].join('\t'));
    }
  }
  return lines.join('\n');
}

export interface MigrateResult {
  /** What was done, one line each (the statements run). */
  done: string[];
  /** Drift left as it is, and why: fails the runs of its table (a changed type). */
  refused: string[];
  /** Drift that loads anyway (a column the configuration no longer declares). */
  notes: string[];
}

/**
 * Creates the missing tables (and the load log, so Plan and Load can log before any run has
 * created it) and adds the missing columns; running it again does nothing.
 */
export async function migrateTables(warehouse: Pick<Warehouse, 'tables' | 'ensureTables' | 'describeColumns' | 'addColumn'>, loadLog?: Pick<LoadLog, 'ensure' | 'describe'>): Promise<MigrateResult> {
  const { tables } = warehouse;
  const done = (await warehouse.ensureTables(tables.names)).map((t) => `created table ${t}`);
  const refused: string[] = [];
  if (loadLog && (await loadLog.ensure())) done.push(`created table ${LOAD_LOG_TABLE}`);
  else if (loadLog) {
    // One there already of another engine shows retried writes twice; a run's validation fails on it too.
    const problem = logEngineProblem(await loadLog.describe());
    if (problem) refused.push(problem);
  }
  const notes: string[] = [];
  for (const drift of await describeDrift(tables.names, warehouse)) {
    for (const column of drift.missing) done.push(`added column ${drift.table}.${column.name}: ${await warehouse.addColumn(drift.table, column)}`);
    refused.push(...driftProblems({ ...drift, missing: [] }, tables.source));
    notes.push(...driftWarnings(drift, tables.source));
  }
  return { done, refused, notes };
}

export function migrateText(result: MigrateResult, tables: TableCatalog): string {
  const done = result.done.length ? result.done : [`nothing to do: the ${tables.names.length} table(s) of ${tables.source} have every configured column`];
  return [...done, ...result.notes].join('\n');
}

export interface TableCommandHelpers {
  out: (text: string) => void;
  setExit: (code: number) => void;
  dataDirOption: () => Option;
  /** Adds --stage and --region. */
  stageOptions: (command: Command) => Command;
}

export function addTableCommands(program: Command, { out, setExit, dataDirOption, stageOptions }: TableCommandHelpers): void {
  const tables = program.command('tables').description('the configured tables (onceload.tables.json, or ONCELOAD_TABLES_FILE): list them, or migrate ClickHouse to them');
  tables
    .command('list', { isDefault: true })
    .description('list the configured tables and their columns (the default)')
    .action(() => out(tablesListText(loadTables())));
  stageOptions(
    tables
      .command('migrate')
      .description('create the missing tables and add the missing columns; never drops a column or changes a type')
      .addOption(dataDirOption()),
  ).action(async (flags: StoreFlags) => {
    await withWarehouse(flags, async ({ config, warehouse, loadLog }) => {
      process.stderr.write(`migrating ${describeClickHouse(config)} to ${config.tables.source}\n`);
      const result = await migrateTables(warehouse, loadLog);
      out(migrateText(result, config.tables));
      for (const line of result.refused) process.stderr.write(`onceload: ${line}\n`);
      if (result.refused.length > 0) setExit(1);
    });
  });
}
