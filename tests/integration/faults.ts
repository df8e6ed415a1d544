/**
 * Fault injection at the clients: a test seam in front of the real stores, never a mock of
 * them. A fault names the client, a predicate on the call, what to do (throw, or hold the call
 * until released), and how many times.
 */
import type { Deps } from '../../src/runtime/deps.js';

export type Store = 'dynamodb' | 's3' | 'clickhouse';

export interface Call {
  store: Store;
  /** SDK command name (`QueryCommand`), or the ClickHouse client method (`command`, `query`). */
  operation: string;
  /** DynamoDB table, S3 bucket. */
  target?: string;
  input: Record<string, unknown>;
  /** ClickHouse SQL. */
  sql?: string;
}

export interface Fault {
  store: Store;
  when?: (call: Call) => boolean;
  /** Throw this error before the call reaches the store. */
  error?: () => Error;
  /** Let the call through, then throw: the store did the work, the caller never heard. */
  errorAfter?: () => Error;
  /** Hold the call until the promise settles. */
  hold?: Promise<unknown>;
  /** Told when a ClickHouse call this fault matched has ended, however it ended. */
  ended?: () => void;
  /** Replace the ClickHouse SQL (to model a partial insert). */
  rewriteSql?: (sql: string) => string;
  times?: number;
}

export const errors = {
  throttling: () => Object.assign(new Error('injected: rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
  serverError: () => Object.assign(new Error('injected: internal error'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }),
  s3ServerError: () => Object.assign(new Error('injected: we encountered an internal error'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } }),
  connectionReset: () => Object.assign(new Error('injected: socket hang up'), { code: 'ECONNRESET' }),
  clickhouseNetwork: () => Object.assign(new Error('Code: 210. DB::Exception: injected: connection reset by peer. (NETWORK_ERROR)'), { code: '210', type: 'NETWORK_ERROR' }),
};

export interface FaultInjector {
  add(fault: Fault): { fired: () => number };
  clear(): void;
  calls: Call[];
  record: boolean;
}

const installed = new WeakMap<Deps, FaultInjector>();

export function faultInjector(deps: Deps): FaultInjector {
  const existing = installed.get(deps);
  if (existing) return existing;
  const active: { fault: Fault; fired: number }[] = [];
  const injector: FaultInjector = {
    calls: [],
    record: false,
    add(fault) {
      const entry = { fault, fired: 0 };
      active.push(entry);
      return { fired: () => entry.fired };
    },
    clear() {
      active.length = 0;
    },
  };
  const match = (call: Call) => {
    if (injector.record) injector.calls.push(call);
    const entry = active.find((a) => a.fault.store === call.store && a.fired < (a.fault.times ?? 1) && (a.fault.when?.(call) ?? true));
    if (entry) entry.fired++;
    return entry?.fault;
  };

  const sdkMiddleware = (store: Store) => (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
    const input = (args as { input: Record<string, unknown> }).input;
    const target = (input.TableName ?? input.Bucket) as string | undefined;
    // The runs bucket holds the run's manifest, Map results and report, which Step Functions itself
    // reads and writes on AWS (ItemReader, ResultWriter) with its own retries: faults are the pipeline's.
    if (target === deps.config.runsBucket) return next(args);
    const fault = match({ store, operation: context.commandName ?? '', input, ...(target ? { target } : {}) });
    if (fault?.hold) await fault.hold;
    if (fault?.error) throw fault.error();
    const result = await next(args);
    if (fault?.errorAfter) throw fault.errorAfter();
    return result;
  };
  deps.aws.dynamodb.middlewareStack.add(sdkMiddleware('dynamodb') as never, { step: 'initialize', name: 'faultInjection' });
  deps.aws.s3.middlewareStack.add(sdkMiddleware('s3') as never, { step: 'initialize', name: 'faultInjection' });

  for (const method of ['command', 'query', 'exec'] as const) {
    const original = (deps.clickhouse[method] as (params: { query: string }) => Promise<unknown>).bind(deps.clickhouse);
    (deps.clickhouse as unknown as Record<string, unknown>)[method] = async (params: { query: string }) => {
      const fault = match({ store: 'clickhouse', operation: method, input: params as never, sql: params.query });
      try {
        if (fault?.hold) await fault.hold;
        if (fault?.error) throw fault.error();
        const result = await original(fault?.rewriteSql ? { ...params, query: fault.rewriteSql(params.query) } : params);
        if (fault?.errorAfter) throw fault.errorAfter();
        return result;
      } finally {
        fault?.ended?.();
      }
    };
  }
  installed.set(deps, injector);
  return injector;
}

export const isInsert = (call: Call) => /^\s*INSERT/i.test(call.sql ?? '');

/** An insert into a table (not the streamed path's parse-only insert into a table function). */
export const isTableInsert = (call: Call) => isInsert(call) && !/^\s*INSERT INTO FUNCTION/i.test(call.sql ?? '');
