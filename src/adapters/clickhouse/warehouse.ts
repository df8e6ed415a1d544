/**
 * The Warehouse port on `@clickhouse/client`: the same code talks to embedded chDB and to a
 * ClickHouse server. Files are read in-engine by the `url()` table function from a presigned
 * GET URL, so rows never pass through the JS heap and ClickHouse needs no credentials for the
 * bucket. (`s3()` would read glob characters in a key, `*?{}`, as patterns.) Several files are
 * read by one `url()` of the alternation `{url1,url2,...}`, in parallel, each row knowing its
 * file by `_path`.
 */
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { stringify } from 'csv-stringify/sync';
import type { FileRef, FileScan, RecordChunk, RowProblem, TableEngine, Warehouse } from '../../ports.js';
import { fileFormat } from '../../lib/file-format.js';
import { quoteIdentifier, settingsClause, tableRef } from '../../sql.js';
import { LINEAGE_COLUMNS, TABLE_COLUMNS, TENANT_COLUMN, type CanonicalTable } from '../../tables.js';
import { classifyClickHouseError } from './classify.js';
import { createTableSql } from './ddl.js';
import { TEXT_READ_SETTINGS, convertSql, firstMisfitSql, textStructure, valueParams, valuesFitSql } from './value-sql.js';

export interface WarehouseOptions {
  database: string;
  /** A short-lived URL ClickHouse can GET the object from (a presigned S3 URL). */
  objectUrl: (key: string) => Promise<string>;
  insertBlockRows: number;
}

type Params = Record<string, unknown>;

/**
 * The engine retries a failed HTTP read ten times over about a minute by default, a 412 of a
 * replaced object included; a few quick tries are enough, the state machine retries the rest.
 */
const FEW_HTTP_TRIES = { http_max_tries: 3, http_retry_initial_backoff_ms: 100, http_retry_max_backoff_ms: 400 };

/** Squashing thresholds no load unit reaches, so its insert writes one block (callers bound its size). */
const ONE_BLOCK = 2 ** 50;

function checkToken(dedupToken: string): void {
  if (!/^[0-9a-f]{16,128}$/.test(dedupToken)) throw new Error('deduplication token must be lowercase hex');
}

/** The columns an insert writes, quoted: the tenant, the table's own, then the lineage. */
function insertColumns(table: CanonicalTable): { columns: string[]; target: string } {
  const columns = TABLE_COLUMNS[table].map((c) => quoteIdentifier(c.name));
  return { columns, target: [quoteIdentifier('tenant_id'), ...columns, ...LINEAGE_COLUMNS.map((c) => quoteIdentifier(c.name))].join(', ') };
}

/**
 * What an `INSERT ... SELECT` of landed files sets, whether a file alone or a unit: deduplicated
 * under the token, and every row lands (merges pick the newest), skipping the insert's own sorting
 * out of replaced rows, which costs a third more memory.
 */
function dedupInsertSettings(dedupToken: string): Record<string, string | number> {
  return {
    insert_deduplicate: 1,
    // Fail loudly rather than insert without deduplication if the engine deems the SELECT unstable.
    deduplicate_insert_select: 'force_enable',
    insert_deduplication_token: dedupToken,
    insert_null_as_default: 1,
    optimize_on_insert: 0,
  };
}

/**
 * Every source column nullable text: a missing value is seen (and counted) rather than defaulted,
 * and each value is checked against its column's rule before it is converted (value-sql.ts).
 */
function sourceStructure(table: CanonicalTable): string {
  return textStructure(TABLE_COLUMNS[table]);
}

/**
 * The table's own columns converted from their checked text, in table order. Never aliased to
 * the column's name: a WHERE beside it would then read the converted value, not the text.
 */
const converted = (table: CanonicalTable) => TABLE_COLUMNS[table].map((c) => convertSql(c));
const convertedColumn = (table: CanonicalTable, name: string) => convertSql(TABLE_COLUMNS[table].find((c) => c.name === name)!);

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

type Lineage = { tenant_id: string; _file: string; _etag: string; _loaded_at: string };

const lineage = (file: FileRef, loadedAt: string): Lineage => ({ tenant_id: file.tenant, _file: file.key, _etag: file.etag, _loaded_at: loadedAt });

