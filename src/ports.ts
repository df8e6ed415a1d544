/**
 * The ports the pipeline's logic talks through. One params object in, a typed result out;
 * no SDK type crosses them, so the embedded runtime and AWS differ only in which adapters
 * they wire.
 */
import type { Readable } from 'node:stream';
import type { ColumnSpec, TableCatalog, TableName } from './tables.js';

export interface TenantRecord {
  tenantId: string;
  service: string;
  enabled: boolean;
  /** Tables this tenant lands; all canonical tables when absent. */
  tables?: TableName[];
  /** Its schedule: a `due` run takes it once this long has passed since its last success; every run when absent. */
  everySeconds?: number;
  /** Start time (ISO) of the latest execution that validated with this tenant in it. */
  lastSuccessAt?: string;
  /** Its start point (src/lib/start-point.ts): versions last modified before this ISO instant are skipped, not loaded. */
  since?: string;
  /** Its start point: keys, relative to each table folder, at or before this one are skipped, not loaded. */
  startAfter?: string;
}

export interface TenantDirectory {
  list(): Promise<TenantRecord[]>;
  /** Adds or replaces a tenant's settings; keeps its last success unless `lastSuccessAt` is given. */
  put(tenant: TenantRecord): Promise<void>;
  /**
   * Writes the tenants whole, as given, in batches (`tenants import`): a tenant already there is
   * replaced, last success included, so give only tenants that are new. `onWritten` is told the
   * running count as batches land. No two may share a tenant id.
   */
  putMany(tenants: TenantRecord[], onWritten?: (written: number) => void): Promise<void>;
  /** Sets the tenants' last success to `at` (ISO) where it is older, so a late, older run never moves it back. */
  recordSuccess(tenantIds: string[], at: string): Promise<void>;
  /** Deletes the tenant (its ledger items stay); false when there was none. */
  remove(tenantId: string): Promise<boolean>;
}

/** An object in the landing bucket. */
export interface LandedFile {
  key: string;
  etag: string;
  size: number;
  /** S3's LastModified (ISO), when the listing gives it: what a tenant's `since` is compared with. */
  lastModified?: string;
}

/** One level of a prefix: the folders just under it, and the objects directly in it. */
export interface FolderListing {
  folders: string[];
  files: LandedFile[];
}

export interface ObjectStore {
  list(prefix: string): Promise<LandedFile[]>;
  /** The folders and objects one level under `prefix` (a delimiter listing: folders cost no listing of their objects). */
  listFolder(prefix: string): Promise<FolderListing>;
  /** A URL that lets its holder GET one object for a short while. */
  presignGet(key: string): Promise<string>;
  /** The bytes of the object's version `etag`, as they arrive; a NOT_FOUND PermanentError once that version is gone. */
  read(key: string, etag: string): Promise<Readable>;
}

/** A tenant x table with objects landed (or deleted) since its folder was last listed. */
export interface ArrivalMark {
  tenant: string;
  table: string;
  /** ISO time of the latest arrival. */
  arrivedAt: string;
}

/**
 * Arrival marks: what a scheduled tick reads instead of listing every tenant's folders. S3 event
 * notifications (locally, the landing sync) mark; a Plan that has listed the item clears.
 */
export interface ArrivalMarks {
  /** Marks the item; a later arrival moves `arrivedAt` forward, never back. */
  mark(tenant: string, table: string, at: string): Promise<void>;
  list(): Promise<ArrivalMark[]>;
  /** Clears the mark unless something arrived after `listedAt` (the item's listing time). */
  clear(tenant: string, table: string, listedAt: string): Promise<void>;
  /** Start time (ISO) of the last full sweep: a tick that listed every item. */
  lastSweep(): Promise<string | undefined>;
  recordSweep(at: string): Promise<void>;
  /** Makes the next scheduled tick a sweep (after tenants are imported in bulk). */
  requestSweep(): Promise<void>;
}

/** An execution of the pipeline's state machine that has not ended. */
export interface RunningExecution {
  name: string;
  /** ISO start time. */
  startedAt: string;
}

/** The pipeline's executions still running: a scheduled tick skips itself while an earlier one runs. */
export interface ExecutionDirectory {
  running(stateMachine: string): Promise<RunningExecution[]>;
}

/** The runs bucket: what a run writes that grows with tenants and files (see src/lib/run-layout.ts). */
export interface RunStore {
  readonly bucket: string;
  put(key: string, body: string): Promise<void>;
  /** The object's text, or undefined when there is none. */
  get(key: string): Promise<string | undefined>;
  /** The folders one level under `prefix` (`runs/<run-id>/`), in key order. */
  folders(prefix: string): Promise<string[]>;
}

