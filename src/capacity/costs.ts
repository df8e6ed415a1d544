/**
 * What one execution, or one share of it, costs in what AWS bills and caps: a vector of counts
 * that add up, and the arithmetic the model needs on them.
 */
export const ADDITIVE = [
  'stateTransitions',
  'lambdaInvocations',
  'lambdaGbSeconds',
  'dynamodbReads',
  'dynamodbWrites',
  's3Gets',
  's3Puts',
  's3Lists',
  'clickhouseQueries',
] as const;

export type Additive = (typeof ADDITIVE)[number];
export type Costs = Record<Additive, number>;

export const zeroCosts = (): Costs => Object.fromEntries(ADDITIVE.map((key) => [key, 0])) as Costs;

const combine = (f: (key: Additive) => number): Costs => Object.fromEntries(ADDITIVE.map((key) => [key, f(key)])) as Costs;

export const plus = (a: Costs, b: Costs): Costs => combine((key) => a[key] + b[key]);
export const minus = (a: Costs, b: Costs): Costs => combine((key) => a[key] - b[key]);
export const times = (a: Costs, factor: number): Costs => combine((key) => a[key] * factor);

export const COST_LABELS: Record<Additive, string> = {
  stateTransitions: 'state transitions',
  lambdaInvocations: 'Lambda invocations',
  lambdaGbSeconds: 'Lambda GB-seconds',
  dynamodbReads: 'DynamoDB reads',
  dynamodbWrites: 'DynamoDB writes',
  s3Gets: 'S3 GET',
  s3Puts: 'S3 PUT',
  s3Lists: 'S3 LIST',
  clickhouseQueries: 'ClickHouse queries',
};
