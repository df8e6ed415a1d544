/**
 * The ports the pipeline's logic talks through. One params object in, a typed result out;
 * no SDK type crosses them, so the embedded runtime and AWS differ only in which adapters
 * they wire.
 */
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
  | { outcome: 'busy'; entry: LedgerEntry };

export interface Ledger {
  /** Every ledger entry of one tenant x table, by key (one Query, paginated). */
  listItem(tenant: string, table: CanonicalTable): Promise<Map<string, LedgerEntry>>;
  /** One entry, read consistently. */
  get(file: { tenant: string; table: CanonicalTable; key: string }): Promise<LedgerEntry | undefined>;
  /** Takes the `loading` claim unless the version is done or freshly claimed by another run. */
  claim(file: FileVersion, runId: string, staleBefore: Date): Promise<ClaimOutcome>;
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
  /** Inserts the file with its deduplication token, so a redo adds nothing. */
  insertFile(file: FileRef, dedupToken: string): Promise<void>;
  /** Raw row counts per file version (`_file`, `_etag`) of one tenant x table. */
  countRowsByFile(tenant: string, table: CanonicalTable, keys: readonly string[]): Promise<Map<string, Map<string, number>>>;
  /** Rows of the file with no row of the same id and an equal or newer version in the table. */
  uncoveredRows(file: FileRef): Promise<number>;
  /** `count() FINAL` of one tenant x table; 0 when the table does not exist. */
  countFinal(tenant: string, table: CanonicalTable): Promise<number>;
  describeTables(tables: readonly CanonicalTable[]): Promise<TableEngine[]>;
}
