/**
 * Task "Validate the run": reads the items' results the Map wrote to the runs bucket, runs the
 * counts and engine checks, writes the full report beside them and returns a bounded summary;
 * a run that validates counts as its tenants' last success.
 */
import middy from '@middy/core';
import { recordRunSuccess } from '../src/lib/record-success.js';
import pMap from 'p-map';
import { readDiscovery, readMapResults, readWouldLoad, writeReport, type MapResults } from '../src/lib/run-files.js';
import { summarise, type RunSummary } from '../src/lib/run-summary.js';
import { validateRun } from '../src/lib/validate.js';
import { getDeps } from '../src/runtime/deps.js';
import { idempotentHandler, keyUnlessDryRun } from '../src/runtime/idempotency.js';
import { logger, observability, reportValidation } from '../src/runtime/observability.js';

/** `startedAt` is the execution's start time (ISO); `results` the Map's ResultWriter output. */
export interface ValidateEvent {
  runId: string;
  dryRun: boolean;
  results: MapResults;
  startedAt?: string;
}

export const handler = middy(async (event: ValidateEvent): Promise<RunSummary> => {
  const deps = await getDeps();
  const [discovery, items] = await Promise.all([readDiscovery(deps.runs, event.runId), readMapResults(deps.runs, event.results)]);
  // A dry run names every file it would load: each item's Plan wrote them to the runs bucket.
  const wouldLoad = event.dryRun ? (await pMap(items.filter((i) => (i.countsAtStart?.toLoad ?? 0) > 0), (i) => readWouldLoad(deps.runs, event.runId, i.tenant, i.table), { concurrency: 8 })).flat() : undefined;
  const input = {
    runId: event.runId,
    dryRun: event.dryRun,
    items,
    notDue: discovery.notDue,
    ignored: discovery.ignored,
    disabledWithFiles: discovery.disabledWithFiles,
    skipped: discovery.skipped,
    ...(wouldLoad ? { wouldLoadFiles: wouldLoad } : {}),
  };
  // The load log rows its Loads did not write are written here; a failure is a warning (log-repair.ts).
  const report = await validateRun(input, { ledger: deps.ledger, warehouse: deps.warehouse, loadLog: deps.loadLog, warn: (message, details) => logger.warn(message, details) });
  await recordRunSuccess({ ...input, startedAt: event.startedAt, scheduled: discovery.scheduled }, report, deps.tenants);
  reportValidation(report);
  return summarise(report, await writeReport(deps.runs, report));
})
  .use(observability())
  .use(idempotentHandler('validate', keyUnlessDryRun(['runId'])));
