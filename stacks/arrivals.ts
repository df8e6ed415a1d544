/**
 * Arrival marks on AWS: the landing bucket sends its object events to EventBridge, and a rule
 * hands each created or deleted object to the marking function (functions/mark-arrival.ts).
 */
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { Function, Stack } from 'sst/constructs';
import { MARK_ARRIVAL_SETTINGS } from '../src/function-settings.js';
import { functionEnvironment, onceloadFunction } from './functions.js';
import type { StageConfig } from './stage-config.js';
import type { Storage } from './storage.js';

export function createArrivalMarking(stack: Stack, storage: Storage, config: StageConfig, tablesFile: string): { markArrival: Function; rule: Rule } {
  const markArrival = onceloadFunction(
    stack,
    { id: 'MarkArrival', handler: 'functions/mark-arrival.handler', name: 'mark-arrival', settings: MARK_ARRIVAL_SETTINGS },
    config,
    functionEnvironment(storage, config, false),
    tablesFile,
  );
  storage.arrivals.grantWriteData(markArrival);
  storage.idempotency.grantReadWriteData(markArrival);
  const rule = new Rule(stack, 'LandingArrivals', {
    description: `Marks the tenant x table of each object created in or deleted from the landing bucket (${stack.stage})`,
    eventPattern: { source: ['aws.s3'], detailType: ['Object Created', 'Object Deleted'], detail: { bucket: { name: [storage.landing.bucketName] } } },
    targets: [new LambdaFunction(markArrival, { retryAttempts: 8 })],
  });
  return { markArrival, rule };
}
