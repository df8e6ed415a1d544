/**
 * Configuration at the edge: one `loadConfig()` turns environment variables into a resolved,
 * typed object. A bad value throws naming the variable and what it accepts.
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { loadTables } from './table-config.js';
import type { TableCatalog } from './tables.js';

export type ClickHouseTarget =
  | { kind: 'chdb'; path: string }
  | { kind: 'server'; url: string; username: string; password: string; database: string }
  /** A deployed stage: the connection is read from this Secrets Manager secret when first needed. */
  | { kind: 'secret'; secretName: string }
  /** A function that never queries ClickHouse (Discover, the arrival marker): it holds no connection and no secret. */
  | { kind: 'none' };

export interface OnceloadConfig {
  region: string;
  tenantsTable: string;
  ledgerTable: string;
  idempotencyTable: string;
  /** Arrival marks: what a scheduled tick reads instead of listing every folder. */
  arrivalsTable: string;
  /** A scheduled tick lists every item (a sweep) once this many hours have passed since the last. */
  sweepHours: number;
  landingBucket: string;
  /** Where runs keep their item manifests, map results and reports (src/lib/run-layout.ts). */
  runsBucket: string;
  /** Set only for the embedded runtime (dynalite, s3rver); AWS uses the regional endpoints. */
  dynamodbEndpoint: string | undefined;
  s3Endpoint: string | undefined;
  clickhouse: ClickHouseTarget;
  /** Database holding the configured tables. */
  database: string;
  /** The tables onceload loads (`onceload.tables.json`, or the canonical four). */
  tables: TableCatalog;
  /** A `loading` ledger claim older than this is taken over (the Load function's timeout). */
  /** Rows per insert block; pinned so a redone insert forms the same blocks and tokens. */
  insertBlockRows: number;
  /** Files one Plan round hands to the loads, so a Map item's state stays small. */
  planMaxFiles: number;
  /** Rounds an item loads in one execution; the rest waits for the next, so one item starves no other. */
  maxRounds: number;
  /**
   * Files per Load batch, and its bytes: a batch's files are one load unit, inserted as one
   * block that the engine holds in memory; a file larger than that is loaded alone, in blocks.
   */
  batchMaxFiles: number;
  batchMaxBytes: number;
  /** Ledger items expire this many days after their last write (DynamoDB TTL). */
  ledgerTtlDays: number;
  /**
   * How the Load gets a file's rows to ClickHouse: `in-engine`, ClickHouse reads the object from
   * a presigned URL; `streamed`, the Load reads the object and streams its rows into the insert,
   * for a ClickHouse that cannot reach the bucket.
   */
  loadPath: LoadPath;
  /** Streamed: the bytes of rows one insert sends at most (rows: insertBlockRows). */
  streamChunkBytes: number;
  /** Tenant x table items the Distributed Map runs at once: size it to the ClickHouse server's insert capacity. */
  mapConcurrency: number;
  /** Where a tick finds the executions still running: Step Functions, or the embedded runtime's process. */
  executions: 'step-functions' | 'embedded';
}

export const LOAD_PATHS = ['in-engine', 'streamed'] as const;
export type LoadPath = (typeof LOAD_PATHS)[number];

/**
 * Days a ledger entry lives after its last write; 0 (the default) keeps entries for good. An
 * entry that expired while its file is still landed would let that file load a second time,
 * so a TTL is only safe with a landing-bucket lifecycle shorter than it.
 */
export const DEFAULT_LEDGER_TTL_DAYS = 0;

export { ConfigError } from './errors.js';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const WHOLE = 'a whole number of at least 1';
const URL_HINT = 'a URL such as http://localhost:8123';
/** What each checked variable accepts, said in the message instead of the schema library's own words. */
const ACCEPTS: Record<string, string> = {
  ONCELOAD_DYNAMODB_ENDPOINT: URL_HINT,
  ONCELOAD_S3_ENDPOINT: URL_HINT,
  ONCELOAD_CLICKHOUSE_URL: URL_HINT,
  ONCELOAD_CLICKHOUSE_DATABASE: 'a database name: letters, digits and _, not starting with a digit',
  ONCELOAD_INSERT_BLOCK_ROWS: WHOLE,
  ONCELOAD_PLAN_MAX_FILES: WHOLE,
  ONCELOAD_MAX_ROUNDS: WHOLE,
  ONCELOAD_BATCH_MAX_FILES: 'a whole number from 1 to 200',
  ONCELOAD_BATCH_MAX_BYTES: WHOLE,
  ONCELOAD_LEDGER_TTL_DAYS: 'a whole number of days, 0 or more',
  ONCELOAD_LOAD_PATH: `one of ${LOAD_PATHS.join(', ')}`,
  ONCELOAD_STREAM_CHUNK_BYTES: WHOLE,
  ONCELOAD_MAP_CONCURRENCY: 'a whole number from 1 to 10000',
  ONCELOAD_CLICKHOUSE: 'none (a function that never queries ClickHouse), or unset',
  ONCELOAD_SWEEP_HOURS: 'a whole number of hours, at least 1',
  ONCELOAD_EXECUTIONS: 'step-functions or embedded',
};

/** The value as it may be shown: never a URL's password. */
function shown(value: unknown): string {
  return JSON.stringify(String(value).replace(/(\/\/[^/:@]*:)[^/@]*@/, '$1***@'));
}

