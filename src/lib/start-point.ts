/**
 * A tenant's start point (`tenants add --since DATE --start-after KEY`): the landed history it
 * does not load. A file version is before the start point when its S3 LastModified is earlier than
 * `since`, or when its key, relative to its table folder (`<tenant>/canonical/<table>/`), sorts at
 * or before `startAfter` in S3's order (UTF-8 bytes, as ListObjectsV2's StartAfter). Plan records
 * such a version `skipped` instead of loading it (src/lib/plan.ts).
 */
import { InputError } from '../errors.js';

export interface StartPoint {
  /** ISO instant: versions last modified before it are skipped. */
  since?: string;
  /** A key relative to each table folder: keys at or before it are skipped. */
  startAfter?: string;
}

/** S3 keys are at most 1,024 bytes; the folder takes some of them. */
const MAX_KEY_BYTES = 1024;

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * `--since`: a date (`2026-01-01`, midnight UTC) or an ISO-8601 date and time with its offset
 * (`2026-01-01T08:00:00Z`, `2026-01-01T09:00+01:00`); returned as an ISO instant in UTC.
 */
export function parseStartSince(value: string, flag = '--since'): string {
  const text = value.trim();
  const example = 'give a date such as 2026-01-01 (midnight UTC) or a time with its offset such as 2026-01-01T08:00:00Z';
  if (!DATE_ONLY.test(text) && !DATE_TIME.test(text)) throw new InputError(`${JSON.stringify(value)} is not a date; ${example}`, flag);
  const at = new Date(DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text);
  // Date accepts 2026-02-30 as March 2nd: the day written must be the day read back.
  const day = DATE_ONLY.exec(text) ?? /^(\d{4})-(\d{2})-(\d{2})/.exec(text)!;
  const [, y, m, d] = day;
  const check = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  if (Number.isNaN(at.getTime()) || check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(m) - 1 || check.getUTCDate() !== Number(d)) {
    throw new InputError(`${JSON.stringify(value)} is not a valid date; ${example}`, flag);
  }
  return at.toISOString();
}

/**
 * `--start-after`: a key relative to the table folder, e.g. `2025/12/31/` or `2025-12-31.jsonl`.
 * A full key of the tenant's folder is refused with what to give instead.
 */
export function parseStartAfter(value: string, tenantId: string | undefined, flag = '--start-after'): string {
  if (value === '') throw new InputError('give a key relative to each table folder, e.g. 2025/12/31/', flag);
  if (value.startsWith('/')) throw new InputError(`${JSON.stringify(value)} starts with /; give the key relative to each table folder, e.g. 2025/12/31/`, flag);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new InputError(`${JSON.stringify(value)} holds a control character; give a key relative to each table folder`, flag);
  if (Buffer.byteLength(value) > MAX_KEY_BYTES) throw new InputError(`is ${Buffer.byteLength(value)} bytes; an S3 key is at most ${MAX_KEY_BYTES}`, flag);
  const folder = /^[^/]+\/canonical\/[^/]+\//.exec(value)?.[0];
  if (folder && (tenantId === undefined || folder.startsWith(`${tenantId}/`))) {
    throw new InputError(
      `${JSON.stringify(value)} names a table folder; give the key relative to each table folder (it applies to every table of the tenant): ${JSON.stringify(value.slice(folder.length))}`,
      flag,
    );
  }
  return value;
}

/** Whether the version is before the start point; `prefix` is its table folder. */
export function beforeStart(file: { key: string; lastModified?: string }, prefix: string, start: StartPoint | null | undefined): boolean {
  if (!start) return false;
  if (start.since !== undefined && file.lastModified !== undefined && Date.parse(file.lastModified) < Date.parse(start.since)) return true;
  if (start.startAfter !== undefined && file.key.startsWith(prefix)) {
    return Buffer.compare(Buffer.from(file.key.slice(prefix.length)), Buffer.from(start.startAfter)) <= 0;
  }
  return false;
}

/** The start point as `tenants list` and messages show it. */
export function describeStartPoint(start: StartPoint): string {
  const parts = [start.since !== undefined ? `since ${start.since}` : '', start.startAfter !== undefined ? `after key ${start.startAfter}` : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : '-';
}