/**
 * JSON lines of the rows with their lineage, written in front of each object's own fields (a
 * checked row has some). A row that names tenant_id itself (checked equal) is rewritten instead,
 * since a field may appear only once.
 */
function jsonBody(rows: readonly string[], lineage: Lineage): Buffer {
  const fields = JSON.stringify(lineage).slice(0, -1) + ',';
  return Buffer.from(
    rows.map((row) => (row.includes('"tenant_id"') ? JSON.stringify({ ...(JSON.parse(row) as object), ...lineage }) : fields + row.trimStart().slice(1))).join('\n') + '\n',
  );
}

/**
 * CSV rows in the table's column order, whatever the file's: a column the file lacks is an empty
 * field, which the engine reads as the column's default, as it reads a missing column in-engine.
 */
function csvBody(table: CanonicalTable, header: readonly string[], rows: readonly string[][], lineage: Lineage): Buffer {
  const at = TABLE_COLUMNS[table].map((c) => header.indexOf(c.name));
  return Buffer.from(stringify(rows.map((row) => [lineage.tenant_id, ...at.map((i) => (i === -1 ? '' : row[i]!)), lineage._file, lineage._etag, lineage._loaded_at])));
}

/** An empty text is no value (an empty CSV field), as the value rules say. */
const ROW_PROBLEM_SQL: Record<RowProblem, string> = {
  missing_id: "(id IS NULL OR id = '')",
  missing_last_updated: "(last_updated IS NULL OR last_updated = '')",
  foreign_tenant: 'tenant_id IS NOT NULL AND tenant_id != {tenant:String}',
};

/** A row no unit may insert; the same problems the check read of a file loaded alone counts. */
function unitRowCheck(table: CanonicalTable): { sql: string; params: Params } {
  const fit = valuesFitSql(TABLE_COLUMNS[table]);
  return { sql: `${Object.values(ROW_PROBLEM_SQL).join(' OR ')} OR NOT (${fit.sql})`, params: fit.params };
}

export class ClickHouseWarehouse implements Warehouse {
  readonly #client: ClickHouseClient;
  readonly #options: WarehouseOptions;

  constructor(client: ClickHouseClient, options: WarehouseOptions) {
    this.#client = client;
    this.#options = options;
  }

