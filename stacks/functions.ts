/**
 * The five Lambdas, built from the very modules in `functions/` that the embedded runtime
 * calls. Each is granted only the resources its step touches.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Function, type Stack } from 'sst/constructs';
import type { FunctionName } from '../src/definition.js';
import { LAST_SUCCESS_ATTRIBUTE, TENANTS_KEY } from '../src/dynamo-schema.js';
import { FUNCTION_SETTINGS, type FunctionSettings } from '../src/function-settings.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../src/metric-names.js';
import type { TableCatalog } from '../src/tables.js';
import type { StageConfig } from './stage-config.js';
import type { Storage } from './storage.js';

export type PipelineFunctions = Record<FunctionName, Function>;

const HANDLERS: Record<FunctionName, { id: string; handler: string }> = {
  discover: { id: 'Discover', handler: 'functions/discover.handler' },
  'ensure-schema': { id: 'EnsureSchema', handler: 'functions/ensure-schema.handler' },
  plan: { id: 'Plan', handler: 'functions/plan.handler' },
  load: { id: 'Load', handler: 'functions/load.handler' },
  validate: { id: 'Validate', handler: 'functions/validate.handler' },
};

function logRetention(days: number): Lowercase<keyof typeof RetentionDays> {
  const name = Object.entries(RetentionDays).find(([, value]) => value === days)?.[0];
  if (!name) throw new Error(`no CloudWatch Logs retention of ${days} days`);
  return name.toLowerCase() as Lowercase<keyof typeof RetentionDays>;
}

/**
 * The table configuration every function carries, beside its bundle: Lambda runs a function in
 * /var/task, the bundle's root, where `ONCELOAD_TABLES_FILE` finds it relative to the directory.
 */
export const BUNDLED_TABLES_FILE = 'onceload.tables.json';

/**
 * Writes the tables as the functions read them (checked at synth time, every default spelled
 * out) where the stage's bundles copy it from; returns that path relative to the project root.
 */
export function writeBundledTables(tables: TableCatalog, root: string, stage: string): string {
  const relative = join('.sst', 'tables', stage, BUNDLED_TABLES_FILE);
  mkdirSync(dirname(join(root, relative)), { recursive: true });
  writeFileSync(join(root, relative), `${JSON.stringify(tables, null, 2)}\n`);
  return relative;
}

/**
 * What a function reads its configuration from: the stage's resources, by name. A function that
 * never queries ClickHouse gets no secret name (and no grant on it): `ONCELOAD_CLICKHOUSE=none`.
 */
export function functionEnvironment(storage: Storage, config: StageConfig, queriesClickHouse: boolean): Record<string, string> {
  return {
    ONCELOAD_TENANTS_TABLE: storage.tenants.tableName,
    ONCELOAD_LEDGER_TABLE: storage.ledger.tableName,
    ONCELOAD_IDEMPOTENCY_TABLE: storage.idempotency.tableName,
    ONCELOAD_ARRIVALS_TABLE: storage.arrivals.tableName,
    ONCELOAD_LANDING_BUCKET: storage.landing.bucketName,
    ONCELOAD_RUNS_BUCKET: storage.runs.bucketName,
    // The secret's name only: the connection is read at run time and never sits in the environment.
    ...(queriesClickHouse ? { ONCELOAD_CLICKHOUSE_SECRET: config.clickhouseSecretName } : { ONCELOAD_CLICKHOUSE: 'none' }),
    // A Load claim is taken over only after the function that holds it has surely ended.
    ONCELOAD_LOAD_PATH: config.loadPath,
    // Read by Discover, which hands it to the Map (MaxConcurrencyPath), and decides when a tick sweeps.
    ONCELOAD_MAP_CONCURRENCY: String(config.mapConcurrency),
    ONCELOAD_SWEEP_HOURS: String(config.sweepHours),
    // The tables the deploying checkout configures, as a file in the bundle: no size cap of the environment.
    ONCELOAD_TABLES_FILE: BUNDLED_TABLES_FILE,
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    NODE_OPTIONS: '--enable-source-maps',
  };
}

