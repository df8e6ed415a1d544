/**
 * The table configuration: `onceload.tables.json` in the current directory (or the file
 * `ONCELOAD_TABLES_FILE` names, as a deployed function does for the copy in its bundle, or the
 * JSON in `ONCELOAD_TABLES`),
 * checked once into a `TableCatalog`. Without a file, the four canonical tables. Every problem
 * names the source, the table and the field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { EPOCH_UNITS, valueRule } from './lib/value-rules.js';
import { CANONICAL_TABLES_CONFIG, DEFAULT_SORTING_KEY, DEFAULT_VERSION_COLUMN, ID_COLUMN, LINEAGE_COLUMNS, TENANT_COLUMN, TableCatalog, type ColumnSpec, type TableSpec } from './tables.js';

export const TABLES_FILE = 'onceload.tables.json';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLAIN = 'is not a plain identifier: use letters, digits and _, not starting with a digit';
const SUPPORTED = 'String, UInt8..UInt64, Int8..Int64, Decimal(P, S), DateTime64(P), and Nullable(...) of these';
const RESERVED = new Set([TENANT_COLUMN.name, ...LINEAGE_COLUMNS.map((c) => c.name)]);

const tableSchema = z.strictObject({
  columns: z.array(z.strictObject({ name: z.string(), type: z.string(), epoch: z.enum(EPOCH_UNITS).optional() })).min(1, 'declare at least one column'),
  required: z.array(z.string()).optional(),
  version: z.string().optional(),
  sortingKey: z.array(z.string()).min(1).optional(),
});
const fileSchema = z.strictObject({
  $schema: z.string().optional(),
  tables: z.record(z.string(), tableSchema),
});
type TableInput = z.infer<typeof tableSchema>;

/** A problem at a field of the configuration. */
class FieldProblem extends Error {
  constructor(
    readonly path: readonly PropertyKey[],
    message: string,
  ) {
    super(message);
  }
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    const name = String(part);
    if (!IDENTIFIER.test(name)) return `${acc}[${JSON.stringify(name)}]`;
    return acc ? `${acc}.${name}` : name;
  }, '');
}

/**
 * The type in ClickHouse's own spelling (`Decimal(9, 2)`, as `system.columns` shows it, so
 * drift compares like with like), or undefined for a type the value rules cannot load.
 */
export function supportedType(text: string): string | undefined {
  const compact = text.replace(/\s+/g, '');
  const inner = /^Nullable\((.*)\)$/.exec(compact)?.[1];
  let base = inner ?? compact;
  const decimal = /^Decimal\((\d+),(\d+)\)$/.exec(base);
  if (decimal) {
    const [precision, scale] = [Number(decimal[1]), Number(decimal[2])];
    // ClickHouse's own bounds: a type it would refuse in CREATE TABLE is refused here.
    if (precision < 1 || precision > 76 || scale > precision) return undefined;
    base = `Decimal(${precision}, ${scale})`;
  }
  const type = inner === undefined ? base : `Nullable(${base})`;
  try {
    valueRule(type);
    return type;
  } catch {
    return undefined;
  }
}

