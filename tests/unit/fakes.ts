/** Small in-memory stand-ins for the ports, for unit tests of the pipeline's logic. */
import type {
  ClaimOutcome,
  FileScan,
  FileVersion,
  Ledger,
  LedgerEntry,
  LandedFile,
  ObjectStore,
  TableEngine,
  TenantDirectory,
  TenantRecord,
  Warehouse,
} from '../../src/ports.js';
import type { CanonicalTable } from '../../src/tables.js';

export class MemoryLedger implements Ledger {
  readonly entries = new Map<string, LedgerEntry>();
  readonly calls: string[] = [];
  #k = (f: { tenant: string; table: string; key: string }) => `${f.tenant}#${f.table}#${f.key}`;

  put(entry: Partial<LedgerEntry> & Pick<LedgerEntry, 'tenant' | 'table' | 'key' | 'etag' | 'status'>): void {
    this.entries.set(this.#k(entry), { size: 1, generation: 0, runId: 'earlier', startedAt: '', updatedAt: '', ...entry });
  }
  async listItem(tenant: string, table: CanonicalTable) {
    this.calls.push('listItem');
    return new Map([...this.entries.values()].filter((e) => e.tenant === tenant && e.table === table).map((e) => [e.key, e]));
  }
  async get(file: { tenant: string; table: CanonicalTable; key: string }) {
    this.calls.push('get');
    return this.entries.get(this.#k(file));
  }
  async claim(file: FileVersion, runId: string): Promise<ClaimOutcome> {
    this.calls.push('claim');
    const entry = this.entries.get(this.#k(file));
    if (entry && entry.etag === file.etag && (entry.status === 'loaded' || entry.status === 'failed')) return { outcome: 'done', entry };
    if (entry && entry.status === 'loading' && entry.runId !== runId) return { outcome: 'busy', entry };
    this.put({ ...file, status: 'loading', runId });
    return { outcome: 'claimed' };
  }
  async markLoaded(file: FileVersion, runId: string, rows: number) {
    this.calls.push('markLoaded');
    this.put({ ...file, status: 'loaded', runId, rows });
  }
  async markFailed(file: FileVersion, runId: string, error: string) {
    this.calls.push('markFailed');
    this.put({ ...file, status: 'failed', runId, error });
  }
  async release() {
    this.calls.push('release');
  }
  async reset() {
    return 0;
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
  async recordSuccess(tenantIds: string[], at: string) {
    for (const id of tenantIds) {
      const tenant = this.tenants.get(id);
      if (tenant && (tenant.lastSuccessAt === undefined || tenant.lastSuccessAt < at)) tenant.lastSuccessAt = at;
    }
  }
}

export class MemoryStore implements ObjectStore {
  constructor(readonly files: LandedFile[] = []) {}
  async list(prefix: string) {
    return this.files.filter((f) => f.key.startsWith(prefix));
  }
  async presignGet(key: string) {
    return `http://store.invalid/${encodeURIComponent(key)}`;
  }
}

/** A warehouse whose answers a test sets; unset methods throw so a test sees unexpected calls. */
export class ScriptedWarehouse implements Warehouse {
  readonly calls: string[] = [];
  columns: string[] = ['id', 'name', 'last_updated'];
  scan: FileScan | Error = { rows: 3, missingId: 0, missingLastUpdated: 0, foreignTenant: 0 };
  insertError: Error | undefined;
  row = 2;
  tableRows = new Map<string, Map<string, number>>();
  uncovered = 0;
  finalCount = 0;
  engines: TableEngine[] = [];
  inserted: { key: string; token: string }[] = [];

  async ensureTables() {
    return [];
  }
  async fileColumns() {
    this.calls.push('fileColumns');
    return this.columns;
  }
  async scanFile() {
    this.calls.push('scanFile');
    if (this.scan instanceof Error) throw this.scan;
    return this.scan;
  }
  async scanFiles(files: readonly unknown[]) {
    this.calls.push('scanFiles');
    if (this.scan instanceof Error) throw this.scan;
    return files.map(() => this.scan as FileScan);
  }
  async locateRow() {
    this.calls.push('locateRow');
    return this.row;
  }
  async insertFile(file: { key: string }, token: string) {
    this.calls.push('insertFile');
    if (this.insertError) throw this.insertError;
    this.inserted.push({ key: file.key, token });
  }
  async countRowsByFile() {
    this.calls.push('countRowsByFile');
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
