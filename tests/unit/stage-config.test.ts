import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE, stageConfig } from '../../stacks/stage-config.js';

describe('stage configuration', () => {
  it('has documented defaults, and per-stage choices in the repository', () => {
    expect(stageConfig('dev', {})).toEqual({
      schedule: DEFAULT_SCHEDULE,
      scheduleEnabled: true,
      landingBucketName: undefined,
      clickhouseSecretName: 'onceload/dev/clickhouse',
      logRetentionDays: 30,
      runsRetentionDays: 90,
      retainData: false,
      alarmEmail: undefined,
      loadPath: 'in-engine',
      mapConcurrency: 8,
      sweepHours: 24,
    });
    expect(stageConfig('prod', {})).toMatchObject({ retainData: true, logRetentionDays: 365 });
  });

  it('takes overrides from the deploy environment', () => {
    expect(
      stageConfig('dev', { ONCELOAD_SCHEDULE: 'rate(15 minutes)', ONCELOAD_SCHEDULE_ENABLED: 'false', ONCELOAD_LANDING_BUCKET_NAME: 'acme-landing', ONCELOAD_LOG_RETENTION_DAYS: '90', ONCELOAD_LOAD_PATH: 'streamed' }),
    ).toMatchObject({ schedule: 'rate(15 minutes)', scheduleEnabled: false, landingBucketName: 'acme-landing', logRetentionDays: 90, loadPath: 'streamed' });
  });

  it('refuses a bad value, naming the variable', () => {
    expect(() => stageConfig('dev', { ONCELOAD_SCHEDULE: 'every hour' })).toThrow(/stage dev: ONCELOAD_SCHEDULE: expected rate/);
    expect(() => stageConfig('dev', { ONCELOAD_SCHEDULE_ENABLED: 'no' })).toThrow(/ONCELOAD_SCHEDULE_ENABLED/);
    expect(() => stageConfig('dev', { ONCELOAD_LOG_RETENTION_DAYS: '31' })).toThrow(/ONCELOAD_LOG_RETENTION_DAYS: expected one of/);
    expect(() => stageConfig('dev', { ONCELOAD_LANDING_BUCKET_NAME: 'Bad_Bucket' })).toThrow(/ONCELOAD_LANDING_BUCKET_NAME/);
    expect(() => stageConfig('dev', { ONCELOAD_LOAD_PATH: 'sideways' })).toThrow(/ONCELOAD_LOAD_PATH/);
  });
});
