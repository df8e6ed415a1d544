/**
 * The ports the pipeline's logic talks through. One params object in, a typed result out;
 * no SDK type crosses them, so the embedded runtime and AWS differ only in which adapters
 * they wire.
 */
import type { Readable } from 'node:stream';
import type { CanonicalTable } from './tables.js';

export interface TenantRecord {
  tenantId: string;
  service: string;
  enabled: boolean;
  /** Tables this tenant lands; all canonical tables when absent. */
  tables?: CanonicalTable[];
  /** Its schedule: a `due` run takes it once this long has passed since its last success; every run when absent. */
  everySeconds?: number;
  /** Start time (ISO) of the latest execution that validated with this tenant in it. */
  lastSuccessAt?: string;
}

export interface TenantDirectory {
  list(): Promise<TenantRecord[]>;
  /** Adds or replaces a tenant's settings; keeps its last success unless `lastSuccessAt` is given. */
  put(tenant: TenantRecord): Promise<void>;
  /** Sets the tenants' last success to `at` (ISO) where it is older, so a late, older run never moves it back. */
  recordSuccess(tenantIds: string[], at: string): Promise<void>;
}

/** An object in the landing bucket. */
export interface LandedFile {
  key: string;
  etag: string;
  size: number;
}

export interface ObjectStore {
  list(prefix: string): Promise<LandedFile[]>;
  /** A URL that lets its holder GET one object for a short while. */
  presignGet(key: string): Promise<string>;
  /** The bytes of the object's version `etag`, as they arrive; a NOT_FOUND PermanentError once that version is gone. */
  read(key: string, etag: string): Promise<Readable>;
}

export type FileStatus = 'loading' | 'loaded' | 'failed' | 'reset';

export interface LedgerEntry {
  tenant: string;
  table: CanonicalTable;
  key: string;
  etag: string;
  size: number;
  status: FileStatus;
  /** Bumped by an operator reset, so the file is loaded again under a new dedup token. */
  generation: number;
  runId: string;
  /** Rows read from the file (loaded files). */
  rows?: number;
  error?: string;
  /** The load unit a `loading` claim belongs to; absent when the file loads alone, in blocks. */
  unit?: string;
  startedAt: string;
  updatedAt: string;
}

/** One unit of exactly-once: a file version under a generation. */
export interface FileVersion {
  tenant: string;
  table: CanonicalTable;
  key: string;
  etag: string;
  size: number;
  generation: number;
}

export type ClaimOutcome =
  | { outcome: 'claimed' }
  | { outcome: 'done'; entry: LedgerEntry }
  /** A live attempt of another run holds the file. */
  | { outcome: 'busy'; entry: LedgerEntry }
  /** A dead attempt (or an earlier attempt of this run) holds the file in a way this claim may not take over. */
  | { outcome: 'held'; entry: LedgerEntry };

/** One file version of a load unit. */
export interface UnitMember {
  key: string;
  etag: string;
  size: number;
  generation: number;
}

/**
 * Files inserted together by one INSERT that writes one block under one deduplication token.
 * Recorded before its insert starts, so whoever finishes it inserts exactly these files again.
 */
export interface LoadUnit {
  tenant: string;
  table: CanonicalTable;
  id: string;
  /** The run that recorded it. */
  runId: string;
  members: UnitMember[];
  createdAt: string;
}

export interface Ledger {
  /** Every ledger entry of one tenant x table, by key (one Query, paginated). */
  listItem(tenant: string, table: CanonicalTable): Promise<Map<string, LedgerEntry>>;
  /** One entry, read consistently. */
  get(file: { tenant: string; table: CanonicalTable; key: string }): Promise<LedgerEntry | undefined>;
  /**
   * Takes the `loading` claim unless the version is done or held. With `unit`, the claim joins that
   * load unit and takes no file another attempt left `loading` (its insert may have landed under
   * its own token); without, it takes over only a dead or own claim of a file loading alone.
   */
  claim(file: FileVersion, runId: string, staleBefore: Date, unit?: string): Promise<ClaimOutcome>;
  /**
   * Takes over a `loading` claim of a dead attempt (or an earlier attempt of this run) held in unit
   * `from`, moving it to unit `to` (the same unit, to finish it; or none, to load the file alone).
   * False when the claim is no longer that one.
   */
  takeOver(file: FileVersion, from: string, to: string | undefined, runId: string, staleBefore: Date): Promise<boolean>;
  /** Records a unit's composition; it never changes afterwards. */
  recordUnit(unit: LoadUnit): Promise<void>;
  getUnit(tenant: string, table: CanonicalTable, id: string): Promise<LoadUnit | undefined>;
  markLoaded(file: FileVersion, runId: string, rows: number): Promise<void>;
  markFailed(file: FileVersion, runId: string, error: string): Promise<void>;
  /** Gives up a claim after a transient error, so the retry need not wait for it to go stale. */
  release(file: Pick<FileVersion, 'tenant' | 'table' | 'key'>, runId: string): Promise<void>;
  /** Marks entries for reloading under a new generation; returns how many. */
  reset(params: { tenant: string; table: CanonicalTable; key?: string; status?: FileStatus }): Promise<number>;
}

