import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoTenantDirectory } from '../../src/adapters/aws/dynamo-tenants.js';
import type { TenantRecord } from '../../src/ports.js';

type Request = { PutRequest: { Item: Record<string, unknown> } };

/** A document client that answers BatchWriteItem, leaving the first `unprocessed` items of each of the first `rounds` calls unprocessed. */
function documents(unprocessedCalls: number) {
  const calls: Request[][] = [];
  const items = new Map<string, Record<string, unknown>>();
  const client = {
    async send(command: { input: { RequestItems: Record<string, Request[]> } }) {
      const requests = command.input.RequestItems.Tenants!;
      calls.push(requests);
      const left = calls.length <= unprocessedCalls ? requests.slice(0, 3) : [];
      for (const r of requests.slice(left.length)) items.set(String(r.PutRequest.Item.tenant_id), r.PutRequest.Item);
      return { UnprocessedItems: left.length ? { Tenants: left } : {} };
    },
  };
  return { client: client as unknown as DynamoDBDocumentClient, calls, items };
}

const tenants = (n: number): TenantRecord[] =>
  Array.from({ length: n }, (_, i) => ({ tenantId: `t${i}`, service: 'default', enabled: i % 2 === 0, ...(i === 0 ? { tables: ['companies' as const], everySeconds: 3600 } : {}) }));

describe('DynamoTenantDirectory.putMany', () => {
  it('writes in BatchWriteItem calls of at most 25 puts, each tenant as list reads it back', async () => {
    const { client, calls, items } = documents(0);
    const written: number[] = [];
    await new DynamoTenantDirectory(client, 'Tenants').putMany(tenants(60), (n) => written.push(n));
    expect(calls.map((c) => c.length).sort()).toEqual([10, 25, 25]);
    expect(items.size).toBe(60);
    expect(items.get('t0')).toEqual({ tenant_id: 't0', service: 'default', enabled: true, tables: ['companies'], every_seconds: 3600 });
    expect(items.get('t1')).toEqual({ tenant_id: 't1', service: 'default', enabled: false });
    expect(written.at(-1)).toBe(60);
  });

  it('sends the unprocessed items again until none are left', async () => {
    const { client, calls, items } = documents(2);
    await new DynamoTenantDirectory(client, 'Tenants').putMany(tenants(20));
    expect(calls.map((c) => c.length)).toEqual([20, 3, 3]);
    expect(items.size).toBe(20);
  });

  it('gives up with a TransientError when DynamoDB keeps leaving items unprocessed', async () => {
    const { client } = documents(Infinity);
    const error = await new DynamoTenantDirectory(client, 'Tenants').putMany(tenants(5)).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TransientError', message: expect.stringMatching(/left 3 write\(s\) unprocessed after 8 retries/) });
  }, 60_000);

  it('sends nothing for no tenants', async () => {
    const { client, calls } = documents(0);
    await new DynamoTenantDirectory(client, 'Tenants').putMany([]);
    expect(calls).toEqual([]);
  });
});
