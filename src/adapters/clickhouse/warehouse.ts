/**
 * The Warehouse port on `@clickhouse/client`: the same code talks to embedded chDB and to a
 * ClickHouse server. Files are read in-engine by the `url()` table function from a presigned
 * GET URL (url-source.ts), so rows never pass through the JS heap and ClickHouse needs no
 * credentials for the bucket. (`s3()` would read glob characters in a key, `*?{}`, as patterns.)
 */
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import type { FileRef, FileScan, InsertBound, RecordChunk, RowProblem, TableColumns, TableEngine, Warehouse } from '../../ports.js';
import { quoteIdentifier, settingsClause, tableRef } from '../../sql.js';
import { LINEAGE_COLUMNS, TENANT_COLUMN, type ColumnSpec, type TableCatalog, type TableName } from '../../tables.js';
import { classifyClickHouseError } from './classify.js';
import { addColumnSql, createTableSql } from './ddl.js';
import { ONE_BLOCK, boundClause, describeBound, rowProblemSql, checkToken, converted, convertedColumn, dedupInsertSettings, insertColumns, sourceStructure, unitRowCheck } from './file-sql.js';
import { csvBody, jsonBody, lineage } from './record-body.js';
import { FEW_HTTP_TRIES, fileSource, manySources } from './url-source.js';
import { TEXT_READ_SETTINGS, firstMisfitSql, valueParams, valuesFitSql } from './value-sql.js';

export interface WarehouseOptions {
  database: string;
  /** A short-lived URL ClickHouse can GET the object from (a presigned S3 URL). */
  objectUrl: (key: string) => Promise<string>;
  insertBlockRows: number;
  /** The configured tables: the only ones it reads or writes. */
  tables: TableCatalog;
  /**
   * How the engine retries a failed read of a landed file: a few quick tries by default. A test
   * bed whose S3 never fails transiently reads once, so a replaced object's 412 costs no backoff.
   */
  readTries?: Record<string, number>;
}

type Params = Record<string, unknown>;

/** Files counted by one count read, at most. */
const COUNT_READ_FILES = 400;

export class ClickHouseWarehouse implements Warehouse {
  readonly #client: ClickHouseClient;
  readonly #options: WarehouseOptions;

  constructor(client: ClickHouseClient, options: WarehouseOptions) {
    this.#client = client;
    this.#options = options;
  }

  get tables(): TableCatalog {
    return this.#options.tables;
  }