  /**
   * Parser settings shared by the scan and the insert, so both read the file the same way.
   * One thread and no parallel parsing pin how rows fall into insert blocks: a redo forms the
   * same blocks, and so the same per-block deduplication tokens.
   */
  #readSettings(): Record<string, number | string> {
    const rows = this.#options.insertBlockRows;
    return {
      input_format_skip_unknown_fields: 0,
      input_format_allow_errors_num: 0,
      input_format_allow_errors_ratio: 0,
      // The streamed path's typed insert reads only values the value rules accepted (ISO-8601).
      date_time_input_format: 'best_effort',
      session_timezone: 'UTC',
      ...TEXT_READ_SETTINGS,
      // The size a HEAD request would tell is not needed; skipping it saves a round trip a file.
      http_make_head_request: 0,
      ...FEW_HTTP_TRIES,
      max_threads: 1,
      max_insert_threads: 1,
      input_format_parallel_parsing: 0,
      max_block_size: Math.min(rows, 65_536),
      max_insert_block_size: rows,
      min_insert_block_size_rows: rows,
      min_insert_block_size_bytes: 1 << 30,
    };
  }

  /** The `url()` table function reading one file; `n` keeps parameter names apart when several files share a query. */
  async #source(file: FileRef, structure: string | undefined, n = ''): Promise<{ sql: string; params: Params }> {
    const { format, compression } = fileFormat(file.key);
    const params: Params = { [`url${n}`]: await this.#options.objectUrl(file.key), [`format${n}`]: format };
    if (structure === undefined) return { sql: `url({url${n}:String}, {format${n}:String}${pinned(file.version)})`, params };
    // The URL's query string hides the extension, so compression is named, not inferred.
    Object.assign(params, { [`structure${n}`]: structure, [`compression${n}`]: compression === 'gzip' ? 'gzip' : 'none' });
    return { sql: `url({url${n}:String}, {format${n}:String}, {structure${n}:String}, {compression${n}:String}${pinned(file.version)})`, params };
  }

  async #rows<T>(query: string, params: Params, file?: FileRef): Promise<T[]> {
    try {
      const result = await this.#client.query({ query, query_params: params, format: 'JSONEachRow' });
      return await result.json<T>();
    } catch (error) {
      throw classifyClickHouseError(error, file ? { tenant: file.tenant, table: file.table, file: file.key } : {});
    }
  }

  async #command(query: string, params: Params, file?: FileRef): Promise<void> {
    try {
      await this.#client.command({ query, query_params: params });
    } catch (error) {
      throw classifyClickHouseError(error, file ? { tenant: file.tenant, table: file.table, file: file.key } : {});
    }
  }

  async ensureTables(tables: readonly CanonicalTable[]): Promise<string[]> {
    const existing = new Set((await this.describeTables(tables)).map((t) => t.table));
    const created: string[] = [];
    for (const table of tables) {
      if (existing.has(table)) continue;
      await this.#command(createTableSql(table, this.#options.database), {});
      created.push(table);
    }
    return created;
  }

  async fileColumns(file: FileRef): Promise<string[]> {
    const source = await this.#source(file, undefined);
    const rows = await this.#rows<{ name: string }>(
      `DESCRIBE TABLE ${source.sql}${settingsClause({ input_format_max_rows_to_read_for_schema_inference: 1000, ...FEW_HTTP_TRIES })}`,
      source.params,
      file,
    );
    return rows.map((r) => r.name);
  }

  async scanFile(file: FileRef): Promise<FileScan> {
    const [scan] = await this.scanFiles([file]);
    return scan!;
  }

  async scanFiles(files: readonly FileRef[]): Promise<FileScan[]> {
    if (files.length === 0) return [];
    const many = await this.#manySources(files);
    const fit = valuesFitSql(TABLE_COLUMNS[files[0]!.table]);
    if (files.some((f) => f.table !== files[0]!.table)) throw new Error('one scan reads the files of one table');
    const params: Params = { ...many.params, ...fit.params };
    const parts = many.parts.map(
      (part, i) =>
        // ignore(*) makes the engine parse every column: pruned columns would skip the checks.
        `SELECT ${part.fileIndex} AS i, count() AS rows, countIf(${ROW_PROBLEM_SQL.missing_id}) AS missing_id,
                countIf(${ROW_PROBLEM_SQL.missing_last_updated}) AS missing_last_updated,
                countIf(tenant_id IS NOT NULL AND tenant_id != {tenant${i}:String}) AS foreign_tenant, countIf(NOT (${fit.sql})) AS misfits, sum(ignore(*)) AS _all
         FROM ${part.from} GROUP BY i`,
    );
    many.parts.forEach((part, i) => (params[`tenant${i}`] = part.tenant));
    const rows = await this.#rows<Record<string, string>>(
      `${parts.join('\nUNION ALL\n')}${settingsClause({ ...this.#readSettings(), max_threads: 0 })}`,
      params,
      files.length === 1 ? files[0] : undefined,
    );
    const byIndex = new Map(rows.map((r) => [Number(r.i), r]));
    return files.map((_, i) => {
      const row = byIndex.get(i + 1);
      return {
        rows: Number(row?.rows ?? 0),
        missingId: Number(row?.missing_id ?? 0),
        missingLastUpdated: Number(row?.missing_last_updated ?? 0),
        foreignTenant: Number(row?.foreign_tenant ?? 0),
        misfits: Number(row?.misfits ?? 0),
      };
    });
  }

  async countRows(files: readonly FileRef[]): Promise<number[]> {
    if (files.length === 0) return [];
    const many = await this.#manySources(files);
    const parts = many.parts.map((part) => `SELECT ${part.fileIndex} AS i, count() AS rows FROM ${part.from} GROUP BY i`);
    const rows = await this.#rows<{ i: string; rows: string }>(
      // A count read from the object itself: never an answer the engine kept from an earlier
      // read (the audit must not agree with the insert it checks), and no HEAD request a file.
      `${parts.join('\nUNION ALL\n')}${settingsClause({ ...this.#readSettings(), max_threads: 0, use_cache_for_count_from_files: 0, optimize_count_from_files: 0,
        // No column is read, so none is parsed: the reader only finds where each row ends.
        input_format_skip_unknown_fields: 1 })}`,
      many.params,
      files.length === 1 ? files[0] : undefined,
    );
    const byIndex = new Map(rows.map((r) => [Number(r.i), Number(r.rows)]));
    return files.map((_, i) => byIndex.get(i + 1) ?? 0);
  }

  /**
   * `url()` sources reading `files`, as few as their formats and URLs allow. Each part's
   * `fileIndex` is an SQL expression giving the row's 1-based position in `files`, found by the
   * row's `_path`; a row from any other path fails the query rather than go unattributed.
   */
  async #manySources(files: readonly FileRef[]): Promise<{ parts: { from: string; fileIndex: string; tenant: string }[]; params: Params }> {
    const located = await Promise.all(
      files.map(async (file, i) => ({ file, i, url: await this.#options.objectUrl(file.key), ...fileFormat(file.key) })),
    );
    const params: Params = {};
    const parts = urlGroups(located).map((group, g) => {
      const urls = group.map((f) => f.url);
      Object.assign(params, {
        [`url${g}`]: urls.length === 1 ? urls[0] : `{${urls.join(',')}}`,
        [`format${g}`]: group[0]!.format,
        [`structure${g}`]: sourceStructure(group[0]!.file.table),
        // The URL's query string hides the extension, so compression is named, not inferred.
        [`compression${g}`]: group[0]!.compression === 'gzip' ? 'gzip' : 'none',
      });
      return {
        from: `url({url${g}:String}, {format${g}:String}, {structure${g}:String}, {compression${g}:String}${group.length === 1 ? pinned(group[0]!.file.version) : ''})`,
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

  async locateRow(file: FileRef, problem: RowProblem): Promise<number | undefined> {
    const source = await this.#source(file, sourceStructure(file.table));
    const [row] = await this.#rows<{ row: string }>(
      // The outer query uses _all so the engine still parses every column (see scanFile).
      `SELECT row FROM (SELECT rowNumberInAllBlocks() + 1 AS row, (${ROW_PROBLEM_SQL[problem]}) AS bad, ignore(*) AS _all FROM ${source.sql})
       WHERE bad AND _all = 0 LIMIT 1${settingsClause(this.#readSettings())}`,
      { ...source.params, tenant: file.tenant },
      file,
    );
    return row ? Number(row.row) : undefined;
  }

  async locateMisfit(file: FileRef): Promise<{ row: number; column: string; value: string } | undefined> {
    const source = await this.#source(file, sourceStructure(file.table));
    const misfit = firstMisfitSql(TABLE_COLUMNS[file.table]);
    const [row] = await this.#rows<{ row: string; column: string; value: string }>(
      `SELECT row, column, value FROM (SELECT rowNumberInAllBlocks() + 1 AS row, ${misfit.column} AS column, ${misfit.value} AS value, ignore(*) AS _all FROM ${source.sql})
       WHERE column != '' AND _all = 0 LIMIT 1${settingsClause(this.#readSettings())}`,
      { ...source.params, ...valueParams(TABLE_COLUMNS[file.table]) },
      file,
    );
    return row ? { row: Number(row.row), column: row.column, value: row.value } : undefined;
  }

  async insertFile(file: FileRef, dedupToken: string): Promise<void> {
    checkToken(dedupToken);
    const source = await this.#source(file, sourceStructure(file.table));
    const { target } = insertColumns(file.table);
    await this.#command(
      `INSERT INTO ${tableRef(file.table, this.#options.database)} (${target})
       SELECT {tenant:String}, ${converted(file.table).join(', ')}, {file:String}, {etag:String}, now64(3)
       FROM ${source.sql}${settingsClause({ ...this.#readSettings(), ...dedupInsertSettings(dedupToken) })}`,
      { ...source.params, ...valueParams(TABLE_COLUMNS[file.table]), tenant: file.tenant, file: file.key, etag: file.etag },
      file,
    );
  }

  async insertUnit(files: readonly FileRef[], dedupToken: string): Promise<void> {
    checkToken(dedupToken);
    if (files.length === 0) return;
    const table = files[0]!.table;
    if (files.some((f) => f.table !== table || f.tenant !== files[0]!.tenant)) throw new Error('a load unit holds the files of one tenant x table');
    const many = await this.#manySources(files);
    const { target } = insertColumns(table);
    const check = unitRowCheck(table);
    const selects = many.parts.map(
      (part) =>
        `SELECT {tenant:String}, ${converted(table).join(', ')}, {keys:Array(String)}[${part.fileIndex}], {etags:Array(String)}[${part.fileIndex}], now64(3) FROM ${part.from}
         WHERE throwIf(${check.sql}, 'a row has no id or last_updated, names another tenant, or holds a value its column does not accept') = 0`,
    );
    const settings = settingsClause({
      ...this.#readSettings(),
      // The files are read in parallel; one insert thread squashing everything into one block
      // makes the unit one part under one token, whatever order the rows arrived in.
      max_threads: 0,
      max_insert_threads: 1,
      min_insert_block_size_rows: ONE_BLOCK,
      min_insert_block_size_bytes: ONE_BLOCK,
      // Rows of one id in two files of a unit both land, as they would loaded apart.
      ...dedupInsertSettings(dedupToken),
    });
    await this.#command(
      `INSERT INTO ${tableRef(table, this.#options.database)} (${target})
       ${selects.join('\nUNION ALL\n')}${settings}`,
      { ...many.params, ...check.params, tenant: files[0]!.tenant, keys: files.map((f) => f.key), etags: files.map((f) => f.etag) },
      files.length === 1 ? files[0] : undefined,
    );
  }

  async insertRecords(chunk: RecordChunk, dedupToken?: string): Promise<void> {
    if (dedupToken !== undefined) checkToken(dedupToken);
    const first = chunk[0];
    if (!first) return;
    const { table } = first.file;
    if (chunk.some((p) => p.file.table !== table || p.format !== first.format)) throw new Error('one insert takes rows of one table, in one format');
    const columns = [TENANT_COLUMN, ...TABLE_COLUMNS[table], ...LINEAGE_COLUMNS];
    const loadedAt = new Date().toISOString();
    const body = Buffer.concat(chunk.map((part) => (part.format === 'json' ? jsonBody(part.rows, lineage(part.file, loadedAt)) : csvBody(table, part.header, part.rows, lineage(part.file, loadedAt)))));
    const settings = settingsClause({
      ...this.#readSettings(),
      // One chunk is one block: the parser's and the squashing thresholds are out of its reach.
      max_insert_block_size: ONE_BLOCK,
      min_insert_block_size_rows: ONE_BLOCK,
      min_insert_block_size_bytes: ONE_BLOCK,
      insert_null_as_default: 1,
      ...(dedupToken === undefined ? {} : { insert_deduplicate: 1, insert_deduplication_token: dedupToken, optimize_on_insert: 0 }),
    });
    const list = `(${columns.map((c) => quoteIdentifier(c.name)).join(', ')})`;
    // Without a token the rows go to a table function that keeps nothing: the parse is the check.
    const target = dedupToken === undefined ? `FUNCTION null({structure:String}) ${list}` : `${tableRef(table, this.#options.database)} ${list}`;
    try {
      const result = await this.#client.exec({
        query: `INSERT INTO ${target}${settings} FORMAT ${first.format === 'json' ? 'JSONEachRow' : 'CSV'}`,
        values: Readable.from([body]),
        query_params: { structure: columns.map((c) => `${c.name} ${c.type}`).join(', ') },
      });
      result.stream.destroy();
    } catch (error) {
      // The engine numbers the rows of the insert; for one file's rows they map onto the file's.
      const context = chunk.length === 1 ? { tenant: first.file.tenant, table, file: first.file.key } : { tenant: first.file.tenant, table };
      throw classifyClickHouseError(error, context, chunk.length === 1 ? { rowOffset: first.firstRow - 1 } : {});
    }
  }

  async lineages(tenant: string, table: CanonicalTable): Promise<Map<string, Map<string, number>>> {
    if ((await this.describeTables([table])).length === 0) return new Map();
    return this.#byLineage(table, '', { tenant });
  }

  async countRowsByFile(tenant: string, table: CanonicalTable, keys: readonly string[]): Promise<Map<string, Map<string, number>>> {
    if (keys.length === 0) return new Map();
    return this.#byLineage(table, 'AND _file IN {keys:Array(String)}', { tenant, keys });
  }

  async #byLineage(table: CanonicalTable, filter: string, params: Params): Promise<Map<string, Map<string, number>>> {
    const counts = new Map<string, Map<string, number>>();
    const rows = await this.#rows<{ file: string; etag: string; rows: string }>(
      `SELECT _file AS file, _etag AS etag, count() AS rows FROM ${tableRef(table, this.#options.database)}
       WHERE tenant_id = {tenant:String} ${filter} GROUP BY _file, _etag`,
      params,
    );
    for (const r of rows) {
      const byEtag = counts.get(r.file) ?? new Map<string, number>();
      byEtag.set(r.etag, Number(r.rows));
      counts.set(r.file, byEtag);
    }
    return counts;
  }

  async countInOwnPart(files: readonly FileRef[]): Promise<number[] | undefined> {
    const first = files[0];
    if (!first) return [];
    // Parts no merge has touched: each was written by one insert block (level 0, one block number).
    // Merges keep them few, and reading only them keeps this cheap however large the table grows.
    const fresh = await this.#rows<{ name: string; rows: string }>(
      `SELECT name, rows FROM system.parts WHERE database = {database:String} AND table = {table:String}
       AND active AND level = 0 AND min_block_number = max_block_number`,
      { database: this.#options.database, table: first.table },
    );
    if (fresh.length === 0) return undefined;
    const rows = await this.#rows<{ part: string; file: string; etag: string; rows: string }>(
      `SELECT _part AS part, _file AS file, _etag AS etag, count() AS rows FROM ${tableRef(first.table, this.#options.database)}
       WHERE _part IN {parts:Array(String)} AND tenant_id = {tenant:String} AND _file IN {keys:Array(String)} GROUP BY part, file, etag`,
      { parts: fresh.map((p) => p.name), tenant: first.tenant, keys: files.map((f) => f.key) },
    );
    const mine = rows.filter((r) => files.some((f) => f.key === r.file && f.etag === r.etag));
    const parts = new Set(mine.map((r) => r.part));
    if (parts.size !== 1) return undefined;
    // That part holds these files' rows and nothing else: it is their insert's, and holds every row.
    const byFile = new Map(mine.map((r) => [r.file, Number(r.rows)]));
    const counts = files.map((f) => byFile.get(f.key) ?? 0);
    const part = fresh.find((p) => parts.has(p.name))!;
    return Number(part.rows) === counts.reduce((a, b) => a + b, 0) ? counts : undefined;
  }

  async uncoveredRows(file: FileRef): Promise<number> {
    const source = await this.#source(file, sourceStructure(file.table));
    const [row] = await this.#rows<{ uncovered: string }>(
      `SELECT count() AS uncovered FROM (SELECT ${convertedColumn(file.table, 'id')} AS file_id, ${convertedColumn(file.table, 'last_updated')} AS file_version FROM ${source.sql}) AS f
       LEFT JOIN (SELECT id, max(last_updated) AS newest FROM ${tableRef(file.table, this.#options.database)}
                  WHERE tenant_id = {tenant:String} GROUP BY id) AS t ON f.file_id = t.id
       WHERE t.newest IS NULL OR t.newest < f.file_version${settingsClause({
         ...this.#readSettings(),
         input_format_skip_unknown_fields: 1,
         join_use_nulls: 1,
       })}`,
      { ...source.params, ...valueParams(TABLE_COLUMNS[file.table]), tenant: file.tenant },
      file,
    );
    return Number(row?.uncovered ?? 0);
  }

  async countFinal(tenant: string, table: CanonicalTable): Promise<number> {
    if ((await this.describeTables([table])).length === 0) return 0;
    const [row] = await this.#rows<{ n: string }>(
      `SELECT count() AS n FROM ${tableRef(table, this.#options.database)} FINAL WHERE tenant_id = {tenant:String}`,
      { tenant },
    );
    return Number(row?.n ?? 0);
  }

  async describeTables(tables: readonly CanonicalTable[]): Promise<TableEngine[]> {
    const rows = await this.#rows<{ name: string; engine: string; engine_full: string; sorting_key: string }>(
      `SELECT name, engine, engine_full, sorting_key FROM system.tables
       WHERE database = {database:String} AND name IN {names:Array(String)}`,
      { database: this.#options.database, names: [...tables] },
    );
    return rows.map((r) => ({ table: r.name, engine: r.engine, engineFull: r.engine_full, sortingKey: r.sorting_key }));
  }
}
