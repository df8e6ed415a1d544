/**
 * Task "Load a batch of files". Each invocation is one attempt of the claim protocol: its
 * claims carry a fresh attempt id and a lease that ends when the invocation must. Small files
 * load as load units, a file larger than a unit alone; in-engine ClickHouse reads the files,
 * streamed the Load reads them and sends their rows. The batch itself is idempotent within
 * the execution.
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadBatch, type LoadBatchInput } from '../src/lib/load.js';
import { logSink } from '../src/lib/load-log.js';
import { checkThenInsert, inEngineWriter, type LoadPath } from '../src/lib/load-unit.js';
import { tallyResults, type LoadTally } from '../src/lib/load-tally.js';
import type { FileResult } from '../src/lib/results.js';
import { streamedPath, streamedUnits } from '../src/lib/streamed-load.js';
import type { Attempt } from '../src/ports.js';
import { getDeps } from '../src/runtime/deps.js';
import { idempotentHandler } from '../src/runtime/idempotency.js';
import { logger, observability, reportLoad } from '../src/runtime/observability.js';

export interface LoadOutput {
  files: FileResult[];
  /** What the state machine keeps of the results (the files are dropped: a round's state stays small). */
  tally: LoadTally;
}

export const handler = middy(async (event: LoadBatchInput, context: Context): Promise<LoadOutput> => {
  const deps = await getDeps();
  const { config, warehouse, store } = deps;
  const attempt: Attempt = { id: randomUUID(), runId: event.runId, leaseUntil: new Date(Date.now() + context.getRemainingTimeInMillis()) };
  const stream = { store, warehouse, chunkRows: config.insertBlockRows, chunkBytes: config.streamChunkBytes };
  const streamed = config.loadPath === 'streamed';
  const path: LoadPath = streamed
    ? streamedPath(stream)
    : { writer: inEngineWriter(warehouse), loadAlone: checkThenInsert(warehouse) };
  const files = await loadBatch(event, attempt, {
    ledger: deps.ledger,
    warehouse,
    path,
    // A failed write is a warning: the ledger holds these outcomes, only the log rows are missing (load-log.ts).
    log: logSink(deps.loadLog, (message, details) => logger.warn(message, details)),
    unitsOf: (free) => (streamed ? streamedUnits(free, stream) : [free.filter((f) => f.size <= config.batchMaxBytes)]),
  });
  reportLoad(event.table, files);
  return { files, tally: tallyResults(files, event.runId) };
})
  .use(observability())
  .use(idempotentHandler('load', '[runId, tenant, table, round, batch]'));
