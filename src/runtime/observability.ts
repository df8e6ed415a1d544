/**
 * Powertools observability, shared by every handler: JSON logs carrying the run, tenant and
 * table of the event on every line, EMF metrics per table, and X-Ray tracing. The embedded
 * runtime turns all three off through the standard POWERTOOLS_* variables.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import { METRICS_NAMESPACE, SERVICE_NAME, type MetricName } from '../metric-names.js';

export { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../metric-names.js';

export const logger = new Logger({ serviceName: SERVICE_NAME });
// Metrics' own warnings go through the logger, so they are JSON on Lambda and silent locally.
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger });
export const tracer = new Tracer({ serviceName: SERVICE_NAME });

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
  return [captureLambdaHandler(tracer, { captureResponse: false }), injectLambdaContext(logger, { resetKeys: true }), eventKeys() as MiddlewareObj];
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
