/**
 * The state onceload keeps: the landing bucket, the tenants, the file ledger and the
 * idempotency records, with the key schemas of src/dynamo-schema.ts.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ARRIVALS_KEY, IDEMPOTENCY_KEY, IDEMPOTENCY_TTL_ATTRIBUTE, LEDGER_KEY, LEDGER_TTL_ATTRIBUTE, TENANTS_KEY } from '../src/dynamo-schema.js';
import { arrivalsTableName, ledgerTableName, tenantsTableName } from '../src/naming.js';
import type { StageConfig } from './stage-config.js';

export interface Storage {
  landing: IBucket;
  /** The runs' item manifests, Map results and reports: what a run writes that grows with tenants. */
  runs: IBucket;
  /** Arrival marks: the items a scheduled tick looks at between sweeps (src/lib/arrivals.ts). */
  arrivals: ITable;
  tenants: ITable;
  ledger: ITable;
  idempotency: ITable;
}

export function createStorage(scope: Construct, stage: string, config: StageConfig): Storage {
  const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  const landing = config.landingBucketName
    ? Bucket.fromBucketName(scope, 'Landing', config.landingBucketName)
    : new Bucket(scope, 'Landing', {
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        encryption: BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        removalPolicy,
        autoDeleteObjects: !config.retainData,
        // Object events go to EventBridge, where a rule marks each tenant x table that changed.
        eventBridgeEnabled: true,
      });
  const runs = new Bucket(scope, 'Runs', {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    removalPolicy,
    autoDeleteObjects: !config.retainData,
    // A run's manifest, results and report are read for days, not years.
    lifecycleRules: [{ expiration: Duration.days(config.runsRetentionDays), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
  });
  const stateful = {
    billingMode: BillingMode.PAY_PER_REQUEST,
    encryption: TableEncryption.AWS_MANAGED,
    removalPolicy,
  };
  const tenants = new Table(scope, 'TenantServices', {
    ...stateful,
    tableName: tenantsTableName(stage),
    partitionKey: { name: TENANTS_KEY.partition, type: AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const ledger = new Table(scope, 'FileLedger', {
    ...stateful,
    tableName: ledgerTableName(stage),
    partitionKey: { name: LEDGER_KEY.partition, type: AttributeType.STRING },
    sortKey: { name: LEDGER_KEY.sort, type: AttributeType.STRING },
    timeToLiveAttribute: LEDGER_TTL_ATTRIBUTE,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  // Marks are rebuilt by the next sweep: nothing to keep when the stage is removed.
  const arrivals = new Table(scope, 'Arrivals', {
    ...stateful,
    removalPolicy: RemovalPolicy.DESTROY,
    tableName: arrivalsTableName(stage),
    partitionKey: { name: ARRIVALS_KEY.partition, type: AttributeType.STRING },
  });
  // Idempotency records only bridge retries; they expire and are never restored.
  const idempotency = new Table(scope, 'Idempotency', {
    ...stateful,
    removalPolicy: RemovalPolicy.DESTROY,
    partitionKey: { name: IDEMPOTENCY_KEY.partition, type: AttributeType.STRING },
    timeToLiveAttribute: IDEMPOTENCY_TTL_ATTRIBUTE,
  });
  return { landing, runs, arrivals, tenants, ledger, idempotency };
}