const schema = z.object({
  AWS_REGION: z.string().min(1).default('us-east-1'),
  ONCELOAD_TENANTS_TABLE: z.string().min(1).default('onceload-tenants'),
  ONCELOAD_LEDGER_TABLE: z.string().min(1).default('onceload-file-ledger'),
  ONCELOAD_IDEMPOTENCY_TABLE: z.string().min(1).default('onceload-idempotency'),
  ONCELOAD_ARRIVALS_TABLE: z.string().min(1).default('onceload-arrivals'),
  ONCELOAD_SWEEP_HOURS: positiveInt(24),
  ONCELOAD_LANDING_BUCKET: z.string().min(1).default('onceload-landing'),
  ONCELOAD_RUNS_BUCKET: z.string().min(1).default('onceload-runs'),
  ONCELOAD_DYNAMODB_ENDPOINT: z.url().optional(),
  ONCELOAD_S3_ENDPOINT: z.url().optional(),
  ONCELOAD_CHDB_PATH: z.string().min(1).optional(),
  ONCELOAD_CLICKHOUSE_SECRET: z.string().min(1).optional(),
  ONCELOAD_CLICKHOUSE: z.enum(['none']).optional(),
  ONCELOAD_CLICKHOUSE_URL: z.url().optional(),
  ONCELOAD_CLICKHOUSE_USER: z.string().default('default'),
  ONCELOAD_CLICKHOUSE_PASSWORD: z.string().default(''),
  ONCELOAD_CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('default'),
  ONCELOAD_INSERT_BLOCK_ROWS: positiveInt(65_536),
  ONCELOAD_PLAN_MAX_FILES: positiveInt(500),
  ONCELOAD_MAX_ROUNDS: positiveInt(50),
  // A unit's composition is one ledger item (at most 400 KB): 200 keys of up to 1 KB fit.
  ONCELOAD_BATCH_MAX_FILES: z.coerce.number().int().positive().max(200).default(50),
  ONCELOAD_BATCH_MAX_BYTES: positiveInt(64 * 1024 * 1024),
  ONCELOAD_LEDGER_TTL_DAYS: z.coerce.number().int().min(0).default(DEFAULT_LEDGER_TTL_DAYS),
  ONCELOAD_LOAD_PATH: z.enum(LOAD_PATHS).default('in-engine'),
  ONCELOAD_STREAM_CHUNK_BYTES: positiveInt(4 * 1024 * 1024),
  // A Distributed Map runs at most 10,000 child executions at once.
  ONCELOAD_MAP_CONCURRENCY: z.coerce.number().int().positive().max(10_000).default(8),
  ONCELOAD_EXECUTIONS: z.enum(['step-functions', 'embedded']).default('step-functions'),
});

export function loadConfig(env: NodeJS.ProcessEnv = process.env): OnceloadConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = issue.path.join('.');
    throw new ConfigError(`${name} is ${shown(env[name])}: expected ${ACCEPTS[name] ?? 'a non-empty value'}`);
  }
  const e = parsed.data;
  let clickhouse: ClickHouseTarget;
  if (e.ONCELOAD_CLICKHOUSE === 'none') {
    clickhouse = { kind: 'none' };
  } else if (e.ONCELOAD_CLICKHOUSE_SECRET) {
    clickhouse = { kind: 'secret', secretName: e.ONCELOAD_CLICKHOUSE_SECRET };
  } else if (e.ONCELOAD_CLICKHOUSE_URL) {
    clickhouse = {
      kind: 'server',
      url: e.ONCELOAD_CLICKHOUSE_URL,
      username: e.ONCELOAD_CLICKHOUSE_USER,
      password: e.ONCELOAD_CLICKHOUSE_PASSWORD,
      database: e.ONCELOAD_CLICKHOUSE_DATABASE,
    };
  } else if (e.ONCELOAD_CHDB_PATH) {
    clickhouse = { kind: 'chdb', path: e.ONCELOAD_CHDB_PATH };
  } else {
    throw new ConfigError(
      'set ONCELOAD_CLICKHOUSE_SECRET (a Secrets Manager secret), ONCELOAD_CLICKHOUSE_URL (a ClickHouse server) or ONCELOAD_CHDB_PATH (embedded chDB)',
    );
  }
  return {
    region: e.AWS_REGION,
    tenantsTable: e.ONCELOAD_TENANTS_TABLE,
    ledgerTable: e.ONCELOAD_LEDGER_TABLE,
    idempotencyTable: e.ONCELOAD_IDEMPOTENCY_TABLE,
    arrivalsTable: e.ONCELOAD_ARRIVALS_TABLE,
    sweepHours: e.ONCELOAD_SWEEP_HOURS,
    landingBucket: e.ONCELOAD_LANDING_BUCKET,
    runsBucket: e.ONCELOAD_RUNS_BUCKET,
    dynamodbEndpoint: e.ONCELOAD_DYNAMODB_ENDPOINT,
    s3Endpoint: e.ONCELOAD_S3_ENDPOINT,
    clickhouse,
    database: clickhouse.kind === 'server' ? clickhouse.database : 'default',
    insertBlockRows: e.ONCELOAD_INSERT_BLOCK_ROWS,
    planMaxFiles: e.ONCELOAD_PLAN_MAX_FILES,
    maxRounds: e.ONCELOAD_MAX_ROUNDS,
    batchMaxFiles: e.ONCELOAD_BATCH_MAX_FILES,
    batchMaxBytes: e.ONCELOAD_BATCH_MAX_BYTES,
    ledgerTtlDays: e.ONCELOAD_LEDGER_TTL_DAYS,
    loadPath: e.ONCELOAD_LOAD_PATH,
    streamChunkBytes: e.ONCELOAD_STREAM_CHUNK_BYTES,
    mapConcurrency: e.ONCELOAD_MAP_CONCURRENCY,
    executions: e.ONCELOAD_EXECUTIONS,
    tables: loadTables(env),
  };
}
