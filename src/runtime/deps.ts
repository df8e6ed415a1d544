/**
 * The adapters a handler works with, built once per process from the configuration. The
 * embedded runtime sets the configuration (endpoints, chDB path) before the first call.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { loadConfig, type OnceloadConfig } from '../config.js';
import { createAwsClients, type AwsClients } from '../adapters/aws/clients.js';
import { DynamoLedger } from '../adapters/aws/dynamo-ledger.js';
import { DynamoTenantDirectory } from '../adapters/aws/dynamo-tenants.js';
import { S3ObjectStore } from '../adapters/aws/s3-object-store.js';
import { S3RunStore } from '../adapters/aws/s3-run-store.js';
import { createClickHouseClient } from '../adapters/clickhouse/client.js';
import { readClickHouseSecret } from '../adapters/clickhouse/secret.js';
import { ClickHouseWarehouse } from '../adapters/clickhouse/warehouse.js';
import type { Ledger, ObjectStore, RunStore, TenantDirectory, Warehouse } from '../ports.js';
import { tracerIfEnabled } from './tracing.js';

export interface Deps {
  config: OnceloadConfig;
  aws: AwsClients;
  clickhouse: ClickHouseClient;
  tenants: TenantDirectory;
  ledger: Ledger;
  store: ObjectStore;
  runs: RunStore;
  warehouse: Warehouse;
}

let current: Promise<Deps> | undefined;

export async function createDeps(config: OnceloadConfig): Promise<Deps> {
  const aws = createAwsClients(config);
  // Each DynamoDB and S3 call becomes an X-Ray subsegment on Lambda.
  const tracer = await tracerIfEnabled();
  for (const client of [aws.dynamodb, aws.s3]) tracer?.captureAWSv3Client(client);
  const target = config.clickhouse.kind === 'secret' ? await readClickHouseSecret(config.clickhouse.secretName) : config.clickhouse;
  const database = target.kind === 'server' ? target.database : config.database;
  const clickhouse = await createClickHouseClient(target);
  const store = new S3ObjectStore(aws.s3, config.landingBucket);
  return {
    config: { ...config, database },
    aws,
    clickhouse,
    tenants: new DynamoTenantDirectory(aws.documents, config.tenantsTable),
    ledger: new DynamoLedger(aws.documents, { tableName: config.ledgerTable, ttlDays: config.ledgerTtlDays }),
    store,
    runs: new S3RunStore(aws.s3, config.runsBucket),
    warehouse: new ClickHouseWarehouse(clickhouse, {
      database,
      objectUrl: (key) => store.presignGet(key),
      insertBlockRows: config.insertBlockRows,
      tables: config.tables,
    }),
  };
}

export function getDeps(): Promise<Deps> {
  current ??= createDeps(loadConfig()).catch((error: unknown) => {
    current = undefined;
    throw error;
  });
  return current;
}

/** Closes the process's clients; the next `getDeps()` reads the configuration again. */
export async function closeDeps(): Promise<void> {
  const deps = current;
  current = undefined;
  if (!deps) return;
  const d = await deps.catch(() => undefined);
  if (!d) return;
  d.aws.dynamodb.destroy();
  d.aws.s3.destroy();
  await d.clickhouse.close();
}
