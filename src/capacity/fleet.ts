/** A fleet's tick, in the two ways a tick can pick its items, and how many ticks make a month. */
import type { Tick } from './model.js';

export interface Fleet {
  tenants: number;
  /** Tables of each tenant. */
  tables: number;
  /** The fraction of tenant x table items with new files on a tick. */
  active: number;
  /** New files in each active item. */
  files: number;
  everySeconds: number;
  concurrency: number;
}

/** AWS prices a month as 730 hours. */
export const HOURS_PER_MONTH = 730;

export const ticksPerMonth = (everySeconds: number) => (HOURS_PER_MONTH * 3600) / everySeconds;

export interface FleetTicks {
  /** Every item listed each tick, as today's ticks do (and an arrival-marked fleet's sweep tick). */
  everyItem: Tick;
  /** Only the items marked as having arrivals. */
  activeOnly: Tick;
}

export function fleetTicks(fleet: Fleet): FleetTicks {
  const items = fleet.tenants * fleet.tables;
  const activeItems = Math.round(items * fleet.active);
  const tick = { activeItems, tables: fleet.tables, files: fleet.files };
  return { everyItem: { ...tick, idleItems: items - activeItems }, activeOnly: { ...tick, idleItems: 0 } };
}
