/**
 * The value rules (`src/lib/value-rules.ts`) in SQL: files are read with every column as text,
 * each value is checked against its column's rule, and only a checked value is converted, by a
 * conversion that cannot wrap or guess. Patterns and types are bound as query parameters.
 */
import type { ColumnSpec } from '../../tables.js';
import { columnRule, type ValueRule } from '../../lib/value-rules.js';
import { quoteIdentifier } from '../../sql.js';

type Params = Record<string, unknown>;

/** The source structure of a table's files: every column text, so no typed parser reads a value first. */
export function textStructure(columns: readonly ColumnSpec[]): string {
  return [...columns.map((c) => `${quoteIdentifier(c.name)} Nullable(String)`), 'tenant_id Nullable(String)'].join(', ');
}

/** How the JSON reader hands values over as text: numbers and booleans as written, never an array or object. */
export const TEXT_READ_SETTINGS = {
  input_format_json_read_numbers_as_strings: 1,
  input_format_json_read_bools_as_strings: 1,
  input_format_json_read_arrays_as_strings: 0,
  input_format_json_read_objects_as_strings: 0,
} as const;

const param = (kind: string, column: ColumnSpec) => `${kind}_${column.name}`;

/**
 * Whether a column's value fits its rule; NULL (and an empty text outside string columns) is no
 * value, which fits unless the column is required.
 */
function fits(column: ColumnSpec, rule: ValueRule, required: boolean): string {
  const q = quoteIdentifier(column.name);
  if (required) return `(${q} IS NOT NULL AND ${q} != '' AND ${fits(column, rule, false)})`;
  if (rule.kind === 'string') return `(${q} IS NULL OR isValidUTF8(${q}))`;
  const matches = `match(${q}, {${param('pattern', column)}:String})`;
  const exact =
    rule.kind === 'integer'
      ? `${matches} AND accurateCastOrNull(${q}, {${param('type', column)}:String}) IS NOT NULL`
      : rule.kind === 'timestamp'
        ? // The pattern lets 2026-02-30 through; a day that exists prints back as itself.
          `${matches} AND toString(toDate32OrNull(substring(${q}, 1, 10))) = substring(${q}, 1, 10)`
        : matches;
  if (!rule.epoch) return `(${q} IS NULL OR ${q} = '' OR (${exact}))`;
  // A whole number of the declared unit, within the range (and a multiple of the step): the pattern bounds its digits, so it reads into an Int64.
  const epoch = `${isEpoch(column)} AND toInt64OrNull(${q}) BETWEEN {${param('epoch_min', column)}:Int64} AND {${param('epoch_max', column)}:Int64} AND toInt64OrNull(${q}) % {${param('epoch_step', column)}:Int64} = 0`;
  return `(${q} IS NULL OR ${q} = '' OR if(${isEpoch(column)}, ${epoch}, ${exact}))`;
}

/** Whether the text has the form of an epoch number (for a column that declares a unit). */
const isEpoch = (column: ColumnSpec) => `match(${quoteIdentifier(column.name)}, {${param('epoch_pattern', column)}:String})`;

/** The column's value converted from its checked text. */
export function convertSql(column: ColumnSpec): string {
  const rule = columnRule(column);
  const q = quoteIdentifier(column.name);
  if (rule.kind === 'string') return q;
  if (rule.kind === 'timestamp') {
    const iso = `parseDateTime64BestEffortOrNull(nullIf(${q}, ''), ${rule.precision!}, 'UTC')`;
    if (!rule.epoch) return iso;
    // Exact: the checked number times the unit's milliseconds, then to the column's fraction digits (the step made it fit).
    const millis = `fromUnixTimestamp64Milli(toInt64OrNull(${q}) * {${param('epoch_factor', column)}:Int64}, 'UTC')`;
    return `if(${isEpoch(column)}, toDateTime64(${millis}, ${rule.precision!}, 'UTC'), ${iso})`;
  }
  return `accurateCastOrNull(nullIf(${q}, ''), {${param('type', column)}:String})`;
}

/** A row's values all fit their columns (a value in each `required` one), as one SQL condition, with the parameters it binds. */
export function valuesFitSql(columns: readonly ColumnSpec[], required: readonly string[] = []): { sql: string; params: Params } {
  return { sql: columns.map((c) => fits(c, columnRule(c), required.includes(c.name))).join(' AND '), params: valueParams(columns) };
}

/** The parameters the checks and conversions of `columns` bind. */
export function valueParams(columns: readonly ColumnSpec[]): Params {
  const params: Params = {};
  for (const column of columns) {
    const rule = columnRule(column);
    if (rule.pattern) params[param('pattern', column)] = rule.pattern;
    if (rule.epoch) {
      params[param('epoch_pattern', column)] = rule.epoch.pattern;
      params[param('epoch_min', column)] = String(rule.epoch.min);
      params[param('epoch_max', column)] = String(rule.epoch.max);
      params[param('epoch_step', column)] = String(rule.epoch.step);
      params[param('epoch_factor', column)] = String(rule.epoch.factor);
    }
    params[param('type', column)] = rule.type;
    params[param('name', column)] = column.name;
  }
  return params;
}

/** The first column whose value does not fit (its name and its text), or '' for a row that fits. */
export function firstMisfitSql(columns: readonly ColumnSpec[], required: readonly string[] = []): { column: string; value: string } {
  const misfits = columns.map((c) => ({ c, bad: `NOT ${fits(c, columnRule(c), required.includes(c.name))}` }));
  return {
    column: `multiIf(${misfits.map((m) => `${m.bad}, {${param('name', m.c)}:String}`).join(', ')}, '')`,
    // Invalid UTF-8 is made printable, or the answer itself could not be read.
    value: `toValidUTF8(multiIf(${misfits.map((m) => `${m.bad}, ifNull(${quoteIdentifier(m.c.name)}, '')`).join(', ')}, ''))`,
  };
}
