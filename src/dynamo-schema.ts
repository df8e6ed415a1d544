/**
 * The DynamoDB tables' key schemas and TTL attributes: one definition for the stacks, the
 * adapters and the embedded runtime, so a deployed table and a local one cannot differ.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** TenantServices: one item per tenant. */
export const TENANTS_KEY = { partition: 'tenant_id' } as const;

/** The one attribute of a tenant a run writes (Validate, after a run validates): its role may write no other. */
export const LAST_SUCCESS_ATTRIBUTE = 'last_success_at';

/** The file ledger: one item per (tenant#table, S3 key). */
export const LEDGER_KEY = { partition: 'pk', sort: 'sk' } as const;

/** Epoch seconds after which DynamoDB TTL deletes a ledger item. */
export const LEDGER_TTL_ATTRIBUTE = 'expiresAt';

/** Arrival marks: one item per tenant x table with objects landed since it was last listed, and the last sweep. */
export const ARRIVALS_KEY = { partition: 'item' } as const;

/** Powertools idempotency records: its default key and expiry attributes. */
export const IDEMPOTENCY_KEY = { partition: 'id' } as const;
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'expiration';

type TableShape = Pick<CreateTableCommandInput, 'AttributeDefinitions' | 'KeySchema'>;

const stringKey = (partition: string, sort?: string): TableShape => ({
  AttributeDefinitions: [partition, ...(sort ? [sort] : [])].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
  KeySchema: [{ AttributeName: partition, KeyType: 'HASH' as const }, ...(sort ? [{ AttributeName: sort, KeyType: 'RANGE' as const }] : [])],
});

export const TABLE_SHAPES = {
  tenants: stringKey(TENANTS_KEY.partition),
  ledger: stringKey(LEDGER_KEY.partition, LEDGER_KEY.sort),
  idempotency: stringKey(IDEMPOTENCY_KEY.partition),
  arrivals: stringKey(ARRIVALS_KEY.partition),
} as const;
