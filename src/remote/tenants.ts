/**
 * `onceload tenants --stage S`: the same TenantServices adapter the functions use, pointed at the
 * deployed stage's table, with AWS failures explained for a person.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTenantDirectory } from '../adapters/aws/dynamo-tenants.js';
import { InputError } from '../errors.js';
import { STAGE_NAME, tenantsTableName } from '../naming.js';
import type { TenantDirectory } from '../ports.js';
import { MAX_ATTEMPTS } from './client.js';
import { EXIT_USAGE, RemoteError, explainAwsError } from './errors.js';

/** Runs `fn` on the stage's tenants; an AWS failure becomes a RemoteError naming the action and the table. */
export async function withStageTenants<T>(stage: string, region: string | undefined, action: 'Scan' | 'UpdateItem', fn: (tenants: TenantDirectory) => Promise<T>): Promise<T> {
  if (!STAGE_NAME.test(stage)) throw new InputError(`${JSON.stringify(stage)} is not a stage name: lowercase letters, digits and -, starting with a letter`, '--stage');
  const table = tenantsTableName(stage);
  const client = new DynamoDBClient({ ...(region ? { region } : {}), maxAttempts: MAX_ATTEMPTS });
  try {
    return await fn(new DynamoTenantDirectory(DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), table));
  } catch (error) {
    // The adapter classifies SDK errors for the pipeline; the person at the CLI wants the SDK's own.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    if (cause instanceof Error && cause.name === 'ResourceNotFoundException') {
      const where = region ?? (await client.config.region().catch(() => 'the default region'));
      throw new RemoteError(`table ${table} does not exist in ${where}: is stage ${stage} deployed there (npx sst deploy --stage ${stage})?`, EXIT_USAGE, { cause });
    }
    throw explainAwsError(`dynamodb:${action}`, table, cause);
  } finally {
    client.destroy();
  }
}
