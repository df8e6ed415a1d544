/**
 * The capacity model predicts a size it was not calibrated at: three times the items, another
 * active fraction and file count, run for real on the same runtime and measured the same way.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { calibrate } from '../../src/capacity/calibrate.js';
import type { Additive, Costs } from '../../src/capacity/costs.js';
import { measureExecution } from '../../src/capacity/execution-measure.js';
import { itemsOf, landFiles, registerTenants } from '../../src/capacity/local-fleet.js';
import { predictTick } from '../../src/capacity/model.js';
import { countRequests } from '../../src/capacity/request-counters.js';
import { openHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => h?.close());

/** How far the prediction is from what was measured, as a fraction of the measured. */
const gap = (predicted: Costs, measured: Costs, keys: Additive[]) => {
  const sum = (costs: Costs) => keys.reduce((total, key) => total + costs[key], 0);
  return Math.abs(sum(predicted) - sum(measured)) / sum(measured);
};

it('predicts a tick of three times the calibrated items, another active share and file count, from per-unit costs measured at the small size', async () => {
  const deps = await h.runtime.deps();
  const { counts } = countRequests(h.runtime, deps);
  // Calibrated at 24 items (12, then 24 idle; 8 active with 2, then 6 files).
  const { model, runs } = await calibrate(h.runtime, counts, { tenants: 3, activeTenants: 2, files: [2, 6] });
  expect(runs.idleMany.items).toBe(24);

  // 72 items, every one with a file loaded before; then 10 of them (14%, not 33%) with 4 new files each.
  const tenants = await registerTenants(h.runtime, 'fleet', 18);
  const items = await itemsOf(h.runtime, tenants);
  await landFiles(h.runtime, items, 1, 'first');
  await measureExecution(h.runtime, counts, {});
  const active = items.filter((_, i) => i % 7 === 3);
  expect(active).toHaveLength(10);
  await landFiles(h.runtime, active, 4, 'next');
  const measured = await measureExecution(h.runtime, counts, {});

  const predicted = predictTick(model, { idleItems: items.length - active.length, activeItems: active.length, tables: runs.tables, files: 4 }, deps.config.mapConcurrency);
  const figures = JSON.stringify({ predicted: predicted.costs, measured: measured.costs });
  expect(gap(predicted.costs, measured.costs, ['stateTransitions']), figures).toBeLessThan(0.1);
  expect(gap(predicted.costs, measured.costs, ['lambdaInvocations']), figures).toBeLessThan(0.1);
  // Requests depend on timing a little (a ledger page, a retried claim): a looser bound.
  expect(gap(predicted.costs, measured.costs, ['dynamodbReads', 'dynamodbWrites']), figures).toBeLessThan(0.25);
  expect(gap(predicted.costs, measured.costs, ['s3Gets', 's3Puts', 's3Lists']), figures).toBeLessThan(0.25);
  expect(gap(predicted.costs, measured.costs, ['clickhouseQueries']), figures).toBeLessThan(0.25);
});
