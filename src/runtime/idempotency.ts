/**
 * Powertools idempotency, wired the same way for every handler: DynamoDB persistence, an
 * explicit key per handler, and no record at all for a dry run.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { getDeps, type Deps } from './deps.js';

/**
 * A JMESPath key over `fields` that is null when the event is a dry run. Powertools skips
 * idempotency when the key is null, so a dry run writes no record.
 */
export function keyUnlessDryRun(fields: readonly string[], dryRunPath = 'dryRun'): string {
  return `[@][?${dryRunPath} != \`true\`] | [0].[${fields.join(', ')}]`;
}

/** One persistence layer per use: Powertools binds a layer to the first configuration it sees. */
function persistence(deps: Deps): DynamoDBPersistenceLayer {
  return new DynamoDBPersistenceLayer({ tableName: deps.config.idempotencyTable, awsSdkV3Client: deps.aws.dynamodb });
}

/**
 * The middy middleware for one handler. Built on first use, and again when the process's
 * adapters are rebuilt, so the persistence layer always talks to the current table.
 */
export function idempotentHandler(name: string, eventKeyJmesPath: string): MiddlewareObj {
  let built: { deps: Deps; middleware: MiddlewareObj } | undefined;
  const middleware = async (): Promise<MiddlewareObj> => {
    const deps = await getDeps();
    if (built?.deps !== deps) {
      built = {
        deps,
        middleware: makeHandlerIdempotent({
          persistenceStore: persistence(deps),
          config: new IdempotencyConfig({ eventKeyJmesPath, throwOnNoIdempotencyKey: false }),
          keyPrefix: `onceload.${name}`,
        }) as MiddlewareObj,
      };
    }
    return built.middleware;
  };
  return {
    before: async (request) => (await middleware()).before?.(request),
    after: async (request) => (await middleware()).after?.(request),
    onError: async (request) => (await middleware()).onError?.(request),
  };
}

const layers = new WeakMap<Deps, Map<string, DynamoDBPersistenceLayer>>();

/** One persistence layer per use and per set of adapters, reused across invocations. */
function layerFor(deps: Deps, use: string): DynamoDBPersistenceLayer {
  let byUse = layers.get(deps);
  if (!byUse) layers.set(deps, (byUse = new Map()));
  let layer = byUse.get(use);
  if (!layer) byUse.set(use, (layer = persistence(deps)));
  return layer;
}

/** Wraps `fn` with a record keyed on `keyPath`, whose in-progress state expires with the invocation. */
function idempotentFunction<A, R>(deps: Deps, context: Context, use: string, keyPath: string, fn: (arg: A) => Promise<R>): (arg: A) => Promise<R> {
  const config = new IdempotencyConfig({ eventKeyJmesPath: keyPath, throwOnNoIdempotencyKey: true });
  config.registerLambdaContext(context);
  return makeIdempotent(fn, { persistenceStore: layerFor(deps, use), config, keyPrefix: `onceload.${use}` });
}

/**
 * Plan's idempotency: the first plan of a round that has files to load is stored, and a retry
 * of that round returns it, so Load batches keep the files they were planned with. A round
 * with nothing to load stores nothing: a scheduled run that finds nothing new writes no
 * idempotency record at all.
 */
export function firstPlanOfRound<R>(deps: Deps, context: Context): (round: { runId: string; tenant: string; table: string; round: number; plan: R }) => Promise<R> {
  return idempotentFunction(deps, context, 'plan', '[runId, tenant, table, round]', async (round: { plan: R }) => round.plan);
}
