/**
 * The rows of a landed file read by the Load itself, as they arrive: JSON lines one object a
 * line, CSV with its header (quoted fields may hold commas and line breaks), gzip or not. Rows
 * come in batches, one per piece of the stream, so memory holds a piece at a time and a row
 * costs no promise of its own; a malformed row fails with its row number.
 */
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import { PermanentError, type ErrorContext } from '../errors.js';
import type { CsvField } from '../ports.js';
import type { FileFormat } from './file-format.js';

/**
 * One data row: `row` counts data rows from 1 (blank lines and the CSV header are not rows);
 * `bytes`, about its size. A JSON row keeps its text (`line`) as well as its parsed value.
 */
export type FileRecord = { row: number; bytes: number } & (
  | { kind: 'json'; line: string; value: Record<string, unknown>; /** Each number's text as written (JSON.parse would round it). */ numbers?: Record<string, string> }
  | { kind: 'csv'; header: string[]; value: CsvField[] }
);

export interface ReadOptions {
  /** A CSV header's names as the records carry them (checked, or renamed); throws to refuse the file. */
  header?: (names: string[]) => string[];
}

export async function* readRecords(bytes: Readable, format: FileFormat, context: ErrorContext, options: ReadOptions = {}): AsyncGenerator<FileRecord[]> {
  const input = format.compression === 'gzip' ? bytes.pipe(createGunzip()).once('error', (e) => bytes.destroy(e)) : bytes;
  const split = format.format === 'JSONEachRow' ? new JsonLines(context) : new CsvRecords(context, options.header ?? ((names) => names));
  try {
    for await (const piece of input as AsyncIterable<Buffer>) {
      const records = split.push(piece);
      if (records.length > 0) yield records;
    }
    const rest = split.end();
    if (rest.length > 0) yield rest;
  } catch (error) {
    if (error instanceof PermanentError) throw error;
    // zlib's errors carry a code such as Z_DATA_ERROR; anything else is the stream's own failure.
    const code = (error as { code?: string }).code;
    if (code?.startsWith('Z_')) throw new PermanentError('UNREADABLE_FILE', `not a readable gzip file (${code})`, context, { cause: error });
    throw error;
  } finally {
    bytes.destroy();
  }
}

/** Splits text into whole records as pieces arrive, keeping an unfinished one for the next piece. */
abstract class Splitter {
  #carry = '';
  // A character split between two pieces is decoded once both have come; invalid UTF-8 is
  // refused, never replaced by U+FFFD (a silently changed value).
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  protected rows = 0;
  constructor(protected readonly context: ErrorContext) {}

  push(piece: Buffer): FileRecord[] {
    const text = this.#carry + this.#decode(piece, true);
    const end = this.recordsEnd(text);
    this.#carry = text.slice(end);
    return this.records(text.slice(0, end));
  }

  end(): FileRecord[] {
    const rest = this.#carry + this.#decode(undefined, false);
    this.#carry = '';
    return this.records(rest);
  }

  #decode(piece: Buffer | undefined, stream: boolean): string {
    try {
      return this.#decoder.decode(piece, { stream });
    } catch (error) {
      throw this.#notUtf8(piece, error);
    }
  }

  /** Names the first row (and field) holding bytes that are not UTF-8, read again leniently to find them. */
  #notUtf8(piece: Buffer | undefined, cause: unknown): PermanentError {
    const message = 'expected text (valid UTF-8); got bytes that are not UTF-8';
    try {
      for (const record of this.records(this.#carry + new TextDecoder().decode(piece))) {
        const column = replacedField(record);
        if (column !== undefined) return new PermanentError('WRONG_TYPE', message, { ...this.context, row: record.row, ...(column ? { column } : {}) }, { cause });
      }
    } catch {
      // The lenient read found another problem first; the row after those read is as near as it gets.
    }
    return new PermanentError('WRONG_TYPE', message, { ...this.context, row: this.rows + 1 }, { cause });
  }

  /** Where the last whole record of `text` ends. */
  protected abstract recordsEnd(text: string): number;
  protected abstract records(text: string): FileRecord[];
}

/** The field of a leniently decoded record holding U+FFFD ('' when it is not in a field's value), or undefined. */
function replacedField(record: FileRecord): string | undefined {
  if (record.kind === 'csv') {
    const i = record.value.findIndex((v) => v?.includes('\uFFFD'));
    return i === -1 ? undefined : (record.header[i] ?? '');
  }
  if (!record.line.includes('\uFFFD')) return undefined;
  return Object.entries(record.value).find(([, v]) => typeof v === 'string' && v.includes('\uFFFD'))?.[0] ?? '';
}

/**
 * A CSV field as ClickHouse's CSV reader hands it over, so the streamed path checks and sends what
 * the in-engine path would read: a quoted field whole (`""` an empty text); an unquoted one without
 * the spaces and tabs around it, and an empty one or `\N` as no value.
 */
