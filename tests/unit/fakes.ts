/** Small in-memory stand-ins for the ports, for unit tests of the pipeline's logic. */
import { CANONICAL_TABLES } from '../../src/table-config.js';
import { Readable } from 'node:stream';
import type {
  FileScan,
  FileVersion,
  FolderListing,
  IgnoredObject,
  Misfit,
  Ledger,
  LedgerEntry,
  LandedFile,
  ObjectStore,
  RecordChunk,
  TableColumns,
  TableEngine,
  TenantDirectory,
  TenantRecord,
  Warehouse,
} from '../../src/ports.js';
import type { TableName } from '../../src/tables.js';

/**
 * The ledger as Plan reads it: entries by key. Claims and outcomes are tested against the real
 * adapter on dynalite (see protocol tests), never against a stand-in.
 */
export class LedgerListing implements Pick<Ledger, 'listItem' | 'listIgnored' | 'recordIgnored' | 'forgetIgnored' | 'recordSkipped'> {
  readonly entries = new Map<string, LedgerEntry>();
  /** Ignored records by scope, then key. */
  readonly ignored = new Map<string, Map<string, IgnoredObject>>();
  async listIgnored(scope: string, prefix = '') {
    this.calls.push('listIgnored');
    return [...(this.ignored.get(scope)?.values() ?? [])].filter((o) => o.key.startsWith(prefix));
  }
  async recordIgnored(scope: string, object: IgnoredObject) {
    this.calls.push('recordIgnored');
    if (!this.ignored.has(scope)) this.ignored.set(scope, new Map());
    this.ignored.get(scope)!.set(object.key, object);
  }
  async retireGone(entry: Pick<LedgerEntry, 'tenant' | 'table' | 'key' | 'etag' | 'generation' | 'loadedVersions'>) {
    this.calls.push('retireGone');
    const current = this.entries.get(this.#k(entry));
    if (!current || current.status === 'loaded' || current.etag !== entry.etag) return false;
    current.status = 'gone';
    current.generation++;
    return true;
  }
  /** The adapter's condition, simplified: never over a claim or a reset, nor this version skipped already. */
  async recordSkipped(file: FileVersion, runId: string, now: Date) {
    this.calls.push('recordSkipped');
    const current = this.entries.get(this.#k(file));
    if (current && (current.status === 'loading' || current.status === 'reset' || current.generation !== file.generation)) return false;
    if (current?.status === 'skipped' && current.etag === file.etag) return false;
    const at = now.toISOString();
    this.entries.set(this.#k(file), { ...current, tenant: file.tenant, table: file.table, key: file.key, etag: file.etag, size: file.size, generation: file.generation, status: 'skipped', runId, startedAt: at, updatedAt: at });
    return true;
  }
  async forgetIgnored(scope: string, key: string) {
    this.calls.push('forgetIgnored');
    this.ignored.get(scope)?.delete(key);
  }
  readonly calls: string[] = [];
  #k = (f: { tenant: string; table: string; key: string }) => `${f.tenant}#${f.table}#${f.key}`;

  put(entry: Partial<LedgerEntry> & Pick<LedgerEntry, 'tenant' | 'table' | 'key' | 'etag' | 'status'>): void {
    this.entries.set(this.#k(entry), { size: 1, generation: 0, runId: 'earlier', startedAt: '', updatedAt: '', ...entry });
  }
  async listItem(tenant: string, table: TableName) {
    this.calls.push('listItem');
    return new Map([...this.entries.values()].filter((e) => e.tenant === tenant && e.table === table).map((e) => [e.key, e]));
  }
}

export class MemoryTenants implements TenantDirectory {
  readonly tenants = new Map<string, TenantRecord>();

  constructor(tenants: TenantRecord[] = []) {
    for (const t of tenants) this.tenants.set(t.tenantId, t);
  }
  async list() {
    return [...this.tenants.values()].sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  }
  async put(tenant: TenantRecord) {
    const lastSuccessAt = tenant.lastSuccessAt ?? this.tenants.get(tenant.tenantId)?.lastSuccessAt;
    this.tenants.set(tenant.tenantId, { ...tenant, ...(lastSuccessAt !== undefined ? { lastSuccessAt } : {}) });
  }
  /** Each putMany call's tenant ids, in order. */
  readonly putManyCalls: string[][] = [];
  async putMany(tenants: TenantRecord[], onWritten?: (written: number) => void) {
    this.putManyCalls.push(tenants.map((t) => t.tenantId));
    for (const t of tenants) this.tenants.set(t.tenantId, { ...t });
    onWritten?.(tenants.length);
  }
  async recordSuccess(tenantIds: string[], at: string) {
    for (const id of tenantIds) {
      const tenant = this.tenants.get(id);
      if (tenant && (tenant.lastSuccessAt === undefined || tenant.lastSuccessAt < at)) tenant.lastSuccessAt = at;
    }
  }
  async remove(tenantId: string) {
    return this.tenants.delete(tenantId);
  }
}

export class MemoryStore implements ObjectStore {
  /** Object bodies for read(), by key. */
  readonly bodies = new Map<string, string | Buffer>();
  constructor(readonly files: LandedFile[] = []) {}
  async read(key: string) {
    const body = this.bodies.get(key);
    if (body === undefined) throw new Error(`no body for ${key}`);
    return Readable.from([Buffer.from(body)]);
  }
  async list(prefix: string) {
    return this.files.filter((f) => f.key.startsWith(prefix));
  }
  async listFolder(prefix: string) {
    const out: FolderListing = { folders: [], files: [] };
    for (const f of this.files.filter((f) => f.key.startsWith(prefix))) {
      const slash = f.key.indexOf('/', prefix.length);
      if (slash < 0) out.files.push(f);
      else if (!out.folders.includes(f.key.slice(0, slash + 1))) out.folders.push(f.key.slice(0, slash + 1));
    }
    return out;
  }
  async presignGet(key: string) {
    return `http://store.invalid/${encodeURIComponent(key)}`;
  }
}

/** A warehouse whose answers a test sets; unset methods throw so a test sees unexpected calls. */
export class ScriptedWarehouse implements Warehouse {
  readonly tables = CANONICAL_TABLES;
  async addColumn(): Promise<string> {
    throw new Error('not scripted');
  }
  /** The tables' columns as ClickHouse has them; none: no table to compare. */
  tableColumns: TableColumns[] = [];
  async describeColumns() {
    this.calls.push('describeColumns');
    return this.tableColumns;
  }
  readonly calls: string[] = [];
  columns: string[] = ['id', 'name', 'last_updated'];
  scan: FileScan | Error = { rows: 3, missingId: 0, missingVersion: 0, foreignTenant: 0, misfits: 0 };
  insertError: Error | undefined;
  row = 2;
  tableRows = new Map<string, Map<string, number>>();
  uncovered = 0;
  finalCount = 0;
  engines: TableEngine[] = [];
  inserted: { key: string; token: string }[] = [];
  /** Keys of each unit insert, in order. */
  unitInserts: { keys: string[]; token: string }[] = [];
  unitInsertError: Error | undefined;
  /** Per-key scans for scanFiles; the default scan otherwise. */
  scans = new Map<string, FileScan | Error>();

  async ensureTables() {
    return [];
  }
  async fileColumns() {
    this.calls.push('fileColumns');
    return this.columns;
  }
  async scanFile(file: { key: string }) {
    this.calls.push('scanFile');
    const scan = this.scans.get(file.key) ?? this.scan;
    if (scan instanceof Error) throw scan;
    return scan;
  }
  async scanFiles(files: readonly { key: string }[]) {
    this.calls.push('scanFiles');
    const scans = files.map((f) => this.scans.get(f.key) ?? this.scan);
    const error = scans.find((s) => s instanceof Error);
    if (error) throw error;
    return scans as FileScan[];
  }
  async locateRow() {
    this.calls.push('locateRow');
    return this.row;
  }
  misfit: Misfit | undefined;
  async locateMisfit() {
    this.calls.push('locateMisfit');
    return this.misfit;
  }
  async insertFile(file: { key: string }, token: string) {
    this.calls.push('insertFile');
    if (this.insertError) throw this.insertError;
    this.inserted.push({ key: file.key, token });
  }
  async insertUnit(files: readonly { key: string }[], token: string) {
    this.calls.push('insertUnit');
    if (this.unitInsertError) throw this.unitInsertError;
    this.unitInserts.push({ keys: files.map((f) => f.key), token });
  }
  /** Rows per key for countRows; the default scan's rows otherwise. */
  rowCounts = new Map<string, number>();
  async countRows(files: readonly { key: string }[]) {
    this.calls.push('countRows');
    return files.map((f) => this.rowCounts.get(f.key) ?? (this.scan instanceof Error ? 0 : this.scan.rows));
  }
  /** Chunks given to insertRecords, with their tokens (undefined: a parse-only check). */
  records: { chunk: RecordChunk; token: string | undefined }[] = [];
  recordsError: ((chunk: RecordChunk, token: string | undefined) => Error | undefined) | undefined;
  async insertRecords(chunk: RecordChunk, token?: string) {
    this.calls.push(token === undefined ? 'checkRecords' : 'insertRecords');
    const error = this.recordsError?.(chunk, token);
    if (error) throw error;
    this.records.push({ chunk, token });
  }
  /** Rows per key found in the unit's own part; unset: a merge reached the part first. */
  ownPartCounts: Map<string, number> | undefined;
  async countInOwnPart(files: readonly { key: string }[]) {
    this.calls.push('countInOwnPart');
    return this.ownPartCounts && files.map((f) => this.ownPartCounts!.get(f.key) ?? 0);
  }
  async countRowsByFile() {
    this.calls.push('countRowsByFile');
    return this.tableRows;
  }
  async lineages() {
    this.calls.push('lineages');
    return this.tableRows;
  }
  async uncoveredRows() {
    this.calls.push('uncoveredRows');
    return this.uncovered;
  }
  async countFinal() {
    this.calls.push('countFinal');
    return this.finalCount;
  }
  async countFinalByTenant(_table: TableName, tenants: readonly string[]) {
    this.calls.push('countFinalByTenant');
    return new Map(tenants.map((t) => [t, this.finalCount]));
  }
  async hasRows() {
    this.calls.push('hasRows');
    return this.finalCount > 0;
  }
  async describeTables() {
    return this.engines;
  }
}

export const replacing = (table: string): TableEngine => ({
  table,
  engine: 'ReplacingMergeTree',
  engineFull: 'ReplacingMergeTree(last_updated) ORDER BY (tenant_id, id) SETTINGS index_granularity = 8192',
  sortingKey: 'tenant_id, id',
});