function checkTable(name: string, input: TableInput): TableSpec {
  const at = (...path: PropertyKey[]) => ['tables', name, ...path];
  if (!IDENTIFIER.test(name)) throw new FieldProblem(['tables', name], `${JSON.stringify(name)} ${PLAIN}`);
  const columns: ColumnSpec[] = [];
  for (const [i, column] of input.columns.entries()) {
    if (!IDENTIFIER.test(column.name)) throw new FieldProblem(at('columns', i, 'name'), `${JSON.stringify(column.name)} ${PLAIN}`);
    if (RESERVED.has(column.name)) {
      throw new FieldProblem(at('columns', i, 'name'), `${JSON.stringify(column.name)} is onceload's own: it adds ${[...RESERVED].join(', ')} to every row`);
    }
    if (columns.some((c) => c.name === column.name)) throw new FieldProblem(at('columns', i, 'name'), `${JSON.stringify(column.name)} is declared twice`);
    const type = supportedType(column.type);
    if (!type) throw new FieldProblem(at('columns', i, 'type'), `${JSON.stringify(column.type)} is not a supported type; supported: ${SUPPORTED}`);
    if (column.epoch !== undefined) {
      if (!/^(Nullable\()?DateTime64\(\d\)\)?$/.test(type)) throw new FieldProblem(at('columns', i, 'epoch'), `"epoch" is for DateTime64 columns only; ${name}.${column.name} is ${type}`);
      columns.push({ name: column.name, type, epoch: column.epoch });
    } else columns.push({ name: column.name, type });
  }
  const indexOf = (column: string) => columns.findIndex((c) => c.name === column);
  const nullable = (column: string) => columns[indexOf(column)]?.type.startsWith('Nullable(') ?? false;

  const id = indexOf(ID_COLUMN);
  if (id === -1) throw new FieldProblem(at('columns'), `no "${ID_COLUMN}" column: rows are keyed by tenant_id and ${ID_COLUMN}`);
  if (nullable(ID_COLUMN)) throw new FieldProblem(at('columns', id, 'type'), `the ${ID_COLUMN} column cannot be Nullable: it is in the sorting key`);

  const version = input.version ?? DEFAULT_VERSION_COLUMN;
  const versionAt = input.version === undefined ? at('columns') : at('version');
  if (indexOf(version) === -1) {
    throw new FieldProblem(versionAt, `no "${version}" column${input.version === undefined ? ' (the default version column): declare it, or name the version column in "version"' : ` in ${name}`}`);
  }
  // ReplacingMergeTree takes an unsigned integer or a date and time as its version, never NULL.
  if (!/^(UInt(8|16|32|64)|DateTime64\(\d\))$/.test(columns[indexOf(version)]!.type)) {
    throw new FieldProblem(versionAt, `the version column "${version}" is ${columns[indexOf(version)]!.type}; it must be UInt8..UInt64 or DateTime64(P), not Nullable`);
  }

  const required = input.required ?? [ID_COLUMN, version];
  for (const [i, column] of required.entries()) {
    if (indexOf(column) === -1) throw new FieldProblem(at('required', i), `${JSON.stringify(column)} is not a column of ${name}`);
    if (required.indexOf(column) !== i) throw new FieldProblem(at('required', i), `${JSON.stringify(column)} is listed twice`);
  }
  for (const must of [ID_COLUMN, version]) {
    if (!required.includes(must)) throw new FieldProblem(at('required'), `must include "${ID_COLUMN}" and the version column "${version}"`);
  }

  const sortingKey = input.sortingKey ?? DEFAULT_SORTING_KEY;
  for (const [i, column] of sortingKey.entries()) {
    const where = at('sortingKey', i);
    if (column !== TENANT_COLUMN.name && indexOf(column) === -1) throw new FieldProblem(where, `${JSON.stringify(column)} is not a column of ${name}`);
    if (sortingKey.indexOf(column) !== i) throw new FieldProblem(where, `${JSON.stringify(column)} is listed twice`);
    if (nullable(column)) throw new FieldProblem(where, `${JSON.stringify(column)} is Nullable; a sorting key column cannot be`);
    // Rows that differ only in their version must replace one another, so it cannot be in the key.
    if (column === version) throw new FieldProblem(where, `the version column "${version}" cannot be in the sorting key: no row would ever replace another`);
  }
  // Two tenants' rows, or two ids', must never replace one another.
  for (const must of [TENANT_COLUMN.name, ID_COLUMN]) {
    if (!sortingKey.includes(must)) throw new FieldProblem(at('sortingKey'), `must include "${TENANT_COLUMN.name}" and "${ID_COLUMN}": rows of two tenants or two ids would replace one another`);
  }
  return { name, columns, required: [...required], version, sortingKey: [...sortingKey] };
}

/** Checks a parsed configuration; `source` names it in every message. */
export function parseTablesConfig(json: unknown, source: string): TableCatalog {
  try {
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : issue.message;
      throw new FieldProblem(issue.path, message);
    }
    const entries = Object.entries(parsed.data.tables);
    if (entries.length === 0) throw new FieldProblem(['tables'], 'declare at least one table');
    return new TableCatalog(
      entries.map(([name, table]) => checkTable(name, table)),
      source,
    );
  } catch (error) {
    if (error instanceof FieldProblem) throw new ConfigError(`${source}: ${fieldOf(error.path) || '(top level)'}: ${error.message}`);
    throw error;
  }
}

/** Checks a configuration's JSON text. */
export function parseTablesJson(text: string, source: string): TableCatalog {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${source}: not valid JSON: ${(error as Error).message}`);
  }
  return parseTablesConfig(json, source);
}

/** The four canonical tables: in force when no configuration is given. */
export const CANONICAL_TABLES: TableCatalog = parseTablesConfig(CANONICAL_TABLES_CONFIG, 'the built-in canonical tables');

/**
 * The tables in force: `ONCELOAD_TABLES` (JSON), else the file `ONCELOAD_TABLES_FILE` names
 * (relative to `cwd`; a deployed function's is in its bundle, see stacks/functions.ts), else
 * `onceload.tables.json` in `cwd` if there is one, else the canonical tables.
 */
export function loadTables(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): TableCatalog {
  if (env.ONCELOAD_TABLES) return parseTablesJson(env.ONCELOAD_TABLES, 'ONCELOAD_TABLES');
  const given = env.ONCELOAD_TABLES_FILE || undefined;
  const path = resolve(cwd, given ?? TABLES_FILE);
  if (given === undefined && !existsSync(path)) return CANONICAL_TABLES;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${given === undefined ? TABLES_FILE : `ONCELOAD_TABLES_FILE is ${JSON.stringify(given)}`}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseTablesJson(text, given ?? TABLES_FILE);
}
