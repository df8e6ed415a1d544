/**
 * The claim protocol's real test bed: the embedded runtime's own stores under a temporary data
 * dir (dynalite, the local S3 that honours If-Match, chDB through the ClickHouse warehouse
 * adapter), opened once for a whole exploration. The ledger adapter is built over the same
 * DynamoDB with a clock the explorer moves; landed objects are written and overwritten through
 * the S3 API, so every read is a real pinned `url()` read of a real ETag.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoLedger } from '../../src/adapters/aws/dynamo-ledger.js';
import { ClickHouseWarehouse } from '../../src/adapters/clickhouse/warehouse.js';
import { LocalRuntime } from '../../src/local/runtime.js';
import { quoteIdentifier, tableRef } from '../../src/sql.js';
import type { ObjectStore, Warehouse } from '../../src/ports.js';

export interface RealBed {
  ledger: DynamoLedger;
  clock: { now: Date; advance(seconds: number): void };
  /**
   * A fresh table for one schedule, in a database of its own, merges stopped: a merge would fold
   * a doubled row into one before the explorer counts it. `ref` names it in SQL; `drop` removes it.
   */
  table(name: string): Promise<{ warehouse: Warehouse; ref: string; drop(): Promise<void> }>;
  store: ObjectStore;
  /** Rows one insert block holds at most (the streamed path's chunk rows). */
  insertBlockRows: number;
  /** Writes (or overwrites) a landed object; returns its new ETag and size. */
  put(key: string, body: string): Promise<{ etag: string; size: number }>;
  /** Deletes a landed object. */
  remove(key: string): Promise<void>;
  query<T = Record<string, string>>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  close(): Promise<void>;
}

/** Raw rows of one tenant in a bed's table, by file name (the last part of its key). */
export async function rowsByFile(bed: RealBed, ref: string, tenant: string): Promise<Record<string, number>> {
  const rows = await bed.query<{ file: string; n: string }>(`SELECT _file AS file, count() AS n FROM ${ref} WHERE tenant_id = {tenant:String} GROUP BY _file`, { tenant });
  return Object.fromEntries(rows.map((r) => [r.file.split('/').pop(), Number(r.n)]));
}

export async function openRealBed(): Promise<RealBed> {
  const dataDir = mkdtempSync(join(tmpdir(), 'onceload-explore-'));
  // Files of a few rows insert in one block alone too: a partial insert is never the engine's doing.
  const runtime = await LocalRuntime.open({ dataDir, env: { ONCELOAD_INSERT_BLOCK_ROWS: '100' } });
  try {
    const deps = await runtime.deps();
    const clock = {
      // The engine checks an insert's bound by its own clock: the test's clock starts at the real time.
      now: new Date(Math.floor(Date.now() / 1000) * 1000),
      advance(seconds: number) {
        clock.now = new Date(clock.now.getTime() + seconds * 1000);
      },
    };
    const ledger = new DynamoLedger(deps.aws.documents, { tableName: deps.config.ledgerTable, ttlDays: 0, now: () => clock.now });
    const command = async (query: string) => void (await deps.clickhouse.command({ query }));
    return {
      ledger,
      clock,
      async table(name) {
        const database = `explore_${name}`;
        const ref = tableRef('companies', deps.config.tables, database);
        await command(`CREATE DATABASE ${quoteIdentifier(database)}`);
        // The adapter as the Load builds it, reading each object once: the local S3 fails no read
        // but a pinned one of a replaced version, and that 412 is final.
        const warehouse = new ClickHouseWarehouse(deps.clickhouse, {
          database,
          objectUrl: (key) => deps.store.presignGet(key),
          insertBlockRows: deps.config.insertBlockRows,
          tables: deps.config.tables,
          readTries: { http_max_tries: 1 },
        });
        await warehouse.ensureTables(['companies']);
        await command(`ALTER TABLE ${ref} MODIFY SETTING max_bytes_to_merge_at_max_space_in_pool = 1`);
        await command(`SYSTEM STOP MERGES ${ref}`);
        return { warehouse, ref, drop: () => command(`DROP DATABASE ${quoteIdentifier(database)} SYNC`) };
      },
      store: deps.store,
      insertBlockRows: deps.config.insertBlockRows,
      async put(key, body) {
        const out = await deps.aws.s3.send(new PutObjectCommand({ Bucket: deps.config.landingBucket, Key: key, Body: body }));
        return { etag: (out.ETag ?? '').replaceAll('"', ''), size: Buffer.byteLength(body) };
      },
      async remove(key) {
        await deps.aws.s3.send(new DeleteObjectCommand({ Bucket: deps.config.landingBucket, Key: key }));
      },
      async query<T>(sql: string, params: Record<string, unknown> = {}) {
        const result = await deps.clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' });
        return result.json<T>();
      },
      async close() {
        await runtime.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await runtime.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
