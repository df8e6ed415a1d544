/**
 * The textual forms a landed value may take, per column type: one rule, read by the engine's
 * checks (as SQL, in the ClickHouse adapter) and by the streamed path's own checks (here), so a
 * value loads as written in every format and on every path, or is refused. Every value is read
 * as text first (JSON numbers and booleans as their source text, Parquet values in ClickHouse's
 * canonical text), never by the engine's lenient typed parsers, which read a JSON number into a
 * DateTime64 as milliseconds, `02/01/2026` as 2 January, and wrap an integer that overflows.
 */

export type ValueKind = 'string' | 'integer' | 'decimal' | 'timestamp';

/** The unit of epoch numbers a DateTime64 column declares it takes (`"epoch"` in the table configuration). */
export const EPOCH_UNITS = ['seconds', 'milliseconds'] as const;
export type EpochUnit = (typeof EPOCH_UNITS)[number];

/** A timestamp column's second form: a whole number of its unit since 1970-01-01 00:00 UTC. */
export interface EpochRule {
  unit: EpochUnit;
  /** The whole number's form (the same text for RE2 and JavaScript). */
  pattern: string;
  /** The inclusive range, in the unit: DateTime64's, 1900-01-01 to 2299-12-31 23:59:59.999. */
  min: bigint;
  max: bigint;
  /** Milliseconds per unit: what the number is multiplied by. */
  factor: bigint;
  /** The number must be a multiple of this: milliseconds a column of fewer fraction digits cannot hold are refused, not rounded. */
  step: bigint;
}

export interface ValueRule {
  kind: ValueKind;
  /** The column's ClickHouse type without `Nullable(...)`. */
  type: string;
  nullable: boolean;
  /** A regular expression (the same text for RE2 and JavaScript) the whole value must match; none for strings. */
  pattern?: string;
  /** What the column accepts, in words for an error message. */
  expected: string;
  /** Integers: the inclusive range. */
  min?: bigint;
  max?: bigint;
  /** Timestamps: the fraction digits the column keeps. */
  precision?: number;
  /** Timestamps whose column declares an epoch unit: the whole numbers it takes as well. */
  epoch?: EpochRule;
}

const INTEGER = /^(U?)Int(8|16|32|64)$/;
const DECIMAL = /^Decimal\((\d+),\s*(\d+)\)$/;
const TIMESTAMP = /^DateTime64\((\d)\)$/;

/**
 * ISO-8601 dates and times, with `T` or a space, optional seconds and fraction, and a zone only
 * after a time. Years 1901-2298: DateTime64 holds 1900-2299, and a zone offset (at most a day)
 * must not carry a value out of it. Fraction digits past the column's
 * precision must be zeros: a value the column cannot hold is refused, not rounded.
 */
function timestampPattern(precision: number): string {
  const fraction = precision === 0 ? '(\\.0*)?' : `(\\.[0-9]{1,${precision}}0*)?`;
  const time = `([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]${fraction})?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?`;
  return `^(190[1-9]|19[1-9][0-9]|2[01][0-9]{2}|22[0-8][0-9]|229[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])${time}$`;
}

function decimalPattern(precision: number, scale: number): string {
  const whole = precision - scale;
  const fraction = scale === 0 ? '(\\.0*)?' : `(\\.[0-9]{1,${scale}}0*)?`;
  // No digit before the point fits a Decimal(P, P) but a zero: 5.12 does not fit Decimal(2, 2).
  if (whole === 0) return `^-?(0(\\.0*)?|0?\\.[0-9]{1,${scale}}0*)$`;
  return `^-?[0-9]{1,${whole}}${fraction}$`;
}

/** DateTime64's range in milliseconds since 1970-01-01 00:00 UTC: 1900-01-01 to 2299-12-31 23:59:59.999. */
const EPOCH_MIN_MS = BigInt(Date.UTC(1900, 0, 1));
const EPOCH_MAX_MS = BigInt(Date.UTC(2300, 0, 1)) - 1n;

function epochRule(unit: EpochUnit, precision: number): EpochRule {
  const factor = unit === 'seconds' ? 1000n : 1n;
  // Floor and ceiling towards the range's inside: a number of seconds at the end stays within it.
  const min = -(-EPOCH_MIN_MS / factor);
  const max = EPOCH_MAX_MS / factor;
  const step = unit === 'milliseconds' && precision < 3 ? 10n ** BigInt(3 - precision) : 1n;
  // At most the digits of the range's ends, so no reader's integer overflows; leading zeros fit within them.
  const digits = String(max > -min ? max : -min).length;
  return { unit, pattern: `^-?[0-9]{1,${digits}}$`, min, max, factor, step };
}

const RULES = new Map<string, ValueRule>();

/**
 * The rule of a column type (with the epoch unit the column declares, if any); throws for a type
 * onceload has no rule for (it cannot load it safely), or an epoch unit on a type other than DateTime64.
 */
