/**
 * AWS list prices, us-east-1, on-demand, as published on each service's pricing page
 * (aws.amazon.com/step-functions/pricing, /lambda/pricing, /dynamodb/pricing/on-demand,
 * /s3/pricing). ClickHouse is not priced: it depends on how and where it is run.
 */
import type { Costs } from './costs.js';

/** Step Functions Standard workflows, per state transition. */
export const STATE_TRANSITION_USD = 0.025 / 1_000;
/** Lambda, per request. */
export const LAMBDA_REQUEST_USD = 0.2 / 1_000_000;
/** Lambda on arm64, per GB-second. */
export const LAMBDA_GB_SECOND_USD = 0.0000133334;
/** DynamoDB on-demand, per write request unit and per read request unit. */
export const DYNAMODB_WRITE_USD = 1.25 / 1_000_000;
export const DYNAMODB_READ_USD = 0.25 / 1_000_000;
/** S3 Standard, per PUT, COPY, POST or LIST request, and per GET (or HEAD) request. */
export const S3_PUT_LIST_USD = 0.005 / 1_000;
export const S3_GET_USD = 0.0004 / 1_000;

export interface Dollars {
  stepFunctions: number;
  lambda: number;
  dynamodb: number;
  s3: number;
  total: number;
}

/** Each request counted as one request unit: items under 1 KB written, 4 KB read. */
export function dollarsOf(costs: Costs): Dollars {
  const stepFunctions = costs.stateTransitions * STATE_TRANSITION_USD;
  const lambda = costs.lambdaInvocations * LAMBDA_REQUEST_USD + costs.lambdaGbSeconds * LAMBDA_GB_SECOND_USD;
  const dynamodb = costs.dynamodbWrites * DYNAMODB_WRITE_USD + costs.dynamodbReads * DYNAMODB_READ_USD;
  const s3 = (costs.s3Puts + costs.s3Lists) * S3_PUT_LIST_USD + costs.s3Gets * S3_GET_USD;
  return { stepFunctions, lambda, dynamodb, s3, total: stepFunctions + lambda + dynamodb + s3 };
}