/** A landed file as the warehouse reads it. */
export interface FileRef {
  tenant: string;
  table: CanonicalTable;
  key: string;
  /** The `_etag` lineage value its rows carry (see `lineageEtag`). */
  etag: string;
}

export interface FileScan {
  rows: number;
  missingId: number;
  missingLastUpdated: number;
  foreignTenant: number;
}

export type RowProblem = 'missing_id' | 'missing_last_updated' | 'foreign_tenant';

/** Rows of one file the Load read itself: JSON objects as text, or CSV fields under the file's header. */
export type RecordPart = { file: FileRef; /** The file's row number of the first row. */ firstRow: number } & (
  | { format: 'json'; rows: string[] }
  | { format: 'csv'; header: string[]; rows: string[][] }
);

/** The rows of one insert: parts of one or more files, all JSON or all CSV. */
export type RecordChunk = RecordPart[];

export interface TableEngine {
  table: string;
  engine: string;
  engineFull: string;
  sortingKey: string;
}

export interface Warehouse {
  /** Creates the missing canonical tables; never alters, drops or truncates one. Returns those created. */
  ensureTables(tables: readonly CanonicalTable[]): Promise<string[]>;
  /** Column names of the file, by the engine's schema inference. */
  fileColumns(file: FileRef): Promise<string[]>;
  /** Reads the whole file once with the insert's parser, counting rows and problems. */
  scanFile(file: FileRef): Promise<FileScan>;
  /** Scans several files in one query (engines run one query at a time faster than many small ones); fails if any file does. */
  scanFiles(files: readonly FileRef[]): Promise<FileScan[]>;
  /** The first 1-based row with a problem, or undefined. */
  locateRow(file: FileRef, problem: RowProblem): Promise<number | undefined>;
  /** Inserts the file with its deduplication token, in blocks of the pinned size, so a redo adds nothing. */
  insertFile(file: FileRef, dedupToken: string): Promise<void>;
  /**
   * Inserts several files in one INSERT that writes exactly one block under `dedupToken`: a redo
   * of the same files with the same token adds nothing, however the engine ordered the rows. It
   * checks every row as it reads (an id, a version, no other tenant), so a bad row anywhere fails
   * the whole insert with nothing written. The files must fit one block in memory (the caller
   * bounds their bytes).
   */
  insertUnit(files: readonly FileRef[], dedupToken: string): Promise<void>;
  /** Rows in each file as the engine parses them, read from the files (a count: no column is parsed). */
  countRows(files: readonly FileRef[]): Promise<number[]>;
  /**
   * Inserts rows the Load read from files, each with its file's lineage, as one block under
   * `dedupToken`; without a token, only parses them as the insert would and writes nothing.
   */
  insertRecords(chunk: RecordChunk, dedupToken?: string): Promise<void>;
  /** Raw row counts per file version (`_file`, `_etag`) of one tenant x table. */
  countRowsByFile(tenant: string, table: CanonicalTable, keys: readonly string[]): Promise<Map<string, Map<string, number>>>;
  /**
   * Each file's rows, counted in the table, if the files' rows are all in one part written by one
   * insert that no merge has touched and that holds nothing else; otherwise undefined.
   */
  countInOwnPart(files: readonly FileRef[]): Promise<number[] | undefined>;
  /** Rows of the file with no row of the same id and an equal or newer version in the table. */
  uncoveredRows(file: FileRef): Promise<number>;
  /** `count() FINAL` of one tenant x table; 0 when the table does not exist. */
  countFinal(tenant: string, table: CanonicalTable): Promise<number>;
  describeTables(tables: readonly CanonicalTable[]): Promise<TableEngine[]>;
}
