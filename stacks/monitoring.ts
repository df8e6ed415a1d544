/**
 * Alarms on failed executions, failed validations and failed arrival marks, and a dashboard of the per-table
 * metrics the functions publish (names shared with src/runtime/observability.ts).
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, MathExpression, Metric, TextWidget, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../src/metric-names.js';
import type { StageConfig } from './stage-config.js';

const PERIOD = Duration.minutes(5);

function serviceMetric(name: string, dimensions: Record<string, string> = {}): Metric {
  return new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service: SERVICE_NAME, ...dimensions }, statistic: 'Sum', period: PERIOD });
}

function perTable(name: string, tables: readonly string[]): IMetric[] {
  return tables.map((table) => serviceMetric(name, { table }).with({ label: table }));
}

export function createMonitoring(
  scope: Construct,
  stage: string,
  stateMachine: StateMachine,
  markArrival: IFunction,
  config: StageConfig,
  tables: readonly string[],
): { alarms: Alarm[]; dashboard: Dashboard } {
  const topic = new Topic(scope, 'Alarms', { displayName: `onceload ${stage} alarms` });
  if (config.alarmEmail) topic.addSubscription(new EmailSubscription(config.alarmEmail));
  const failedExecutions = new MathExpression({
    label: 'failed, timed out or aborted executions',
    expression: 'failed + timedOut + aborted',
    usingMetrics: {
      failed: stateMachine.metricFailed({ period: PERIOD }),
      timedOut: stateMachine.metricTimedOut({ period: PERIOD }),
      aborted: stateMachine.metricAborted({ period: PERIOD }),
    },
    period: PERIOD,
  });
  const alarms = [
    new Alarm(scope, 'ExecutionsFailed', {
      alarmDescription: `onceload ${stage}: an execution failed, timed out or was aborted; its report is in the Step Functions console`,
      metric: failedExecutions,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }),
    new Alarm(scope, 'ValidationFailed', {
      alarmDescription: `onceload ${stage}: a run's validation found lost, doubled or moved rows or engine drift`,
      metric: serviceMetric(METRIC.validationFailures),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }),
    new Alarm(scope, 'ItemFailed', {
      alarmDescription: `onceload ${stage}: a tenant x table item failed outside any file (its report names why); its files wait for the next run`,
      metric: serviceMetric(METRIC.itemFailures),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }),
    // Ticks that find the previous one still running: the schedule is shorter than a run takes.
    new Alarm(scope, 'TickSkipped', {
      alarmDescription: `onceload ${stage}: a scheduled tick found the previous execution still running and did nothing; runs take longer than the schedule's interval`,
      metric: serviceMetric(METRIC.skippedTicks),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }),
    // A landed object whose mark failed is seen by the next sweep only (ONCELOAD_SWEEP_HOURS).
    new Alarm(scope, 'ArrivalMarkingFailed', {
      alarmDescription: `onceload ${stage}: marking a landed object's tenant x table failed; its file waits for the next sweep`,
      metric: markArrival.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }),
  ];
  for (const alarm of alarms) alarm.addAlarmAction(new SnsAction(topic));

  const dashboard = new Dashboard(scope, 'Dashboard', { dashboardName: `onceload-${stage}` });
  dashboard.addWidgets(
    new TextWidget({ markdown: `# onceload ${stage}\nFiles and rows per table, per ${PERIOD.toMinutes()} minutes; alarms below.`, width: 24, height: 2 }),
  );
  dashboard.addWidgets(
    new GraphWidget({ title: 'Files loaded', left: perTable(METRIC.filesLoaded, tables), width: 8 }),
    new GraphWidget({ title: 'Files skipped (already loaded)', left: perTable(METRIC.filesSkipped, tables), width: 8 }),
    new GraphWidget({ title: 'Rows inserted', left: perTable(METRIC.rowsInserted, tables), width: 8 }),
  );
  dashboard.addWidgets(
    new GraphWidget({ title: 'File failures', left: perTable(METRIC.fileFailures, tables), width: 8 }),
    new GraphWidget({
      title: 'Executions',
      left: [
        stateMachine.metricSucceeded({ period: PERIOD }),
        stateMachine.metricFailed({ period: PERIOD }),
        stateMachine.metricTimedOut({ period: PERIOD }),
      ],
      width: 8,
    }),
    new GraphWidget({ title: 'Validations', left: [serviceMetric(METRIC.runsValidated), serviceMetric(METRIC.validationFailures), serviceMetric(METRIC.skippedTicks)], width: 8 }),
  );
  return { alarms, dashboard };
}