/**
 * `superseded`: the object changed before this version's insert read it; neither loaded nor failed.
 * `gone`: the object was deleted from the bucket while its entry was failed, reset, superseded or an
 * unbound claim whose lease had ended: nothing of it is in the table, and it is no longer warned about.
 * `skipped`: before its tenant's start point (src/lib/start-point.ts) when a Plan listed it: never
 * loaded; a reset, a start point moved back, or a new version after the start point loads it.
 */
export type FileStatus = 'loading' | 'loaded' | 'failed' | 'reset' | 'superseded' | 'gone' | 'skipped';

/** Why a landed object is not loaded (see README, "Every landed object is accounted for"). */
export type IgnoreReason = 'unknown-extension' | 'unknown-table' | 'table-not-enabled' | 'unregistered-tenant' | 'outside-layout';

/** A landed object onceload does not load, recorded once per version. */
export interface IgnoredObject {
  key: string;
  etag: string;
  size: number;
  reason: IgnoreReason;
  /** The run that first saw this version, and when. */
  runId: string;
  seenAt: string;
}

export interface LedgerEntry {
  tenant: string;
  table: TableName;
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
  /** The error's code (`WRONG_TYPE`, ...) of a failed version. */
  errorCode?: string;
  /** Where in the file the error is, when it names a row and a column (the load log's columns). */
  errorRow?: number;
  errorColumn?: string;
  /** The attempt holding a `loading` claim, and when its lease ends (the end of its invocation). */
  attempt?: string;
  leaseUntil?: string;
  /** The load unit a `loading` claim is bound to; absent while its files are still being checked. */
  unit?: string;
  /**
   * Rows the check read counted, recorded on a `loading` claim of a file alone before its insert:
   * a redo that can no longer read the version knows whether the rows it finds are all of them.
   */
  checkedRows?: number;
  /**
   * When every insert of a file alone sent so far under this claim is certainly over (the
   * lease of the last holder to note its checked rows, plus its insert's bound past it and the
   * writing of its last block). `earlierInsertsOverAt`: the same for the holders before the present one, taken
   * at each take-over: what a holder that can no longer read the version must wait out before
   * the table's rows of it say whether it landed.
   */
  insertsOverAt?: string;
  earlierInsertsOverAt?: string;
  /** Every version (`etag/generation`) of this key ever loaded, so an older claim never makes one look unloaded. */
  loadedVersions?: string[];
  startedAt: string;
  updatedAt: string;
}

/** One unit of exactly-once: a file version under a generation. */
export interface FileVersion {
  tenant: string;
  table: TableName;
  key: string;
  etag: string;
  size: number;
  generation: number;
}

/**
 * One invocation doing work: claims carry its id, and its lease ends with the invocation, so
 * another attempt may take its work over only once it can no longer be running.
 */
export interface Attempt {
  id: string;
  runId: string;
  leaseUntil: Date;
}

export type ClaimOutcome =
  | { outcome: 'claimed' }
  | { outcome: 'done'; entry: LedgerEntry }
  /** A live attempt holds the file (this version or another). */
  | { outcome: 'busy'; entry: LedgerEntry }
  /** An attempt whose lease has ended holds the file: its work must be fenced or finished first. */
  | { outcome: 'expired'; entry: LedgerEntry };

/** One file version of a load unit. */
export interface UnitMember {
  key: string;
  etag: string;
  size: number;
  generation: number;
}

/**
 * `open`: its opener is binding the members' claims to it, and no insert has started; only its
 * opener may seal it, and anyone may abandon it once the opener's lease has ended.
 * `sealed`: every member's claim is bound to it; whoever finishes it inserts exactly these
 * members under its token. `split`: its insert failed for a member's fault and wrote nothing;
 * its members load alone. `abandoned`: never sealed, so never inserted; it may be opened again.
 */
export type UnitState = 'open' | 'sealed' | 'split' | 'abandoned';

/**
 * Files inserted by one insert under one deduplication token (`unit`: one block), or one file
 * inserted alone in blocks of a pinned size (`alone`). Its id is derived from its mode and its
 * members' versions, so the same work always has the same id and token.
 */
