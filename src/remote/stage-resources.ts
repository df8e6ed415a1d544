/**
 * The landing bucket and ClickHouse secret of a deployed stage, resolved as its deploy resolved
 * them (stacks/stage-config.ts: defaults, then ONCELOAD_* variables). A bucket the stack created
 * has a name CloudFormation chose, found by the prefix it always gives it.
 */
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { stageConfig } from '../../stacks/stage-config.js';
import { ConfigError } from '../config.js';
import { landingBucketPrefix } from '../naming.js';
import { MAX_ATTEMPTS } from './settings.js';
import { EXIT_USAGE, RemoteError, explainAwsError } from './errors.js';

export interface StageResources {
  region: string;
  landingBucket: string;
  clickhouseSecretName: string;
}

const NAME_IT = "set ONCELOAD_LANDING_BUCKET_NAME to the stage's LandingBucket output (`npx sst deploy` prints it)";

async function findLandingBucket(s3: S3Client, stage: string, region: string): Promise<string> {
  const prefix = landingBucketPrefix(stage);
  const found: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListBucketsCommand({ Prefix: prefix, BucketRegion: region, ContinuationToken: token }));
    for (const bucket of page.Buckets ?? []) if (bucket.Name?.startsWith(prefix)) found.push(bucket.Name);
    token = page.ContinuationToken;
  } while (token);
  if (found.length === 1) return found[0]!;
  if (found.length === 0) throw new RemoteError(`no landing bucket ${prefix}... in ${region}: is stage ${stage} deployed there (npx sst deploy --stage ${stage})? A stage that imports its bucket, or whose name is too long for CloudFormation to keep whole in the bucket's: ${NAME_IT}`, EXIT_USAGE);
  // A bucket kept by a removed deployment (retainData) has the same prefix.
  throw new RemoteError(`${found.length} buckets in ${region} could be stage ${stage}'s landing bucket (${found.join(', ')}): ${NAME_IT}`, EXIT_USAGE);
}

/** `region` is --region, else AWS_REGION or the profile's. */
export async function readStageResources(stage: string, region: string | undefined): Promise<StageResources> {
  let config;
  try {
    config = stageConfig(stage);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const s3 = new S3Client({ ...(region ? { region } : {}), maxAttempts: MAX_ATTEMPTS });
  try {
    const where = await s3.config.region();
    const landingBucket = config.landingBucketName ?? (await findLandingBucket(s3, stage, where));
    return { region: where, landingBucket, clickhouseSecretName: config.clickhouseSecretName };
  } catch (error) {
    if (error instanceof RemoteError) throw error;
    const explained = explainAwsError('s3:ListAllMyBuckets', undefined, error);
    const denied = error instanceof Error && error.name === 'AccessDenied' && explained instanceof RemoteError;
    throw denied ? new RemoteError(`${explained.message}; or ${NAME_IT}`, explained.exitCode, { cause: error }) : explained;
  } finally {
    s3.destroy();
  }
}
