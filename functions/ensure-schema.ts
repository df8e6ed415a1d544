/** Task "Create missing canonical tables": CREATE TABLE IF NOT EXISTS of the configured tables and the load log, never a DROP or ALTER. */
import middy from '@middy/core';
import { LOAD_LOG_TABLE } from '../src/lib/load-log.js';
import { getDeps } from '../src/runtime/deps.js';
import { idempotentHandler } from '../src/runtime/idempotency.js';
import { logger, observability } from '../src/runtime/observability.js';

export interface EnsureSchemaEvent {
  runId: string;
  tables?: string[];
}

export const handler = middy(async (event: EnsureSchemaEvent): Promise<{ created: string[] }> => {
  const deps = await getDeps();
  const configured = deps.config.tables;
  const tables = (event.tables ?? configured.names).filter((t) => configured.has(t));
  const created = await deps.warehouse.ensureTables(tables);
  if (await deps.loadLog.ensure()) created.push(LOAD_LOG_TABLE);
  logger.info('tables in place', { tables, created });
  return { created };
})
  .use(observability())
  .use(idempotentHandler('ensure-schema', '[runId]'));
