/**
 * Counts what the pipeline asks of its stores, at the clients (as scripts/bench.ts does): DynamoDB
 * requests as reads or writes, S3 requests by price class, ClickHouse queries. Landed objects that
 * ClickHouse reads itself (presigned URLs) never pass the S3 client: the local S3 reports them.
 */
import type { LocalRuntime } from '../local/runtime.js';
import type { Deps } from '../runtime/deps.js';

export interface RequestCounts {
  dynamodbReads: number;
  dynamodbWrites: number;
  s3Gets: number;
  s3Puts: number;
  s3Lists: number;
  clickhouseQueries: number;
}

export const noRequests = (): RequestCounts => ({ dynamodbReads: 0, dynamodbWrites: 0, s3Gets: 0, s3Puts: 0, s3Lists: 0, clickhouseQueries: 0 });

const DYNAMODB_READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const S3_GETS = new Set(['GetObject', 'HeadObject']);
const S3_LISTS = new Set(['ListObjectsV2', 'ListObjects', 'ListObjectVersions']);

const operation = (commandName: string | undefined) => String(commandName ?? '').replace(/Command$/, '');

/** Starts counting; `counts()` is the running total since then. */
export function countRequests(runtime: LocalRuntime, deps: Deps): { counts(): RequestCounts } {
  const totals = noRequests();
  deps.aws.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      if (DYNAMODB_READS.has(operation(context.commandName))) totals.dynamodbReads++;
      else totals.dynamodbWrites++;
      return next(args);
    },
    { step: 'initialize', name: 'capacityCountDynamodb' },
  );
  deps.aws.s3.middlewareStack.add(
    (next, context) => async (args) => {
      const name = operation(context.commandName);
      const bucket = (args.input as { Bucket?: string }).Bucket;
      // A landed object's GET is counted where the local S3 serves it, whoever asks.
      if (S3_GETS.has(name)) {
        if (!(name === 'GetObject' && bucket === deps.config.landingBucket)) totals.s3Gets++;
      } else if (S3_LISTS.has(name)) totals.s3Lists++;
      else totals.s3Puts++;
      return next(args);
    },
    { step: 'initialize', name: 'capacityCountS3' },
  );
  // The local S3 reports a read as it progresses: each read once.
  const reads = new Set<number>();
  runtime.onObjectRead((read) => {
    if (reads.has(read.read)) return;
    reads.add(read.read);
    totals.s3Gets++;
  });
  for (const method of ['command', 'query', 'exec', 'insert'] as const) {
    const original = (deps.clickhouse[method] as (p: unknown) => Promise<unknown>).bind(deps.clickhouse);
    (deps.clickhouse as unknown as Record<string, unknown>)[method] = (p: unknown) => (totals.clickhouseQueries++, original(p));
  }
  return { counts: () => ({ ...totals }) };
}

export function requestsBetween(before: RequestCounts, after: RequestCounts): RequestCounts {
  const keys = Object.keys(before) as (keyof RequestCounts)[];
  return Object.fromEntries(keys.map((key) => [key, after[key] - before[key]])) as unknown as RequestCounts;
}
