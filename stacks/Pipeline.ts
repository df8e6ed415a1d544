/**
 * The whole onceload deployment of one stage: storage, the five functions, the state machine
 * and its schedule, the arrival marking of landed objects, and monitoring.
 */
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { StackContext } from 'sst/constructs';
import { useProject } from 'sst/project.js';
import { createArrivalMarking } from './arrivals.js';
import { createFunctions, writeBundledTables } from './functions.js';
import { createMonitoring } from './monitoring.js';
import { createOrchestration } from './orchestration.js';
import { stageConfig } from './stage-config.js';
import { loadTables } from '../src/table-config.js';
import { createStorage } from './storage.js';

export function Pipeline({ stack, app }: StackContext) {
  const config = stageConfig(app.stage);
  // The tables as this checkout configures them (onceload.tables.json), checked here so a bad
  // configuration stops the deploy: the functions get exactly these, as a file in their bundles.
  const tables = loadTables();
  const tablesFile = writeBundledTables(tables, useProject().paths.root, app.stage);
  const storage = createStorage(stack, app.stage, config);
  // Imported by name: the secret's value is set outside the stack and never enters the template.
  const secret = Secret.fromSecretNameV2(stack, 'ClickHouseSecret', config.clickhouseSecretName);
  const fns = createFunctions(stack, storage, secret, config, tablesFile);
  const { markArrival } = createArrivalMarking(stack, storage, config, tablesFile);
  const { stateMachine, schedule } = createOrchestration(stack, app.stage, fns, storage, config);
  const { dashboard } = createMonitoring(stack, app.stage, stateMachine, markArrival, config, tables.names);

  stack.addOutputs({
    StateMachineArn: stateMachine.stateMachineArn,
    LandingBucket: storage.landing.bucketName,
    RunsBucket: storage.runs.bucketName,
    TenantsTable: storage.tenants.tableName,
    LedgerTable: storage.ledger.tableName,
    ArrivalsTable: storage.arrivals.tableName,
    MarkArrivalFunction: markArrival.functionName,
    ClickHouseSecretName: config.clickhouseSecretName,
    Schedule: `${config.schedule}${config.scheduleEnabled ? '' : ' (disabled)'}`,
    ScheduleRule: schedule.ruleName,
    Dashboard: dashboard.dashboardName,
  });
  return { stateMachine, storage };
}
