/**
 * The rows of a landed file read by the Load itself, as they arrive: JSON lines one object a
 * line, CSV with its header (quoted fields may hold commas and line breaks), gzip or not. Rows
 * come in batches, one per piece of the stream, so memory holds a piece at a time and a row
 * costs no promise of its own; a malformed row fails with its row number.
 */
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { PermanentError, type ErrorContext } from '../errors.js';
import type { CsvField } from '../ports.js';
import { csvLines, csvRecordsEnd, CsvSyntaxError, type CsvLine } from './csv-fields.js';
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
  const split = format.format === 'JSONEachRow' ? new JsonObjects(context) : new CsvRecords(context, options.header ?? ((names) => names));
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

/**
 * JSON objects as ClickHouse's JSONEachRow reader takes them: one a line, or over several lines,
 * or several on a line, apart by whitespace or commas, or all in one JSON array. Each object is a
 * row, numbered as the engine numbers it. A line holding one object is parsed as it is; any other
 * framing is scanned for where each object ends, each character once, whatever the pieces.
 */
class JsonObjects extends Splitter {
  /** The objects read by the last `recordsEnd`, handed out by `records`. */
  #read: FileRecord[] | undefined;
  /** The scan of an object not yet closed at the start of the carry. */
  #open: ObjectScan | undefined;

  protected recordsEnd(text: string): number {
    const out: FileRecord[] = [];
    let i = 0;
    for (;;) {
      while (i < text.length && isBetweenObjects(text.charCodeAt(i))) i++;
      if (i >= text.length) break;
      if (text.charCodeAt(i) !== 123) {
        throw new PermanentError('PARSE_ERROR', `expected a JSON object; got ${JSON.stringify(text.slice(i, i + 40))}`, { ...this.context, row: this.rows + 1 });
      }
      if (!this.#open) {
        const record = this.#wholeLine(text, i);
        if (record) {
          out.push(record.record);
          i = record.next;
          continue;
        }
      }
      const scan = this.#open ?? { at: i, depth: 0, inString: false, escaped: false };
      const end = scanObject(text, scan);
      if (end === -1) {
        // Scanned as far as the text goes: the next piece resumes where this one stopped.
        this.#open = { ...scan, at: text.length - i };
        if (text.length - i > MAX_OBJECT_CHARS) {
          throw new PermanentError('PARSE_ERROR', `no end of a JSON object within ${MAX_OBJECT_CHARS / 2 ** 20} MiB (an unclosed string or object?)`, { ...this.context, row: this.rows + 1 });
        }
        break;
      }
      this.#open = undefined;
      // Line breaks outside strings are whitespace (a string holds none): the row is one line.
      out.push(this.#parse(text.slice(i, end).replace(/[\r\n]/g, ' ')));
      i = end;
    }
    this.#read = out;
    return this.#open ? text.length - this.#open.at : i;
  }

  protected records(text: string): FileRecord[] {
    // After the last piece, what is left is read here: an object still open is not closed.
    if (!this.#read) {
      const end = this.recordsEnd(text);
      if (end < text.length) throw new PermanentError('PARSE_ERROR', 'a JSON object is not closed', { ...this.context, row: this.rows + 1 });
    }
    const out = this.#read!;
    this.#read = undefined;
    return out;
  }

  /** The object filling the rest of its line, if it does (the common case), and where the next line starts. */
  #wholeLine(text: string, start: number): { record: FileRecord; next: number } | undefined {
    const newline = text.indexOf('\n', start);
    if (newline === -1) return undefined;
    const end = text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
    if (text.charCodeAt(end - 1) !== 125) return undefined;
    try {
      return { record: this.#parse(text.slice(start, end)), next: newline + 1 };
    } catch {
      return undefined;
    }
  }

  /** The row an object is; a row is counted once it parses. */
  #parse(line: string): FileRecord {
    let value: unknown;
    let numbers: Record<string, string> | undefined;
    try {
      value = JSON.parse(line, (key, v: unknown, context?: { source?: string }) => {
        if (typeof v === 'number' && context?.source !== undefined) (numbers ??= {})[key] = context.source;
        return v;
      });
    } catch (error) {
      throw new PermanentError('PARSE_ERROR', `not a JSON object: ${(error as Error).message}`, { ...this.context, row: this.rows + 1 }, { cause: error });
    }
    return { row: ++this.rows, bytes: line.length, kind: 'json', line, value: value as Record<string, unknown>, ...(numbers ? { numbers } : {}) };
  }
}

/** Between two objects: JSON's whitespace, a byte order mark, a comma, or an array's bracket. */
const isBetweenObjects = (c: number) => c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff || c === 44 || c === 91 || c === 93;

/** The longest JSON object read whole: beyond it, a file's object is taken for unclosed. */
const MAX_OBJECT_CHARS = 16 * 2 ** 20;

type ObjectScan = { at: number; depth: number; inString: boolean; escaped: boolean };

/** Where the object being scanned ends (just after its brace), or -1 with `scan` at the end of the text. */
function scanObject(text: string, scan: ObjectScan): number {
  let { depth, inString, escaped } = scan;
  for (let i = scan.at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 92) escaped = true;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if ((c === 125 || c === 93) && --depth === 0) return i + 1;
  }
  Object.assign(scan, { at: text.length, depth, inString, escaped });
  return -1;
}

class CsvRecords extends Splitter {
  #header: string[] | undefined;
  /** An empty line was read since the last record. */
  #blankBefore = false;

  constructor(
    context: ErrorContext,
    private readonly headerOf: (names: string[]) => string[],
  ) {
    super(context);
  }

  protected recordsEnd(text: string): number {
    return csvRecordsEnd(text);
  }

  protected records(text: string): FileRecord[] {
    if (this.#header === undefined && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const out: FileRecord[] = [];
    const lines = csvLines(text);
    for (;;) {
      let line: IteratorResult<CsvLine>;
      try {
        line = lines.next();
      } catch (error) {
        if (!(error instanceof CsvSyntaxError)) throw error;
        throw new PermanentError('PARSE_ERROR', error.message, { ...this.context, row: this.rows + 1 }, { cause: error });
      }
      if (line.done) break;
      // Empty lines may end a file, as the engine's reader allows them (with
      // input_format_csv_skip_trailing_empty_lines); one before the header or a row refuses it.
      if (line.value.blank) {
        this.#blankBefore = true;
        continue;
      }
      if (this.#blankBefore) {
        const where = this.#header ? `row ${this.rows + 1}` : 'the header';
        throw new PermanentError('PARSE_ERROR', `an empty line before ${where}: empty lines may only end a file`, { ...this.context, row: this.rows + 1 });
      }
      const value = line.value.fields;
      if (!this.#header) {
        this.#header = this.headerOf(value.map((name) => name ?? ''));
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
