/**
 * CSV read as ClickHouse's CSV reader reads it, so the streamed path checks and sends the values
 * the in-engine path would load. A general CSV parser cannot be told this dialect: here a quote
 * opens a field only as its first character after any spaces or tabs (`5" screen` is a field's
 * own text), a quoted field is taken whole (`""` inside is one quote, line breaks are its own)
 * and only spaces or tabs may follow its closing quote; an unquoted field is read without the
 * spaces and tabs around it, and an empty one or `\N` is no value.
 */
import type { CsvField } from '../ports.js';

/** A record: its fields, or an empty line. */
export type CsvLine = { blank: true } | { blank: false; fields: CsvField[] };

/** What is wrong with a record, said by the caller with the record's row. */
export class CsvSyntaxError extends Error {}

const [QUOTE, COMMA, LF, CR, SPACE, TAB] = [34, 44, 10, 13, 32, 9];

/** The records of `text`, which holds whole records (see `csvRecordsEnd`) or a file's last part. */
export function* csvLines(text: string): Generator<CsvLine> {
  let i = 0;
  while (i < text.length) {
    if (text.charCodeAt(i) === LF || (text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF)) {
      i += text.charCodeAt(i) === CR ? 2 : 1;
      yield { blank: true };
      continue;
    }
    const fields: CsvField[] = [];
    for (;;) {
      let start = i;
      while (text.charCodeAt(start) === SPACE || text.charCodeAt(start) === TAB) start++;
      if (text.charCodeAt(start) === QUOTE) {
        const { value, end } = quoted(text, start + 1);
        fields.push(value);
        i = end;
        while (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB) i++;
        if (i < text.length && !atFieldEnd(text, i)) throw new CsvSyntaxError(`expected a comma or the end of the line after a quoted field; got ${JSON.stringify(text.slice(i, i + 20))}`);
      } else {
        let end = i;
        while (end < text.length && text.charCodeAt(end) !== COMMA && text.charCodeAt(end) !== LF) end++;
        const value = text.slice(i, text.charCodeAt(end) === LF && text.charCodeAt(end - 1) === CR ? end - 1 : end).replace(/^[ \t]+|[ \t]+$/g, '');
        fields.push(value === '' || value === '\\N' ? null : value);
        i = end;
      }
      if (text.charCodeAt(i) === COMMA) {
        i++;
        continue;
      }
      if (text.charCodeAt(i) === CR) i++;
      if (text.charCodeAt(i) === LF) i++;
      break;
    }
    yield { blank: false, fields };
  }
}

/** A quoted field's text from just after its opening quote, and where its closing quote ends. */
function quoted(text: string, from: number): { value: string; end: number } {
  let value = '';
  let at = from;
  for (;;) {
    const close = text.indexOf('"', at);
    if (close === -1) throw new CsvSyntaxError('a quoted field is not closed');
    value += text.slice(at, close);
    if (text.charCodeAt(close + 1) !== QUOTE) return { value, end: close + 1 };
    value += '"';
    at = close + 2;
  }
}

const atFieldEnd = (text: string, i: number) => {
  const c = text.charCodeAt(i);
  return c === COMMA || c === LF || (c === CR && text.charCodeAt(i + 1) === LF);
};

/** Where the last whole record of `text` ends: after its last line break outside quotes, as `csvLines` reads quotes. */
export function csvRecordsEnd(text: string): number {
  let end = 0;
  let inQuotes = false;
  let fieldStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inQuotes) {
      if (c === QUOTE) {
        if (text.charCodeAt(i + 1) === QUOTE) i++;
        else inQuotes = false;
      }
      continue;
    }
    if (c === QUOTE && fieldStart) {
      inQuotes = true;
      fieldStart = false;
    } else if (c === LF || c === COMMA) {
      if (c === LF) end = i + 1;
      fieldStart = true;
    } else if (c !== SPACE && c !== TAB && c !== 0xfeff) fieldStart = false;
  }
  return end;
}
