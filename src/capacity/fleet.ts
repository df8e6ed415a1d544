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
  /** Hours between sweep ticks (ONCELOAD_SWEEP_HOURS); the ticks in between take only marked items. */
  sweepHours: number;
}

/** AWS prices a month as 730 hours. */
export const HOURS_PER_MONTH = 730;

export const ticksPerMonth = (everySeconds: number) => (HOURS_PER_MONTH * 3600) / everySeconds;

export interface FleetTicks {
  /** A sweep tick, or a run started by hand: every item listed. */
  everyItem: Tick;
  /** A scheduled tick between sweeps: only the items marked as having arrivals. */
  activeOnly: Tick;
}

export function fleetTicks(fleet: Fleet): FleetTicks {
  const items = fleet.tenants * fleet.tables;
  const activeItems = Math.round(items * fleet.active);
  const tick = { activeItems, tables: fleet.tables, files: fleet.files };
  return { everyItem: { ...tick, idleItems: items - activeItems }, activeOnly: { ...tick, idleItems: 0 } };
}

/** Sweeps in a month: one every `sweepHours`, never more than the ticks. */
export const sweepsPerMonth = (fleet: Pick<Fleet, 'everySeconds' | 'sweepHours'>) => Math.min(HOURS_PER_MONTH / fleet.sweepHours, ticksPerMonth(fleet.everySeconds));
