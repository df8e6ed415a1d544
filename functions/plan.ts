/** Task "Plan the files to load": the new, changed, reset or unfinished files of one tenant x table. */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { clearWhenDone } from '../src/lib/arrivals.js';
import { logSink } from '../src/lib/load-log.js';
import { plan, type PlanInput, type PlanResult } from '../src/lib/plan.js';
import { writeWouldLoad } from '../src/lib/run-files.js';
import { getDeps } from '../src/runtime/deps.js';
import { firstPlanOfRound } from '../src/runtime/idempotency.js';
import { logger, observability } from '../src/runtime/observability.js';

export const handler = middy(async (event: PlanInput, context: Context): Promise<PlanResult> => {
  const deps = await getDeps();
  const wouldLoad = (files: readonly { key: string; size: number }[]) => writeWouldLoad(deps.runs, event.runId, event.tenant, event.table, files);
  // One line a version, once: the ledger records it `skipped`, and later runs write nothing.
  const skipped = (files: readonly { key: string; etag: string }[]) => {
    for (const f of files) logger.info('file skipped', { key: f.key, etag: f.etag, reason: 'before the start point', startPoint: event.startPoint });
  };
  // The skips' load log rows, as a Load writes its outcomes': a failed write is a warning.
  const log = logSink(deps.loadLog, (message, details) => logger.warn(message, details));
  const result = await plan(event, { store: deps.store, ledger: deps.ledger, warehouse: deps.warehouse, limits: deps.config, wouldLoad, skipped, log });
  await clearWhenDone(event, result, deps.arrivals);
  logger.info('planned', { round: result.round, batches: result.batches.length, more: result.more, counts: result.counts });
  // A dry run and a round with nothing to load change nothing: they need no record.
  if (event.dryRun || result.batches.length === 0) return result;
  return firstPlanOfRound<PlanResult>(deps, context)({ runId: event.runId, tenant: event.tenant, table: event.table, round: result.round, plan: result });
}).use(observability());
