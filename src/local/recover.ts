/**
 * After a local process was killed (kill -9, a crash), its in-progress work is left behind: an
 * idempotency record `INPROGRESS` until its Lambda timeout, ledger claims whose leases run
 * until its invocations would have ended. On AWS time ends both; locally the data dir lock
 * proves their owner is dead (its holder left the lock behind and is gone), so they end at
 * once, and the next run takes the claims over by the claim protocol: a unit the dead process
 * sealed is finished with the very insert it may have sent.
 */
import { DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { endDeadLeases } from '../lib/claims.js';
import type { Deps } from '../runtime/deps.js';

export async function recoverAbandonedWork(deps: Deps): Promise<{ records: number; claims: number }> {
  let records = 0;
  let start: Record<string, never> | undefined;
  do {
    const page = await deps.aws.dynamodb.send(
      new ScanCommand({
        TableName: deps.config.idempotencyTable,
        FilterExpression: '#status = :inProgress',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':inProgress': { S: 'INPROGRESS' } },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      await deps.aws.dynamodb.send(new DeleteItemCommand({ TableName: deps.config.idempotencyTable, Key: { id: item.id! } }));
      records++;
    }
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return { records, claims: await endDeadLeases(deps.ledger) };
}
