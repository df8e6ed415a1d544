/**
 * `onceload tenants|files --stage S`: the same TenantServices and ledger adapters the functions
 * use, pointed at the deployed stage's tables, with AWS failures explained for a person.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoArrivalMarks } from '../adapters/aws/dynamo-arrivals.js';
import { DynamoLedger } from '../adapters/aws/dynamo-ledger.js';
import { DynamoTenantDirectory } from '../adapters/aws/dynamo-tenants.js';
import { DEFAULT_LEDGER_TTL_DAYS } from '../config.js';
import { arrivalsTableName, assertStageName, ledgerTableName, tenantsTableName } from '../naming.js';
import type { ArrivalMarks, Ledger, TenantDirectory } from '../ports.js';
import { MAX_ATTEMPTS } from './settings.js';
import { EXIT_USAGE, RemoteError, explainAwsError } from './errors.js';

export interface Stores {
  tenants: TenantDirectory;
  ledger: Ledger;
  arrivals: ArrivalMarks;
}

/**
 * Runs `fn` on the stage's tables; an AWS failure becomes a RemoteError naming `action` (the
 * IAM action the command needs, e.g. `dynamodb:Scan`) and the table.
 */
export async function withStageStores<T>(stage: string, region: string | undefined, action: string, fn: (stores: Stores) => Promise<T>): Promise<T> {
  assertStageName(stage);
  const tables = { tenants: tenantsTableName(stage), ledger: ledgerTableName(stage) };
  const client = new DynamoDBClient({ ...(region ? { region } : {}), maxAttempts: MAX_ATTEMPTS });
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  try {
    // The functions' own expiry (the stacks keep the default): a reset entry lives as long as one they write.
    const ledger = new DynamoLedger(documents, { tableName: tables.ledger, ttlDays: DEFAULT_LEDGER_TTL_DAYS });
    return await fn({ tenants: new DynamoTenantDirectory(documents, tables.tenants), ledger, arrivals: new DynamoArrivalMarks(documents, arrivalsTableName(stage)) });
  } catch (error) {
    // Already said for a person (by the stage's ClickHouse, within `fn`).
    if (error instanceof RemoteError) throw error;
    // The adapters classify SDK errors for the pipeline; the person at the CLI wants the SDK's own.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const names = `${tables.tenants} or ${tables.ledger}`;
    if (cause instanceof Error && cause.name === 'ResourceNotFoundException') {
      const where = region ?? (await client.config.region().catch(() => 'the default region'));
      throw new RemoteError(`table ${names} does not exist in ${where}: is stage ${stage} deployed there (npx sst deploy --stage ${stage})?`, EXIT_USAGE, { cause });
    }
    const explained = explainAwsError(action, names, cause);
    // Not an AWS failure (a ClickHouse one): as it was thrown.
    throw explained === cause ? error : explained;
  } finally {
    client.destroy();
  }
}
