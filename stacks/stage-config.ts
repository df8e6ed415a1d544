/**
 * What differs between stages, resolved once at synth time: built-in defaults, then the
 * stage's entry below, then ONCELOAD_* variables set when running `sst deploy`.
 * A bad value stops the synth with the variable's name.
 */
import { z } from 'zod';
import { LOAD_PATHS, type LoadPath } from '../src/config.js';

export interface StageConfig {
  /** EventBridge schedule expression of the rule that starts `{ "due": true }` runs. */
  schedule: string;
  scheduleEnabled: boolean;
  /** An existing landing bucket to import by name; a new bucket is created when absent. */
  landingBucketName: string | undefined;
  /** Secrets Manager secret holding the ClickHouse connection (url, username, password, database). */
  clickhouseSecretName: string;
  /** Days the functions' and the state machine's logs are kept. */
  logRetentionDays: number;
  /** Days a run's manifest, Map results and report stay in the runs bucket. */
  runsRetentionDays: number;
  /** Keep tables and bucket when the stage is removed (stages that hold real data). */
  retainData: boolean;
  /** Address the alarms notify; alarms still exist (and show in the console) without it. */
  alarmEmail: string | undefined;
  /** How the Load gets rows to ClickHouse: `in-engine` (ClickHouse reads the bucket from presigned URLs) or `streamed` (through the Load). */
  loadPath: LoadPath;
  /** Tenant x table items run at once: each runs at most 4 Loads, each an INSERT at a time on the ClickHouse server. */
  mapConcurrency: number;
  /** Hours between sweeps: scheduled ticks in between look only at items with arrival marks. */
  sweepHours: number;
}

export const DEFAULT_SCHEDULE = 'rate(1 hour)';

const defaults = (stage: string): StageConfig => ({
  schedule: DEFAULT_SCHEDULE,
  scheduleEnabled: true,
  landingBucketName: undefined,
  clickhouseSecretName: `onceload/${stage}/clickhouse`,
  logRetentionDays: 30,
  runsRetentionDays: 90,
  retainData: false,
  alarmEmail: undefined,
  loadPath: 'in-engine',
  mapConcurrency: 8,
  sweepHours: 24,
});

/** Per-stage choices kept in the repository, so a deploy of `prod` needs no flags. */
export const STAGES: Record<string, Partial<StageConfig>> = {
  prod: { retainData: true, logRetentionDays: 365 },
};

const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const scheduleExpression = z
  .string()
  .regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^)]+\))$/, 'expected rate(<n> <unit>) or cron(<6 fields>)');

const overrides = z.object({
  ONCELOAD_SCHEDULE: scheduleExpression.optional(),
  ONCELOAD_SCHEDULE_ENABLED: z.enum(['true', 'false']).optional(),
  ONCELOAD_LANDING_BUCKET_NAME: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name').optional(),
  ONCELOAD_CLICKHOUSE_SECRET_NAME: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'expected a Secrets Manager secret name').optional(),
  ONCELOAD_LOG_RETENTION_DAYS: z.coerce.number().refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `expected one of ${LOG_RETENTION_DAYS.join(', ')}`).optional(),
  ONCELOAD_RUNS_RETENTION_DAYS: z.coerce.number().int().min(1).optional(),
  ONCELOAD_ALARM_EMAIL: z.email().optional(),
  ONCELOAD_LOAD_PATH: z.enum(LOAD_PATHS).optional(),
  ONCELOAD_MAP_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).optional(),
  ONCELOAD_SWEEP_HOURS: z.coerce.number().int().min(1).optional(),
});

export function stageConfig(stage: string, env: NodeJS.ProcessEnv = process.env): StageConfig {
  const parsed = overrides.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`stage ${stage}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  const config = { ...defaults(stage), ...STAGES[stage] };
  return {
    ...config,
    ...(e.ONCELOAD_SCHEDULE ? { schedule: e.ONCELOAD_SCHEDULE } : {}),
    ...(e.ONCELOAD_SCHEDULE_ENABLED ? { scheduleEnabled: e.ONCELOAD_SCHEDULE_ENABLED === 'true' } : {}),
    ...(e.ONCELOAD_LANDING_BUCKET_NAME ? { landingBucketName: e.ONCELOAD_LANDING_BUCKET_NAME } : {}),
    ...(e.ONCELOAD_CLICKHOUSE_SECRET_NAME ? { clickhouseSecretName: e.ONCELOAD_CLICKHOUSE_SECRET_NAME } : {}),
    ...(e.ONCELOAD_LOG_RETENTION_DAYS ? { logRetentionDays: e.ONCELOAD_LOG_RETENTION_DAYS } : {}),
    ...(e.ONCELOAD_RUNS_RETENTION_DAYS ? { runsRetentionDays: e.ONCELOAD_RUNS_RETENTION_DAYS } : {}),
    ...(e.ONCELOAD_ALARM_EMAIL ? { alarmEmail: e.ONCELOAD_ALARM_EMAIL } : {}),
    ...(e.ONCELOAD_LOAD_PATH ? { loadPath: e.ONCELOAD_LOAD_PATH } : {}),
    ...(e.ONCELOAD_MAP_CONCURRENCY ? { mapConcurrency: e.ONCELOAD_MAP_CONCURRENCY } : {}),
    ...(e.ONCELOAD_SWEEP_HOURS ? { sweepHours: e.ONCELOAD_SWEEP_HOURS } : {}),
  };
}
