/**
 * Task "Load a batch of files". The batch's small files load as load units, idempotent on the
 * unit; a file larger than a unit loads alone, idempotent on tenant + table + key + ETag + reset
 * generation. Both hold across executions; the batch itself is idempotent within the execution.
 * In-engine ClickHouse reads the files; streamed, the Load reads them and sends their rows.
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { checkThenInsert, loadBatch, loadFile, settledOutcome, type FileResult, type LoadBatchInput } from '../src/lib/load.js';
import { finishUnitOf, inEngineWriter, insertRecordedUnit, loadInUnit, type UnitDeps } from '../src/lib/load-unit.js';
import { countStreamed, streamFile, streamUnit, streamedUnits } from '../src/lib/streamed-load.js';
import { getDeps } from '../src/runtime/deps.js';
import { idempotentHandler, idempotentPerFile, idempotentPerUnit } from '../src/runtime/idempotency.js';
import { observability, reportLoad } from '../src/runtime/observability.js';

export interface LoadOutput {
  files: FileResult[];
}

export const handler = middy(async (event: LoadBatchInput, context: Context): Promise<LoadOutput> => {
  const deps = await getDeps();
  const { config, warehouse, store } = deps;
  const base = { ledger: deps.ledger, warehouse, loadTimeoutSeconds: config.loadTimeoutSeconds };
  const stream = { store, warehouse, chunkRows: config.insertBlockRows, chunkBytes: config.streamChunkBytes };
  const streamed = config.loadPath === 'streamed';
  const units: UnitDeps = {
    ...base,
    newUnitId: randomUUID,
    writer: streamed ? { insert: (files, token) => streamUnit(files, token, stream), count: (files) => countStreamed(files, stream) } : inEngineWriter(warehouse),
    insertUnit: idempotentPerUnit(deps, context, (insert) => insertRecordedUnit(insert, event.runId, units)),
    loadAlone: idempotentPerFile(deps, context, (file) =>
      loadFile(file, event.runId, {
        ...base,
        loadRows: streamed ? (f) => streamFile(f, stream) : checkThenInsert(warehouse),
        finishUnit: finishUnitOf(event.runId, units),
      }),
    ),
  };
  const files = await loadBatch(event, {
    unitsOf: (files) => (streamed ? streamedUnits(files, stream) : [files.filter((f) => f.size <= config.batchMaxBytes)]),
    loadInUnit: (files) => loadInUnit(files, event.runId, units),
    loadAlone: units.loadAlone,
    settled: (file) => settledOutcome(file, deps.ledger),
  });
  reportLoad(event.table, files);
  return { files };
})
  .use(observability())
  .use(idempotentHandler('load', '[runId, tenant, table, round, batch]'));
