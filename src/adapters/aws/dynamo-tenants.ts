/** The TenantDirectory port on the TenantServices DynamoDB table (key `tenant_id`). */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { LAST_SUCCESS_ATTRIBUTE } from '../../dynamo-schema.js';
import { BatchWriteCommand, DeleteCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../errors.js';
import type { TenantDirectory, TenantRecord } from '../../ports.js';
import { awsCall } from './classify.js';

/** BatchWriteItem's limit of requests per call. */
const BATCH_SIZE = 25;
/** Batches in flight at once: 100 items, far below one table's write capacity on demand. */
const BATCHES_AT_ONCE = 4;
/** Rounds of retrying a batch's unprocessed items (throttled writes) before giving up. */
const UNPROCESSED_ROUNDS = 8;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The item of a tenant, as `list` reads it back. */
function tenantItem(tenant: TenantRecord): Record<string, unknown> {
  return {
    tenant_id: tenant.tenantId,
    service: tenant.service,
    enabled: tenant.enabled,
    ...(tenant.tables !== undefined ? { tables: tenant.tables } : {}),
    ...(tenant.everySeconds !== undefined ? { every_seconds: tenant.everySeconds } : {}),
    ...(tenant.lastSuccessAt !== undefined ? { last_success_at: tenant.lastSuccessAt } : {}),
    ...(tenant.since !== undefined ? { since: tenant.since } : {}),
    ...(tenant.startAfter !== undefined ? { start_after: tenant.startAfter } : {}),
  };
}

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
          ...(typeof item.since === 'string' ? { since: item.since } : {}),
          ...(typeof item.start_after === 'string' ? { startAfter: item.start_after } : {}),
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
      ['since', tenant.since],
      ['start_after', tenant.startAfter],
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

  /**
   * BatchWriteItem, 25 puts a call, rather than TransactWriteItems: the tenants `tenants import`
   * gives are new (it updates existing ones one UpdateItem each, which keeps a last success a run
   * records meanwhile), so no condition is needed, and a batch costs half a transaction's write
   * units and never fails whole on one conflicting write. A batch is not atomic: items DynamoDB
   * leaves unprocessed (throttling) are sent again with exponential backoff and jitter; what is
   * still unwritten after that fails the import, and importing the same file again writes only
   * what is missing, since the import compares with what is there first.
   */
  async putMany(tenants: TenantRecord[], onWritten?: (written: number) => void): Promise<void> {
    const batches: Record<string, unknown>[][] = [];
    for (let i = 0; i < tenants.length; i += BATCH_SIZE) batches.push(tenants.slice(i, i + BATCH_SIZE).map(tenantItem));
    let written = 0;
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        await this.#writeBatch(batch);
        written += batch.length;
        onWritten?.(written);
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCHES_AT_ONCE, batches.length) }, worker));
  }

  async #writeBatch(items: Record<string, unknown>[]): Promise<void> {
    let requests = items.map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; requests.length > 0; round++) {
      if (round > 0) {
        if (round > UNPROCESSED_ROUNDS) {
          throw new TransientError(`saving tenants: DynamoDB left ${requests.length} write(s) unprocessed after ${UNPROCESSED_ROUNDS} retries (throttled); import the file again to write the rest`);
        }
        await sleep(Math.min(5_000, 50 * 2 ** round) * (0.5 + Math.random() / 2));
      }
      const result = await awsCall('saving tenants', () => this.#documents.send(new BatchWriteCommand({ RequestItems: { [this.#tableName]: requests } })));
      requests = (result.UnprocessedItems?.[this.#tableName] ?? []) as typeof requests;
    }
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
                UpdateExpression: 'SET #last = :at',
                // ISO times of one format compare as strings; a removed tenant is not brought back.
                ConditionExpression: 'attribute_exists(tenant_id) AND (attribute_not_exists(#last) OR #last < :at)',
                ExpressionAttributeNames: { '#last': LAST_SUCCESS_ATTRIBUTE },
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
