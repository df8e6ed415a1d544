import { afterEach, describe, expect, it } from 'vitest';
import { tracerIfEnabled } from '../../src/runtime/tracing.js';

const saved = process.env.POWERTOOLS_TRACE_ENABLED;
afterEach(() => {
  if (saved === undefined) delete process.env.POWERTOOLS_TRACE_ENABLED;
  else process.env.POWERTOOLS_TRACE_ENABLED = saved;
});

describe('tracing', () => {
  it('loads no tracer where tracing is off, as in the embedded runtime', async () => {
    process.env.POWERTOOLS_TRACE_ENABLED = 'false';
    expect(await tracerIfEnabled()).toBeUndefined();
  });

  it('traces as on Lambda where it is on', async () => {
    delete process.env.POWERTOOLS_TRACE_ENABLED;
    const tracer = await tracerIfEnabled();
    expect(tracer?.captureAWSv3Client).toBeTypeOf('function');
  });
});
