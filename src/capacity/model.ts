/**
 * The capacity model: per-unit costs fitted from a few measured executions, and what a tick of a
 * fleet costs by them. Counts are linear in what a tick processes; the largest payload and the
 * longest history are maxima, so they are the larger of the execution's own and an active item's.
 */
import { minus, plus, times, type Costs } from './costs.js';
import type { ExecutionMeasure } from './execution-measure.js';

/** One calibration execution and what it processed. */
export interface CalibrationRun {
  measure: ExecutionMeasure;
  items: number;
  activeItems: number;
  /** New files in each active item. */
  files: number;
}

export interface CalibrationRuns {
  /** No tenant, so no item and no table. */
  zero: ExecutionMeasure;
  /** Tables in every other run. */
  tables: number;
  /** Two runs with no new file, at two item counts. */
  idleFew: CalibrationRun;
  idleMany: CalibrationRun;
  /** Two runs with the same active items, at two file counts. */
  activeFew: CalibrationRun;
  activeMany: CalibrationRun;
}

/** A figure linear in an active item's files. */
export interface PerFileLine {
  fixed: number;
  perFile: number;
}

export interface CapacityModel {
  /** An execution with no item. */
  execution: Costs;
  /**
   * What an execution with items adds to one without, however many items (the tables it makes
   * sure of, the items' manifest and results), spread over the run's tables.
   */
  table: Costs;
  idleItem: Costs;
  activeItem: Costs;
  perFile: Costs;
  largestPayloadBytes: { execution: number; activeItem: PerFileLine };
  historyEvents: { execution: number; activeItem: PerFileLine };
  seconds: { execution: number; perItemOutsideMap: number; idleItem: number; activeItem: PerFileLine };
}

const nonNegative = (costs: Costs): Costs => Object.fromEntries(Object.entries(costs).map(([key, value]) => [key, Math.max(0, value)])) as Costs;
/** Item durations have outliers on a shared machine: the middle one stands for them. */
const median = (values: number[]) => (values.length ? [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]! : 0);

/** The line through two (files, value) points; never falling, since more files never cost less. */
function line(few: { files: number; value: number }, many: { files: number; value: number }): PerFileLine {
  const perFile = Math.max(0, (many.value - few.value) / (many.files - few.files));
  return { fixed: Math.max(0, few.value - perFile * few.files), perFile };
}

export function fitModel(runs: CalibrationRuns): CapacityModel {
  const { zero, tables, idleFew, idleMany, activeFew, activeMany } = runs;
  if (idleMany.items === idleFew.items) throw new Error('the idle runs need two different item counts');
  if (activeMany.files === activeFew.files) throw new Error('the active runs need two different file counts');
  const idleItem = nonNegative(times(minus(idleMany.measure.costs, idleFew.measure.costs), 1 / (idleMany.items - idleFew.items)));
  const table = nonNegative(times(minus(minus(idleFew.measure.costs, zero.costs), times(idleItem, idleFew.items)), 1 / tables));
  /** What one active item of a run cost: the run less its execution, tables and idle items. */
  const activeOf = (run: CalibrationRun) => {
    const rest = plus(plus(zero.costs, times(table, tables)), times(idleItem, run.items - run.activeItems));
    return times(minus(run.measure.costs, rest), 1 / run.activeItems);
  };
  const few = activeOf(activeFew);
  const perFile = nonNegative(times(minus(activeOf(activeMany), few), 1 / (activeMany.files - activeFew.files)));
  const activeItem = nonNegative(minus(few, times(perFile, activeFew.files)));
  const activeLine = (value: (run: CalibrationRun) => number) =>
    line({ files: activeFew.files, value: value(activeFew) }, { files: activeMany.files, value: value(activeMany) });
  return {
    execution: zero.costs,
    table,
    idleItem,
    activeItem,
    perFile,
    largestPayloadBytes: {
      execution: Math.max(zero.largestPayloadBytes, idleMany.measure.largestPayloadBytes),
      activeItem: activeLine((run) => run.measure.item.largestPayloadBytes),
    },
    historyEvents: {
      execution: Math.max(zero.historyEvents, idleMany.measure.historyEvents),
      activeItem: activeLine((run) => run.measure.item.historyEvents),
    },
    seconds: {
      execution: zero.seconds,
      perItemOutsideMap: Math.max(0, (idleMany.measure.outsideMapSeconds - idleFew.measure.outsideMapSeconds) / (idleMany.items - idleFew.items)),
      idleItem: median([...idleFew.measure.idleItemSeconds, ...idleMany.measure.idleItemSeconds]),
      activeItem: activeLine((run) => median(run.measure.activeItemSeconds)),
    },
  };
}

export interface Tick {
  /** Tenant x table items the tick processes, idle and active. */
  idleItems: number;
  activeItems: number;
  /** Tables in the run (each created if missing, once). */
  tables: number;
  /** New files in each active item. */
  files: number;
}

export interface TickCost {
  costs: Costs;
  largestPayloadBytes: number;
  historyEvents: number;
  /** A rough figure: the Map's items one after another in `concurrency` lanes. */
  wallSeconds: number;
}

const at = (l: PerFileLine, files: number) => l.fixed + l.perFile * files;

export function predictTick(model: CapacityModel, tick: Tick, concurrency: number): TickCost {
  const items = tick.idleItems + tick.activeItems;
  const activeItem = plus(model.activeItem, times(model.perFile, tick.files));
  const costs = [times(model.table, items > 0 ? tick.tables : 0), times(model.idleItem, tick.idleItems), times(activeItem, tick.activeItems)].reduce(plus, model.execution);
  const withActive = (execution: number, item: PerFileLine) => (tick.activeItems > 0 ? Math.max(execution, Math.round(at(item, tick.files))) : execution);
  const mapSeconds = (tick.idleItems * model.seconds.idleItem + tick.activeItems * at(model.seconds.activeItem, tick.files)) / concurrency;
  return {
    costs,
    largestPayloadBytes: withActive(model.largestPayloadBytes.execution, model.largestPayloadBytes.activeItem),
    historyEvents: withActive(model.historyEvents.execution, model.historyEvents.activeItem),
    wallSeconds: model.seconds.execution + items * model.seconds.perItemOutsideMap + mapSeconds,
  };
}