export interface LoadUnit {
  tenant: string;
  table: TableName;
  id: string;
  mode: 'unit' | 'alone';
  members: UnitMember[];
  state: UnitState;
  /**
   * The attempt that holds it, and its lease: its opener while it is open; once sealed, the last
   * attempt to send its insert, so every insert of it sent so far ends by then (load-unit.ts).
   */
  attempt: string;
  leaseUntil: string;
  /** The run that opened it. */
  runId: string;
  createdAt: string;
}

/**
 * How far an in-engine insert may run, from its attempt's lease: the engine reads no row of it
 * after `deadline` (by the engine's own clock, block by block, however late the insert started)
 * and ends it `seconds` after it started; so whoever waits for it knows when it is over.
 */
export interface InsertBound {
  deadline: Date;
  seconds: number;
}

/**
 * The ledger's conditional writes. Every rule of the claim protocol (src/lib/claims.ts) is one
 * condition here, so two attempts can never both believe they own a file or a unit.
 */
export interface Ledger {
  /** Every ledger entry of one tenant x table, by key (one Query, paginated). */
  listItem(tenant: string, table: TableName): Promise<Map<string, LedgerEntry>>;
  /** One entry, read consistently. */
  get(file: { tenant: string; table: TableName; key: string }): Promise<LedgerEntry | undefined>;
  /**
   * Claims the version for `attempt` (`loading`, bound to no unit) if it is new, reset at this
   * generation, or the key holds another version that is not loading (or whose abandoned claim
   * is bound to no unit), and this version was never loaded.
   */
  claim(file: FileVersion, attempt: Attempt, now: Date): Promise<ClaimOutcome>;
  /**
   * Takes over the claim `from` holds on this version if its lease ended before `now`, the
   * attempt's own lease runs past `now`, and it is still bound to `unit` (or to none); the
   * binding stays.
   */
  takeOver(file: FileVersion, from: { attempt: string; unit: string | undefined }, attempt: Attempt, now: Date): Promise<boolean>;
  /** Binds the attempt's claim to `unit` (or to none); false when the attempt no longer holds it. */
  bind(file: FileVersion, attempt: Attempt, unit: string | undefined): Promise<boolean>;
  /**
   * Records the rows the check read of a file alone counted on the attempt's claim, and when the
   * insert it is about to send is certainly over; false when it no longer holds it.
   */
  noteChecked(file: FileVersion, attempt: Attempt, rows: number, insertOverAt: Date): Promise<boolean>;
  /**
   * Ends the attempt's lease on its claim at once, its own insert being over: only the inserts of
   * the holders before it are still to be waited out (`insertsOverAt` goes back to theirs).
   */
  standAside(file: FileVersion, attempt: Attempt): Promise<boolean>;
  /** Records the unit `open` for its attempt, if it is absent or abandoned; false otherwise. */
  openUnit(unit: LoadUnit): Promise<boolean>;
  /** `open` -> `sealed`, only by the attempt that opened it. */
  sealUnit(unit: Pick<LoadUnit, 'tenant' | 'table' | 'id'>, attempt: Attempt): Promise<boolean>;
  /** `open` whose lease ended before `now` (or absent) -> `abandoned`: its opener can no longer seal it. */
  abandonUnit(unit: Pick<LoadUnit, 'tenant' | 'table' | 'id'>, now: Date): Promise<boolean>;
  /**
   * A sealed unit passes to `to` (an attempt about to send its insert, or back to the one before
   * it) if it still names the attempt and lease `unit` names; false otherwise.
   */
  takeUnit(unit: Pick<LoadUnit, 'tenant' | 'table' | 'id' | 'attempt' | 'leaseUntil'>, to: Pick<LoadUnit, 'attempt' | 'leaseUntil'>): Promise<boolean>;
  /** `sealed` -> `split`. */
  splitUnit(unit: Pick<LoadUnit, 'tenant' | 'table' | 'id'>): Promise<boolean>;
  getUnit(tenant: string, table: TableName, id: string): Promise<LoadUnit | undefined>;
  /** Records the outcome of a version whose claim `attempt` holds; false when it no longer does. */
  settle(file: FileVersion, attempt: Attempt, outcome: { status: 'loaded'; rows: number } | { status: 'failed'; error: string; code?: string; row?: number; column?: string } | { status: 'superseded' }): Promise<boolean>;
  /**
   * Records the version `skipped` (before its tenant's start point) if the key has no entry, or
   * holds another version at `file.generation` that is not loading, or this version superseded,
   * gone or skipped; never a version ever loaded. False when the condition did not hold.
   */
  recordSkipped(file: FileVersion, runId: string, now: Date): Promise<boolean>;
  /** Ends the attempt's lease on its claim, so the next attempt may take it over at once. */
  release(file: FileVersion, attempt: Attempt): Promise<void>;
  /** Ends every lease at once (their owners are known to be dead); returns how many. */
  expireLeases(): Promise<number>;
  /**
   * The ignored objects recorded in one scope (a tenant's folder, or `*` for the bucket's top
   * level), those whose key starts with `prefix` when given. They live apart from the file
   * entries, so an ignored record never stands in the way of a claim.
   */
  listIgnored(scope: string, prefix?: string): Promise<IgnoredObject[]>;
  /** Records (or replaces) one ignored object version. */
  recordIgnored(scope: string, object: IgnoredObject): Promise<void>;
  /** Forgets an ignored object that is no longer landed, or no longer ignored. */
  forgetIgnored(scope: string, key: string): Promise<void>;
  /**
   * Retires the entry of a deleted object as `gone`, if it still holds this version and is
   * failed, reset, superseded, or a claim bound to no unit whose lease ended before `now`;
   * never a loaded one (its rows are in the table). The entry takes the next generation, so an
   * object landed again is loaded as new work. False when the condition did not hold.
   */
  retireGone(entry: Pick<LedgerEntry, 'tenant' | 'table' | 'key' | 'etag' | 'generation' | 'loadedVersions'>, now: Date): Promise<boolean>;
  /** Marks entries for reloading under a new generation; returns how many. */
  reset(params: { tenant: string; table: TableName; key?: string; status?: FileStatus }): Promise<number>;
}

