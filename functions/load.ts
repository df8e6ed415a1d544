/**
 * Task "Load a batch of files": each file is its own unit of exactly-once, idempotent on
 * tenant + table + key + ETag + reset generation across executions; the batch itself is
 * idempotent within the execution.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadBatch, loadFile, settledOutcome, type FileResult, type FileToLoad, type LoadBatchInput } from '../src/lib/load.js';
import { getDeps } from '../src/runtime/deps.js';
import { idempotentHandler, idempotentPerFile } from '../src/runtime/idempotency.js';
import { observability, reportLoad } from '../src/runtime/observability.js';

export interface LoadOutput {
  files: FileResult[];
}

export const handler = middy(async (event: LoadBatchInput, context: Context): Promise<LoadOutput> => {
  const deps = await getDeps();
  const loadOne = idempotentPerFile(deps, context, (file: FileToLoad) =>
    loadFile(file, event.runId, { ledger: deps.ledger, warehouse: deps.warehouse, loadTimeoutSeconds: deps.config.loadTimeoutSeconds }),
  );
  const files = await loadBatch(event, {
    scanAll: (files) => deps.warehouse.scanFiles(files.map((f) => ({ tenant: f.tenant, table: f.table, key: f.key, etag: f.etag }))),
    loadOne,
    settled: (file) => settledOutcome(file, deps.ledger),
  });
  reportLoad(event.table, files);
  return { files };
})
  .use(observability())
  .use(idempotentHandler('load', '[runId, tenant, table, round, batch]'));
