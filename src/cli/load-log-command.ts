/** `onceload log`: the load log (src/lib/load-log.ts), one row per file version, newest first. */
import ms from 'ms';
import { InputError } from '../errors.js';
import { LOG_OUTCOMES, type LoadLog, type LoadLogFilter, type LoadLogRow, type LogOutcome } from '../ports.js';

export const DEFAULT_LOG_LIMIT = 100;

export function parseOutcome(value: string): LogOutcome {
  if ((LOG_OUTCOMES as readonly string[]).includes(value)) return value as LogOutcome;
  throw new InputError(`unknown outcome ${JSON.stringify(value)}; expected one of ${LOG_OUTCOMES.join(', ')}`, '--outcome');
}

const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * `--since`: a date or time (UTC unless it says otherwise), e.g. 2026-12-01 or
 * 2026-12-01T08:00:00Z, or a duration back from `now`, e.g. 24h or 7d. Returns ISO.
 */
export function parseSince(value: string, now: Date = new Date()): string {
  const text = value.trim();
  const date = DATE.exec(text);
  if (date) {
    const at = Date.parse(date[1] === undefined && text.length > 10 ? `${text.replace(' ', 'T')}Z` : text);
    if (!Number.isNaN(at)) return new Date(at).toISOString();
  } else if (/^\d+(\.\d+)?\s*[a-z]+$/i.test(text)) {
    let millis: number | undefined;
    try {
      millis = ms(text as ms.StringValue);
    } catch {
      millis = undefined;
    }
    if (typeof millis === 'number' && Number.isFinite(millis) && millis > 0) return new Date(now.getTime() - millis).toISOString();
  }
  throw new InputError(`${JSON.stringify(value)} is neither a date nor a duration; give e.g. 2026-12-01, 2026-12-01T08:00:00Z, 24h or 7d`, '--since');
}

const seconds = (r: LoadLogRow) => ((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(3);

function errorText(r: LoadLogRow): string {
  if (!r.errorCode) return '';
  const where = [r.errorRow !== null ? `row ${r.errorRow}` : '', r.errorColumn !== null ? `column ${r.errorColumn}` : ''].filter(Boolean).join(' ');
  return `${r.errorCode}${where ? ` (${where})` : ''}: ${r.errorMessage}`;
}

export function logTable(rows: readonly LoadLogRow[]): string {
  const lines = ['finished\trun\ttenant\ttable\toutcome\trows\tbytes\tseconds\tkey\terror'];
  for (const r of rows) lines.push([r.finishedAt, r.runId, r.tenant, r.table, r.outcome, r.rows, r.bytes, seconds(r), r.key, errorText(r)].join('\t'));
  return lines.join('\n');
}

export async function logText(log: Pick<LoadLog, 'read'>, filter: LoadLogFilter, json: boolean): Promise<string> {
  const rows = await log.read(filter);
  return json ? JSON.stringify(rows, null, 2) : logTable(rows);
}
