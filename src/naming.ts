/**
 * Names of the deployed resources, derived from the stage. The stacks create them under these
 * names and the AWS-facing CLI finds them by the same rule.
 */
export const APP_NAME = 'onceload';

import { InputError } from './errors.js';

/** SST stage names: lowercase letters, digits and hyphens, starting with a letter. */
export const STAGE_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** Refuses a malformed stage before it becomes part of a resource name; `field` is the flag at fault. */
export function assertStageName(stage: string, field = '--stage'): string {
  if (!STAGE_NAME.test(stage)) throw new InputError(`${JSON.stringify(stage)} is not a stage name: lowercase letters, digits and -, starting with a letter`, field);
  return stage;
}

export function stateMachineName(stage: string): string {
  return `${APP_NAME}-${stage}-pipeline`;
}

/** TenantServices and the ledger have fixed names per stage, so `onceload tenants|files --stage` finds them without a lookup. */
export function tenantsTableName(stage: string): string {
  return `${APP_NAME}-${stage}-tenants`;
}

export function ledgerTableName(stage: string): string {
  return `${APP_NAME}-${stage}-file-ledger`;
}

/**
 * The prefix CloudFormation gives the landing bucket it names: `<stack>-<logical id><hash>-<random>`,
 * lowercased (stacks/storage.ts creates it as `Landing` in the stage's `Pipeline` stack). Names
 * are at most 63 characters, so CloudFormation shortens the stack's part for a long stage name.
 */
export function landingBucketPrefix(stage: string): string {
  return `${stage}-${APP_NAME}-pipeline-landing`;
}

/** Arrival marks (src/lib/arrivals.ts): named per stage, so `onceload files reset --stage` marks what it resets. */
export function arrivalsTableName(stage: string): string {
  return `${APP_NAME}-${stage}-arrivals`;
}
