/**
 * Where the engine reads landed files: `url()` table functions over presigned GET URLs, each
 * read of one file pinned to its planned version (`If-Match`), several unpinned files read by
 * one `url()` of the alternation `{url1,url2,...}`, each row knowing its file by `_path`.
 */
import type { FileRef } from '../../ports.js';
import { fileFormat } from '../../lib/file-format.js';
import type { TableName } from '../../tables.js';

type Params = Record<string, unknown>;
export type ObjectUrl = (key: string) => Promise<string>;

/**
 * The engine retries a failed HTTP read ten times over about a minute by default, a 412 of a
 * replaced object included; a few quick tries are enough, the state machine retries the rest.
 */
export const FEW_HTTP_TRIES = { http_max_tries: 3, http_retry_initial_backoff_ms: 100, http_retry_max_backoff_ms: 400 };

/**
 * The URL path `url()` reports as `_path` for a presigned URL: the path exactly as signed.
 * Presigned paths percent-encode everything but unreserved characters and `/`.
 */
function urlPath(url: string): string {
  const afterScheme = url.indexOf('//') + 2;
  const start = url.indexOf('/', afterScheme);
  const query = url.indexOf('?', start);
  return url.slice(start, query === -1 ? undefined : query);
}

/** `url()` expands `{a,b}` and reads `..` inside braces as a numeric range: such a URL is read on its own. */
const joinable = (url: string) => !url.includes('..');

/**
 * The `headers(...)` argument of a `url()` read pinned to one object version: S3 answers a
 * replaced object with 412. ETags are checked to be plain tokens, so the literal is safe.
 */
function pinned(version: string | undefined): string {
  if (version === undefined) return '';
  if (!/^[0-9A-Za-z-]{1,128}$/.test(version)) throw new Error(`not an S3 ETag: ${JSON.stringify(version)}`);
  return `, headers('If-Match'='"${version}"')`;
}

/** Groups of files one `url()` can read together: same format and compression, joinable URLs, none pinned (one If-Match a read). */
function urlGroups<T extends { url: string; format: string; compression: string; file: FileRef }>(files: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  const alone: T[][] = [];
  for (const file of files) {
    if (!joinable(file.url) || file.file.version !== undefined) {
      alone.push([file]);
      continue;
    }
    const key = `${file.format}/${file.compression}`;
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  return [...groups.values(), ...alone];
}

/** The `url()` table function reading one file; `n` keeps parameter names apart when several files share a query. */
export async function fileSource(file: FileRef, objectUrl: ObjectUrl, structure: string | undefined, n = ''): Promise<{ sql: string; params: Params }> {
  const { format, compression } = fileFormat(file.key);
  const params: Params = { [`url${n}`]: await objectUrl(file.key), [`format${n}`]: format };
  if (structure === undefined) return { sql: `url({url${n}:String}, {format${n}:String}${pinned(file.version)})`, params };
  // The URL's query string hides the extension, so compression is named, not inferred.
  Object.assign(params, { [`structure${n}`]: structure, [`compression${n}`]: compression === 'gzip' ? 'gzip' : 'none' });
  return { sql: `url({url${n}:String}, {format${n}:String}, {structure${n}:String}, {compression${n}:String}${pinned(file.version)})`, params };
}


/**
 * `url()` sources reading `files`, as few as their formats and URLs allow. Each part's
 * `fileIndex` is an SQL expression giving the row's 1-based position in `files`, found by the
 * row's `_path`; a row from any other path fails the query rather than go unattributed.
 * `jsonAsLines`: JSON files are read as lines of text (`LineAsString`, one column `line`), each
 * such part marked `lines`.
 */
export async function manySources(
  files: readonly FileRef[],
  objectUrl: ObjectUrl,
  structureOf: (table: TableName) => string,
  options: { jsonAsLines?: boolean } = {},
): Promise<{ parts: { from: string; fileIndex: string; tenant: string; lines: boolean }[]; params: Params }> {
  const located = await Promise.all(
    files.map(async (file, i) => ({ file, i, url: await objectUrl(file.key), ...fileFormat(file.key) })),
  );
  const params: Params = {};
  const parts = urlGroups(located).map((group, g) => {
    const urls = group.map((f) => f.url);
    const lines = options.jsonAsLines === true && group[0]!.format === 'JSONEachRow';
    Object.assign(params, {
      [`url${g}`]: urls.length === 1 ? urls[0] : `{${urls.join(',')}}`,
      [`format${g}`]: lines ? 'LineAsString' : group[0]!.format,
      [`structure${g}`]: lines ? 'line String' : structureOf(group[0]!.file.table),
      // The URL's query string hides the extension, so compression is named, not inferred.
      [`compression${g}`]: group[0]!.compression === 'gzip' ? 'gzip' : 'none',
    });
    return {
      from: `url({url${g}:String}, {format${g}:String}, {structure${g}:String}, {compression${g}:String}${group.length === 1 ? pinned(group[0]!.file.version) : ''})`,
      lines,
      // One file: its position. Several: transform() looks each row's path up in a hash table
      // (indexOf() would scan the array on every row).
      fileIndex:
        group.length === 1
          ? String(group[0]!.i + 1)
          : `(transform(_path, {paths:Array(String)}, {positions:Array(UInt32)}, 0) AS _n) + throwIf(_n = 0, 'a row came from a URL path of no file in the query')`,
      tenant: group[0]!.file.tenant,
    };
  });
  if (parts.some((p) => p.fileIndex.includes('{paths:'))) Object.assign(params, { paths: located.map((f) => urlPath(f.url)), positions: located.map((_, i) => i + 1) });
  return { parts, params };
}