/** A landed file as the warehouse reads it. */
export interface FileRef {
  tenant: string;
  table: TableName;
  key: string;
  /** The `_etag` lineage value its rows carry (see `lineageEtag`). */
  etag: string;
  /** The object's ETag the read is pinned to (S3 `If-Match`): a replaced object answers 412. */
  version?: string;
}

export interface FileScan {
  rows: number;
  missingId: number;
  missingVersion: number;
  foreignTenant: number;
  /** Rows holding a value its column does not accept (see value-rules.ts). */
  misfits: number;
}

/** The first value of a file its column does not accept. */
export interface Misfit {
  row: number;
  column: string;
  value: string;
}

export type RowProblem = 'missing_id' | 'missing_version' | 'foreign_tenant';

/** A CSV field as the engine reads it: its text (`""` an empty one), or null for no value. */
export type CsvField = string | null;

/** Rows of one file the Load read itself: JSON objects as text, or CSV fields under the file's header. */
export type RecordPart = { file: FileRef; /** The file's row number of the first row. */ firstRow: number } & (
  | { format: 'json'; rows: string[] }
  | { format: 'csv'; header: string[]; rows: CsvField[][] }
);

/** The rows of one insert: parts of one or more files of one table. */
export type RecordChunk = RecordPart[];

export interface TableEngine {
  table: string;
  engine: string;
  engineFull: string;
  sortingKey: string;
}

/** A table's columns as the engine has them (`system.columns`), in table order. */
export interface TableColumns {
  table: string;
  columns: { name: string; type: string }[];
}

