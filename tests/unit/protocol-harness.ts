/**
 * The claim protocol's test bed: the real ledger adapter on an in-memory dynalite, a clock the
 * test moves, and a warehouse that keeps ClickHouse's one promise the protocol relies on: an
 * insert under a token the table has seen adds nothing. It counts, per file version, how many
 * inserts landed its rows, so a double is seen however it came about.
 */
import { CANONICAL_TABLES } from '../../src/table-config.js';
import type { TableName } from '../../src/tables.js';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
import { DynamoLedger } from '../../src/adapters/aws/dynamo-ledger.js';
import { TABLE_SHAPES } from '../../src/dynamo-schema.js';
import { PermanentError } from '../../src/errors.js';
import type { BatchDeps } from '../../src/lib/load.js';
import { checkThenInsert, inEngineWriter } from '../../src/lib/load-unit.js';
import type { Attempt, FileRef, FileScan, FileVersion, Ledger, RowProblem, TableEngine, Warehouse } from '../../src/ports.js';

export interface LedgerBed {
  ledger: DynamoLedger;
  clock: { now: Date; advance(seconds: number): void };
  close(): Promise<void>;
}

export async function openLedgerBed(): Promise<LedgerBed> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await client.send(new CreateTableCommand({ TableName: 'ledger', ...TABLE_SHAPES.ledger, BillingMode: 'PAY_PER_REQUEST' }));
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 }, { TableName: 'ledger' });
  const clock = {
    now: new Date('2026-06-01T00:00:00Z'),
    advance(seconds: number) {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
    },
  };
  const ledger = new DynamoLedger(DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), { tableName: 'ledger', ttlDays: 0, now: () => clock.now });
  return {
    ledger,
    clock,
    async close() {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const versionOf = (ref: Pick<FileRef, 'key' | 'etag'>) => `${ref.key}@${ref.etag}`;

/**
 * Files as content (rows per version, or a bad row at some line) and the table as landings:
 * how many accepted inserts carried each version's rows. Blocks the table has seen are dropped:
 * a unit's block is known by its token and what it holds (as ClickHouse knows an INSERT ...
 * SELECT's block), so a redo of fewer members under the same token is another block.
 */
export class DedupWarehouse implements Warehouse {
  readonly tables = CANONICAL_TABLES;
  async addColumn(): Promise<string> {
    throw new Error('not scripted');
  }
  async describeColumns() {
    return [];
  }
  /** Rows of each version by `key@lineageEtag`; a negative number: a bad row at that line. */
  readonly content = new Map<string, number>();
  readonly landings = new Map<string, number>();
  readonly tokens = new Set<string>();
  readonly inserts: { keys: string[]; token: string }[] = [];
  /** Called before each insert reaches the table: a test holds or kills an attempt here. */
  beforeInsert: (keys: string[]) => Promise<void> = async () => undefined;

  put(file: Pick<FileVersion, 'key' | 'etag'>, rows: number) {
    this.content.set(versionOf(file), rows);
  }
  /** Versions whose object was deleted from the bucket: reads answer NOT_FOUND, rows in the table stay. */
  readonly deleted = new Set<string>();
  remove(file: Pick<FileVersion, 'key' | 'etag'>) {
    this.deleted.add(versionOf(file));
  }
  /** The rows a read of the file finds. */
  rowsOf(ref: FileRef): number {
    if (this.deleted.has(versionOf(ref))) throw new PermanentError('NOT_FOUND', 'the object was deleted', { file: ref.key });
    return this.#stored(ref);
  }
  /** The rows the file had, whether or not its object is still there (what the table counts). */
  #stored(ref: FileRef): number {
    const rows = this.content.get(versionOf(ref));
    if (rows === undefined) throw new PermanentError('NOT_FOUND', 'no such file version', { file: ref.key });
    return rows;
  }
  /** An insert's reads: a bad row or a file no longer there fails it before anything is written. */
  #read(refs: readonly FileRef[]) {
    for (const ref of refs) {
      if (this.rowsOf(ref) < 0) throw new PermanentError('PARSE_ERROR', `a bad row at line ${-this.rowsOf(ref)}`, { file: ref.key, row: -this.rowsOf(ref) });
    }
  }
  #write(refs: readonly FileRef[], token: string, block: string) {
    this.inserts.push({ keys: refs.map((r) => r.key), token });
    if (this.tokens.has(block)) return;
    this.tokens.add(block);
    for (const ref of refs) this.landings.set(versionOf(ref), (this.landings.get(versionOf(ref)) ?? 0) + 1);
  }
  landed(file: Pick<FileVersion, 'key' | 'etag'>) {
    return this.landings.get(versionOf(file)) ?? 0;
  }
  async ensureTables() {
    return [];
  }
  async fileColumns() {
    return ['id', 'name', 'last_updated'];
  }
  async scanFile(ref: FileRef): Promise<FileScan> {
    const rows = this.rowsOf(ref);
    return rows < 0 ? { rows: -rows, missingId: 1, missingVersion: 0, foreignTenant: 0, misfits: 0 } : { rows, missingId: 0, missingVersion: 0, foreignTenant: 0, misfits: 0 };
  }
  async scanFiles(refs: readonly FileRef[]) {
    return Promise.all(refs.map((r) => this.scanFile(r)));
  }
  async locateRow(ref: FileRef, _problem: RowProblem) {
    return -this.rowsOf(ref);
  }
  /** Values are not modelled: a bad member is a row without an id. */
  async locateMisfit() {
    return undefined;
  }
  async insertFile(ref: FileRef, token: string) {
    return this.insertFileHeld(ref, token, async () => true);
  }
  /** A file alone's insert held the same way: its blocks are written together, once `writing` says so. */
  async insertFileHeld(ref: FileRef, token: string, writing: () => Promise<boolean>) {
    await this.beforeInsert([ref.key]);
    this.#read([ref]);
    if (!(await writing())) throw new Error('the insert ran out of time (TIMEOUT_EXCEEDED)');
    this.#write([ref], token, token);
  }
  async insertUnit(refs: readonly FileRef[], token: string) {
    return this.insertUnitHeld(refs, token, async () => true);
  }
  /**
   * A unit's insert whose block is written only once `writing` resolves, after its reads: a slow
   * insert, still landing after its files went. `writing` answers false when the insert ran out
   * of time meanwhile: the engine ends it with nothing written.
   */
  async insertUnitHeld(refs: readonly FileRef[], token: string, writing: () => Promise<boolean>) {
    await this.beforeInsert(refs.map((r) => r.key));
    this.#read(refs);
    if (!(await writing())) throw new Error('the insert ran out of time (TIMEOUT_EXCEEDED)');
    this.#write(refs, token, `${token}:${refs.map(versionOf).sort().join(',')}`);
  }
  async countRows(refs: readonly FileRef[]) {
    return refs.map((r) => Math.max(0, this.rowsOf(r)));
  }
  async insertRecords() {
    throw new Error('not modelled');
  }
  async countRowsByFile(_tenant: string, _table: string, keys: readonly string[]) {
    const counts = new Map<string, Map<string, number>>();
    for (const [version, landings] of this.landings) {
      const at = version.lastIndexOf('@');
      const [key, etag] = [version.slice(0, at), version.slice(at + 1)];
      if (!keys.includes(key)) continue;
      counts.set(key, (counts.get(key) ?? new Map()).set(etag, landings * Math.max(0, this.content.get(version) ?? 0)));
    }
    return counts;
  }
  async lineages(tenant: string, table: string) {
    return this.countRowsByFile(tenant, table, [...this.landings.keys()].map((v) => v.slice(0, v.lastIndexOf('@'))));
  }
  async countInOwnPart(refs: readonly FileRef[]) {
    return refs.map((r) => Math.max(0, this.#stored(r)));
  }
  async uncoveredRows() {
    return 0;
  }
  async countFinal() {
    return 0;
  }
  async countFinalByTenant(_table: TableName, tenants: readonly string[]) {
    return new Map(tenants.map((t) => [t, 0]));
  }
  async hasRows() {
    return false;
  }
  async describeTables(): Promise<TableEngine[]> {
    return [];
  }
}

/** An attempt whose lease runs `seconds` from the clock's now. */
export function attemptAt(clock: LedgerBed['clock'], id: string, seconds = 60, runId = 'run-1'): Attempt {
  return { id, runId, leaseUntil: new Date(clock.now.getTime() + seconds * 1000) };
}

/** The Load's in-engine wiring over these ports: files up to `unitMaxBytes` in one unit, larger ones alone. */
export function batchDeps(ledger: Ledger, warehouse: Warehouse, clock: LedgerBed['clock'], unitMaxBytes = 1000): BatchDeps {
  return {
    ledger,
    warehouse,
    now: () => clock.now,
    path: { writer: inEngineWriter(warehouse), loadAlone: checkThenInsert(warehouse) },
    unitsOf: (free) => [free.filter((f) => f.size <= unitMaxBytes)],
  };
}

export const fileOf = (tenant: string, name: string, etag = 'e1', size = 100): FileVersion => ({
  tenant,
  table: 'companies',
  key: `${tenant}/canonical/companies/${name}.jsonl`,
  etag,
  size,
  generation: 0,
});

export const batchOf = (files: readonly FileVersion[], runId = 'run-1') => ({
  runId,
  tenant: files[0]!.tenant,
  table: files[0]!.table,
  round: 0,
  batch: 0,
  files: files.map(({ key, etag, size, generation }) => ({ key, etag, size, generation })),
});

/**
 * A ledger seen through one attempt's eyes: `kill()` makes every later call of that attempt
 * fail, as if its process were gone (nothing it would do afterwards reaches the store), and
 * `hold(method)` parks its next call of `method` until `release()`.
 */
export function mortal(ledger: Ledger) {
  let dead = false;
  const holds = new Map<string, { reached: () => void; gate: Promise<void>; open: () => void }>();
  const proxy = new Proxy(ledger, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const hold = holds.get(String(name));
        if (hold) {
          holds.delete(String(name));
          hold.reached();
          await hold.gate;
        }
        if (dead) throw new Error('the attempt is dead');
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    ledger: proxy as Ledger,
    kill() {
      dead = true;
    },
    /** Parks the next call of `method`; resolves `reached` when the attempt gets there. */
    hold(method: keyof Ledger) {
      let reached!: () => void;
      let open!: () => void;
      const at = new Promise<void>((r) => (reached = r));
      const gate = new Promise<void>((r) => (open = r));
      holds.set(method, { reached, gate, open });
      return { reached: at, release: open };
    },
  };
}
