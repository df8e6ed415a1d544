/**
 * After a local process was killed (kill -9, a crash), its in-progress work is left behind: an
 * idempotency record `INPROGRESS` until its Lambda timeout, a ledger claim `loading` until it
 * goes stale. On AWS time ends both; locally the data dir lock proves their owner is dead (its
 * holder left the lock behind and is gone), so they are released at once and the next run
 * finishes the files.
 */
import { DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Deps } from '../runtime/deps.js';
import type { CanonicalTable } from '../tables.js';

async function* scan(deps: Deps, tableName: string, filter: string, values: Record<string, { S: string }>) {
  let start: Record<string, never> | undefined;
  do {
    const page = await deps.aws.dynamodb.send(
      new ScanCommand({ TableName: tableName, FilterExpression: filter, ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: values, ExclusiveStartKey: start }),
    );
    yield* page.Items ?? [];
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
}

export async function recoverAbandonedWork(deps: Deps): Promise<{ records: number; claims: number }> {
  let records = 0;
  for await (const item of scan(deps, deps.config.idempotencyTable, '#status = :inProgress', { ':inProgress': { S: 'INPROGRESS' } })) {
    await deps.aws.dynamodb.send(new DeleteItemCommand({ TableName: deps.config.idempotencyTable, Key: { id: item.id! } }));
    records++;
  }
  let claims = 0;
  for await (const item of scan(deps, deps.config.ledgerTable, '#status = :loading', { ':loading': { S: 'loading' } })) {
    const runId = item.runId?.S;
    const table = item.tbl?.S;
    const tenant = item.tenant?.S;
    const key = item.sk?.S;
    if (!runId || !table || !tenant || !key) continue;
    await deps.ledger.release({ tenant, table: table as CanonicalTable, key }, runId);
    claims++;
  }
  return { records, claims };
}