export function valueRule(columnType: string, epoch?: EpochUnit): ValueRule {
  const key = epoch ? `${columnType}|${epoch}` : columnType;
  let rule = RULES.get(key);
  if (!rule) RULES.set(key, (rule = makeRule(columnType, epoch)));
  return rule;
}

/** The rule of a configured column. */
export function columnRule(column: { type: string; epoch?: EpochUnit | undefined }): ValueRule {
  return valueRule(column.type, column.epoch);
}

function makeRule(columnType: string, epochUnit?: EpochUnit): ValueRule {
  const nullable = columnType.startsWith('Nullable(') && columnType.endsWith(')');
  const type = nullable ? columnType.slice('Nullable('.length, -1) : columnType;
  if (epochUnit && !TIMESTAMP.test(type)) throw new Error(`an epoch unit is for DateTime64 columns only, not ${columnType}`);
  if (type === 'String') return { kind: 'string', type, nullable, expected: 'text (valid UTF-8)' };
  const integer = INTEGER.exec(type);
  if (integer) {
    const bits = BigInt(integer[2]!);
    const signed = integer[1] === '';
    const min = signed ? -(1n << (bits - 1n)) : 0n;
    const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    return { kind: 'integer', type, nullable, pattern: signed ? '^-?[0-9]+$' : '^[0-9]+$', min, max, expected: `a whole number from ${min} to ${max}` };
  }
  const decimal = DECIMAL.exec(type);
  if (decimal) {
    const [precision, scale] = [Number(decimal[1]), Number(decimal[2])];
    return {
      kind: 'decimal',
      type,
      nullable,
      pattern: decimalPattern(precision, scale),
      expected: `a decimal number with at most ${precision - scale} digits before the point and ${scale} after it`,
    };
  }
  const timestamp = TIMESTAMP.exec(type);
  if (timestamp) {
    const precision = Number(timestamp[1]);
    const iso = `an ISO-8601 date and time (YYYY-MM-DD, optionally [T ]hh:mm[:ss${precision ? `[.${'f'.repeat(precision)}]` : ''}] and Z or ±hh:mm)`;
    const epoch = epochUnit && epochRule(epochUnit, precision);
    return {
      kind: 'timestamp',
      type,
      nullable,
      precision,
      pattern: timestampPattern(precision),
      ...(epoch ? { epoch } : {}),
      expected: epoch
        ? `${iso} or a whole number of ${epoch.unit} from ${epoch.min} to ${epoch.max} since 1970-01-01 00:00 UTC${epoch.step > 1n ? `, a multiple of ${epoch.step}` : ''} (years 1900-2299); other date orders are refused`
        : `${iso}; epoch numbers are refused unless the table declares the column's "epoch" unit, and other date orders are refused`,
    };
  }
  throw new Error(`no value rule for the column type ${JSON.stringify(columnType)}`);
}

const REGEXPS = new Map<string, RegExp>();
const regexp = (pattern: string) => REGEXPS.get(pattern) ?? REGEXPS.set(pattern, new RegExp(pattern)).get(pattern)!;

/** Whether a YYYY-MM-DD prefix names a day that exists (the pattern lets 2026-02-30 through). */
function dayExists(text: string): boolean {
  const [y, m, d] = [Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10))];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/**
 * Whether `text`, a present value in its source form, fits the rule. An empty text is no value
 * (an empty CSV field), except in a string column. The engine's checks say the same in SQL.
 */
export function fitsRule(rule: ValueRule, text: string): boolean {
  if (rule.kind === 'string') return true;
  if (text === '') return true;
  if (rule.epoch && regexp(rule.epoch.pattern).test(text)) return fitsEpoch(rule.epoch, BigInt(text));
  if (!regexp(rule.pattern!).test(text)) return false;
  if (rule.kind === 'integer') {
    const n = BigInt(text);
    return n >= rule.min! && n <= rule.max!;
  }
  if (rule.kind === 'timestamp') return dayExists(text);
  return true;
}

function fitsEpoch(epoch: EpochRule, n: bigint): boolean {
  return n >= epoch.min && n <= epoch.max && n % epoch.step === 0n;
}

/**
 * The ISO-8601 text (UTC, milliseconds) of an epoch number that fits the rule, or undefined for
 * any other text. The streamed path sends it in place of the number: the engine's typed parser
 * would read a JSON number into a DateTime64(3) as milliseconds and a CSV one as seconds.
 */
export function epochText(rule: ValueRule, text: string): string | undefined {
  const epoch = rule.epoch;
  if (!epoch || !regexp(epoch.pattern).test(text)) return undefined;
  const n = BigInt(text);
  if (!fitsEpoch(epoch, n)) return undefined;
  return new Date(Number(n * epoch.factor)).toISOString();
}

/** A value shortened for a message. */
export function shortValue(text: string, max = 40): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text);
}

/** The message of a refused value, the same on every path. */
export function valueMessage(rule: ValueRule, text: string): string {
  return `expected ${rule.expected}; got ${shortValue(text)}`;
}
