/**
 * The adapters a handler works with, built once per process from the configuration. The
 * embedded runtime sets the configuration (endpoints, chDB path) before the first call.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { loadConfig, type OnceloadConfig } from '../config.js';
import { createAwsClients, type AwsClients } from '../adapters/aws/clients.js';
import { DynamoArrivalMarks } from '../adapters/aws/dynamo-arrivals.js';
import { DynamoLedger } from '../adapters/aws/dynamo-ledger.js';
import { DynamoTenantDirectory } from '../adapters/aws/dynamo-tenants.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../adapters/aws/s3-object-store.js';
import { S3RunStore } from '../adapters/aws/s3-run-store.js';
import { embeddedExecutions } from '../adapters/embedded/running-executions.js';
import type { StepFunctionsExecutions } from '../adapters/aws/sfn-executions.js';
import { createClickHouseClient } from '../adapters/clickhouse/client.js';
import { ClickHouseLoadLog } from '../adapters/clickhouse/load-log.js';
import { ClickHouseWarehouse } from '../adapters/clickhouse/warehouse.js';
import type { ArrivalMarks, ExecutionDirectory, Ledger, LoadLog, ObjectStore, RunStore, TenantDirectory, Warehouse } from '../ports.js';
import { tracerIfEnabled } from './tracing.js';

export interface Deps {
  config: OnceloadConfig;
  aws: AwsClients;
  clickhouse: ClickHouseClient;
  tenants: TenantDirectory;
  ledger: Ledger;
  store: ObjectStore;
  runs: RunStore;
  executions: ExecutionDirectory;
  arrivals: ArrivalMarks;
  warehouse: Warehouse;
  loadLog: LoadLog;
}

let current: Promise<Deps> | undefined;

export async function createDeps(config: OnceloadConfig): Promise<Deps> {
  const aws = createAwsClients(config);
  // Each DynamoDB and S3 call becomes an X-Ray subsegment on Lambda.
  const tracer = await tracerIfEnabled();
  for (const client of [aws.dynamodb, aws.s3]) tracer?.captureAWSv3Client(client);
  const { database, clickhouse, store, warehouse, loadLog } = await connectWarehouse(config, aws.s3);
  // Only Discover calls Step Functions (a tick looks for an earlier execution still running); locally it asks the process.
  const executions = config.executions === 'embedded' ? embeddedExecutions : await stepFunctionsExecutions(config.region);
  return {
    config: { ...config, database },
    aws,
    clickhouse,
    tenants: new DynamoTenantDirectory(aws.documents, config.tenantsTable),
    ledger: new DynamoLedger(aws.documents, { tableName: config.ledgerTable, ttlDays: config.ledgerTtlDays }),
    store,
    runs: new S3RunStore(aws.s3, config.runsBucket),
    arrivals: new DynamoArrivalMarks(aws.documents, config.arrivalsTable),
    executions,
    warehouse,
    loadLog,
  };
}

/** The Step Functions client and its adapter, loaded only where executions run on AWS. */
async function stepFunctionsExecutions(region: string): Promise<StepFunctionsExecutions> {
  const [{ SFNClient }, { StepFunctionsExecutions }] = await Promise.all([import('@aws-sdk/client-sfn'), import('../adapters/aws/sfn-executions.js')]);
  return new StepFunctionsExecutions(new SFNClient({ region }));
}

export interface WarehouseConnection {
  /** The database of the configured tables: the secret's on a deployed stage. */
  database: string;
  clickhouse: ClickHouseClient;
  store: S3ObjectStore;
  warehouse: Warehouse;
  /** The load log, in the same database. */
  loadLog: LoadLog;
}

/**
 * ClickHouse as the functions reach it, and the Warehouse over it that reads landed objects
 * through presigned URLs of `s3`: also what `onceload verify|tables migrate --stage` query.
 */
export async function connectWarehouse(config: OnceloadConfig, s3: S3Client): Promise<WarehouseConnection> {
  const target =
    config.clickhouse.kind === 'secret' ? await (await import('../adapters/clickhouse/secret.js')).readClickHouseSecret(config.clickhouse.secretName, config.region) : config.clickhouse;
  const database = target.kind === 'server' ? target.database : config.database;
  const clickhouse = target.kind === 'none' ? noClickHouse() : await createClickHouseClient(target);
  const store = new S3ObjectStore(s3, config.landingBucket);
  const warehouse = new ClickHouseWarehouse(clickhouse, {
    database,
    objectUrl: (key) => store.presignGet(key),
    insertBlockRows: config.insertBlockRows,
    tables: config.tables,
  });
  return { database, clickhouse, store, warehouse, loadLog: new ClickHouseLoadLog(clickhouse, database) };
}

/** The client of a function configured without ClickHouse: closing is fine, any query a bug named as such. */
function noClickHouse(): ClickHouseClient {
  return new Proxy({} as ClickHouseClient, {
    get: (_target, property) =>
      property === 'close'
        ? async () => undefined
        : () => {
            throw new Error(`this function is configured without ClickHouse (ONCELOAD_CLICKHOUSE=none), yet called ${String(property)}`);
          },
  });
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
  if (d.executions !== embeddedExecutions) (d.executions as StepFunctionsExecutions).destroy();
  await d.clickhouse.close();
}