function asEngineReads(value: string, quoted: boolean): CsvField {
  if (quoted) return value;
  const trimmed = value.replace(/^[ \t]+|[ \t]+$/g, '');
  return trimmed === '' || trimmed === '\\N' ? null : trimmed;
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
const WHITESPACE = new Set([32, 9, 10, 13]);

/**
 * The keys of a JSON object's own fields as written, a key given twice twice (JSON.parse keeps
 * only its last value). `line` is one object JSON.parse has read.
 */
export function objectKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 34) {
      let end = i + 1;
      while (line.charCodeAt(end) !== 34) end += line.charCodeAt(end) === 92 ? 2 : 1;
      let next = end + 1;
      while (WHITESPACE.has(line.charCodeAt(next))) next++;
      if (depth === 1 && line.charCodeAt(next) === 58) keys.push(JSON.parse(line.slice(i, end + 1)) as string);
      i = end;
    } else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
  }
  return keys;
}

class JsonLines extends Splitter {
  protected recordsEnd(text: string): number {
    return text.lastIndexOf('\n') + 1;
  }

  protected records(text: string): FileRecord[] {
    const out: FileRecord[] = [];
    for (const raw of text.split('\n')) {
      let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (this.rows === 0 && line.startsWith('\uFEFF')) line = line.slice(1);
      if (line.trim() === '') continue;
      // A JSON array (a `.json` file) cannot be cut into rows as it streams: refuse it by name.
      if (this.rows === 0 && line.trimStart().startsWith('[')) {
        throw new PermanentError('UNSUPPORTED_FORMAT', 'a JSON array cannot be streamed; land it as JSON lines (one object a line) or load it in-engine', this.context);
      }
      const row = ++this.rows;
      let value: unknown;
      let numbers: Record<string, string> | undefined;
      try {
        value = JSON.parse(line, (key, v: unknown, context?: { source?: string }) => {
          if (typeof v === 'number' && context?.source !== undefined) (numbers ??= {})[key] = context.source;
          return v;
        });
      } catch (error) {
        throw new PermanentError('PARSE_ERROR', `not a JSON object: ${(error as Error).message}`, { ...this.context, row }, { cause: error });
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new PermanentError('PARSE_ERROR', 'a line of a JSON lines file must be one JSON object', { ...this.context, row });
      }
      out.push({ row, bytes: line.length, kind: 'json', line, value: value as Record<string, unknown>, ...(numbers ? { numbers } : {}) });
    }
    return out;
  }
}

class CsvRecords extends Splitter {
  #header: string[] | undefined;
  /** The text read so far ends with an empty line. */
  #blankAtEnd = false;

  constructor(
    context: ErrorContext,
    private readonly headerOf: (names: string[]) => string[],
  ) {
    super(context);
  }

  /** The last line break outside quotes ("" inside a quoted field toggles twice: no change). */
  protected recordsEnd(text: string): number {
    let end = 0;
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) quoted = !quoted;
      else if (c === 10 && !quoted) end = i + 1;
    }
    return end;
  }

  protected records(text: string): FileRecord[] {
    // Empty lines end a file, as the engine's CSV reader allows them (with
    // input_format_csv_skip_trailing_empty_lines); one before the header or a row refuses it.
    const blankBefore = this.#blankAtEnd;
    this.#blankAtEnd = /(^|\n)\r?\n$/.test(text);
    if (/^(\r?\n)*$/.test(text)) {
      this.#blankAtEnd ||= blankBefore;
      return [];
    }
    let rows: { record: CsvField[]; info: { empty_lines: number } }[];
    try {
      const headerFirst = this.#header === undefined;
      // With `info`, each record comes with the parser's counts (its typings omit the overload).
      rows = parseCsv(text, {
        bom: headerFirst,
        skip_empty_lines: true,
        relax_column_count: true,
        info: true,
        // Each data field as the engine's CSV reader hands it over; the header as written.
        cast: (value, context) => (headerFirst && context.records === 0 ? value : asEngineReads(value, context.quoting)),
      }) as unknown as typeof rows;
    } catch (error) {
      // The parser counts the records it read before the bad one, the header among them.
      const before = Number((error as { records?: number }).records ?? 0) - (this.#header ? 0 : 1);
      throw new PermanentError('PARSE_ERROR', (error as Error).message, { ...this.context, row: this.rows + Math.max(before, 0) + 1 }, { cause: error });
    }
    const out: FileRecord[] = [];
    let blanks = 0;
    for (const { record: value, info } of rows) {
      if (info.empty_lines > blanks || (blanks === 0 && blankBefore)) {
        const where = this.#header ? `row ${this.rows + 1}` : 'the header';
        throw new PermanentError('PARSE_ERROR', `an empty line before ${where}: empty lines may only end a file`, { ...this.context, row: this.rows + 1 });
      }
      blanks = info.empty_lines;
      if (!this.#header) {
        // The header's fields are as written (the cast leaves them be), never no value.
        this.#header = this.headerOf(value as string[]);
        continue;
      }
      const row = ++this.rows;
      // One comma may end a row (the engine's reader skips it), not a field after it.
      if (value.length === this.#header.length + 1 && value[this.#header.length] === null) value.pop();
      if (value.length !== this.#header.length) {
        throw new PermanentError('PARSE_ERROR', `the row has ${value.length} fields, the header ${this.#header.length}`, { ...this.context, row });
      }
      out.push({ row, bytes: value.reduce((n, field) => n + (field?.length ?? 0) + 1, 0), kind: 'csv', header: this.#header, value });
    }
    return out;
  }
}