/** One onceload function: Node.js 22 on arm64, traced, bundled with the table configuration beside it. */
export function onceloadFunction(
  stack: Stack,
  fn: { id: string; handler: string; name: string; settings: FunctionSettings },
  config: StageConfig,
  environment: Record<string, string>,
  tablesFile: string,
): Function {
  return new Function(stack, fn.id, {
    handler: fn.handler,
    description: `onceload ${fn.name}: ${fn.settings.why}`,
    runtime: 'nodejs22.x',
    architecture: 'arm_64',
    memorySize: fn.settings.memoryMb,
    timeout: fn.settings.timeoutSeconds,
    tracing: 'active',
    logRetention: logRetention(config.logRetentionDays),
    environment,
    copyFiles: [{ from: tablesFile, to: BUNDLED_TABLES_FILE }],
    // chDB is the embedded engine of the local runtime; on Lambda ClickHouse is a server.
    nodejs: { format: 'esm', sourcemap: true, esbuild: { external: ['chdb', 'chdb/*'] } },
  });
}

/**
 * The steps that query ClickHouse (Plan counts rows before a run and writes skipped versions'
 * load log rows; Load writes its outcomes'); Discover reads only DynamoDB and S3.
 */
const QUERIES_CLICKHOUSE: ReadonlySet<FunctionName> = new Set(['ensure-schema', 'plan', 'load', 'validate']);

/** `tablesFile`: the checked table configuration, relative to the project root (`writeBundledTables`). */
export function createFunctions(stack: Stack, storage: Storage, secret: ISecret, config: StageConfig, tablesFile: string): PipelineFunctions {
  const build = (name: FunctionName): Function =>
    onceloadFunction(stack, { ...HANDLERS[name], name, settings: FUNCTION_SETTINGS[name] }, config, functionEnvironment(storage, config, QUERIES_CLICKHOUSE.has(name)), tablesFile);
  const fns = Object.fromEntries((Object.keys(HANDLERS) as FunctionName[]).map((name) => [name, build(name)])) as PipelineFunctions;

  for (const fn of Object.values(fns)) {
    // Every step keeps its own idempotency records.
    storage.idempotency.grantReadWriteData(fn);
  }
  for (const name of QUERIES_CLICKHOUSE) secret.grantRead(fns[name]);

  storage.tenants.grantReadData(fns.discover);
  storage.landing.grantRead(fns.discover); // lists folders, to account for objects outside the tables
  storage.ledger.grantReadWriteData(fns.discover); // records those objects as ignored
  // Validate records each tenant's last successful run: that attribute of existing items, nothing else.
  fns.validate.addToRolePolicy(
    new PolicyStatement({
      actions: ['dynamodb:UpdateItem'],
      resources: [storage.tenants.tableArn],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [TENANTS_KEY.partition, LAST_SUCCESS_ATTRIBUTE] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_NEW'] },
      },
    }),
  );
  fns.plan.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [storage.landing.bucketArn] })); // lists a prefix, reads no object
  storage.landing.grantRead(fns.load); // signs the GET URLs ClickHouse reads the files with
  storage.ledger.grantReadWriteData(fns.plan); // records ignored objects and skipped files, retires deleted ones as gone
  // The claim protocol's reads and conditional writes; no Scan, DeleteItem or BatchWriteItem.
  fns.load.addToRolePolicy(
    new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DescribeTable'], resources: [storage.ledger.tableArn] }),
  );
  storage.ledger.grantReadData(fns.validate);
  storage.runs.grantPut(fns.discover); // writes the item manifest the Map reads
  storage.runs.grantPut(fns.plan, 'runs/*'); // a dry run's every file it would load
  storage.runs.grantRead(fns.validate); // reads the Map's results
  storage.runs.grantPut(fns.validate); // writes the run report
  storage.arrivals.grantReadWriteData(fns.discover); // reads the marks, records sweeps, clears stray marks
  storage.arrivals.grantWriteData(fns.plan); // clears an item's mark once it has listed the folder
  return fns;
}
