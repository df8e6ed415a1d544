/** Task "Create missing canonical tables": CREATE TABLE IF NOT EXISTS, never a DROP or ALTER. */
import middy from '@middy/core';
import { getDeps } from '../src/runtime/deps.js';
import { idempotentHandler } from '../src/runtime/idempotency.js';
import { logger, observability } from '../src/runtime/observability.js';
import { CANONICAL_TABLES, isCanonicalTable } from '../src/tables.js';

export interface EnsureSchemaEvent {
  runId: string;
  tables?: string[];
}

export const handler = middy(async (event: EnsureSchemaEvent): Promise<{ created: string[] }> => {
  const deps = await getDeps();
  const tables = (event.tables ?? [...CANONICAL_TABLES]).filter(isCanonicalTable);
  const created = await deps.warehouse.ensureTables(tables);
  logger.info('canonical tables in place', { tables, created });
  return { created };
})
  .use(observability())
  .use(idempotentHandler('ensure-schema', '[runId]'));
