/**
 * Task "Load a batch of files": the batch's small files as one load unit, idempotent on the
 * unit; a large file alone, idempotent on tenant + table + key + ETag + reset generation. Both
 * hold across executions; the batch itself is idempotent within the execution.
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadBatch, loadFile, settledOutcome, type FileResult, type LoadBatchInput } from '../src/lib/load.js';
import { finishUnitOf, insertRecordedUnit, loadInUnit, type UnitDeps } from '../src/lib/load-unit.js';
import { getDeps } from '../src/runtime/deps.js';
import { idempotentHandler, idempotentPerFile, idempotentPerUnit } from '../src/runtime/idempotency.js';
import { observability, reportLoad } from '../src/runtime/observability.js';

export interface LoadOutput {
  files: FileResult[];
}

export const handler = middy(async (event: LoadBatchInput, context: Context): Promise<LoadOutput> => {
  const deps = await getDeps();
  const base = { ledger: deps.ledger, warehouse: deps.warehouse, loadTimeoutSeconds: deps.config.loadTimeoutSeconds };
  const units: UnitDeps = {
    ...base,
    newUnitId: randomUUID,
    insertUnit: idempotentPerUnit(deps, context, (insert) => insertRecordedUnit(insert, event.runId, units)),
    loadAlone: idempotentPerFile(deps, context, (file) => loadFile(file, event.runId, { ...base, finishUnit: finishUnitOf(event.runId, units) })),
  };
  const files = await loadBatch(event, {
    unitMaxBytes: deps.config.batchMaxBytes,
    loadInUnit: (files) => loadInUnit(files, event.runId, units),
    loadAlone: units.loadAlone,
    settled: (file) => settledOutcome(file, deps.ledger),
  });
  reportLoad(event.table, files);
  return { files };
})
  .use(observability())
  .use(idempotentHandler('load', '[runId, tenant, table, round, batch]'));