  #spec(table: TableName) {
    return this.#options.tables.get(table);
  }

  #ref(table: TableName): string {
    return tableRef(table, this.#options.tables, this.#options.database);
  }

  #tries(): Record<string, number> {
    return this.#options.readTries ?? FEW_HTTP_TRIES;
  }

  /** Every file's text structure, read in the columns of its table. */
  readonly #structure = (table: TableName) => sourceStructure(this.#spec(table));

  /**
   * Parser settings shared by the scan and the insert, so both read the file the same way.
   * One thread and no parallel parsing pin how rows fall into insert blocks: a redo forms the
   * same blocks, and so the same per-block deduplication tokens.
   */
  #readSettings(): Record<string, number | string> {
    const rows = this.#options.insertBlockRows;
    return {
      input_format_skip_unknown_fields: 0,
      // Empty lines may end a CSV file (an exporter's extra line break); one between rows still fails it.
      input_format_csv_skip_trailing_empty_lines: 1,
      input_format_allow_errors_num: 0,
      input_format_allow_errors_ratio: 0,
      // The streamed path's typed insert reads only values the value rules accepted (ISO-8601).
      date_time_input_format: 'best_effort',
      session_timezone: 'UTC',
      ...TEXT_READ_SETTINGS,
      // The size a HEAD request would tell is not needed; skipping it saves a round trip a file.
      http_make_head_request: 0,
      ...this.#tries(),
      max_threads: 1,
      max_insert_threads: 1,
      input_format_parallel_parsing: 0,
      max_block_size: Math.min(rows, 65_536),
      max_insert_block_size: rows,
      min_insert_block_size_rows: rows,
      min_insert_block_size_bytes: 1 << 30,
    };
  }

  async #rows<T>(query: string, params: Params, file?: FileRef): Promise<T[]> {
    try {
      const result = await this.#client.query({ query, query_params: params, format: 'JSONEachRow' });
      return await result.json<T>();
    } catch (error) {
      throw classifyClickHouseError(error, file ? { tenant: file.tenant, table: file.table, file: file.key } : {});
    }
  }

  async #command(query: string, params: Params, file?: FileRef, bound?: InsertBound): Promise<void> {
    try {
      await this.#client.command({ query, query_params: params });
    } catch (error) {
      throw classifyClickHouseError(error, file ? { tenant: file.tenant, table: file.table, file: file.key } : {}, bound ? { bound: describeBound(bound) } : {});
    }
  }

  async ensureTables(tables: readonly TableName[]): Promise<string[]> {
    const existing = new Set((await this.describeTables(tables)).map((t) => t.table));
    const created: string[] = [];
    for (const table of tables) {
      if (existing.has(table)) continue;
      await this.#command(createTableSql(this.#options.tables, table, this.#options.database), {});
      created.push(table);
    }
    return created;
  }

  async addColumn(table: TableName, column: ColumnSpec): Promise<string> {
    const sql = addColumnSql(this.#options.tables, table, column, this.#options.database);
    await this.#command(sql, {});
    return sql;
  }

  async describeColumns(tables: readonly TableName[]): Promise<TableColumns[]> {
    const rows = await this.#rows<{ table: string; name: string; type: string }>(
      `SELECT table, name, type FROM system.columns WHERE database = {database:String} AND table IN {names:Array(String)} ORDER BY table, position`,
      { database: this.#options.database, names: [...tables] },
    );
    return tables.flatMap((table) => {
      const columns = rows.filter((r) => r.table === table).map((r) => ({ name: r.name, type: r.type }));
      return columns.length ? [{ table, columns }] : [];
    });
  }

  async fileColumns(file: FileRef): Promise<string[]> {
    const source = await fileSource(file, this.#options.objectUrl, undefined);
    const rows = await this.#rows<{ name: string }>(
      `DESCRIBE TABLE ${source.sql}${settingsClause({ input_format_max_rows_to_read_for_schema_inference: 1000, ...this.#tries() })}`,
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
    const many = await manySources(files, this.#options.objectUrl, this.#structure);
    const spec = this.#spec(files[0]!.table);
    const fit = valuesFitSql(spec.columns, spec.required);
    const problems = rowProblemSql(spec);
    if (files.some((f) => f.table !== files[0]!.table)) throw new Error('one scan reads the files of one table');
    const params: Params = { ...many.params, ...fit.params };
    const parts = many.parts.map(
      (part, i) =>
        // ignore(*) makes the engine parse every column: pruned columns would skip the checks.
        `SELECT ${part.fileIndex} AS i, count() AS rows, countIf(${problems.missing_id}) AS missing_id,
                countIf(${problems.missing_version}) AS missing_version,
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
        missingVersion: Number(row?.missing_version ?? 0),
        foreignTenant: Number(row?.foreign_tenant ?? 0),
        misfits: Number(row?.misfits ?? 0),
      };
    });
  }

  async countRows(files: readonly FileRef[]): Promise<number[]> {
    if (files.length === 0) return [];
    // JSON files are counted by their lines first: each non-empty line one JSON object is one row
    // (the engine's own JSON reader cost twice the CPU to find where rows end). A file with any
    // other line (a pretty-printed object, two on a line, an array, a byte order mark) is counted
    // again by the reader the insert uses.
    const byLines = await this.#countRows(files, true);
    const again = files.flatMap((_, i) => (byLines[i]!.odd > 0 ? [i] : []));
    const recounted = again.length ? await this.#countRows(again.map((i) => files[i]!), false) : [];
    const rows = byLines.map((count) => count.rows);
    again.forEach((i, n) => (rows[i] = recounted[n]!.rows));
    return rows;
  }

  /** Each file's rows; `odd`, when read as lines: its non-empty lines that are no JSON object. */
  async #countRows(files: readonly FileRef[], jsonAsLines: boolean): Promise<{ rows: number; odd: number }[]> {
    const counts: { rows: number; odd: number }[] = [];
    // A few hundred files a query keep its text well under the engine's max_query_size.
    for (let at = 0; at < files.length; at += COUNT_READ_FILES) counts.push(...(await this.#countSome(files.slice(at, at + COUNT_READ_FILES), jsonAsLines)));
    return counts;
  }

  async #countSome(files: readonly FileRef[], jsonAsLines: boolean): Promise<{ rows: number; odd: number }[]> {
    const many = await manySources(files, this.#options.objectUrl, this.#structure, { jsonAsLines });
    // Each read gives its file's position and a line a row; a file read by its own reader gives
    // '{}' a row, one JSON object. Counted once over all the reads: counted in each read, the
    // engine plans as many aggregations.
    const reads = many.parts.map((part) => `SELECT ${part.fileIndex} AS i, ${part.lines ? 'line' : "'{}' AS line"} FROM ${part.from}`);
    const rows = await this.#rows<{ i: string; rows: string; odd: string }>(
      // A count read from the object itself: never an answer the engine kept from an earlier
      // read (the audit must not agree with the insert it checks), and no HEAD request a file.
      `SELECT i, countIf(line != '') AS rows, countIf(line != '' AND NOT (startsWith(line, '{') AND isValidJSON(line))) AS odd
       FROM (${reads.join('\nUNION ALL\n')}) GROUP BY i${settingsClause({ ...this.#readSettings(), max_threads: 0, use_cache_for_count_from_files: 0, optimize_count_from_files: 0,
        // No column is read, so none is parsed: the reader only finds where each row ends.
        input_format_skip_unknown_fields: 1 })}`,
      many.params,
      files.length === 1 ? files[0] : undefined,
    );
    const byIndex = new Map(rows.map((r) => [Number(r.i), { rows: Number(r.rows), odd: Number(r.odd) }]));
    return files.map((_, i) => byIndex.get(i + 1) ?? { rows: 0, odd: 0 });
  }

  async locateRow(file: FileRef, problem: RowProblem): Promise<number | undefined> {
    const source = await fileSource(file, this.#options.objectUrl, this.#structure(file.table));
    const [row] = await this.#rows<{ row: string }>(
      // The outer query uses _all so the engine still parses every column (see scanFile).
      `SELECT row FROM (SELECT rowNumberInAllBlocks() + 1 AS row, (${rowProblemSql(this.#spec(file.table))[problem]}) AS bad, ignore(*) AS _all FROM ${source.sql})
       WHERE bad AND _all = 0 LIMIT 1${settingsClause(this.#readSettings())}`,
      { ...source.params, tenant: file.tenant },
      file,
    );
    return row ? Number(row.row) : undefined;
  }

  async locateMisfit(file: FileRef): Promise<{ row: number; column: string; value: string } | undefined> {
    const source = await fileSource(file, this.#options.objectUrl, this.#structure(file.table));
    const spec = this.#spec(file.table);
    const misfit = firstMisfitSql(spec.columns, spec.required);
    const [row] = await this.#rows<{ row: string; column: string; value: string }>(
      `SELECT row, column, value FROM (SELECT rowNumberInAllBlocks() + 1 AS row, ${misfit.column} AS column, ${misfit.value} AS value, ignore(*) AS _all FROM ${source.sql})
       WHERE column != '' AND _all = 0 LIMIT 1${settingsClause(this.#readSettings())}`,
      { ...source.params, ...valueParams(spec.columns) },
      file,
    );
    return row ? { row: Number(row.row), column: row.column, value: row.value } : undefined;
  }

  /**
   * A file the check read passed. The insert reads its tenant_id too: a column no SELECT names is
   * pruned from the read, and the reader then refuses the file's header or key as unknown.
   */
  async insertFile(file: FileRef, dedupToken: string, bound?: InsertBound): Promise<void> {
    checkToken(dedupToken);
    const source = await fileSource(file, this.#options.objectUrl, this.#structure(file.table));
    const spec = this.#spec(file.table);
    const { target } = insertColumns(spec);
    const limit = boundClause(bound);
    await this.#command(
      `INSERT INTO ${this.#ref(file.table)} (${target})
       SELECT {tenant:String}, ${converted(spec).join(', ')}, {file:String}, {etag:String}, now64(3)
       FROM ${source.sql}
       WHERE throwIf(${rowProblemSql(spec).foreign_tenant}, 'a row names another tenant') = 0${limit.where}${settingsClause({ ...this.#readSettings(), ...dedupInsertSettings(dedupToken), ...limit.settings })}`,
      { ...source.params, ...valueParams(spec.columns), ...limit.params, tenant: file.tenant, file: file.key, etag: file.etag },
      file,
      bound,
    );
  }

  async insertUnit(files: readonly FileRef[], dedupToken: string, bound?: InsertBound): Promise<void> {
    checkToken(dedupToken);
    if (files.length === 0) return;
    const table = files[0]!.table;
    if (files.some((f) => f.table !== table || f.tenant !== files[0]!.tenant)) throw new Error('a load unit holds the files of one tenant x table');
    const many = await manySources(files, this.#options.objectUrl, this.#structure);
    const spec = this.#spec(table);
    const { target } = insertColumns(spec);
    const check = unitRowCheck(spec);
    const limit = boundClause(bound);
    // The checks and conversions are written once, over all the unit's reads: repeated in each
    // read's SELECT they cost the engine more to plan (hundreds of milliseconds for 50 files) than
    // the rows cost to read. _loaded_at is onceload's own name, no column's and no virtual one.
    const columns = [...spec.columns.map((c) => quoteIdentifier(c.name)), 'tenant_id'].join(', ');
    const reads = many.parts.map((part) => `SELECT ${columns}, ${part.fileIndex} AS _loaded_at FROM ${part.from}`);
    const settings = settingsClause({
      ...this.#readSettings(),
      // The files are read in parallel; one insert thread squashing everything into one block
      // makes the unit one part under one token, whatever order the rows arrived in.
      max_threads: 0,
      max_insert_threads: 1,
      min_insert_block_size_rows: ONE_BLOCK,
      min_insert_block_size_bytes: ONE_BLOCK,
      // Pushed down into each read, the check would be planned once a file again.
      query_plan_filter_push_down: 0,
      // Rows of one id in two files of a unit both land, as they would loaded apart.
      ...dedupInsertSettings(dedupToken),
      ...limit.settings,
    });
    await this.#command(
      `INSERT INTO ${this.#ref(table)} (${target})
       SELECT {tenant:String}, ${converted(spec).join(', ')}, {keys:Array(String)}[_loaded_at], {etags:Array(String)}[_loaded_at], now64(3)
       FROM (${reads.join('\nUNION ALL\n')})
       WHERE throwIf(${check.sql}, 'a row has no id or version, names another tenant, or holds a value its column does not accept') = 0${limit.where}${settings}`,
      { ...many.params, ...check.params, ...limit.params, tenant: files[0]!.tenant, keys: files.map((f) => f.key), etags: files.map((f) => f.etag) },
      files.length === 1 ? files[0] : undefined,
      bound,
    );
  }

  async insertRecords(chunk: RecordChunk, dedupToken?: string): Promise<void> {
    if (dedupToken !== undefined) checkToken(dedupToken);
    const first = chunk[0];
    if (!first) return;
    const { table } = first.file;
    if (chunk.some((p) => p.file.table !== table)) throw new Error('one insert takes rows of one table');
    const columns = [TENANT_COLUMN, ...this.#spec(table).columns, ...LINEAGE_COLUMNS];
    const loadedAt = new Date().toISOString();
    const body = Buffer.concat(chunk.map((part) => (part.format === 'json' ? jsonBody(part.rows, lineage(part.file, loadedAt)) : csvBody(part.header, part.rows, lineage(part.file, loadedAt)))));
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
    const target = dedupToken === undefined ? `FUNCTION null({structure:String}) ${list}` : `${this.#ref(table)} ${list}`;
    try {
      const result = await this.#client.exec({
        query: `INSERT INTO ${target}${settings} FORMAT JSONEachRow`,
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

  async lineages(tenant: string, table: TableName): Promise<Map<string, Map<string, number>>> {
    if ((await this.describeTables([table])).length === 0) return new Map();
    return this.#byLineage(table, '', { tenant });
  }

  async countRowsByFile(tenant: string, table: TableName, keys: readonly string[]): Promise<Map<string, Map<string, number>>> {
    if (keys.length === 0) return new Map();
    return this.#byLineage(table, 'AND _file IN {keys:Array(String)}', { tenant, keys });
  }

  async #byLineage(table: TableName, filter: string, params: Params): Promise<Map<string, Map<string, number>>> {
    const counts = new Map<string, Map<string, number>>();
    const rows = await this.#rows<{ file: string; etag: string; rows: string }>(
      `SELECT _file AS file, _etag AS etag, count() AS rows FROM ${this.#ref(table)}
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
      `SELECT _part AS part, _file AS file, _etag AS etag, count() AS rows FROM ${this.#ref(first.table)}
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
    const source = await fileSource(file, this.#options.objectUrl, this.#structure(file.table));
    const spec = this.#spec(file.table);
    // A row is covered by the table's newest row of the same sorting key (tenant_id aside): a key
    // of several columns must match on all of them, or another key's row would cover a lost one.
    const key = spec.sortingKey.filter((c) => c !== 'tenant_id');
    const fileKey = key.map((c, i) => `${convertedColumn(spec, c)} AS k${i}`).join(', ');
    const tableKey = key.map((c, i) => `${quoteIdentifier(c)} AS k${i}`).join(', ');
    const on = key.map((_, i) => `f.k${i} = t.k${i}`).join(' AND ');
    const [row] = await this.#rows<{ uncovered: string }>(
      `SELECT count() AS uncovered FROM (SELECT ${fileKey}, ${convertedColumn(spec, spec.version)} AS file_version FROM ${source.sql}) AS f
       LEFT JOIN (SELECT ${tableKey}, max(${quoteIdentifier(spec.version)}) AS newest FROM ${this.#ref(file.table)}
                  WHERE tenant_id = {tenant:String} GROUP BY ${key.map((_, i) => `k${i}`).join(', ')}) AS t ON ${on}
       WHERE t.newest IS NULL OR t.newest < f.file_version${settingsClause({
         ...this.#readSettings(),
         input_format_skip_unknown_fields: 1,
         join_use_nulls: 1,
       })}`,
      { ...source.params, ...valueParams(spec.columns), tenant: file.tenant },
      file,
    );
    return Number(row?.uncovered ?? 0);
  }

  async countFinal(tenant: string, table: TableName): Promise<number> {
    if ((await this.describeTables([table])).length === 0) return 0;
    const [row] = await this.#rows<{ n: string }>(
      `SELECT count() AS n FROM ${this.#ref(table)} FINAL WHERE tenant_id = {tenant:String}`,
      { tenant },
    );
    return Number(row?.n ?? 0);
  }

  async countFinalByTenant(table: TableName, tenants: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map(tenants.map((t) => [t, 0]));
    if (tenants.length === 0 || (await this.describeTables([table])).length === 0) return counts;
    const rows = await this.#rows<{ tenant: string; n: string }>(
      `SELECT tenant_id AS tenant, count() AS n FROM ${this.#ref(table)} FINAL WHERE tenant_id IN {tenants:Array(String)} GROUP BY tenant_id`,
      { tenants },
    );
    for (const row of rows) counts.set(row.tenant, Number(row.n));
    return counts;
  }

  async hasRows(tenant: string, table: TableName): Promise<boolean> {
    if ((await this.describeTables([table])).length === 0) return false;
    const rows = await this.#rows<{ one: number }>(`SELECT 1 AS one FROM ${this.#ref(table)} WHERE tenant_id = {tenant:String} LIMIT 1`, { tenant });
    return rows.length > 0;
  }

  async describeTables(tables: readonly TableName[]): Promise<TableEngine[]> {
    const rows = await this.#rows<{ name: string; engine: string; engine_full: string; sorting_key: string }>(
      `SELECT name, engine, engine_full, sorting_key FROM system.tables
       WHERE database = {database:String} AND name IN {names:Array(String)}`,
      { database: this.#options.database, names: [...tables] },
    );
    return rows.map((r) => ({ table: r.name, engine: r.engine, engineFull: r.engine_full, sortingKey: r.sorting_key }));
  }
}
