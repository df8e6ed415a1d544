/**
 * The embedded runtime: stores under a data dir, the handlers' configuration pointed at them,
 * and the state machine. Wiring only; every step of the pipeline is the deployed handler code.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config.js';
import { readReport } from '../lib/run-files.js';
import { writeExecutionRecord } from '../lib/run-history.js';
import type { RunReport } from '../lib/validate.js';
import { openChdbAhead } from '../adapters/clickhouse/client.js';
import { closeDeps, getDeps, type Deps } from '../runtime/deps.js';
import { lockDataDir } from './data-dir-lock.js';
import { recoverAbandonedWork } from './recover.js';
import { syncLanding, type SyncProgress, type SyncResult } from './landing-sync.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startStores, type LocalStoreNames, type ObjectRead, type RunningStores } from './stores.js';
import { allStates, createLocalStateMachine, loadHandlers, localDefinition, type ExecutionResult, type RunOptions, type StateLike } from './state-machine.js';
import { statesKey } from '../lib/run-layout.js';
import { TimelineRecorder, type StateTimeline } from './state-timeline.js';

export const DEFAULT_DATA_DIR = '.onceload';

/** An endpoint no request reaches: what the handlers' settings name until the stores listen. */
const STARTING = 'http://127.0.0.1:1';

const NAMES: LocalStoreNames = {
  tenantsTable: 'onceload-tenants',
  ledgerTable: 'onceload-file-ledger',
  idempotencyTable: 'onceload-idempotency',
  arrivalsTable: 'onceload-arrivals',
  landingBucket: 'onceload-landing',
  runsBucket: 'onceload-runs',
};

export interface LocalRuntimeOptions {
  dataDir: string;
  /** Extra configuration (ONCELOAD_* variables) for the handlers, e.g. in tests. */
  env?: Record<string, string>;
  /** Every function's timeout as its Lambda context reports it; tests shorten it. */
  lambdaTimeoutSeconds?: number;
}

/** The handlers' configuration, pointed at the data dir's stores. */
function handlerEnv(dataDir: string, endpoints: Pick<RunningStores, 'dynamodbEndpoint' | 's3Endpoint'>, options: LocalRuntimeOptions): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    ONCELOAD_TENANTS_TABLE: NAMES.tenantsTable,
    ONCELOAD_LEDGER_TABLE: NAMES.ledgerTable,
    ONCELOAD_IDEMPOTENCY_TABLE: NAMES.idempotencyTable,
    ONCELOAD_ARRIVALS_TABLE: NAMES.arrivalsTable,
    ONCELOAD_LANDING_BUCKET: NAMES.landingBucket,
    ONCELOAD_RUNS_BUCKET: NAMES.runsBucket,
    ONCELOAD_EXECUTIONS: 'embedded',
    ONCELOAD_DYNAMODB_ENDPOINT: endpoints.dynamodbEndpoint,
    ONCELOAD_S3_ENDPOINT: endpoints.s3Endpoint,
    // Powertools metrics and traces are for CloudWatch and X-Ray; the CLI prints its own progress.
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    // A ClickHouse server named by ONCELOAD_CLICKHOUSE_URL wins over the embedded engine.
    ...(process.env.ONCELOAD_CLICKHOUSE_URL ? {} : { ONCELOAD_CHDB_PATH: join(dataDir, 'clickhouse') }),
    ...options.env,
  };
}

/** A local run's id, as newExecutionName makes it. */
export const LOCAL_RUN_ID = /^run-\d{8}T\d{6}Z-[0-9a-f]+$/;

