/**
 * What a landed file's name says about how to read it:
 * `<tenant>/canonical/<table>/<any/path>.<jsonl|ndjson|json|csv|parquet>[.gz]`.
 * `.json` is read as JSONEachRow, which takes JSON lines and a JSON array of objects alike
 * (naming a JSON lines file `.json` is the likeliest first mistake, so it simply loads).
 */
import { PermanentError } from '../errors.js';
import type { TableName } from '../tables.js';

export type EngineFormat = 'JSONEachRow' | 'CSVWithNames' | 'Parquet';

export interface FileFormat {
  format: EngineFormat;
  compression: 'gzip' | 'none';
}

const FORMATS: Record<string, EngineFormat> = {
  jsonl: 'JSONEachRow',
  ndjson: 'JSONEachRow',
  json: 'JSONEachRow',
  csv: 'CSVWithNames',
  parquet: 'Parquet',
};

export function fileFormat(key: string): FileFormat {
  const gz = key.endsWith('.gz');
  const base = gz ? key.slice(0, -3) : key;
  const extension = base.slice(base.lastIndexOf('.') + 1).toLowerCase();
  const format = FORMATS[extension];
  if (!format || !base.includes('.')) {
    throw new PermanentError('UNSUPPORTED_FORMAT', `unsupported file type; expected .jsonl, .ndjson, .json, .csv or .parquet, optionally .gz`, { file: key });
  }
  return { format, compression: gz ? 'gzip' : 'none' };
}

export function isLoadableKey(key: string): boolean {
  return /\.(jsonl|ndjson|json|csv|parquet)(\.gz)?$/i.test(key);
}

/** The landing prefix of one tenant x table. */
export function landingPrefix(tenant: string, table: TableName): string {
  return `${tenant}/canonical/${table}/`;
}
