/**
 * Calibration: a few small executions on a fresh local runtime, each measured, then the model
 * fitted from them. Every execution is a tick's (`{}`: every enabled tenant), so it costs what a
 * tick does, e.g. the landing census's listing of the whole bucket. The runtime must hold no
 * tenant yet: the first execution is the one with no item at all (the execution's fixed cost).
 */
import type { LocalRuntime } from '../local/runtime.js';
import { measureExecution } from './execution-measure.js';
import { disableTenants, itemsOf, landFiles, registerTenants } from './local-fleet.js';
import { fitModel, type CalibrationRun, type CalibrationRuns, type CapacityModel } from './model.js';
import type { RequestCounts } from './request-counters.js';

export interface CalibrationSize {
  /** Tenants of the first idle run; the second has twice as many. */
  tenants: number;
  /** Tenants whose every table gets new files in the active runs. */
  activeTenants: number;
  /** The two file counts of an active item. */
  files: [number, number];
}

export const DEFAULT_CALIBRATION: CalibrationSize = { tenants: 3, activeTenants: 2, files: [2, 6] };

export async function calibrate(
  runtime: LocalRuntime,
  requests: () => RequestCounts,
  size: CalibrationSize = DEFAULT_CALIBRATION,
  onStep: (step: string) => void = () => undefined,
): Promise<{ model: CapacityModel; runs: CalibrationRuns }> {
  const tick = async (items: number, activeItems = 0, files = 0): Promise<CalibrationRun> => ({
    measure: await measureExecution(runtime, requests, {}),
    items,
    activeItems,
    files,
  });
  /** More tenants, each item loading a first file: then idle, as items are in steady state. */
  const addTenants = async (from: number, count: number) => {
    const added = await registerTenants(runtime, 'calibrate', count, from);
    await landFiles(runtime, await itemsOf(runtime, added), 1, 'first');
    await tick(0);
    return added;
  };

  onStep('an execution with no item');
  const zero = (await tick(0)).measure;
  const first = await addTenants(0, size.tenants);
  const tables = (await itemsOf(runtime, first)).length / first.length;
  onStep(`${first.length * tables} idle items`);
  const idleFew = await tick(first.length * tables);
  const tenants = [...first, ...(await addTenants(size.tenants, size.tenants))];
  const items = await itemsOf(runtime, tenants);
  onStep(`${items.length} idle items`);
  const idleMany = await tick(items.length);
  const active = items.slice(0, size.activeTenants * tables);
  const [filesFew, filesMany] = size.files;
  onStep(`${active.length} active items of ${filesFew} files, then of ${filesMany}`);
  await landFiles(runtime, active, filesFew, 'few');
  const activeFew = await tick(items.length, active.length, filesFew);
  await landFiles(runtime, active, filesMany, 'many');
  const activeMany = await tick(items.length, active.length, filesMany);
  // Later executions on the runtime (a test's) are not the calibration's.
  await disableTenants(runtime, tenants);
  const runs: CalibrationRuns = { zero, tables, idleFew, idleMany, activeFew, activeMany };
  return { model: fitModel(runs), runs };
}
