/**
 * Turns what ClickHouse throws into onceload's error contract, by the error's numeric code
 * (never by its wording): transient codes are retried, file-data codes fail the file.
 */
import { redactError } from '../../lib/redact.js';
import { PermanentError, TransientError, type ErrorContext, type PermanentCode } from '../../errors.js';

/** Codes that say "try again later": load, timeouts, the network, a cluster in motion. */
const TRANSIENT_CODES = new Set([
  3, 159, 160, 164, 202, 203, 209, 210, 236, 241, 242, 252, 279, 285, 319, 394, 425, 439, 473, 999, 1000,
]);

/** Codes that say the file's content is wrong; retrying reads the same bytes and fails the same way. */
const FILE_CODES = new Map<number, PermanentCode>([
  [6, 'PARSE_ERROR'], // CANNOT_PARSE_TEXT
  [26, 'PARSE_ERROR'], // CANNOT_PARSE_QUOTED_STRING
  [27, 'PARSE_ERROR'], // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  [33, 'PARSE_ERROR'], // CANNOT_READ_ALL_DATA
  [38, 'WRONG_TYPE'], // CANNOT_PARSE_DATE
  [41, 'WRONG_TYPE'], // CANNOT_PARSE_DATETIME
  [53, 'WRONG_TYPE'], // TYPE_MISMATCH
  [69, 'WRONG_TYPE'], // ARGUMENT_OUT_OF_BOUND
  [70, 'WRONG_TYPE'], // CANNOT_CONVERT_TYPE
  [72, 'WRONG_TYPE'], // CANNOT_PARSE_NUMBER
  [117, 'PARSE_ERROR'], // INCORRECT_DATA
  [354, 'UNREADABLE_FILE'], // ZLIB_INFLATE_FAILED
  // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO: a load unit's own row checks (a missing id or version, a
  // foreign tenant); the unit's files are then loaded alone, and the check read names the row.
  [395, 'MISSING_VALUE'],
  [432, 'UNREADABLE_FILE'], // UNKNOWN_CODEC
  [636, 'UNREADABLE_FILE'], // CANNOT_EXTRACT_TABLE_STRUCTURE
]);
const S3_ERROR = 499;
/** TIMEOUT_EXCEEDED: a time limit, or a bounded insert past its deadline (file-sql.ts's boundClause). */
const TIMEOUT_EXCEEDED = 159;
/** RECEIVED_ERROR_FROM_REMOTE_IO_SERVER: a `url()` read answered with an HTTP error. */
const REMOTE_READ_ERROR = 86;
const NETWORK_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);

interface ClickHouseLikeError {
  message: string;
  code?: string | number;
}

/** The first line of the server's message, without the reader's call stack. */
function shortMessage(message: string): string {
  const first = (message.split('\n')[0] ?? message).replace(/: \(in file\/uri .*$/, '').replace(/While executing .*$/, '').trim();
  // Keep the parser's quote of the input short: it names the spot, the row number says where.
  return first.replace(/before: '(.{60}).*'/s, "before: '$1...'");
}

function rowOf(message: string): number | undefined {
  const match = /\(at row (\d+)\)/.exec(message);
  return match ? Number(match[1]) : undefined;
}

function columnOf(message: string): string | undefined {
  const match = /value of key (\w+)|Unknown field found[^:]*: '?(\w+)|column (\w+)/.exec(message);
  return match ? (match[1] ?? match[2] ?? match[3]) : undefined;
}

/**
 * Classifies an error from a query that read a landed file. Returns the error to throw:
 * a TransientError, a PermanentError naming the file, or the original error when it is
 * neither (a bug or a misconfiguration, which must surface as it is).
 */
export function classifyClickHouseError(error: unknown, context: ErrorContext = {}, options: ClassifyOptions = {}): unknown {
  // An in-engine read names the presigned URL it read from: no message carries its signature on.
  return redactError(classify(error, context, options));
}

interface ClassifyOptions {
  /** A query that read part of a file numbers its rows from the part's first. */
  rowOffset?: number;
  /** A bounded insert: its bound, as words for the message when the engine ended it by it. */
  bound?: string;
}

function classify(error: unknown, context: ErrorContext, options: ClassifyOptions): unknown {
  if (!(error instanceof Error)) return error;
  const e = error as ClickHouseLikeError & Error;
  const numeric = typeof e.code === 'string' && /^\d+$/.test(e.code) ? Number(e.code) : typeof e.code === 'number' ? e.code : undefined;
  if (numeric === undefined) {
    const errno = (e as { code?: string }).code ?? (e.cause as { code?: string } | undefined)?.code;
    if (errno && NETWORK_ERRNOS.has(errno)) return new TransientError(`ClickHouse connection: ${e.message}`, context, { cause: e });
    return error;
  }
  const message = shortMessage(e.message);
  // The object no longer holds the version the read was pinned to (If-Match).
  if (/\b412\b/.test(e.message) && /precondition/i.test(e.message)) {
    return new PermanentError('SUPERSEDED', 'this version of the file was replaced in the landing bucket; the new version loads on its own', context, { cause: e });
  }
  if (numeric === TIMEOUT_EXCEEDED && options.bound !== undefined) {
    return new TransientError(`ClickHouse ended the insert by its bound (${options.bound}): the lease of its attempt had ended`, context, { cause: e });
  }
  if (TRANSIENT_CODES.has(numeric)) return new TransientError(`ClickHouse: ${message}`, context, { cause: e });
  if (numeric === S3_ERROR || numeric === REMOTE_READ_ERROR) {
    // ClickHouse reports the object store's HTTP status only inside the message.
    const status = Number(/HTTP (?:response|status) code: (\d{3})/.exec(e.message)?.[1] ?? 0);
    if (status === 404) return new PermanentError('NOT_FOUND', 'the file is no longer in the landing bucket', context, { cause: e });
    if (status === 403) return new PermanentError('ACCESS_DENIED', `ClickHouse may not read the file: ${message}`, context, { cause: e });
    // Any other answer to a url() read surfaces as it is; a failing store (5xx) is retried.
    if (numeric === REMOTE_READ_ERROR && status < 500) return error;
    return new TransientError(`object store: ${message}`, context, { cause: e });
  }
  const code = FILE_CODES.get(numeric);
  if (code === 'UNREADABLE_FILE') {
    // The bytes could not be decompressed or decoded: the row and key the parser was at say
    // nothing about the file's content, so none is named.
    const what = numeric === 354 ? 'not a readable gzip file (truncated or corrupt)' : 'not a readable file';
    return new PermanentError(code, `${what}: ${message.replace(/: While reading from: .*$/, '').replace(/ \(while reading the value of key \w+\)/, '')}`, context, { cause: e });
  }
  if (code) {
    // A query that read part of a file numbers its rows from the part's first.
    const offset = options.rowOffset ?? 0;
    const row = rowOf(e.message);
    const at = row === undefined ? {} : { row: row + offset };
    const text = offset ? message.replace(/\(at row (\d+)\)/, (_, n: string) => `(at row ${Number(n) + offset})`) : message;
    const column = columnOf(e.message);
    return new PermanentError(code, text, { ...context, ...at, ...(column ? { column } : {}) }, { cause: e });
  }
  return error;
}
