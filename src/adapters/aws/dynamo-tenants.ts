/** The TenantDirectory port on the TenantServices DynamoDB table (key `tenant_id`). */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TenantDirectory, TenantRecord } from '../../ports.js';
import { awsCall } from './classify.js';

export class DynamoTenantDirectory implements TenantDirectory {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(documents: DynamoDBDocumentClient, tableName: string) {
    this.#documents = documents;
    this.#tableName = tableName;
  }

  async list(): Promise<TenantRecord[]> {
    const tenants: TenantRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await awsCall('reading tenants', () =>
        this.#documents.send(new ScanCommand({ TableName: this.#tableName, ExclusiveStartKey: start, ConsistentRead: true })),
      );
      for (const item of page.Items ?? []) {
        const tables = Array.isArray(item.tables) ? (item.tables as unknown[]).filter((t): t is string => typeof t === 'string') : undefined;
        const every = item.every_seconds;
        tenants.push({
          tenantId: String(item.tenant_id),
          service: String(item.service ?? ''),
          enabled: item.enabled !== false,
          ...(tables ? { tables } : {}),
          ...(typeof every === 'number' && every > 0 ? { everySeconds: every } : {}),
          ...(typeof item.last_success_at === 'string' ? { lastSuccessAt: item.last_success_at } : {}),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return tenants.sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  }

  async put(tenant: TenantRecord): Promise<void> {
    // An update, not a put: re-adding a tenant to change its settings keeps its last success.
    const fields: [string, unknown][] = [
      ['service', tenant.service],
      ['enabled', tenant.enabled],
      ['tables', tenant.tables],
      ['every_seconds', tenant.everySeconds],
      ...(tenant.lastSuccessAt !== undefined ? [['last_success_at', tenant.lastSuccessAt] as [string, unknown]] : []),
    ];
    const given = fields.filter(([, value]) => value !== undefined);
    const set = given.map(([name]) => `#${name} = :${name}`);
    const remove = fields.filter(([, value]) => value === undefined).map(([name]) => `#${name}`);
    await awsCall(`saving tenant ${tenant.tenantId}`, () =>
      this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { tenant_id: tenant.tenantId },
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ExpressionAttributeNames: Object.fromEntries(fields.map(([name]) => [`#${name}`, name])),
          ExpressionAttributeValues: Object.fromEntries(given.map(([name, value]) => [`:${name}`, value])),
        }),
      ),
    );
  }

  async recordSuccess(tenantIds: string[], at: string): Promise<void> {
    await Promise.all(
      [...new Set(tenantIds)].map(async (tenantId) => {
        try {
          await awsCall(`recording the last success of tenant ${tenantId}`, () =>
            this.#documents.send(
              new UpdateCommand({
                TableName: this.#tableName,
                Key: { tenant_id: tenantId },
                UpdateExpression: 'SET last_success_at = :at',
                // ISO times of one format compare as strings; a removed tenant is not brought back.
                ConditionExpression: 'attribute_exists(tenant_id) AND (attribute_not_exists(last_success_at) OR last_success_at < :at)',
                ExpressionAttributeValues: { ':at': at },
              }),
            ),
          );
        } catch (error) {
          // A success as new or newer is recorded already, or the tenant is gone: nothing to do.
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }),
    );
  }

  async remove(tenantId: string): Promise<boolean> {
    const result = await awsCall(`removing tenant ${tenantId}`, () =>
      this.#documents.send(new DeleteCommand({ TableName: this.#tableName, Key: { tenant_id: tenantId }, ReturnValues: 'ALL_OLD' })),
    );
    return result.Attributes !== undefined;
  }
}
