/**
 * `onceload verify|tables migrate --stage S`: ClickHouse as the stage's functions reach it, the
 * server of the secret they read, built by their own connectWarehouse. Objects are read through
 * URLs presigned with the caller's AWS credentials, as the functions presign with their role's.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { createAwsClients } from '../adapters/aws/clients.js';
import { loadConfig, type OnceloadConfig } from '../config.js';
import { PermanentError } from '../errors.js';
import { assertStageName, ledgerTableName, tenantsTableName } from '../naming.js';
import type { LoadLog, Warehouse } from '../ports.js';
import { connectWarehouse, type WarehouseConnection } from '../runtime/deps.js';
import { EXIT_USAGE, RemoteError, explainAwsError } from './errors.js';
import { readStageResources, type StageResources } from './stage-resources.js';

export interface WarehouseDeps {
  config: OnceloadConfig;
  clickhouse: ClickHouseClient;
  warehouse: Warehouse;
  loadLog: LoadLog;
}

const SECRET_ACTION = 'secretsmanager:GetSecretValue';

/** The configuration the stage's functions get from their environment (stacks/functions.ts), with this checkout's tables. */
export function stageFunctionConfig(stage: string, resources: StageResources): OnceloadConfig {
  return loadConfig({
    ONCELOAD_TABLES: process.env.ONCELOAD_TABLES,
    ONCELOAD_TABLES_FILE: process.env.ONCELOAD_TABLES_FILE,
    AWS_REGION: resources.region,
    ONCELOAD_TENANTS_TABLE: tenantsTableName(stage),
    ONCELOAD_LEDGER_TABLE: ledgerTableName(stage),
    ONCELOAD_LANDING_BUCKET: resources.landingBucket,
    ONCELOAD_CLICKHOUSE_SECRET: resources.clickhouseSecretName,
  });
}

/** A failure to read the secret, said for the person who has to create or fix it. */
function explainSecretError(secretName: string, region: string, error: unknown): unknown {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  if (cause?.name === 'ResourceNotFoundException') {
    const value = `'{"url":"https://<host>:8443","username":"default","password":"...","database":"default"}'`;
    const create = `aws secretsmanager create-secret --region ${region} --name ${secretName} --secret-string ${value}`;
    return new RemoteError(`secret ${secretName} does not exist in ${region}: the stage's functions read their ClickHouse from it; create it with \`${create}\``, EXIT_USAGE, { cause });
  }
  const explained = cause ? explainAwsError(SECRET_ACTION, secretName, cause) : error;
  if (explained instanceof RemoteError) return explained;
  // A value that is not JSON, or a field that is wrong: a bad setting.
  if (error instanceof PermanentError && error.code === 'CONFIGURATION') return new RemoteError(error.message, EXIT_USAGE, { cause: error });
  return error;
}

/** Runs `fn` on the stage's ClickHouse; failures of `fn` itself pass through as they are. */
export async function withStageWarehouse<T>(stage: string, region: string | undefined, fn: (deps: WarehouseDeps) => Promise<T>): Promise<T> {
  assertStageName(stage);
  const resources = await readStageResources(stage, region);
  const config = stageFunctionConfig(stage, resources);
  const aws = createAwsClients(config);
  const destroy = () => {
    aws.s3.destroy();
    aws.dynamodb.destroy();
  };
  let connection: WarehouseConnection;
  try {
    connection = await connectWarehouse(config, aws.s3);
  } catch (error) {
    destroy();
    throw explainSecretError(resources.clickhouseSecretName, resources.region, error);
  }
  const deps = { config: { ...config, database: connection.database }, clickhouse: connection.clickhouse, warehouse: connection.warehouse, loadLog: connection.loadLog };
  try {
    return await fn(deps);
  } finally {
    destroy();
    await connection.clickhouse.close();
  }
}
