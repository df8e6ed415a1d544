/**
 * Powertools observability, shared by every handler: JSON logs carrying the run, tenant and
 * table of the event on every line, EMF metrics per table, and X-Ray tracing. Off Lambda, logs
 * are silent unless POWERTOOLS_LOG_LEVEL is set, and the embedded runtime turns metrics and
 * tracing off through the standard POWERTOOLS_* variables.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { FileResult } from '../lib/results.js';
import type { RunReport } from '../lib/validate.js';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME, type MetricName } from '../metric-names.js';
import { traceHandler } from './tracing.js';

export { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../metric-names.js';

// Off Lambda (the embedded runtime, the CLI, tests) logs stay silent unless POWERTOOLS_LOG_LEVEL asks for them.
const onLambda = process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined;
export const logger = new Logger({
  serviceName: SERVICE_NAME,
  logLevel: (process.env.POWERTOOLS_LOG_LEVEL ?? (onLambda ? 'INFO' : 'SILENT')) as LogLevel,
});
// Metrics' own warnings go through the logger, so they are JSON on Lambda and silent locally.
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger });

/** Adds the event's run id, tenant and table (where it has them) to every log line. */
function eventKeys(): MiddlewareObj<Record<string, unknown>> {
  return {
    before: (request) => {
      const event = request.event ?? {};
      const keys: Record<string, string> = {};
      for (const field of ['runId', 'tenant', 'table'] as const) {
        if (typeof event[field] === 'string') keys[field] = event[field];
      }
      logger.appendKeys(keys);
    },
  };
}

/** The middlewares every handler uses, outermost first. Metrics are flushed as they are counted. */
export function observability(): MiddlewareObj[] {
  return [traceHandler(), injectLambdaContext(logger, { resetKeys: true }), eventKeys() as MiddlewareObj];
}

/** Counts in one table's dimension, published at once. */
export function countPerTable(table: string, counts: Partial<Record<MetricName, number>>): void {
  // A single metric is flushed, dimensions and all, by its addMetric: one per count.
  for (const [name, value] of Object.entries(counts)) {
    const single = metrics.singleMetric();
    single.addDimension('table', table);
    single.addMetric(name, MetricUnit.Count, value ?? 0);
  }
}

export function count(name: MetricName, value = 1): void {
  metrics.singleMetric().addMetric(name, MetricUnit.Count, value);
}

/** A Load's outcome: one log line per file, and the per-table counts. */
export function reportLoad(table: string, files: readonly FileResult[]): void {
  for (const f of files) {
    if (f.status === 'failed') logger.error('file failed', { key: f.key, etag: f.etag, code: f.code, error: f.error });
    else logger.info(f.status === 'loaded' ? 'file loaded' : 'file already settled', { key: f.key, etag: f.etag, rows: f.rows, outcome: f.outcome, byRun: f.runId });
  }
  const loaded = files.filter((f) => f.status === 'loaded');
  countPerTable(table, {
    [METRIC.filesLoaded]: loaded.length,
    [METRIC.filesSkipped]: files.filter((f) => f.status === 'done').length,
    [METRIC.fileFailures]: files.filter((f) => f.status === 'failed').length,
    [METRIC.rowsInserted]: loaded.reduce((sum, f) => sum + (f.rows ?? 0), 0),
  });
}

/** A run's validation: one log line with the totals and the failed checks, and the run metrics. */
export function reportValidation(report: RunReport): void {
  const failed = report.checks.filter((c) => !c.ok).map((c) => c.name);
  if (report.ok) logger.info('run validated', { totals: report.totals, cost: report.cost });
  else logger.error('run failed validation', { totals: report.totals, failedChecks: failed, failures: report.failures.slice(0, 10) });
  if (report.skipped) count(METRIC.skippedTicks);
  if (report.dryRun) return;
  count(report.ok ? METRIC.runsValidated : METRIC.validationFailures);
  count(METRIC.itemFailures, report.failures.filter((f) => f.key === undefined).length);
}