export interface Warehouse {
  /** The configured tables: the only ones it reads or writes, with their columns and keys. */
  readonly tables: TableCatalog;
  /** Creates the missing configured tables; never alters, drops or truncates one. Returns those created. */
  ensureTables(tables: readonly TableName[]): Promise<string[]>;
  /** Adds a configured column to its table (`tables migrate`, never a run); returns the statement. */
  addColumn(table: TableName, column: ColumnSpec): Promise<string>;
  /** The columns of those of `tables` that exist. */
  describeColumns(tables: readonly TableName[]): Promise<TableColumns[]>;
  /** Column names of the file, by the engine's schema inference. */
  fileColumns(file: FileRef): Promise<string[]>;
  /** Reads the whole file once with the insert's parser, counting rows and problems. */
  scanFile(file: FileRef): Promise<FileScan>;
  /** Scans several files in one query (engines run one query at a time faster than many small ones); fails if any file does. */
  scanFiles(files: readonly FileRef[]): Promise<FileScan[]>;
  /** The first 1-based row with a problem, or undefined. */
  locateRow(file: FileRef, problem: RowProblem): Promise<number | undefined>;
  /** The first value its column does not accept, or undefined. */
  locateMisfit(file: FileRef): Promise<Misfit | undefined>;
  /**
   * Inserts the file with its deduplication token, in blocks of the pinned size, so a redo adds
   * nothing. With a bound, the engine ends the insert by it (the blocks written by then stay).
   */
  insertFile(file: FileRef, dedupToken: string, bound?: InsertBound): Promise<void>;
  /**
   * Inserts several files in one INSERT that writes exactly one block under `dedupToken`: a redo
   * of the same files with the same token adds nothing, however the engine ordered the rows. It
   * checks every row as it reads (an id, a version, no other tenant), so a bad row anywhere fails
   * the whole insert with nothing written. The files must fit one block in memory (the caller
   * bounds their bytes). With a bound, the engine ends the insert by then, landed or not.
   */
  insertUnit(files: readonly FileRef[], dedupToken: string, bound?: InsertBound): Promise<void>;
  /** Rows in each file as the engine parses them, read from the files (a count: no column is parsed). */
  countRows(files: readonly FileRef[]): Promise<number[]>;
  /**
   * Inserts rows the Load read from files, each with its file's lineage, as one block under
   * `dedupToken`; without a token, only parses them as the insert would and writes nothing.
   */
  insertRecords(chunk: RecordChunk, dedupToken?: string): Promise<void>;
  /** Raw row counts of every lineage (`_file`, `_etag`) of one tenant x table in the table. */
  lineages(tenant: string, table: TableName): Promise<Map<string, Map<string, number>>>;
  /** Raw row counts per file version (`_file`, `_etag`) of one tenant x table. */
  countRowsByFile(tenant: string, table: TableName, keys: readonly string[]): Promise<Map<string, Map<string, number>>>;
  /**
   * Each file's rows, counted in the table, if the files' rows are all in one part written by one
   * insert that no merge has touched and that holds nothing else; otherwise undefined.
   */
  countInOwnPart(files: readonly FileRef[]): Promise<number[] | undefined>;
  /** Rows of the file with no row of the same id and an equal or newer version in the table. */
  uncoveredRows(file: FileRef): Promise<number>;
  /** `count() FINAL` of one tenant x table; 0 when the table does not exist. */
  countFinal(tenant: string, table: TableName): Promise<number>;
  /** `count() FINAL` of each of some tenants of one table, in one query (a tenant with no row counts 0). */
  countFinalByTenant(table: TableName, tenants: readonly string[]): Promise<Map<string, number>>;
  /** Whether the table holds any row of the tenant (it stops at the first); false when the table does not exist. */
  hasRows(tenant: string, table: TableName): Promise<boolean>;
  describeTables(tables: readonly TableName[]): Promise<TableEngine[]>;
}

/** What became of a file version, as the load log records it (`skipped`: left out by a backfill start point). */
export const LOG_OUTCOMES = ['loaded', 'failed', 'superseded', 'skipped'] as const;
export type LogOutcome = (typeof LOG_OUTCOMES)[number];

/** One file version's outcome in the load log (src/lib/load-log.ts): written after the ledger records it. */
export interface LoadLogRow {
  runId: string;
  tenant: string;
  table: string;
  key: string;
  etag: string;
  generation: number;
  outcome: LogOutcome;
  rows: number;
  bytes: number;
  /** ISO times: when this attempt began on the file, and when the ledger recorded its outcome. */
  startedAt: string;
  finishedAt: string;
  attempt: string;
  /** Empty unless the outcome is `failed`. */
  errorCode: string;
  errorMessage: string;
  /** The bad row of a failed file (1-based data row: the line for JSON lines) and its column, when known. */
  errorRow: number | null;
  errorColumn: string | null;
}

export interface LoadLogFilter {
  tenant?: string;
  table?: string;
  outcome?: LogOutcome;
  /** ISO time: rows finished at or after it. */
  since?: string;
  limit: number;
}

/** The load log table in ClickHouse, beside the data. */
export interface LoadLog {
  /** Creates the table if it is missing; true when it did. */
  ensure(): Promise<boolean>;
  /** The table's engine, or undefined when it does not exist. */
  describe(): Promise<TableEngine | undefined>;
  /** Inserts the rows under a token derived from them, so the same write twice adds nothing. */
  write(rows: readonly LoadLogRow[]): Promise<void>;
  /** One row per file version (read FINAL), newest first. */
  read(filter: LoadLogFilter): Promise<LoadLogRow[]>;
  /** The file versions whose latest row (read FINAL) is of this run, among these tenants' rows. */
  versionsOfRun(runId: string, tenants: readonly string[]): Promise<LoggedVersion[]>;
}

/** A file version the load log has a row of. */
export type LoggedVersion = Pick<LoadLogRow, 'tenant' | 'table' | 'key' | 'etag' | 'generation'>;