/** An execution name in the form Step Functions accepts, sortable by start time. */
export function newExecutionName(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

export class LocalRuntime {
  readonly dataDir: string;
  readonly landingDir: string;
  readonly #stores: RunningStores;
  readonly #unlock: () => void;
  readonly #run: ReturnType<typeof createLocalStateMachine>;
  /** Each Map state's ItemsPath, to count the items it is handed. */
  readonly #itemsPaths: ReadonlyMap<string, string | undefined>;
  /** The executions under way in this process, by run id: their states so far. */
  readonly #live = new Map<string, StateTimeline>();
  #abandoned = false;

  private constructor(dataDir: string, stores: RunningStores, unlock: () => void, run: ReturnType<typeof createLocalStateMachine>) {
    this.#run = run;
    this.dataDir = dataDir;
    this.landingDir = join(dataDir, 'landing');
    this.#stores = stores;
    this.#unlock = unlock;
    const states = allStates(localDefinition().States as unknown as Record<string, StateLike>);
    this.#itemsPaths = new Map([...states].filter(([, s]) => s.Type === 'Map').map(([name, s]) => [name, (s as { ItemsPath?: string }).ItemsPath]));
  }

  /** The states so far of an execution under way in this process, or undefined. */
  liveTimeline(runId: string): StateTimeline | undefined {
    return this.#live.get(runId);
  }

  /** The executions under way in this process, oldest first. */
  liveRuns(): StateTimeline[] {
    return [...this.#live.values()];
  }

  /** The S3 endpoint of the data dir's stores, for producers writing landing objects. */
  get s3Endpoint(): string {
    return this.#stores.s3Endpoint;
  }

  /** Throws a ConfigError naming the first bad ONCELOAD_* variable; starts nothing. */
  static checkSettings(options: LocalRuntimeOptions): void {
    loadConfig({ ...process.env, ...handlerEnv(resolve(options.dataDir), { dynamodbEndpoint: STARTING, s3Endpoint: STARTING }, options) });
  }

  static async open(options: LocalRuntimeOptions): Promise<LocalRuntime> {
    const dataDir = resolve(options.dataDir);
    // A bad setting is refused before the lock is taken or any store started.
    LocalRuntime.checkSettings(options);
    const { unlock, tookOverFromDeadHolder } = lockDataDir(dataDir);
    let stores: RunningStores | undefined;
    let starting: Promise<RunningStores> | undefined;
    try {
      mkdirSync(join(dataDir, 'landing'), { recursive: true });
      starting = startStores(dataDir, NAMES);
      // Built (and its definition validated) while the stores start.
      const run = createLocalStateMachine({
        validatedDefinitions: join(dataDir, 'validated-definitions'),
        ...(options.lambdaTimeoutSeconds === undefined ? {} : { lambdaTimeoutSeconds: options.lambdaTimeoutSeconds }),
      });
      // The functions' modules load meanwhile too. Some read their settings (Powertools') as they
      // load: those are in place first, with the stores' endpoints to follow once they listen.
      Object.assign(process.env, handlerEnv(dataDir, { dynamodbEndpoint: STARTING, s3Endpoint: STARTING }, options));
      // So does the engine: the handlers' first client takes the session opened now.
      const { clickhouse } = loadConfig();
      if (clickhouse.kind === 'chdb') openChdbAhead(clickhouse.path);
      // A module that fails to load fails its function's first invocation, as on Lambda.
      const handlers = loadHandlers().catch(() => undefined);
      stores = await starting;
      await handlers;
      Object.assign(process.env, handlerEnv(dataDir, stores, options));
      await closeDeps();
      const runtime = new LocalRuntime(dataDir, stores, unlock, run);
      const deps = await runtime.deps();
      if (tookOverFromDeadHolder) await recoverAbandonedWork(deps);
      return runtime;
    } catch (error) {
      // Whatever started is stopped, or its sockets and child process keep the CLI alive.
      await closeDeps().catch(() => undefined);
      await (stores ?? (await starting?.catch(() => undefined)))?.stop().catch(() => undefined);
      unlock();
      throw error;
    }
  }

  deps(): Promise<Deps> {
    return getDeps();
  }

  /** `deleteMissing: false` keeps the bucket's objects that the folder lacks (written through the S3 API). */
  async syncLanding(onProgress?: (progress: SyncProgress) => void, options: { deleteMissing?: boolean } = {}): Promise<SyncResult> {
    const deps = await this.deps();
    const bucket = deps.config.landingBucket;
    const putFile = (key: string, path: string, lastModified?: Date, onBytes?: (bytes: number) => void) => this.#stores.putFile(bucket, key, path, lastModified, onBytes);
    const syncedFiles = join(this.dataDir, 'synced-files.json');
    const listObjects = () => this.#stores.listObjects(bucket);
    return syncLanding(this.landingDir, { s3: deps.aws.s3, bucket, listObjects, arrivals: deps.arrivals, putFile, syncedFiles }, onProgress, options);
  }

  /** Calls `listener` as landed objects are read (by the engine or the Load); returns how to stop. */
  onObjectRead(listener: (read: ObjectRead) => void): () => void {
    return this.#stores.onObjectRead(listener);
  }

  /**
   * For an interrupted process about to exit: stops the stores and leaves the data dir lock to
   * the dead process, so the next open recovers its work (ends its leases) as after a kill.
   */
  async abandon(): Promise<void> {
    this.#abandoned = true;
    await this.#stores.stop();
  }

  /**
   * Runs one execution of the state machine; its full report, which Validate writes to the runs
   * bucket, comes with the result (as `onceload status` reads it on AWS).
   */
  async execute(input: unknown, options: Partial<RunOptions> = {}): Promise<ExecutionResult & { report?: RunReport }> {
    const startedAt = new Date().toISOString();
    const executionName = options.executionName ?? newExecutionName();
    const recorder = new TimelineRecorder(executionName, this.#itemsPaths);
    this.#live.set(executionName, recorder.timeline);
    const onEvent: RunOptions['onEvent'] = (event) => {
      recorder.observe(event);
      options.onEvent?.(event);
    };
    try {
      return await this.#record(input, startedAt, await this.#run(input, { ...options, executionName, onEvent }), recorder);
    } finally {
      // Live until its record is written, so a reader finds it in one place or the other.
      this.#live.delete(executionName);
    }
  }

  async #record(input: unknown, startedAt: string, result: ExecutionResult, recorder: TimelineRecorder): Promise<ExecutionResult & { report?: RunReport }> {
    // An interrupted process has stopped its stores: the next one recovers, nothing is recorded.
    if (this.#abandoned) return result;
    const { runs } = await this.deps();
    await runs.put(statesKey(result.executionName), JSON.stringify(recorder.end(result.status)));
    // Kept beside its report, as Step Functions keeps an execution on AWS (onceload runs, status).
    await writeExecutionRecord(runs, {
      runId: result.executionName,
      input,
      status: result.status,
      startedAt,
      stoppedAt: new Date().toISOString(),
      usage: result.usage,
      ...(result.error ? { error: result.error } : {}),
      ...(result.cause ? { cause: result.cause } : {}),
    });
    const report = result.status === 'ABORTED' ? undefined : await readReport(runs, result.executionName);
    return report ? { ...result, report } : result;
  }

  async close(): Promise<void> {
    // Executions failing as the stores stop under them must not unlock: the next open recovers.
    if (this.#abandoned) return;
    try {
      await closeDeps();
      await this.#stores.stop();
    } finally {
      this.#unlock();
    }
  }
}
