/** The TenantDirectory port on the TenantServices DynamoDB table (key `tenant_id`). */
import { PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TenantDirectory, TenantRecord } from '../../ports.js';
import { isCanonicalTable, type CanonicalTable } from '../../tables.js';
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
        const tables = Array.isArray(item.tables) ? (item.tables as unknown[]).filter((t): t is CanonicalTable => typeof t === 'string' && isCanonicalTable(t)) : undefined;
        tenants.push({
          tenantId: String(item.tenant_id),
          service: String(item.service ?? ''),
          enabled: item.enabled !== false,
          ...(tables ? { tables } : {}),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return tenants.sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  }

  async put(tenant: TenantRecord): Promise<void> {
    await awsCall(`saving tenant ${tenant.tenantId}`, () =>
      this.#documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { tenant_id: tenant.tenantId, service: tenant.service, enabled: tenant.enabled, tables: tenant.tables },
        }),
      ),
    );
  }
}
