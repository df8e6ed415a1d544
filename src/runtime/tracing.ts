/**
 * X-Ray tracing, loaded only where it is on. The X-Ray SDK tracks every promise of the process
 * through async hooks once it is imported: the embedded runtime, which never traces, would pay
 * that on each of the thousands of promises a run makes.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { MiddlewareObj } from '@middy/core';
import { SERVICE_NAME } from '../metric-names.js';

/** Powertools' own switch: tracing is on unless POWERTOOLS_TRACE_ENABLED is `false`. */
const enabled = () => process.env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false';

let loaded: Promise<{ tracer: Tracer; middleware: MiddlewareObj }> | undefined;

function load() {
  loaded ??= (async () => {
    const [{ Tracer }, { captureLambdaHandler }] = await Promise.all([import('@aws-lambda-powertools/tracer'), import('@aws-lambda-powertools/tracer/middleware')]);
    const tracer = new Tracer({ serviceName: SERVICE_NAME });
    return { tracer, middleware: captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj };
  })();
  return loaded;
}

/** The tracer, where tracing is on. */
export async function tracerIfEnabled(): Promise<Tracer | undefined> {
  return enabled() ? (await load()).tracer : undefined;
}

/** The handler's trace segment, where tracing is on; nothing otherwise. */
export function traceHandler(): MiddlewareObj {
  return {
    before: async (request) => (enabled() ? (await load()).middleware.before?.(request) : undefined),
    after: async (request) => (enabled() ? (await load()).middleware.after?.(request) : undefined),
    onError: async (request) => (enabled() ? (await load()).middleware.onError?.(request) : undefined),
  };
}
