/**
 * Errors as a contract. Step Functions matches `ErrorEquals` against the exact error name
 * (never inheritance), so each class keeps its category as `name` and carries the failure
 * mode in `code`; the ASL retries `TransientError` and `FileBusyError`, and catches the rest.
 */

/** Where a problem is, so every message can name the tenant, table, file, row and column. */
export interface ErrorContext {
  tenant?: string;
  table?: string;
  file?: string;
  /** 1-based data row in the file (the line for JSON lines). */
  row?: number;
  column?: string;
}

/** Problems of a file itself: recorded against the file, never retried until the file changes. */
export const FILE_PROBLEM_CODES = [
  'PARSE_ERROR',
  'UNKNOWN_COLUMN',
  'MISSING_COLUMN',
  'MISSING_VALUE',
  'WRONG_TYPE',
  'EMPTY_FILE',
  'UNREADABLE_FILE',
  'UNSUPPORTED_FORMAT',
  'FOREIGN_TENANT',
] as const;

/** Permanent, but not the file's fault: the run fails and the next run tries again. */
export const PERMANENT_CODES = [...FILE_PROBLEM_CODES, 'SUPERSEDED', 'NOT_FOUND', 'ACCESS_DENIED', 'DDL_DRIFT', 'CONFIGURATION'] as const;
export type PermanentCode = (typeof PERMANENT_CODES)[number];

/**
 * The object no longer holds the version being read: replaced (S3 answered `If-Match` with 412)
 * or deleted (404). That version ends `superseded`, neither loaded nor failed: a new one is
 * planned next round, and a deleted one's entry is retired `gone`. Nothing is wrong with the file.
 */
export function isSuperseded(error: unknown): error is PermanentError {
  return error instanceof PermanentError && (error.code === 'SUPERSEDED' || error.code === 'NOT_FOUND');
}

export function isFileProblem(error: unknown): error is PermanentError {
  return error instanceof PermanentError && (FILE_PROBLEM_CODES as readonly string[]).includes(error.code);
}

function describe(context: ErrorContext): string {
  const parts: string[] = [];
  if (context.tenant) parts.push(`tenant ${context.tenant}`);
  if (context.table) parts.push(`table ${context.table}`);
  if (context.file) parts.push(`file ${JSON.stringify(context.file)}`);
  if (context.row !== undefined) parts.push(`row ${context.row}`);
  if (context.column) parts.push(`column ${context.column}`);
  return parts.length ? `${parts.join(', ')}: ` : '';
}

abstract class OnceloadError extends Error {
  readonly context: ErrorContext;
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(`${describe(context)}${message}`, options);
    this.context = context;
  }
}

/** Worth retrying with backoff: throttling, timeouts, connection resets, 5xx. */
export class TransientError extends OnceloadError {
  override readonly name = 'TransientError';
}

/** Never retried: the same input fails the same way until it changes. */
export class PermanentError extends OnceloadError {
  override readonly name = 'PermanentError';
  readonly code: PermanentCode;
  constructor(code: PermanentCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.code = code;
  }
}

/** The execution input or a CLI argument is wrong; refused before any work. */
export class InputError extends OnceloadError {
  override readonly name = 'InputError';
  /** The input field at fault, e.g. `tenants[1]`. */
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(field ? `${field}: ${message}` : message);
    this.field = field;
  }
}

/** Another attempt holds a fresh `loading` claim on the file; retried until it ends or goes stale. */
export class FileBusyError extends OnceloadError {
  override readonly name = 'FileBusyError';
}

/** A setting that is wrong: the CLI exits 2 on it before starting anything. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
